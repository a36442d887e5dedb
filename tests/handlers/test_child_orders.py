"""GET /orders/{childOrderId} (issue 9 item 11d): cancel and shipments take child order ids, and so does
the read: the child with its parent's summary, visible to whom the order is."""

from __future__ import annotations

from tests.handlers.conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, SUPPORT, Api
from tests.helpers.fulfilment import GET, paid_order, place, ship
from tests.helpers.problems import assert_problem

# The fulfilment tests' fixtures: the demo catalog with a fragile VASE, the sandbox warehouse, the function.


def test_the_owner_and_staff_read_a_child_order_with_its_parent(
    catalog: None, orders_api: Api, fulfilment: Api
) -> None:
    order = paid_order(orders_api, [("TEE-M", 1), ("VASE", 1)])
    first, second = (c["childOrderId"] for c in order["children"])
    assert ship(fulfilment, first, "SF1000")[0] == 201
    for who in (CUSTOMER, SUPPORT, ADMIN):
        status, _, child = orders_api("GET", f"/orders/{first}", route=GET, **who)
        assert status == 200, child
        assert (child["childOrderId"], child["status"], child["orderId"]) == (first, "SHIPPED", order["orderId"])
        assert [s["trackingNumber"] for s in child["shipments"]] == ["SF1000"]
        assert child["parent"]["orderId"] == order["orderId"]
        assert child["parent"]["status"] == "PARTIALLY_SHIPPED"
        assert child["parent"]["orderNumber"] == order["orderNumber"]
        assert child["total"] == next(c["total"] for c in order["children"] if c["childOrderId"] == first)
    status, _, other = orders_api("GET", f"/orders/{second}", route=GET, **CUSTOMER)
    assert (status, other["status"], other["shipments"]) == (200, "AWAITING_SHIPMENT", [])


def test_anyone_else_gets_the_404_of_a_missing_child(catalog: None, orders_api: Api) -> None:
    order = place(orders_api, [("TEE-M", 1)], "k-child")
    child = order["children"][0]["childOrderId"]
    hidden = orders_api("GET", f"/orders/{child}", route=GET, **OTHER_CUSTOMER)
    assert_problem(*hidden, 404, "not-found")
    for missing in (f"{order['orderId']}-09", "01J9ZZZZZZZZZZZZZZZZZZZZZZ-01"):
        absent = orders_api("GET", f"/orders/{missing}", route=GET, **CUSTOMER)
        assert_problem(*absent, 404, "not-found")
        assert hidden[2]["detail"].replace(child, "X") == absent[2]["detail"].replace(missing, "X")
    # Before payment the child shows the order's status (it cannot move on its own yet).
    status, _, unpaid = orders_api("GET", f"/orders/{child}", route=GET, **CUSTOMER)
    assert (status, unpaid["status"], unpaid["parent"]["status"]) == (200, "PENDING_PAYMENT", "PENDING_PAYMENT")
