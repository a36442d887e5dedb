"""The images bucket: presigned POST forms for uploads (`oms.adapters.evidence`'s policy), and the objects the
thumbnail function reads, writes and deletes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oms.adapters.evidence import S3PresignedUploads

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    content_type: str
    size: int


class S3Images(S3PresignedUploads):
    def read(self, key: str, max_bytes: int) -> StoredObject | None:
        """The object (None when it is gone); one larger than `max_bytes` is read only up to its size header."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        size = int(answer["ContentLength"])
        content_type = str(answer.get("ContentType") or "")
        if size > max_bytes:
            answer["Body"].close()
            return StoredObject(b"", content_type, size)
        return StoredObject(answer["Body"].read(), content_type, size)

    def write(self, key: str, body: bytes, content_type: str) -> None:
        # Immutable: a key names one image's one rendition for ever (a new upload is a new image id).
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
        )

    def delete(self, object_keys: Iterable[str]) -> None:
        objects: list[ObjectIdentifierTypeDef] = [{"Key": key} for key in object_keys]
        if objects:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
