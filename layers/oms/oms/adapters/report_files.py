"""Report files in ReportsBucket: written whole (a report is small: a day's summary, a settlement list),
read back through short-lived presigned GET links."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LINK_SECONDS = 300  # a presigned link to a report file is valid five minutes


class S3ReportFiles:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from oms.adapters.s3 import presigning_s3_client

            self._client = presigning_s3_client()
        return self._client

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def delete(self, keys: list[str]) -> None:
        if keys:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys]})

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def link(self, key: str, filename: str) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=LINK_SECONDS,
        )
        return url
