"""The local stack's logistics sandboxes: the carriers sign tracking notices with the secrets the functions'
CarrierWebhooks holds, and the sandbox warehouse (what functions get from wiring.warehouse()) is driven
and inspected through /_local/sandbox/... routes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from oms import wiring
from oms.adapters.carriers import CarrierCallbackRejected
from oms.adapters.warehouse import InterceptResult
from oms.domain.fulfilment import TrackingStatus
from oms_local.oms.warehouse_sandbox import SandboxWarehouse
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration


def child_id() -> str:
    return f"{uuid.uuid4().hex[:26].upper()}-01"


def notice_of(result: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    notice = result["notice"]
    return notice["headers"], notice["body"].encode()


# ---------------------------------------------------------------- what the functions get


def test_the_functions_get_the_sandboxes(stack: LocalStack) -> None:
    assert wiring.warehouse() is stack.warehouse
    assert isinstance(stack.warehouse, SandboxWarehouse)
    assert wiring.carrier_webhooks().carriers == frozenset({"sf", "zto", "jd", "ems"})
    assert stack.carrier_sandbox.carriers == ("sf", "zto", "jd", "ems")
    assert stack.carrier_sandbox.url("sf") == f"{stack.base_url}/callbacks/carriers/sf"


def test_what_the_stacks_carrier_sandbox_signs_the_functions_accept(stack: LocalStack) -> None:
    for carrier in stack.carrier_sandbox.carriers:
        notice = stack.carrier_sandbox.notice(carrier, "TN-42", TrackingStatus.SHIPPED)
        assert wiring.carrier_webhooks().verify(carrier, notice.headers, notice.body).tracking_number == "TN-42"


# ---------------------------------------------------------------- carrier events


def test_a_carrier_event_is_signed_for_the_functions_and_delivered(stack: LocalStack, http: Any) -> None:
    response = http.post(
        "/_local/sandbox/carriers/sf/events",
        json={"trackingNumber": "SF1234567890", "status": "IN_TRANSIT", "location": "Shanghai hub"},
    )

    assert response.status == 200, response.text
    result = response.json()
    assert result["carrier"] == "sf" and result["eventId"].startswith("evt-")
    assert result["notice"]["url"] == f"{stack.base_url}/callbacks/carriers/sf"
    [delivery] = result["deliveries"]
    assert isinstance(delivery["status"], int) and isinstance(delivery["body"], str)
    notice = wiring.carrier_webhooks().verify("sf", *notice_of(result))
    assert (notice.event_id, notice.tracking_number, notice.status, notice.location, notice.description) == (
        result["eventId"],
        "SF1234567890",
        TrackingStatus.IN_TRANSIT,
        "Shanghai hub",
        None,
    )
    assert abs(notice.occurred_at - datetime.now(UTC)) < timedelta(seconds=30)
    # Signed for sf only: another carrier's endpoint would refuse it.
    with pytest.raises(CarrierCallbackRejected):
        wiring.carrier_webhooks().verify("zto", *notice_of(result))


def test_an_older_event_is_resent_with_its_id_and_time(http: Any) -> None:
    occurred = "2026-11-20T08:30:00+08:00"
    response = http.post(
        "/_local/sandbox/carriers/zto/events",
        json={"trackingNumber": "ZTO77", "status": "SHIPPED", "eventId": "zto-evt-1", "occurredAt": occurred},
    )

    assert response.status == 200, response.text
    notice = wiring.carrier_webhooks().verify("zto", *notice_of(response.json()))
    assert (notice.event_id, notice.occurred_at) == ("zto-evt-1", datetime(2026, 11, 20, 0, 30, tzinfo=UTC))


def test_a_notice_is_delivered_several_times_at_once(http: Any) -> None:
    response = http.post(
        "/_local/sandbox/carriers/jd/events",
        json={"trackingNumber": "JD9", "status": "DELIVERED", "times": 4, "concurrent": True, "description": None},
    )

    assert response.status == 200, response.text
    assert len(response.json()["deliveries"]) == 4


def test_a_tampered_notice_fails_verification(http: Any) -> None:
    response = http.post(
        "/_local/sandbox/carriers/ems/events", json={"trackingNumber": "EMS1", "status": "IN_TRANSIT", "tamper": True}
    )

    assert response.status == 200, response.text
    with pytest.raises(CarrierCallbackRejected, match="no signature matches"):
        wiring.carrier_webhooks().verify("ems", *notice_of(response.json()))


def test_an_unknown_carrier_is_not_found(http: Any) -> None:
    response = http.post("/_local/sandbox/carriers/dhl/events", json={"trackingNumber": "X", "status": "SHIPPED"})

    assert response.status == 404
    assert response.json()["type"] == "urn:oms:problem:sandbox-carrier-not-found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "SHIPPED"}, "trackingNumber"),
        ({"trackingNumber": "X"}, "status"),
        ({"trackingNumber": "X", "status": "LOST"}, "status"),
        ({"trackingNumber": 5, "status": "SHIPPED"}, "trackingNumber"),
        ({"trackingNumber": "X", "status": "SHIPPED", "times": 21}, "times"),
        ({"trackingNumber": "X", "status": "SHIPPED", "times": True}, "times"),
        ({"trackingNumber": "X", "status": "SHIPPED", "concurrent": "yes"}, "concurrent"),
        ({"trackingNumber": "X", "status": "SHIPPED", "location": 3}, "location"),
        ({"trackingNumber": "X", "status": "SHIPPED", "carrier": "sf"}, "carrier"),
    ],
)
def test_a_bad_carrier_event_request_is_refused(http: Any, body: dict[str, Any], field: str) -> None:
    response = http.post("/_local/sandbox/carriers/sf/events", json=body)

    assert response.status == 400
    assert field in {error["field"] for error in response.json()["errors"]}


def test_a_body_that_is_not_an_object_is_refused(http: Any) -> None:
    response = http.post(
        "/_local/sandbox/carriers/sf/events", body=b"[1]", headers={"Content-Type": "application/json"}
    )

    assert response.status == 400


# ---------------------------------------------------------------- the warehouse


def test_a_child_order_the_warehouse_never_saw(http: Any) -> None:
    child = child_id()

    response = http.get(f"/_local/sandbox/warehouse/{child}")

    assert response.status == 200
    assert response.json() == {
        "childOrderId": child,
        "released": False,
        "handedOver": False,
        "intercepted": False,
        "payload": None,
    }


def test_a_released_child_is_shown_with_its_payload(stack: LocalStack, http: Any) -> None:
    child = child_id()
    wiring.warehouse().release(child, {"warehouseId": "WH-SH", "lines": [{"skuId": "MUG-LTD", "quantity": 1}]})

    state = http.get(f"/_local/sandbox/warehouse/{child}").json()

    assert (state["released"], state["handedOver"], state["intercepted"]) == (True, False, False)
    assert state["payload"] == {
        "warehouseId": "WH-SH",
        "lines": [{"skuId": "MUG-LTD", "quantity": 1}],
        "childOrderId": child,
    }
    assert ("release", child) in stack.warehouse.calls


def test_after_hand_over_interception_fails(stack: LocalStack, http: Any) -> None:
    child = child_id()
    wiring.warehouse().release(child, {"lines": []})

    response = http.post(f"/_local/sandbox/warehouse/{child}/hand-over")

    assert response.status == 200
    assert response.json() == {"childOrderId": child, "handedOver": True}
    assert http.post(f"/_local/sandbox/warehouse/{child}/hand-over").status == 200  # idempotent
    assert wiring.warehouse().intercept(child) == InterceptResult(False, "already handed to the carrier")
    state = http.get(f"/_local/sandbox/warehouse/{child}").json()
    assert (state["released"], state["handedOver"], state["intercepted"]) == (True, True, False)


def test_before_hand_over_interception_succeeds_and_the_parcel_stays(http: Any) -> None:
    child = child_id()
    wiring.warehouse().release(child, {"lines": []})

    assert wiring.warehouse().intercept(child) == InterceptResult(True, None)
    refused = http.post(f"/_local/sandbox/warehouse/{child}/hand-over")

    assert refused.status == 409
    assert refused.json()["type"] == "urn:oms:problem:sandbox-warehouse-conflict"
    state = http.get(f"/_local/sandbox/warehouse/{child}").json()
    assert (state["handedOver"], state["intercepted"]) == (False, True)


@pytest.mark.parametrize("child", ["a%20b", "x" * 129, "%C3%A9"])
def test_an_invalid_child_id_is_refused(http: Any, child: str) -> None:
    assert http.get(f"/_local/sandbox/warehouse/{child}").status == 400
    assert http.post(f"/_local/sandbox/warehouse/{child}/hand-over").status == 400


def test_other_methods_on_the_warehouse_routes_are_not_found(http: Any) -> None:
    child = child_id()

    assert http.post(f"/_local/sandbox/warehouse/{child}").status == 404
    assert http.get(f"/_local/sandbox/warehouse/{child}/hand-over").status == 404
