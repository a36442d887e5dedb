"""Transient AWS faults through every route (issue 9 item 7), injected with botocore event hooks on the
store's client under moto: throttling, lost races (TransactionConflict), a connection that times out,
and a timeout *after* DynamoDB applied the write (the answer is lost).

The faults are injected on `before-call` / `after-call`, outside botocore's own retry loop: they stand
for what is left once botocore's retries are spent. Every write route of template.yaml must have a case
here (a new route fails `test_every_write_route_has_a_case` until it gets one), and each case asserts:

- throttled, conflicted or unreachable: 503 problem+json `service-unavailable` with `Retry-After`, and the
  table exactly as before (a full dump);
- one lost race: the store sends the transaction again, and the request succeeds;
- the answer lost after the commit: 503, and the client's retry answers the committed result (and a
  second retry changes nothing) — or, for the routes docs/api.md lists as not idempotent, is a new
  request that is not a server error.

Provider and carrier callbacks answer a retryable failure (never an acknowledgement) and the provider's
retry is applied exactly once; the timer tasks raise `TransientStoreError`, which their state machines
retry, and let a bug through as what it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from oms.domain.clock import parse_rfc3339, utcnow
from oms_local.oms.payment_sandbox import Sandbox
from oms_local.oms.warehouse_sandbox import SandboxWarehouse
from pynamodb.exceptions import PynamoDBException

from tests.handlers.conftest import (
    ADDRESS,
    ADMIN,
    CUSTOMER,
    DEMO_STORE,
    SUPPORT,
    LambdaContext,
)
from tests.helpers.freight import BY_PIECE, BY_WEIGHT
from tests.helpers.pricing import cny, spend_and_save, ten_off
from tests.helpers.world import (
    FINANCE,
    READS,
    TEMPLATE,
    WAREHOUSE,
    WRITES,
    Answer,
    Call,
    Faults,
    World,
    carrier_callback,
    checkout_call,
    payment_callback,
    sku,
)

NOW = "2026-01-01T00:00:00Z"

CALLBACK_ROUTES = {r.route_key for r in TEMPLATE.routes if r.path.startswith("/callbacks/")}
WRITE_ROUTES = sorted(r.route_key for r in TEMPLATE.routes if r.method != "GET" and r.route_key not in CALLBACK_ROUTES)
READ_ROUTES = sorted(r.route_key for r in TEMPLATE.routes if r.method == "GET")

EVERY_CALL = WRITES | READS
# Faults after which nothing was written: throttled or conflicted writes, and a connection that never opens.
FAULTS = (("throttle", WRITES), ("conflict", WRITES), ("connect-timeout", EVERY_CALL))


# ---------------------------------------------------------------- fault injection


# ---------------------------------------------------------------- the functions and a small world


# ---------------------------------------------------------------- the cases
SAME = "same"  # the retry answers the committed result; a second retry changes nothing
CONVERGES = "converges"  # PUT/PATCH without If-Match: the retry sets the same content again
NEW_REQUEST = "new-request"  # not idempotent (docs/api.md): the retry is a new request


@dataclass(frozen=True)
class Case:
    route: str
    prepare: Callable[[World], Call]
    retry: str = SAME
    writes: bool = True  # False: the route only reads (faults are injected on its reads)
    variant: str = ""

    @property
    def name(self) -> str:
        return self.route + (f" [{self.variant}]" if self.variant else "")


def _category(w: World) -> str:
    made = w.ok("POST /stores/{storeId}/categories", Call("/stores/demo/categories", ADMIN, {"name": "c"}, status=201))
    return str(made["categoryId"])


def _saved_address(w: World) -> str:
    saved = w.ok("POST /me/addresses", Call("/me/addresses", CUSTOMER, {"address": ADDRESS}, status=201))
    return str(saved["addressId"])


def _review(w: World, decision: dict[str, Any]) -> Call:
    order = w.pending_order()
    attempt = w.attempt(order, "bank_transfer")
    return Call(f"/orders/{order['orderId']}/payments/{attempt['paymentId']}/review", FINANCE, decision)


def _unlist(w: World) -> Call:
    value = w.key("unlist")
    listed = Call("/risk/blacklist", ADMIN, {"kind": "device", "value": value, "reason": "chargebacks"}, status=201)
    w.ok("POST /risk/blacklist", listed)
    return Call("/risk/blacklist/device/remove", ADMIN, {"value": value, "reason": "cleared"})


def _sync(w: World) -> Call:
    order = w.pending_order()
    attempt = w.attempt(order, "wechat")
    w.sandbox.pay("wechat", attempt["paymentId"])  # paid at the provider; its notice never arrived
    return Call(f"/orders/{order['orderId']}/payments/{attempt['paymentId']}/sync", CUSTOMER)


def _resolve_refund(w: World, body: dict[str, Any]) -> Call:
    order_id, refund_id = w.refused_refund()
    return Call(f"/orders/{order_id}/refunds/{refund_id}/resolve", FINANCE, body)


def _refund(w: World) -> Call:
    order = w.paid_order()
    child = order["children"][0]["childOrderId"]
    body = {"childOrderId": child, "lines": [{"lineNo": 1, "quantity": 1}], "reason": "damaged"}
    return Call(f"/orders/{order['orderId']}/refunds", FINANCE, body, {"Idempotency-Key": w.key("rf")}, 201)


def _paid_cancel(w: World) -> Call:
    order = w.paid_order()
    return Call(f"/orders/{order['orderId']}/cancel", SUPPORT, {"reason": "out of stock"})


def _release(w: World) -> Call:
    order = w.paid_order()
    return Call(f"/orders/{order['children'][0]['childOrderId']}/release", WAREHOUSE)


def _batch(w: World) -> Call:
    orders = [w.paid_order() for _ in range(2)]
    items = [
        {"childOrderId": o["children"][0]["childOrderId"], "carrier": "sf", "trackingNumber": w.tracking()}
        for o in orders
    ]
    return Call("/shipments/batch", WAREHOUSE, {"items": items})


def _unflag(w: World) -> Call:
    order_id = w.paid_order()["orderId"]
    w.ok("PUT /orders/{orderId}/flags/special", Call(f"/orders/{order_id}/flags/special", SUPPORT, {}))
    return Call(f"/orders/{order_id}/flags/special", SUPPORT)


def _release_hold(w: World) -> Call:
    order_id = w.paid_order()["orderId"]
    w.ok("POST /orders/{orderId}/hold", Call(f"/orders/{order_id}/hold", SUPPORT, {"reason": "check"}))
    return Call(f"/orders/{order_id}/release-hold", SUPPORT, {"reason": "checked"})


def _order_batch(w: World) -> Call:
    ids = [w.paid_order()["orderId"] for _ in range(2)]
    body = {"action": "hold", "orderIds": ids, "reason": "audit"}
    return Call("/orders/batch", SUPPORT, body, {"Idempotency-Key": w.key("batch")})


def _case(w: World, *moves: tuple[str, dict[str, Any], dict[str, Any]]) -> str:
    """A return case on a delivered order (one unit), moved by `moves` (action, who, body); its id."""
    order = w.delivered_order()
    body = {
        "childOrderId": order["children"][0]["childOrderId"],
        "type": "return_refund",
        "lines": [{"lineNo": 1, "quantity": 1}],
        "reason": "damaged",
    }
    call = Call(f"/orders/{order['orderId']}/after-sales", CUSTOMER, body, {"Idempotency-Key": w.key("case")}, 201)
    case_id = str(w.ok("POST /orders/{orderId}/after-sales", call)["caseId"])
    for action, who, move in moves:
        w.ok(f"POST /after-sales/{{caseId}}/{action}", Call(f"/after-sales/{case_id}/{action}", who, move))
    return case_id


def _move(
    action: str, who: dict[str, Any], body: dict[str, Any], *before: tuple[str, dict[str, Any], dict[str, Any]]
) -> Case:
    return Case(
        f"POST /after-sales/{{caseId}}/{action}",
        lambda w: Call(f"/after-sales/{_case(w, *before)}/{action}", who, body),
    )


APPROVED = ("approve", SUPPORT, {})
REJECTED = ("reject", SUPPORT, {"note": "no"})


def _issue(w: World) -> Call:
    template = w.template()
    body = {"customerIds": ["cust-1", "cust-2"], "reason": "launch"}
    return Call(
        f"/coupon-templates/{template['templateId']}/coupons", ADMIN, body, {"Idempotency-Key": w.key("issue")}, 201
    )


def _manual_body(mode: str) -> dict[str, Any]:
    return {
        "customerId": "cust-1",
        "lines": [{"skuId": "TEE-M", "quantity": 1}],
        "shippingAddress": ADDRESS,
        "paymentMode": mode,
    }


def _offline_payment(w: World) -> Call:
    order = w.ok(
        "POST /admin/orders",
        Call("/admin/orders", SUPPORT, _manual_body("offline"), {"Idempotency-Key": w.key("manual")}, 201),
    )
    return Call(
        f"/admin/orders/{order['orderId']}/offline-payment",
        FINANCE,
        {"reference": "POS-1"},
        {"Idempotency-Key": w.key("off")},
    )


def _edit(w: World) -> Call:
    order = w.pending_order()
    return Call(
        f"/orders/{order['orderId']}",
        SUPPORT,
        {"shippingAddress": {**ADDRESS, "line1": "2 Huaihai Rd"}},
        {"If-Match": '"1"'},
    )


def _erasure(w: World) -> Call:
    """A shopper of their own with a cancelled order (the shared shopper has orders of every state)."""
    who = {"sub": w.key("erased-shopper"), "roles": ("customer",)}
    checkout = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}
    order = w.ok("POST /orders", Call("/orders", who, checkout, {"Idempotency-Key": w.key("order")}, 201))
    w.ok("POST /orders/{orderId}/cancel", Call(f"/orders/{order['orderId']}/cancel", who, {"reason": "a frozen test"}))
    body = {"reason": "the shopper asked"}
    return Call(f"/customers/{who['sub']}/erasure", ADMIN, body, {"Idempotency-Key": w.key("erase")})


def _freight_template(w: World) -> Call:
    """A template of its own, to delete."""
    path = f"/stores/demo/freight-templates/{w.key('ft')}"
    w.ok("PUT /stores/{storeId}/freight-templates/{freightTemplateId}", Call(path, ADMIN, BY_PIECE, status=201))
    return Call(path, ADMIN)


IMAGE_UPLOAD = {"contentType": "image/png", "size": 1000}


def _image_call(w: World, kind: str) -> Call:
    """A product of its own with one PENDING image: its delete, or its order."""
    body = {"storeId": "demo", "name": "Cup", "skus": [sku(w.key("CUP"))]}
    product = w.ok("POST /products", Call("/products", ADMIN, body, status=201))
    pid = product["productId"]
    image = w.ok("POST /products/{productId}/images", Call(f"/products/{pid}/images", ADMIN, IMAGE_UPLOAD, status=201))
    if kind == "delete":
        return Call(f"/products/{pid}/images/{image['imageId']}", ADMIN)
    return Call(f"/products/{pid}/images/order", ADMIN, {"imageIds": [image["imageId"]]})


def _unfreeze(w: World) -> Call:
    order = w.virtual_order("VLINK", delivered=True)
    w.ok(
        "POST /orders/{orderId}/vouchers/freeze",
        Call(f"/orders/{order}/vouchers/freeze", SUPPORT, {"reason": "a frozen test"}),
    )
    return Call(f"/orders/{order}/vouchers/unfreeze", SUPPORT, {"reason": "all is well"})


def _link_token(w: World) -> str:
    order = w.virtual_order("VLINK", delivered=True)
    vouchers = w.ok("GET /orders/{orderId}/vouchers", Call(f"/orders/{order}/vouchers", SUPPORT))
    return str(vouchers["vouchers"][0]["url"]).rsplit("/", 1)[1]


def _redemption(w: World) -> Call:
    return Call(f"/redemptions/{_link_token(w)}", CUSTOMER, {})


def _verification(w: World) -> Call:
    order = w.virtual_order("VCODE", delivered=True)
    revealed = w.ok(
        "POST /orders/{orderId}/vouchers/reveal",
        Call(f"/orders/{order}/vouchers/reveal", SUPPORT, {"reason": "for the merchant"}),
    )
    code = revealed["vouchers"][0]["code"]
    return Call("/verifications", ADMIN, {"code": code}, {"Idempotency-Key": w.key("verify")})


def _import(w: World) -> Call:
    w.virtual_skus()
    store = w.channel_store()
    text = f"channelOrderNo,skuId,quantity\n{w.key('tm')},VLINK,1\n"
    return Call(f"/channel-stores/{store}/imports", ADMIN, {"file": text})


CASES = [
    # catalog
    Case(
        "PUT /stores/{storeId}/freight-templates/{freightTemplateId}",
        lambda w: Call(f"/stores/demo/freight-templates/{w.key('ft')}", ADMIN, BY_WEIGHT, status=201),
        CONVERGES,
    ),
    Case("DELETE /stores/{storeId}/freight-templates/{freightTemplateId}", _freight_template, NEW_REQUEST),
    Case(
        "PUT /stores/{storeId}", lambda w: Call(f"/stores/{w.key('store')}", ADMIN, DEMO_STORE, status=201), CONVERGES
    ),
    Case(
        "POST /products",
        lambda w: Call("/products", ADMIN, {"storeId": "demo", "name": "Mug", "skus": [sku(w.key("MUG"))]}, status=201),
        NEW_REQUEST,
    ),
    Case("PATCH /products/{productId}", lambda w: Call(f"/products/{w.product_id}", ADMIN, {"name": "T"}), CONVERGES),
    Case(
        "POST /products/{productId}/skus",
        lambda w: Call(f"/products/{w.product_id}/skus", ADMIN, sku(w.key("TEE-L")), status=201),
        NEW_REQUEST,
    ),
    Case(
        "POST /products/{productId}/images",
        lambda w: Call(f"/products/{w.product_id}/images", ADMIN, IMAGE_UPLOAD, status=201),
        NEW_REQUEST,  # each form is a new image
    ),
    Case("DELETE /products/{productId}/images/{imageId}", lambda w: _image_call(w, "delete"), NEW_REQUEST),  # then 404
    Case("PUT /products/{productId}/images/order", lambda w: _image_call(w, "order"), CONVERGES),
    Case("PATCH /skus/{skuId}", lambda w: Call("/skus/TEE-M", ADMIN, {"name": "Tee, M"}), CONVERGES),
    Case(
        "POST /stores/{storeId}/categories",
        lambda w: Call("/stores/demo/categories", ADMIN, {"name": w.key("Tea")}, status=201),
        NEW_REQUEST,  # a retry adds another category
    ),
    Case(
        "PATCH /stores/{storeId}/categories/{categoryId}",
        lambda w: Call(f"/stores/demo/categories/{_category(w)}", ADMIN, {"name": "Teas", "sortOrder": 2}),
        CONVERGES,
    ),
    Case(
        "PATCH /stores/{storeId}/categories/{categoryId}",
        lambda w: Call(f"/stores/demo/categories/{_category(w)}", ADMIN, {"parentId": _category(w)}),
        CONVERGES,  # a retried move finds it where it asked: the category as it is
        variant="move",
    ),
    Case(
        "DELETE /stores/{storeId}/categories/{categoryId}",
        lambda w: Call(f"/stores/demo/categories/{_category(w)}", ADMIN),
        NEW_REQUEST,  # a retry is 404: it is gone
    ),
    Case(
        "POST /skus/{skuId}/stock-adjustments",
        lambda w: Call("/skus/TEE-M/stock-adjustments", ADMIN, {"delta": 5, "reason": "restock"}, status=201),
        NEW_REQUEST,
    ),
    Case(
        "POST /stock-adjustments/batch",
        lambda w: Call(
            "/stock-adjustments/batch",
            ADMIN,
            {
                "lines": [
                    {"skuId": "TEE-M", "delta": 5, "reason": "restock"},
                    {"skuId": "TEE-M", "delta": -1, "reason": "stocktake_correction"},
                ]
            },
            {"Idempotency-Key": w.key("stock-batch")},
        ),
    ),
    Case(
        "POST /stocktakes",
        lambda w: Call(
            "/stocktakes",
            ADMIN,
            {"storeId": "demo", "lines": [{"skuId": "TEE-M", "counted": 7}]},
            {"Idempotency-Key": w.key("stocktake")},
            201,
        ),
    ),
    # orders
    Case(
        "POST /orders/quote",
        lambda w: Call("/orders/quote", CUSTOMER, {"lines": [{"skuId": "TEE-M", "quantity": 1}]}),
        writes=False,
    ),
    Case(
        "POST /orders/coupon-options",
        lambda w: Call("/orders/coupon-options", CUSTOMER, {"lines": [{"skuId": "TEE-M", "quantity": 1}]}),
        writes=False,
    ),
    Case(
        "POST /orders",
        lambda w: checkout_call({"lines": [{"skuId": "TEE-M", "quantity": 2}], "shippingAddress": ADDRESS}, w.key("k")),
    ),
    Case(
        "POST /orders/{orderId}/cancel",
        lambda w: Call(f"/orders/{w.pending_order()['orderId']}/cancel", CUSTOMER, {"reason": "changed my mind"}),
    ),
    Case("POST /orders/{orderId}/cancel", _paid_cancel, variant="paid"),
    Case(
        "POST /orders/{orderId}/confirm-receipt",
        lambda w: Call(f"/orders/{w.delivered_order()['orderId']}/confirm-receipt", CUSTOMER),
    ),
    # staff's orders: a retried edit carries the If-Match it read, so it is 412 once applied (read it again)
    Case(
        "POST /admin/orders",
        lambda w: Call("/admin/orders", SUPPORT, _manual_body("online"), {"Idempotency-Key": w.key("manual")}, 201),
    ),
    Case("PATCH /orders/{orderId}", _edit, NEW_REQUEST),
    Case(
        "POST /admin/orders/{orderId}/payment-proofs",
        lambda w: Call(
            f"/admin/orders/{w.pending_order()['orderId']}/payment-proofs",
            FINANCE,
            {"contentType": "image/png", "size": 100},
            status=201,
        ),
        writes=False,
    ),
    Case("POST /admin/orders/{orderId}/offline-payment", _offline_payment),
    # payments
    Case(
        "POST /orders/{orderId}/payments",
        lambda w: Call(
            f"/orders/{w.pending_order()['orderId']}/payments",
            CUSTOMER,
            {"method": "wechat"},
            {"Idempotency-Key": w.key("p")},
            201,
        ),
    ),
    Case(
        "POST /orders/{orderId}/payments",
        lambda w: Call(
            f"/orders/{w.pending_order()['orderId']}/payments",
            CUSTOMER,
            {"method": "balance"},
            {"Idempotency-Key": w.key("p")},
            201,
        ),
        variant="balance",
    ),
    Case("POST /orders/{orderId}/payments/{paymentId}/review", lambda w: _review(w, {"decision": "approve"})),
    Case(
        "POST /orders/{orderId}/payments/{paymentId}/review",
        lambda w: _review(w, {"decision": "reject", "reason": "no funds arrived"}),
        variant="reject",
    ),
    Case("POST /orders/{orderId}/payments/{paymentId}/sync", _sync),
    Case(
        "POST /orders/{orderId}/refunds/{refundId}/resolve",
        lambda w: _resolve_refund(w, {"decision": "to-balance", "note": "the payer's account is closed"}),
    ),
    Case(
        "POST /orders/{orderId}/refunds/{refundId}/resolve",
        lambda w: _resolve_refund(w, {"decision": "retry", "note": "the account is open again"}),
        variant="retry",
    ),
    Case("POST /orders/{orderId}/refunds", _refund),
    Case(
        "POST /customers/{customerId}/balance/adjustments",
        lambda w: Call(
            "/customers/cust-2/balance/adjustments",
            FINANCE,
            {"direction": "credit", "amount": cny(5000), "reason": "goodwill"},
            {"Idempotency-Key": w.key("b")},
            201,
        ),
    ),
    Case(
        "POST /anomalies/{anomalyId}/resolve",
        lambda w: Call(
            f"/anomalies/{w.anomaly()}/resolve",
            SUPPORT,
            {"decision": "accept", "remainder": "write-off", "note": "called the shopper"},
        ),
    ),
    *(
        Case(
            f"PUT /settings/{name}/{{storeId}}",
            lambda w, name=name: Call(
                f"/settings/{name}/demo",
                ADMIN,
                {
                    "channels": {
                        "card": {
                            "enabled": True,
                            "minAmount": 100,
                            "maxAmount": 100000,
                            "feeRateBps": 290,
                            "feeBearer": "merchant",
                        }
                    },
                    "reason": "card limits",
                },
            ),
            CONVERGES,
        )
        for name in ("payment-methods", "payment-channels")  # the route and its former name (an alias)
    ),
    # after-sales
    Case(
        "POST /orders/{orderId}/after-sales",
        lambda w: Call(
            f"/orders/{(o := w.delivered_order())['orderId']}/after-sales",
            CUSTOMER,
            {
                "childOrderId": o["children"][0]["childOrderId"],
                "type": "refund_only",
                "lines": [{"lineNo": 1, "quantity": 1}],
                "reason": "damaged",
            },
            {"Idempotency-Key": w.key("case")},
            201,
        ),
    ),
    Case(
        "POST /orders/{orderId}/after-sales",
        lambda w: Call(
            f"/orders/{(o := w.delivered_order())['orderId']}/after-sales",
            CUSTOMER,
            {
                "childOrderId": o["children"][0]["childOrderId"],
                "type": "exchange",
                "lines": [{"lineNo": 1, "quantity": 1}],
                "reason": "size_or_fit",
                "replacements": [{"lineNo": 1, "skuId": "TEE-M"}],
            },
            {"Idempotency-Key": w.key("case")},
            201,
        ),
        variant="exchange",
    ),
    Case(
        "POST /after-sales/evidence-uploads",
        lambda w: Call(
            "/after-sales/evidence-uploads", CUSTOMER, {"contentType": "image/png", "size": 1000}, status=201
        ),
        NEW_REQUEST,
    ),
    _move("approve", SUPPORT, {}),
    _move("reject", SUPPORT, {"note": "works as described"}),
    _move("cancel", CUSTOMER, {"note": "found it"}),
    _move("dispute", CUSTOMER, {"note": "it does not"}, REJECTED),
    _move(
        "arbitrate", SUPPORT, {"decision": "approve", "note": "photos"}, REJECTED, ("dispute", CUSTOMER, {"note": "x"})
    ),
    Case(
        "POST /after-sales/{caseId}/return-shipment",
        lambda w: Call(
            f"/after-sales/{_case(w, APPROVED)}/return-shipment",
            CUSTOMER,
            {"carrier": "sf", "trackingNumber": w.tracking()},
        ),
    ),
    _move("receive", WAREHOUSE, {}, APPROVED),
    _move(
        "inspect",
        WAREHOUSE,
        {"lines": [{"lineNo": 1, "restockable": 1, "damaged": 0}]},
        APPROVED,
        ("receive", WAREHOUSE, {}),
    ),
    # risk control
    Case(
        "POST /risk/blacklist",
        lambda w: Call(
            "/risk/blacklist", ADMIN, {"kind": "user", "value": w.key("blk"), "reason": "chargebacks"}, status=201
        ),
        CONVERGES,  # the retry lists it again (200: the entry existed)
    ),
    Case(
        "POST /risk/blacklist/{kind}/remove",
        lambda w: _unlist(w),
        NEW_REQUEST,  # the retry finds nothing listed: 404
    ),
    Case(
        "POST /orders/{orderId}/risk-review",
        lambda w: Call(
            f"/orders/{w.risk_held_order()['orderId']}/risk-review",
            SUPPORT,
            {"decision": "approve", "reason": "checked"},
        ),
    ),
    Case(
        "POST /orders/{orderId}/risk-review",
        lambda w: Call(
            f"/orders/{w.risk_held_order()['orderId']}/risk-review", ADMIN, {"decision": "reject", "reason": "fraud"}
        ),
        variant="reject",
    ),
    Case("PUT /settings/risk", lambda w: Call("/settings/risk", ADMIN, {"reviewMatched": True}), CONVERGES),
    # notifications
    Case(
        "PUT /me/notification-preferences",
        lambda w: Call("/me/notification-preferences", CUSTOMER, {"locale": "en", "channels": {"sms": False}}),
        CONVERGES,
    ),
    Case(
        "PUT /settings/notifications/{storeId}",
        lambda w: Call("/settings/notifications/demo", ADMIN, {"events": {"OrderShipped": ["inbox"]}}),
        CONVERGES,
    ),
    # roles
    Case(
        "PUT /settings/roles",
        lambda w: Call(  # a new description each time: a policy equal to the stored one writes nothing
            "/settings/roles",
            ADMIN,
            {"customRoles": {"auditor": {"description": w.key("roles"), "permissions": ["order:read-any"]}}},
        ),
        CONVERGES,
    ),
    Case(
        "POST /me/notifications/{notificationId}/read",
        lambda w: Call(f"/me/notifications/{w.notification(CUSTOMER)}/read", CUSTOMER),
    ),
    Case(
        "POST /me/notifications/read-all",
        lambda w: Call("/me/notifications/read-all", CUSTOMER) if w.notification(CUSTOMER) else Call("", CUSTOMER),
    ),
    # accounts
    Case(
        "PUT /me", lambda w: Call("/me", CUSTOMER, {"name": "Li Lei", "language": "en", "currency": "CNY"}), CONVERGES
    ),
    Case(
        "POST /me/addresses", lambda w: Call("/me/addresses", CUSTOMER, {"address": ADDRESS}, status=201), NEW_REQUEST
    ),
    Case(
        "PUT /me/addresses/{addressId}",
        lambda w: Call(f"/me/addresses/{_saved_address(w)}", CUSTOMER, {"address": {**ADDRESS, "line1": "2 Rd"}}),
        CONVERGES,
    ),
    Case(
        "DELETE /me/addresses/{addressId}", lambda w: Call(f"/me/addresses/{_saved_address(w)}", CUSTOMER), NEW_REQUEST
    ),
    Case(
        "POST /me/addresses/{addressId}/default",
        lambda w: Call(
            f"/me/addresses/{[_saved_address(w), _saved_address(w)][1]}/default", CUSTOMER
        ),  # not the default
    ),
    # fulfilment
    Case(
        "POST /orders/{orderId}/shipments",
        lambda w: Call(
            f"/orders/{w.paid_order()['children'][0]['childOrderId']}/shipments",
            WAREHOUSE,
            {"carrier": "sf", "trackingNumber": w.tracking()},
            status=201,
        ),
    ),
    Case("POST /orders/{orderId}/release", _release),
    Case("POST /shipments/batch", _batch),
    # the order desk
    Case(
        "POST /orders/{orderId}/notes",
        lambda w: Call(f"/orders/{w.paid_order()['orderId']}/notes", SUPPORT, {"text": "called"}, status=201),
        NEW_REQUEST,
    ),
    Case(
        "PUT /orders/{orderId}/flags/special",
        lambda w: Call(f"/orders/{w.paid_order()['orderId']}/flags/special", SUPPORT, {"reason": "VIP"}),
    ),
    Case("DELETE /orders/{orderId}/flags/special", _unflag),
    Case(
        "POST /orders/{orderId}/hold",
        lambda w: Call(f"/orders/{w.paid_order()['orderId']}/hold", SUPPORT, {"reason": "address check"}),
    ),
    Case("POST /orders/{orderId}/release-hold", _release_hold),
    Case("POST /orders/batch", _order_batch),
    # pricing
    Case("POST /promotions", lambda w: Call("/promotions", ADMIN, spend_and_save(), status=201), NEW_REQUEST),
    Case(
        "PUT /promotions/{promotionId}",
        lambda w: Call(f"/promotions/{w.promotion()['promotionId']}", ADMIN, {**spend_and_save(), "name": "Autumn"}),
        CONVERGES,
    ),
    Case("DELETE /promotions/{promotionId}", lambda w: Call(f"/promotions/{w.promotion()['promotionId']}", ADMIN)),
    Case("POST /coupon-templates", lambda w: Call("/coupon-templates", ADMIN, ten_off(), status=201), NEW_REQUEST),
    Case(
        "POST /coupon-templates/{templateId}/disable",
        lambda w: Call(f"/coupon-templates/{w.template()['templateId']}/disable", ADMIN),
        NEW_REQUEST,
    ),
    Case("POST /coupon-templates/{templateId}/coupons", _issue),
    # exports
    Case(
        "POST /exports",
        lambda w: Call(
            "/exports", FINANCE, {"format": "csv", "fields": ["orderNumber"]}, {"Idempotency-Key": w.key("ex")}, 202
        ),
    ),
    Case(
        "PUT /settings/points-rules",
        lambda w: Call(
            "/settings/points-rules",
            FINANCE,
            {
                "programmes": {
                    "CNY": {"redeemRate": {"points": 100, "value": cny(100)}, "capBps": 5000, "earnRate": None}
                }
            },
        ),
        CONVERGES,
    ),
    Case(
        "PUT /settings/member-tiers",
        lambda w: Call(
            "/settings/member-tiers",
            FINANCE,
            {"tiers": [{"tierId": "gold", "name": "Gold", "threshold": 100, "discountBps": 500}]},
        ),
        CONVERGES,
    ),
    Case(
        "PUT /settings/fx-rates",
        lambda w: Call("/settings/fx-rates", FINANCE, {"reportingCurrency": "CNY", "rates": {"USD": "7.1234"}}),
        CONVERGES,
    ),
    Case(
        "PUT /settings/carriers",
        lambda w: Call(
            "/settings/carriers",
            ADMIN,
            {"carriers": [{"code": "ems", "parcelWeightLimitGrams": 2000}], "defaultCarrier": "ems"},
        ),
        CONVERGES,
    ),
    # audit and personal data
    Case(
        "POST /orders/{orderId}/personal-data/reveal",
        lambda w: Call(
            f"/orders/{w.pending_order()['orderId']}/personal-data/reveal",
            SUPPORT,
            {"fields": ["phone"], "reason": "the courier cannot reach the shopper"},
        ),
        NEW_REQUEST,  # every reveal is logged: a retry is logged again
    ),
    Case("POST /customers/{customerId}/erasure", _erasure),
    Case(
        "PUT /settings/data-retention",
        lambda w: Call("/settings/data-retention", ADMIN, {"enabled": True, "closedDays": 365}),
        CONVERGES,
    ),
    # virtual goods and channels (issue 15)
    Case(
        "POST /skus/{skuId}/codes",
        lambda w: (w.virtual_skus(), Call("/skus/VCODE/codes", ADMIN, {"file": f"{w.key('code')}-ABCD\n"}, status=201))[
            1
        ],
        NEW_REQUEST,  # a retry reports the code as a duplicate
    ),
    Case(
        "POST /orders/{orderId}/deliveries",
        lambda w: Call(f"/orders/{w.virtual_order('VCODE')}/deliveries", SUPPORT),
    ),
    Case(
        "POST /orders/{orderId}/vouchers/reveal",
        lambda w: Call(
            f"/orders/{w.virtual_order('VCODE', delivered=True)}/vouchers/reveal", SUPPORT, {"reason": "asked"}
        ),
        NEW_REQUEST,  # every reveal is audited
    ),
    Case(
        "POST /orders/{orderId}/vouchers/activate",
        lambda w: Call(f"/orders/{w.virtual_order('VSVC', delivered=True)}/vouchers/activate", SUPPORT),
    ),
    Case(
        "POST /orders/{orderId}/vouchers/freeze",
        lambda w: Call(
            f"/orders/{w.virtual_order('VLINK', delivered=True)}/vouchers/freeze", SUPPORT, {"reason": "a frozen test"}
        ),
    ),
    Case("POST /orders/{orderId}/vouchers/unfreeze", _unfreeze),
    Case(
        "POST /orders/{orderId}/vouchers/reject",
        lambda w: Call(
            f"/orders/{w.virtual_order('VLINK', delivered=True)}/vouchers/reject", SUPPORT, {"reason": "a frozen test"}
        ),
    ),
    Case("POST /redemptions/{token}", _redemption, NEW_REQUEST),  # each request counts towards the rate limit
    Case("POST /verifications", _verification),
    Case(
        "POST /channel-stores",
        lambda w: Call(
            "/channel-stores",
            ADMIN,
            {"name": "Shop", "channelType": "jd", "orderingUserId": w.key("u"), "redemptionDomain": "r.test"},
            status=201,
        ),
        NEW_REQUEST,  # a retry makes another store
    ),
    Case(
        "PATCH /channel-stores/{storeId}",
        lambda w: Call(f"/channel-stores/{w.channel_store()}", ADMIN, {"name": "Renamed"}),
        CONVERGES,
    ),
    Case(
        "POST /channel-stores/{storeId}/status",
        lambda w: Call(f"/channel-stores/{w.channel_store()}/status", ADMIN, {"enabled": False, "reason": "closing"}),
    ),
    Case(
        "POST /channel-stores/{storeId}/sync",
        lambda w: Call(f"/channel-stores/{w.channel_store()}/sync", ADMIN),
        NEW_REQUEST,  # every sync records its time
    ),
    Case("POST /channel-stores/{storeId}/imports", _import, NEW_REQUEST),  # a retry answers duplicates
    Case(
        "POST /customers/{customerId}/points/adjustments",
        lambda w: Call(
            "/customers/cust-1/points/adjustments",
            FINANCE,
            {"delta": 100, "reason": "goodwill"},
            {"Idempotency-Key": w.key("pts")},
            201,
        ),
    ),
]


def assert_unavailable(answer: Answer, what: str = "") -> None:
    assert answer.status == 503, (what, answer.body)
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.body["type"] == "urn:oms:problem:service-unavailable"
    assert answer.body["status"] == 503
    assert int(answer.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("route", WRITE_ROUTES)
def test_a_write_route_under_transient_faults(route: str, world: World, faults: Faults) -> None:
    """Every write route of template.yaml, each of its cases in turn (a new route needs a Case)."""
    cases = [case for case in CASES if case.route == route]
    assert cases, f"add a Case for {route} to CASES"
    assert {case.route for case in CASES} <= set(WRITE_ROUTES), "a Case names a route the template lost"
    for case in cases:
        check_write_route(case, world, faults)


def check_write_route(case: Case, world: World, faults: Faults) -> None:
    # 1. throttled, conflicted (through every re-send) or unreachable: 503, and nothing written
    call = case.prepare(world)
    before = world.snapshot()
    for kind, targets in FAULTS if case.writes else (("throttle", READS), ("connect-timeout", EVERY_CALL)):
        fault = faults.inject(kind, targets)
        answer = world.call(case.route, call)
        faults.clear()
        assert fault.fired, f"{case.name}, {kind}: the route made no call the fault could hit"
        assert_unavailable(answer, f"{case.name}, {kind}")
        assert world.snapshot() == before, f"{case.name}, {kind}: the table changed"
    if not case.writes:
        return

    # 2. one lost race: the store sends the same transaction again and the request succeeds
    fault = faults.inject("conflict", frozenset({"TransactWriteItems"}), times=1)
    answer = world.call(case.route, call)
    faults.clear()
    assert fault.fired == 1
    assert answer.status == call.status, (case.name, "after one lost race", answer.body)

    # 3. the answer is lost after the commit: 503; the client's retry answers the committed result
    call = case.prepare(world)
    before = world.snapshot()
    fault = faults.inject("lost-answer", WRITES, times=1)
    lost = world.call(case.route, call)
    faults.clear()
    assert fault.fired == 1
    assert_unavailable(lost, f"{case.name}, lost answer")
    assert world.snapshot() != before, case.name  # it was applied: only the answer was lost
    retried = world.call(case.route, call)
    if case.retry == NEW_REQUEST:
        assert retried.status < 500, (case.name, retried.body)
        return
    if case.retry == CONVERGES:  # the same content again (a PUT that created answers 200 the second time)
        assert 200 <= retried.status < 300, (case.name, retried.body)
        return
    assert retried.status == call.status, (case.name, "retry after a lost answer", retried.body)
    settled = world.snapshot()
    again = world.call(case.route, call)
    assert (again.status, again.body) == (retried.status, retried.body), case.name
    assert world.snapshot() == settled, case.name


def test_every_read_route_answers_503_when_its_reads_are_throttled(
    functions: dict[str, ModuleType], sandbox: Sandbox, faults: Faults
) -> None:
    world = World(functions, sandbox, SandboxWarehouse())  # an empty table: a read is all it takes
    for route in READ_ROUTES:
        path = re.sub(r"\{[^}]+\}", "x", route.split(" ", 1)[1])
        fault = faults.inject("throttle", READS)
        answer = world.call(route, Call(path, ADMIN, query={"store": "demo"}))  # GET /products needs a store
        assert fault.fired, f"{route} read nothing"
        assert_unavailable(answer, route)


def test_a_warehouse_out_of_reach_is_a_503_with_retry_after_too(world: World) -> None:
    call = _release(world)
    world.warehouse.unavailable = True
    answer = world.call("POST /orders/{orderId}/release", call)
    assert (answer.status, answer.body["type"]) == (503, "urn:oms:problem:warehouse-unavailable")
    assert answer.headers["Retry-After"] == "1"
    world.warehouse.unavailable = False
    assert world.call("POST /orders/{orderId}/release", call).status == 200


# ---------------------------------------------------------------- callbacks
@pytest.mark.parametrize(("provider", "acknowledged"), [("wechat", (204, "")), ("alipay", (200, "success"))])
def test_a_payment_callback_meeting_a_fault_is_not_acknowledged_and_its_retry_applies_once(
    provider: str, acknowledged: tuple[int, str], world: World, faults: Faults
) -> None:
    module = world.functions["payment_callbacks"]
    order = world.pending_order()
    attempt = world.attempt(order, provider)
    callback = world.sandbox.pay(provider, attempt["paymentId"], amount=attempt["amount"]["amount"])
    before = world.snapshot()
    for kind, targets in FAULTS:
        fault = faults.inject(kind, targets)
        answer = payment_callback(module, provider, callback)
        faults.clear()
        assert fault.fired
        # A retry in every provider's terms: not 2xx (WeChat: its FAIL body; Alipay: not `success`).
        assert answer["statusCode"] == 503 and answer["headers"]["retry-after"] == "1", answer
        assert json.loads(answer["body"])["code"] == "FAIL"
        assert world.snapshot() == before, kind

    fault = faults.inject("lost-answer", WRITES, times=1)
    assert payment_callback(module, provider, callback)["statusCode"] == 503
    faults.clear()
    paid = world.snapshot()
    retried = payment_callback(module, provider, callback)  # the provider delivers it again
    assert (retried["statusCode"], retried["body"]) == acknowledged
    assert world.snapshot() == paid  # applied once, by the first delivery


def test_a_payment_callback_that_loses_a_race_is_applied_and_acknowledged(world: World, faults: Faults) -> None:
    order = world.pending_order()
    attempt = world.attempt(order, "wechat")
    callback = world.sandbox.pay("wechat", attempt["paymentId"])
    fault = faults.inject("conflict", frozenset({"TransactWriteItems"}), times=1)
    assert payment_callback(world.functions["payment_callbacks"], "wechat", callback)["statusCode"] == 204
    assert fault.fired == 1
    status = world.ok("GET /orders/{orderId}", Call(f"/orders/{order['orderId']}", CUSTOMER))["status"]
    assert status == "PAID"


def test_a_carrier_callback_meeting_a_fault_is_not_acknowledged(world: World, faults: Faults) -> None:
    module = world.functions["carrier_callbacks"]
    _, _, tracking = world.shipped_child()
    before = world.snapshot()
    for kind, targets in FAULTS:
        fault = faults.inject(kind, targets)
        answer = carrier_callback(module, tracking, "IN_TRANSIT", "e1")
        faults.clear()
        assert fault.fired
        assert (answer["statusCode"], answer["headers"]["retry-after"]) == (503, "1"), answer
        assert world.snapshot() == before, kind
    fault = faults.inject("conflict", frozenset({"TransactWriteItems"}), times=1)
    assert carrier_callback(module, tracking, "IN_TRANSIT", "e1")["statusCode"] == 204
    assert fault.fired == 1

    faults.inject("lost-answer", WRITES, times=1)
    assert carrier_callback(module, tracking, "DELIVERED", "e2")["statusCode"] == 503
    faults.clear()
    delivered = world.snapshot()
    assert carrier_callback(module, tracking, "DELIVERED", "e2")["statusCode"] == 204  # the carrier's redelivery
    assert world.snapshot() == delivered  # applied once, by the first delivery


# ---------------------------------------------------------------- timer tasks
def assert_transient_store_error(module: ModuleType, order_id: str) -> None:
    """The state machines' Retry names the error, as Step Functions sees it: by its class name."""
    with pytest.raises(Exception) as raised:  # matched by name below, as the ASL does
        module.handler({"orderId": order_id}, LambdaContext())
    assert type(raised.value).__name__ == "TransientStoreError", repr(raised.value)


