"""Evidence images of after-sales cases in S3: the shopper uploads each with a presigned POST whose policy
holds the key, the content type and the size limit, so S3 itself refuses anything else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXPIRES_SECONDS = 900


class S3EvidenceUploads:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from oms.faults import aws_client

            self._client = aws_client("s3")
        return self._client

    @staticmethod
    def prefix(customer_id: str) -> str:
        return f"evidence/{customer_id}/"

    def presigned_post(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        post: dict[str, Any] = self.client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=EXPIRES_SECONDS,
        )
        return post
