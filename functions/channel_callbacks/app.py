"""Sales channels' order callbacks: POST /callbacks/channels/{store}. No JWT: each callback is verified
with the store's HMAC signature over the raw body first, then placed once per channel order number through
the order core (paid from the store's balance). The answer is the channel's JSON `{code, ...}`: 200 once
durable (a duplicate answers the first placement), 401 for a bad signature, 409 for a refusal the channel
retries later, 422 for a body that is not an order, 503 (Retry-After) for a transient fault."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.faults import RETRY_AFTER_SECONDS, is_transient

logger = Logger()
services = wiring.services()
snapstart.build_before_snapshot(services, "channels")
MAX_CALLBACK_BYTES = 64 * 1024


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store_id = (event.get("pathParameters") or {}).get("store", "")
    body = event.get("body") or ""
    try:
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    except ValueError:
        return _answer(422, {"code": "INVALID_ORDER"})
    if len(raw) > MAX_CALLBACK_BYTES:
        return _answer(413, {"code": "TOO_LARGE"})
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        status, answer = services.channels.receive(store_id, headers, raw)
    except Exception as error:
        if is_transient(error):
            logger.warning("channel callback not applied: transient fault", extra={"storeId": store_id})
            return _answer(503, {"code": "RETRY"}, {"retry-after": str(RETRY_AFTER_SECONDS)})
        logger.exception("channel callback failed", extra={"storeId": store_id})
        return _answer(500, {"code": "ERROR"})
    logger.info("channel callback", extra={"storeId": store_id, "status": status, "code": answer.get("code")})
    return _answer(status, answer)
