"""The sample events in events/ (for `sam local invoke` and docs) stay valid: replayed in order
against the real handlers they tell the story store → product → stock → quote → checkout → timer armed
from the stream → read → cancel → timeout → sweep."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from tests.handlers.conftest import ROOT, LambdaContext, executions, load_function

EVENTS = ROOT / "events"
PLACEHOLDER = "01ORDERIDFROMCHECKOUT00000"


def sample(name: str, order_id: str | None = None) -> dict[str, Any]:
    text = (EVENTS / name).read_text()
    if order_id:
        text = text.replace(PLACEHOLDER, order_id)
    event: dict[str, Any] = json.loads(text)
    return event


def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    result = module.handler(event, LambdaContext())
    return result["statusCode"], json.loads(result["body"])


def test_every_sample_event_is_used_here() -> None:
    used = {
        "catalog-put-store.json",
        "catalog-create-product.json",
        "catalog-adjust-stock.json",
        "catalog-get-product.json",
        "orders-quote.json",
        "orders-checkout.json",
        "orders-get.json",
        "orders-list.json",
        "orders-cancel.json",
        "payment-timeout.json",
        "promotions-create.json",
        "auto-confirm.json",
        "after-commit.json",
        "timer-sweeper.json",
    }
    assert {p.name for p in EVENTS.glob("*.json")} == used


def test_sample_events_replay_as_a_story(state_machines: dict[str, str]) -> None:
    catalog, orders, timeout = load_function("catalog"), load_function("orders"), load_function("payment_timeout")
    promotions, auto_confirm = load_function("promotions"), load_function("auto_confirm")
    timers, sweeper = load_function("after_commit"), load_function("timer_sweeper")
    assert call(catalog, sample("catalog-put-store.json"))[0] == 201
    status, product = call(catalog, sample("catalog-create-product.json"))
    assert status == 201
    assert call(catalog, sample("catalog-adjust-stock.json"))[1]["stock"]["available"] == 120
    get_product = sample("catalog-get-product.json")
    get_product = json.loads(json.dumps(get_product).replace("01PRODUCTID0000000000000000", product["productId"]))
    assert call(catalog, get_product)[0] == 200
    status, quote = call(orders, sample("orders-quote.json"))
    assert (status, quote["breakdown"]["total"]["amount"]) == (200, 10800)  # 2 × 49.00 + 10.00 shipping (below 99.00)
    status, order = call(orders, sample("orders-checkout.json"))
    assert status == 201
    # The OrderPlaced row of that checkout, as the table's stream delivers it, arms its payment timer.
    assert timers.handler(sample("after-commit.json", order["orderId"]), LambdaContext()) == {"batchItemFailures": []}
    assert set(executions(state_machines["PaymentTimeoutStateMachine"])) == {f"pay-{order['orderId']}"}
    assert call(orders, sample("orders-get.json", order["orderId"]))[1]["status"] == "PENDING_PAYMENT"
    assert call(orders, sample("orders-list.json"))[1]["items"][0]["orderId"] == order["orderId"]
    assert call(orders, sample("orders-cancel.json", order["orderId"]))[1]["status"] == "CANCELLED"
    assert timeout.handler(sample("payment-timeout.json", order["orderId"]), LambdaContext())["result"] == "skipped"
    status, promotion = call(promotions, sample("promotions-create.json"))
    assert (status, promotion["kind"]) == (201, "spend_and_save")
    # The auto-confirm task leaves an order that is not DELIVERED alone.
    assert auto_confirm.handler(sample("auto-confirm.json", order["orderId"]), LambdaContext())["result"] == "skipped"
    # The scheduled sweep finds nothing overdue: the order was cancelled, so it left the deadline index.
    report = sweeper.handler(sample("timer-sweeper.json"), LambdaContext())
    assert report["payment"]["examined"] == report["confirm"]["examined"] == 0
