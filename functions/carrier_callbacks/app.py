"""Carrier tracking callbacks: POST /callbacks/carriers/{carrier}. No JWT: each callback is verified with
the carrier's HMAC signature over the raw body first, deduplicated by event id, and applied so that an
older event never moves a parcel backwards. 204 once durable; 401 for a bad signature; 409 for a parcel
we do not know yet, 503 (with Retry-After) for a transient fault and 500 for a bug, all retried by the
carrier."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.adapters.carriers import CarrierCallbackRejected
from oms.faults import RETRY_AFTER_SECONDS, is_transient

logger = Logger()
services = wiring.services()
snapstart.build_before_snapshot(services, "fulfilment")
MAX_CALLBACK_BYTES = 64 * 1024


def _answer(status: int, body: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json", **(headers or {})}, "body": body}


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    carrier = (event.get("pathParameters") or {}).get("carrier", "")
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > MAX_CALLBACK_BYTES:
        return _answer(413, '{"error":"payload too large"}')
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        outcome = services.fulfilment.tracking_callback(carrier, headers, raw)
    except CarrierCallbackRejected as rejected:
        logger.warning("carrier callback rejected", extra={"carrier": carrier, "reason": str(rejected)})
        return _answer(401, '{"error":"rejected"}')
    except Exception as error:
        if is_transient(error):
            logger.warning(
                "carrier callback not applied: transient fault", extra={"carrier": carrier, "fault": repr(error)}
            )
            return _answer(503, '{"error":"temporarily unavailable"}', {"retry-after": str(RETRY_AFTER_SECONDS)})
        logger.exception("carrier callback failed", extra={"carrier": carrier})
        return _answer(500, '{"error":"internal error"}')
    logger.info("carrier callback", extra={"carrier": carrier, "outcome": outcome})
    if outcome == "unknown":
        # A scan can reach us before the warehouse registered the parcel: not acknowledged, so the
        # carrier delivers it again later instead of it being dropped.
        return _answer(409, '{"error":"unknown parcel; retry later"}')
    return _answer(204)


def __getattr__(name: str) -> Any:
    """`service`: the function's fulfilment service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.fulfilment
    raise AttributeError(name)
