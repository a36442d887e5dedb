"""Virtual goods (seed 004's 电商发货, 复制卡密, 兑换, 核销; seed 000's activation): code pools, delivery of an
order's virtual units, staff reveal (audited), manual activation, freeze and reject, the public redemption of
links and the merchants' verification of codes. Thin: parse, authorize, call oms, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, make_resolver
from oms.api.params import Cursor, IdempotencyKey, Limit, replayed_header
from oms.api.virtual_schemas import (
    ActivationIn,
    CodePool,
    CodeUploadIn,
    CodeUploadResult,
    Delivery,
    DeliveryIn,
    Redemption,
    RedemptionIn,
    Revealed,
    RevealIn,
    Token,
    Verification,
    VerificationIn,
    VoucherActionIn,
    codes_from_csv,
)
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Virtual goods")
services = wiring.services()
snapstart.build_before_snapshot(services, "virtual_goods")


@app.endpoint(
    "POST", "/skus/{skuId}/codes", status=201, permits=Permission.VIRTUAL_CODES, problems=(404,), csv=codes_from_csv
)
def upload_codes(skuId: str, body: Annotated[CodeUploadIn, Body()]) -> CodeUploadResult:
    """Add codes to a virtual SKU's pool: a CSV upload (`text/csv`, one code per line or `code,expiresAt`), or
    JSON `{"file": "<the same text>"}`. Codes are sealed at rest; one already in a pool is reported, not added;
    the SKU's stock rises by the codes added."""
    return answer(CodeUploadResult, services.virtual_goods.upload_codes(actor(app), skuId, body.file))


@app.endpoint("GET", "/skus/{skuId}/codes", permits=Permission.VIRTUAL_CODES, problems=(404,))
def code_pool(skuId: str, limit: Limit = None, cursor: Cursor = None) -> CodePool:
    """A virtual SKU's code pool: its counters, its alert level and its codes (masked), newest first."""
    return answer(CodePool, services.virtual_goods.pool(actor(app), skuId, limit, cursor))


@app.endpoint("POST", "/orders/{orderId}/deliveries", permits=Permission.VIRTUAL_DELIVER, problems=(404, 409))
def deliver(orderId: str, body: Annotated[DeliveryIn | None, Body()] = None) -> Delivery:
    """Deliver the order's virtual goods (电商发货): codes from the pools, redemption links, services. Units
    delivered already are left as they are (a repeat answers `delivered: 0`); 409 `code-pool-empty` (nothing
    given) when a pool holds too few codes."""
    activate_at = body.activateAt if body is not None else None
    return answer(Delivery, services.virtual_goods.deliver(actor(app), orderId, activate_at))


@app.endpoint("GET", "/orders/{orderId}/vouchers", problems=(404,))
def vouchers(orderId: str) -> Delivery:
    """The order's delivered units (codes masked), as its shopper and staff see them."""
    return answer(Delivery, services.virtual_goods.vouchers(actor(app), orderId))


@app.endpoint("POST", "/orders/{orderId}/vouchers/reveal", permits=Permission.VIRTUAL_REVEAL, problems=(404,))
def reveal(orderId: str, body: Annotated[RevealIn, Body()]) -> Revealed:
    """Copy the order's codes and links in clear (复制卡密 / 复制链接), for support; audited with the reason."""
    return answer(Revealed, services.virtual_goods.reveal(actor(app), orderId, body.reason))


@app.endpoint("POST", "/orders/{orderId}/vouchers/activate", permits=Permission.VIRTUAL_DELIVER, problems=(404, 409))
def activate(orderId: str, body: Annotated[ActivationIn | None, Body()] = None) -> Delivery:
    """Activate services waiting for a manual or delayed activation (all of them, or `voucherIds`)."""
    ids = body.voucherIds if body is not None else []
    return answer(Delivery, services.virtual_goods.activate(actor(app), orderId, ids))


@app.endpoint("POST", "/orders/{orderId}/vouchers/freeze", permits=Permission.VIRTUAL_DELIVER, problems=(404, 409))
def freeze(orderId: str, body: Annotated[VoucherActionIn, Body()]) -> Delivery:
    """Freeze open vouchers (they cannot be redeemed, verified or activated), with a reason; audited."""
    result = services.virtual_goods.freeze(actor(app), orderId, body.voucherIds, body.reason, on=True)
    return answer(Delivery, result)


@app.endpoint("POST", "/orders/{orderId}/vouchers/unfreeze", permits=Permission.VIRTUAL_DELIVER, problems=(404, 409))
def unfreeze(orderId: str, body: Annotated[VoucherActionIn, Body()]) -> Delivery:
    """Unfreeze vouchers: each returns to the state it was frozen in; audited."""
    result = services.virtual_goods.freeze(actor(app), orderId, body.voucherIds, body.reason, on=False)
    return answer(Delivery, result)


@app.endpoint("POST", "/orders/{orderId}/vouchers/reject", permits=Permission.VIRTUAL_DELIVER, problems=(404, 409))
def reject(orderId: str, body: Annotated[VoucherActionIn, Body()]) -> Delivery:
    """Reject delivered units (they stop working), with the reason shown in the e-commerce order list; the
    money goes back through the refund routes, which revoke them for good."""
    return answer(Delivery, services.virtual_goods.reject(actor(app), orderId, body.voucherIds, body.reason))


@app.endpoint("POST", "/redemptions/{token}", problems=(404, 409, 429))
def redeem(token: Token, body: Annotated[RedemptionIn | None, Body()] = None) -> Redemption:
    """Redeem a redemption link (public: the link is the credential). The first time it gives the voucher
    code to show at verification; again, the same answer (`alreadyRedeemed: true`). At most 20 a minute per
    client address (429 with Retry-After)."""
    event = app.current_event.raw_event
    client = str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "unknown")
    account = body.account if body is not None else None
    return answer(Redemption, services.virtual_goods.redeem(token, account, client))


@app.endpoint(
    "POST",
    "/verifications",
    permits=Permission.VIRTUAL_VERIFY,
    problems=(404, 409),
    headers=("Idempotent-Replayed",),
)
def verify(body: Annotated[VerificationIn, Body()], key: IdempotencyKey) -> Response[Verification]:
    """Verify a code on use (核销). The same Idempotency-Key again answers the first verification
    (Idempotent-Replayed: true); a code verified already is 409 `code-already-verified`; expired
    (`code-expired`), refunded or rejected (`code-revoked`), frozen or in an open case (`code-not-usable`)
    codes are refused; an unknown code, or another store's, is 404 `code-not-found`."""
    result, replayed = services.virtual_goods.verify(actor(app), body.code, key)
    return Response(200, "application/json", answer(Verification, result), replayed_header(replayed))


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
