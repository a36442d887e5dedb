"""A batch of shipments answers each item's outcome in its response model (oms.api.fulfilment_views):
every problem one shipment can meet, with its extension members, fits `BatchItemProblem` exactly. A
member the model does not know would fail the whole batch's answer (the response is checked against its
model before it leaves), so each reachable one is met here once."""

from __future__ import annotations

from typing import Any

from tests.handlers.conftest import Api
from tests.helpers.fulfilment import WAREHOUSE, paid_order, place
from tests.helpers.table import table_snapshot

PROBLEM = {"type", "title", "status", "detail"}


def item(child: str, tracking: str, lines: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"childOrderId": child, "carrier": "sf", "trackingNumber": tracking}
    if lines is not None:
        body["lines"] = [{"lineNo": n, "quantity": q} for n, q in lines]
    return body


def test_every_item_problem_of_a_batch_is_answered_with_its_members(
    catalog: None, orders_api: Api, fulfilment: Api
) -> None:
    order = paid_order(orders_api, [("TEE-M", 2)], "a")
    a = order["children"][0]["childOrderId"]
    b = paid_order(orders_api, [("MUG", 1)], "b")["children"][0]["childOrderId"]
    unpaid = place(orders_api, [("TEE-M", 1)], "c")["children"][0]["childOrderId"]
    items = [
        item(a, "SF8001", [(1, 1)]),  # ships one of two
        item(a, "SF8002", [(1, 5)]),  # more than is left
        item(a, "SF8003", [(9, 1)]),  # a line the child does not have
        item(f"{order['orderId']}-09", "SF8004"),  # no such child
        item(b, "SF8001"),  # another parcel's tracking number
        item(a, "SF8005"),  # the rest
        item(a, "SF8006"),  # nothing left: the child has shipped
        item(unpaid, "SF8007"),  # not paid
        item(a, "SF8001", [(1, 1)]),  # the first item again: its shipment
    ]
    status, _, result = fulfilment("POST", "/shipments/batch", **WAREHOUSE, body={"items": items})
    assert status == 200, result
    results = result["results"]
    assert [(r["index"], r["childOrderId"], r["status"]) for r in results] == [
        (n, body["childOrderId"], code)
        for n, (body, code) in enumerate(zip(items, (201, 409, 422, 404, 409, 201, 409, 409, 201), strict=True))
    ]
    assert (result["succeeded"], result["failed"]) == (3, 6)
    for r in results:
        assert set(r) == {"index", "childOrderId", "status", "shipment" if r["status"] == 201 else "problem"}
    first = results[0]["shipment"]
    assert first["orderId"] == order["orderId"] and first["lines"] == [{"lineNo": 1, "quantity": 1}]
    assert results[8]["shipment"]["shipmentId"] == first["shipmentId"]

    problems = [r.get("problem") for r in results]
    assert [p["type"].removeprefix("urn:oms:problem:") if p else None for p in problems] == [
        None,
        "shipment-quantity-exceeded",
        "validation-failed",
        "not-found",
        "tracking-number-taken",
        None,
        "conflict",
        "conflict",
        None,
    ]
    assert problems[1]["lines"] == [{"lineNo": 1, "requested": 5, "remaining": 1}]
    assert (problems[2]["field"], problems[2]["lineNos"]) == ("lines", [9])
    assert set(problems[3]) == set(problems[4]) == PROBLEM  # no members beyond the problem's own
    assert problems[6]["childStatus"] == "SHIPPED"
    assert problems[7]["orderStatus"] == "PENDING_PAYMENT"
    assert all(p["status"] == r["status"] for p, r in zip(problems, results, strict=True) if p)

    before = table_snapshot()
    status, _, again = fulfilment("POST", "/shipments/batch", **WAREHOUSE, body={"items": items[6:8]})
    assert (status, [r["status"] for r in again["results"]]) == (200, [409, 409])
    assert table_snapshot() == before  # items that fail write nothing
