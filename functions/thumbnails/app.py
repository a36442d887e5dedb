"""Thumbnails: on each object created under `uploads/` in the images bucket (S3 event), check that it is an
image of the declared type within the limits, write its renditions (the original re-encoded, WebP
thumbnails) and mark the image READY, or REJECTED with the object deleted (docs/images.md).

A failure worth retrying (the table or S3 unavailable) raises: Lambda retries the asynchronous event, then
sends it to the dead-letter queue. A redelivered event finds the image settled and changes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import wiring

logger = Logger()
services = wiring.services()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    results: dict[str, str] = {}
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(record["s3"]["object"]["key"])
        results[key] = services.thumbnails.on_object_created(key)
        logger.info("upload checked", extra={"key": key, "outcome": results[key]})
    return {"results": results}
