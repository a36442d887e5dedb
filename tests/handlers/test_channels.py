"""Sales channels through the handlers (moto): channel stores (create, edit with If-Match, list with search,
type filter and the total balance, permissions), sync through the sandbox channel with findings, signed
order callbacks (placed once, paid from the store's balance; forged, stale and replayed callbacks), the
import of an order file deduplicated by channel order number (against callbacks too) with a partial
failure, disabling refused while orders are unsettled, the e-commerce order list's tabs and filters, and
the daily checks (view and scheduled report)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from oms.adapters.sealing import new_key
from oms.domain.money import Money
from oms_local.oms.channel_sandbox import SandboxChannels

from tests.handlers.conftest import (
    ADMIN,
    SUPPORT,
    Api,
    LambdaContext,
    adapters,
    give_balance,
    http_event,
    load_function,
)
from tests.helpers.fulfilment import paid_order
from tests.helpers.table import table_snapshot

FINANCE = {"sub": "fin-1", "roles": ("finance",)}
STORE = "/channel-stores/{storeId}"
CALLBACK = "POST /callbacks/channels/{store}"


@pytest.fixture(autouse=True)
def sealing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEALING_KEY", new_key())


@pytest.fixture
def sandbox() -> Iterator[SandboxChannels]:
    channel = SandboxChannels()
    with adapters(channels=channel):
        yield channel


@pytest.fixture
def channels(seeded: dict[str, Any], catalog_api: Api, sandbox: SandboxChannels) -> Api:
    """demo store sells VIP (a redemption link) and SVC (a service activated at once)."""
    product = {
        "storeId": "demo",
        "name": "Memberships",
        "skus": [
            {
                "skuId": "VIP",
                "name": "VIP month",
                "price": {"amount": 3000, "currency": "CNY"},
                "stock": 50,
                "warehouseId": "WH1",
                "weightGrams": 0,
                "virtual": {"kind": "link"},
            },
            {
                "skuId": "SVC",
                "name": "Cloud disk",
                "price": {"amount": 2000, "currency": "CNY"},
                "stock": 50,
                "warehouseId": "WH1",
                "weightGrams": 0,
                "virtual": {"kind": "service"},
            },
        ],
    }
    assert catalog_api("POST", "/products", **ADMIN, body=product)[0] == 201
    return Api(load_function("channels"))


def create(api: Api, name: str = "Tmall flagship", user: str = "tb-buyer", **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "channelType": "taobao",
        "orderingUserId": user,
        "redemptionDomain": "r.tmall.test",
        "connectedAccount": "tb-account-1",
        **extra,
    }
    status, _, store = api("POST", "/channel-stores", **ADMIN, body=body)
    assert status == 201, store
    return store


def callback(
    store_id: str, order: dict[str, Any], sandbox: SandboxChannels, *, at: int | None = None, tamper: bool = False
) -> tuple[int, dict[str, Any]]:
    headers, raw = sandbox.signed_order(store_id, order, at)
    if tamper:
        raw = raw.replace(b'"quantity":1', b'"quantity":9')
    event = http_event(
        "POST",
        f"/callbacks/channels/{store_id}",
        route=CALLBACK,
        raw_body=raw.decode(),
        headers=headers,
        path_parameters={"store": store_id},
    )
    result = load_function("channel_callbacks").handler(event, LambdaContext())
    return result["statusCode"], json.loads(result["body"])


def connected(api: Api, sandbox: SandboxChannels, balance: int = 100_000) -> dict[str, Any]:
    store = create(api)
    give_balance("tb-buyer", balance)
    sandbox.connect(store["storeId"], store["callbackSecret"], "tb-account-1", Money(balance, "CNY"))
    return store


def order(number: str, sku: str = "VIP", quantity: int = 1) -> dict[str, Any]:
    return {"channelOrderNo": number, "lines": [{"skuId": sku, "quantity": quantity}], "buyer": "tb_li***"}


def get(api: Api, store_id: str) -> dict[str, Any]:
    status, _, body = api(
        "GET", f"/channel-stores/{store_id}", route=f"GET {STORE}", path_parameters={"storeId": store_id}, **SUPPORT
    )
    assert status == 200, body
    return body


def test_a_store_is_created_with_a_secret_shown_once_and_listed_with_the_total(channels: Api) -> None:
    first = create(channels)
    assert first["status"] == "ENABLED" and len(first["callbackSecret"]) > 30
    assert "callbackSecret" not in get(channels, first["storeId"])
    create(channels, name="PDD shop", user="pdd-buyer", channelType="pinduoduo", sortOrder=5)
    give_balance("tb-buyer", 12_000)
    give_balance("pdd-buyer", 3_000)
    status, _, page = channels("GET", "/channel-stores", **FINANCE)
    assert status == 200
    assert [s["name"] for s in page["items"]] == ["Tmall flagship", "PDD shop"]
    assert page["totals"] == [{"amount": 15_000, "currency": "CNY"}]
    _, _, found = channels("GET", "/channel-stores", query={"q": "pdd-buy"}, **FINANCE)
    assert [s["name"] for s in found["items"]] == ["PDD shop"]
    _, _, typed = channels("GET", "/channel-stores", query={"channelType": "taobao"}, **FINANCE)
    assert [s["name"] for s in typed["items"]] == ["Tmall flagship"]


def test_only_admins_configure_stores_and_bad_input_changes_nothing(channels: Api) -> None:
    before = table_snapshot()
    body = {"name": "X", "channelType": "taobao", "orderingUserId": "u", "redemptionDomain": "r.test"}
    assert channels("POST", "/channel-stores", **SUPPORT, body=body)[0] == 403
    for bad in (
        {**body, "redemptionDomain": "https://r.test/x"},
        {**body, "channelType": "ebay"},
        {**body, "extra": 1},
        {**body, "sortOrder": -1},
        {**body, "currency": "XYZ"},
    ):
        status, _, problem = channels("POST", "/channel-stores", **ADMIN, body=bad)
        assert status == 422, problem
    assert table_snapshot() == before


def test_an_edit_needs_the_current_version(channels: Api) -> None:
    store = create(channels)
    path = {"storeId": store["storeId"]}
    status, _, edited = channels(
        "PATCH",
        f"/channel-stores/{store['storeId']}",
        route=f"PATCH {STORE}",
        path_parameters=path,
        body={"name": "Tmall 2", "sortOrder": 3},
        headers={"If-Match": '"1"'},
        **ADMIN,
    )
    assert status == 200 and edited["name"] == "Tmall 2" and edited["version"] == 2
    for removed in ({"name": None}, {"sortOrder": None}):
        status, _, problem = channels(
            "PATCH",
            f"/channel-stores/{store['storeId']}",
            route=f"PATCH {STORE}",
            path_parameters=path,
            body=removed,
            **ADMIN,
        )
        assert status == 422 and problem["type"] == "urn:oms:problem:validation-failed", problem
    status, _, _ = channels(
        "PATCH",
        f"/channel-stores/{store['storeId']}",
        route=f"PATCH {STORE}",
        path_parameters=path,
        body={"name": "Tmall 3"},
        headers={"If-Match": '"1"'},
        **ADMIN,
    )
    assert status == 412


def test_a_signed_callback_places_one_order_paid_from_the_channel_balance(
    channels: Api, sandbox: SandboxChannels, orders_api: Api
) -> None:
    store = connected(channels, sandbox)
    status, body = callback(store["storeId"], order("TB-1001"), sandbox)
    assert status == 200 and body["code"] == "OK" and body["status"] == "created", body
    again_status, again = callback(store["storeId"], order("TB-1001"), sandbox)
    assert again_status == 200 and again["status"] == "duplicate" and again["orderId"] == body["orderId"]
    status, _, placed = orders_api(
        "GET",
        f"/orders/{body['orderId']}",
        route="GET /orders/{orderId}",
        path_parameters={"orderId": body["orderId"]},
        **ADMIN,
    )
    assert placed["status"] == "PAID" and placed["customerId"] == "tb-buyer"
    assert get(channels, store["storeId"])["balance"] == {"amount": 97_000, "currency": "CNY"}
    assert get(channels, store["storeId"])["orders"] == 1
    status, conflict = callback(store["storeId"], order("TB-1001", quantity=2), sandbox)
    assert status == 409 and conflict["code"] == "CHANNEL_ORDER_CONFLICT"


def test_forged_stale_and_unknown_callbacks_change_nothing(channels: Api, sandbox: SandboxChannels) -> None:
    store = connected(channels, sandbox)
    before = table_snapshot()
    assert callback(store["storeId"], order("TB-1"), sandbox, tamper=True)[0] == 401
    assert callback(store["storeId"], order("TB-1"), sandbox, at=int(time.time()) - 3600)[0] == 401
    other = SandboxChannels()
    other.connect(store["storeId"], "not-the-secret", "x", Money(0, "CNY"))
    assert callback(store["storeId"], order("TB-1"), other)[0] == 401
    other.connect("no-such-store", "s", "x", Money(0, "CNY"))
    assert callback("no-such-store", order("TB-1"), other)[0] == 404
    assert table_snapshot() == before


def test_a_short_balance_refuses_the_order(channels: Api, sandbox: SandboxChannels) -> None:
    store = connected(channels, sandbox, balance=1_000)
    before = table_snapshot()
    status, body = callback(store["storeId"], order("TB-2"), sandbox)
    assert status == 409 and body["code"] == "CHANNEL_BALANCE_INSUFFICIENT"
    assert table_snapshot() == before


def test_an_import_is_deduplicated_by_number_and_reports_each_order(channels: Api, sandbox: SandboxChannels) -> None:
    store = connected(channels, sandbox)
    assert callback(store["storeId"], order("TB-1"), sandbox)[0] == 200
    text = (
        "channelOrderNo,skuId,quantity,buyer\nTB-1,VIP,1,a\nTB-2,VIP,1,b\nTB-2,SVC,2,b\nTB-3,NOPE,1,c\nTB-4,VIP,x,d\n"
    )
    status, _, result = channels(
        "POST",
        f"/channel-stores/{store['storeId']}/imports",
        route="POST /channel-stores/{storeId}/imports",
        raw_body=text,
        headers={"content-type": "text/csv"},
        path_parameters={"storeId": store["storeId"]},
        **ADMIN,
    )
    assert status == 200, result
    by_number = {r["channelOrderNo"]: r for r in result["results"]}
    assert by_number["TB-1"]["status"] == "duplicate"
    assert by_number["TB-2"]["status"] == "created"
    assert by_number["TB-3"]["status"] == "failed" and by_number["TB-4"]["status"] == "failed"
    assert (result["created"], result["duplicates"], result["failed"]) == (1, 1, 2)
    again = channels(
        "POST",
        f"/channel-stores/{store['storeId']}/imports",
        route="POST /channel-stores/{storeId}/imports",
        raw_body=text,
        headers={"content-type": "text/csv"},
        path_parameters={"storeId": store["storeId"]},
        **ADMIN,
    )[2]
    assert again["created"] == 0 and again["duplicates"] == 2


def test_disabling_is_refused_while_orders_are_unsettled(channels: Api, sandbox: SandboxChannels) -> None:
    from oms import wiring

    store = connected(channels, sandbox)
    status, body = callback(store["storeId"], order("TB-9"), sandbox)
    assert status == 200
    path = {"storeId": store["storeId"]}
    route = "POST /channel-stores/{storeId}/status"
    status, _, problem = channels(
        "POST",
        f"/channel-stores/{store['storeId']}/status",
        route=route,
        path_parameters=path,
        body={"enabled": False, "reason": "channel closed"},
        **ADMIN,
    )
    assert status == 409 and problem["type"] == "urn:oms:problem:channel-store-unsettled"
    assert problem["unsettled"] == [{"channelOrderNo": "TB-9", "orderId": body["orderId"]}]
    assert wiring.services().channels.settle(body["orderId"], "COMPLETED") is True
    status, _, disabled = channels(
        "POST",
        f"/channel-stores/{store['storeId']}/status",
        route=route,
        path_parameters=path,
        body={"enabled": False, "reason": "channel closed"},
        **ADMIN,
    )
    assert status == 200 and disabled["status"] == "DISABLED"
    status, refused = callback(store["storeId"], order("TB-10"), sandbox)
    assert status == 409 and refused["code"] == "CHANNEL_STORE_DISABLED"


def test_sync_refreshes_the_account_and_records_a_balance_difference(channels: Api, sandbox: SandboxChannels) -> None:
    store = connected(channels, sandbox, balance=50_000)
    route = "POST /channel-stores/{storeId}/sync"
    path = {"storeId": store["storeId"]}
    status, _, synced = channels(
        "POST", f"/channel-stores/{store['storeId']}/sync", route=route, path_parameters=path, **ADMIN
    )
    assert status == 200 and synced["lastSync"]["findings"] == []
    sandbox.set_balance(store["storeId"], Money(48_000, "CNY"))
    sandbox.set_account(store["storeId"], "tb-account-2")
    _, _, synced = channels(
        "POST", f"/channel-stores/{store['storeId']}/sync", route=route, path_parameters=path, **ADMIN
    )
    assert synced["connectedAccount"] == "tb-account-2"
    assert synced["lastSync"]["difference"] == {"amount": -2_000, "currency": "CNY"}
    assert sorted(synced["lastSync"]["findings"]) == ["account", "balance"]
    _, _, found = channels("GET", "/channel-findings", **FINANCE)
    assert {f["kind"] for f in found["items"]} == {"account", "balance"}
    sandbox.unavailable = True
    status, headers, problem = channels(
        "POST", f"/channel-stores/{store['storeId']}/sync", route=route, path_parameters=path, **ADMIN
    )
    assert status == 503 and problem["type"] == "urn:oms:problem:service-unavailable"
    assert headers.get("Retry-After")


def test_the_ecommerce_order_list_has_tabs_and_filters(
    channels: Api, sandbox: SandboxChannels, orders_api: Api
) -> None:
    store = connected(channels, sandbox)
    _, channel_order = callback(store["storeId"], order("TB-77"), sandbox)
    give_balance("cust-1", 100_000)
    platform = paid_order(orders_api, [("VIP", 1)])
    virtual = Api(load_function("virtual_goods"))
    status, _, delivered = virtual(
        "POST",
        f"/orders/{platform['orderId']}/deliveries",
        route="POST /orders/{orderId}/deliveries",
        path_parameters={"orderId": platform["orderId"]},
        **SUPPORT,
    )
    assert status == 200, delivered

    def listed(**query: str) -> list[str]:
        status, _, page = channels("GET", "/ecommerce-orders", query=query, **SUPPORT)
        assert status == 200, page
        return [row["orderId"] for row in page["items"]]

    assert set(listed()) == {channel_order["orderId"], platform["orderId"]}
    assert listed(tab="channel") == [channel_order["orderId"]]
    assert listed(tab="platform") == [platform["orderId"]]
    assert listed(channelOrderNo="TB-77") == [channel_order["orderId"]]
    assert listed(storeId=store["storeId"]) == [channel_order["orderId"]]
    assert listed(stage="PENDING_DELIVERY") == [channel_order["orderId"]]
    assert listed(redemptionStatus="PENDING") == [platform["orderId"]]
    assert listed(userId="tb-buyer") == [channel_order["orderId"]]


def test_daily_checks_show_what_needs_attention(channels: Api, sandbox: SandboxChannels) -> None:
    store = connected(channels, sandbox)
    callback(store["storeId"], order("TB-5"), sandbox)
    status, _, checks = channels("GET", "/daily-checks", **SUPPORT)
    assert status == 200
    row = next(r for r in checks["channelBalances"] if r["storeId"] == store["storeId"])
    assert row["stale"] is True and row["matches"] is None  # never synced
    assert checks["counts"]["pendingDelivery"] == 0  # not yet 24 h old
