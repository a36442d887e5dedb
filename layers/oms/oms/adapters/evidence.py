"""Uploads into S3 with a presigned POST whose policy holds the exact key, the content type and the size
limit, so S3 itself refuses anything else: after-sales evidence and payment proofs (`S3EvidenceUploads`),
product images (`oms.adapters.images`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXPIRES_SECONDS = 900


class S3PresignedUploads:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from oms.faults import aws_client

            self._client = aws_client("s3")
        return self._client

    @property
    def bucket(self) -> str:
        return self._bucket

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_seconds: int = EXPIRES_SECONDS
    ) -> dict[str, Any]:
        """`url` and `fields` of the form; the policy's conditions: this bucket, exactly `key`, exactly
        `content_type`, 1 to `max_bytes` bytes, within `expires_seconds`."""
        post: dict[str, Any] = self.client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_seconds,
        )
        return post


class S3EvidenceUploads(S3PresignedUploads):
    """After-sales evidence and payment proofs, in the evidence bucket."""

    @staticmethod
    def prefix(customer_id: str) -> str:
        return f"evidence/{customer_id}/"
