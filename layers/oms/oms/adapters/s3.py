"""The S3 client of the buckets whose files are handed out by presigned links (exports, reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def presigning_s3_client() -> S3Client:
    """An S3 client with the functions' call budget that signs links with Signature Version 4: the links
    carry X-Amz-Expires (a SigV2 link has no expiry shorter than its Expires and is refused in newer regions)."""
    import boto3
    from botocore.config import Config

    from oms.faults import client_config

    return boto3.client("s3", config=client_config().merge(Config(signature_version="s3v4")))
