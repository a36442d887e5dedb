"""Through the local stack: a correctly signed payment notice from 730 days ago is refused (in the
provider's failure format) and leaves the order unpaid; the same provider's fresh notice then pays it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from oms_local.stack import LocalStack

from tests.helpers.flows import ACKS, enable_crypto, fresh_order, order, start_payment

pytestmark = pytest.mark.integration

REFUSED = {"alipay": (200, "failure"), "crypto": (400, None)}  # Alipay's answer is always HTTP 200


@pytest.mark.parametrize("method", ["alipay", "crypto"])
def test_a_notice_signed_730_days_ago_is_refused_and_leaves_the_order_unpaid(
    stack: LocalStack, http: Any, method: str, long_payment_timeout: None
) -> None:
    if method == "crypto":
        enable_crypto(stack, http)
    _, token, placed = fresh_order(stack, http)
    payment = start_payment(http, token, placed["orderId"], method)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=730)
    response = http.post(
        f"/_local/sandbox/payments/{payment['paymentId']}/pay",
        json={"signedAt": old.isoformat().replace("+00:00", "Z")},
    )
    assert response.status == 200, response.text
    [delivery] = response.json()["deliveries"]
    status, body = REFUSED[method]
    assert delivery["status"] == status
    if body is not None:
        assert delivery["body"] == body
    else:
        assert "730 days old" in delivery["body"]
    unpaid = order(http, token, placed["orderId"])
    assert (unpaid["status"], unpaid["payment"]["status"]) == ("PENDING_PAYMENT", "UNPAID")
    # The provider's own retry of that notice, signed now, still pays: only the stale copy was refused.
    fresh = stack.sandbox_pay(payment["paymentId"], event_id=response.json()["eventId"])
    assert (fresh["deliveries"][0]["status"], fresh["deliveries"][0]["body"]) == ACKS[method]
    assert order(http, token, placed["orderId"])["status"] == "PAID"


def test_the_sandbox_endpoint_checks_signed_at(http: Any) -> None:
    response = http.post("/_local/sandbox/payments/x/pay", json={"signedAt": "two years ago"})
    assert response.status == 400
    assert response.json()["errors"] == [{"field": "signedAt", "message": "an RFC 3339 timestamp with a zone"}]