@pytest.mark.parametrize(("task", "done"), [("payment_timeout", "cancelled"), ("auto_confirm", "completed")])
def test_a_timer_task_raises_transient_store_error_and_lets_bugs_through(
    task: str, done: str, world: World, faults: Faults
) -> None:
    module = world.functions[task]
    if task == "payment_timeout":
        order = world.pending_order()
        due = parse_rfc3339(order["paymentDeadline"])
        module.service.clock = lambda: due
    else:
        order = world.delivered_order()
        module.timers.fulfilment.clock = lambda: utcnow().replace(year=2100)
    before = world.snapshot()
    for kind, targets in FAULTS:
        faults.inject(kind, targets)
        assert_transient_store_error(module, order["orderId"])
        faults.clear()
        assert world.snapshot() == before, kind
    faults.inject("invalid", EVERY_CALL)  # a malformed request is a bug: retrying would only repeat it
    with pytest.raises(PynamoDBException) as raised:
        module.handler({"orderId": order["orderId"]}, LambdaContext())
    assert type(raised.value).__name__ != "TransientStoreError"
    faults.inject("conflict", frozenset({"TransactWriteItems"}), times=1)  # one lost race: sent again
    assert module.handler({"orderId": order["orderId"]}, LambdaContext())["result"] == done


def test_only_a_transient_fault_is_a_503_a_bug_stays_a_500(world: World, faults: Faults) -> None:
    call = Call(f"/orders/{world.pending_order()['orderId']}/cancel", CUSTOMER)
    faults.inject("throttle", WRITES)
    assert_unavailable(world.call("POST /orders/{orderId}/cancel", call))
    faults.inject("invalid", WRITES)  # DynamoDB refuses the request itself: retrying cannot help
    answer = world.call("POST /orders/{orderId}/cancel", call)
    assert (answer.status, answer.body["type"]) == (500, "urn:oms:problem:internal-error")
    assert "Retry-After" not in answer.headers
