"""Provider callbacks: POST /callbacks/payments/{provider}. No JWT: each callback is verified with the
provider's signature over the raw body before anything else, applied exactly once, and answered in the
provider's own format only after the change is durable."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.faults import RETRY_AFTER_SECONDS, is_transient

logger = Logger()
services = wiring.services()
snapstart.build_before_snapshot(services, "payments")
MAX_CALLBACK_BYTES = 64 * 1024


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    provider = (event.get("pathParameters") or {}).get("provider", "")
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > MAX_CALLBACK_BYTES:
        return {"statusCode": 413, "headers": {"content-type": "text/plain"}, "body": "payload too large"}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        answer = services.payments.handle_callback(provider, headers, raw)
    except Exception as error:
        # Not durable: never acknowledged. A non-2xx with WeChat's failure body is a "retry" in every
        # provider's terms (Alipay: anything but `success`; card and crypto: any non-2xx).
        failed = {"content-type": "application/json"}
        if is_transient(error):
            logger.warning("callback not applied: transient fault", extra={"provider": provider, "fault": repr(error)})
            status, failed["retry-after"] = 503, str(RETRY_AFTER_SECONDS)
        else:
            logger.exception("callback failed", extra={"provider": provider})
            status = 500
        return {"statusCode": status, "headers": failed, "body": '{"code":"FAIL","message":"temporarily unavailable"}'}
    return {"statusCode": answer.status, "headers": {"content-type": answer.content_type}, "body": answer.body}


def __getattr__(name: str) -> Any:
    """`service`: the function's payments service, built at its first use (not at import: cold start)."""
    if name == "service":
        return services.payments
    raise AttributeError(name)
