"""Stock operations through the catalog function under moto: batch adjustments (JSON and CSV), stocktakes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.handlers.conftest import ADDRESS, ADMIN, Api
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

BATCH = "POST /stock-adjustments/batch"
STOCKTAKE = "POST /stocktakes"
KEY = {"Idempotency-Key": "k-1"}
# Merchant staff whose role was granted stock:adjust (a custom grant; the built-in matrix gives it to admin).
MERCHANT = {"sub": "m-demo", "roles": ("merchant",), "stores": ("demo",)}


def batch(api: Api, body: Any = None, who: dict[str, Any] = ADMIN, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    headers = {**KEY, **kwargs.pop("headers", {})}
    return api("POST", "/stock-adjustments/batch", route=BATCH, **who, body=body, headers=headers, **kwargs)


def conserved(sku_id: str) -> bool:
    level = stock_of(sku_id)
    return level["available"] + level["reserved"] + level["sold"] == level["received"] + level["adjusted"]


def test_json_batch_applies_valid_lines_and_refuses_the_others(seeded: dict[str, Any], catalog_api: Api) -> None:
    lines = [
        {"skuId": "TEE-M", "delta": 5, "reason": "restock", "note": "PO-1"},
        {"skuId": "MUG", "delta": -4, "reason": "stocktake_correction"},  # 3 available: below zero
        {"skuId": "NOPE", "delta": 1, "reason": "restock"},
        {"skuId": "MUG", "delta": -1, "reason": "restock"},  # a restock adds
        {"skuId": "MUG", "delta": 0, "reason": "stocktake_correction"},
        {"skuId": "MUG", "delta": -2, "reason": "stocktake_correction", "note": "broken"},
    ]
    status, _, body = batch(catalog_api, {"lines": lines})
    assert status == 200, body
    assert (body["applied"], body["refused"], body["retry"], body["complete"]) == (2, 4, 0, True)
    outcome = [(r["line"], r["status"], (r.get("problem") or {}).get("type")) for r in body["results"]]
    assert outcome == [
        (1, "applied", None),
        (2, "refused", "urn:oms:problem:conflict"),
        (3, "refused", "urn:oms:problem:not-found"),
        (4, "refused", "urn:oms:problem:validation-failed"),
        (5, "refused", "urn:oms:problem:validation-failed"),
        (6, "applied", None),
    ]
    assert body["results"][0]["stock"]["available"] == 15
    assert body["results"][5]["stock"]["available"] == 1
    assert stock_of("TEE-M") == {"available": 15, "reserved": 0, "sold": 0, "received": 15, "adjusted": 0}
    assert stock_of("MUG") == {"available": 1, "reserved": 0, "sold": 0, "received": 3, "adjusted": -2}
    assert conserved("TEE-M") and conserved("MUG")


def test_each_applied_line_records_its_movement_on_the_stock_item(seeded: dict[str, Any], catalog_api: Api) -> None:
    from oms.store import keys
    from oms.store.models import AuditItem, Item, StockItem

    _, _, body = batch(catalog_api, {"lines": [{"skuId": "TEE-M", "delta": 2, "reason": "restock", "note": "PO-9"}]})
    item = StockItem.get(*keys.stock("TEE-M"), consistent_read=True)
    assert item.lastMove["kind"] == "adjustment"
    assert item.lastMove["id"] == body["results"][0]["movementId"]
    assert item.lastMove["ref"] == {"batchId": body["batchId"], "line": "1"}
    assert item.lastMove["by"] == "admin-1" and item.lastMove["reason"] == "PO-9"
    audits = [i for i in Item.query("AUDIT#SKU#TEE-M") if isinstance(i, AuditItem)]
    assert [a.action for a in audits] == ["stock.adjust"]


def test_csv_batch_is_the_same_batch(seeded: dict[str, Any], catalog_api: Api) -> None:
    csv = '\ufeffskuId,delta,reason,note\r\nTEE-M,+3,restock,"PO-2, pallet 4"\r\n\r\nMUG,-9,stocktake_correction,\r\n'
    status, _, body = batch(catalog_api, raw_body=csv, headers={"content-type": "text/csv; charset=utf-8"})
    assert status == 200, body
    assert [(r["skuId"], r["status"]) for r in body["results"]] == [("TEE-M", "applied"), ("MUG", "refused")]
    assert stock_of("TEE-M")["available"] == 13 and stock_of("MUG")["available"] == 3
    # Columns in another order, note left out: the same lines.
    status, _, body = batch(
        catalog_api,
        raw_body="reason,skuId,delta\nrestock,MUG,1\n",
        headers={"content-type": "text/csv", "Idempotency-Key": "k-2"},
    )
    assert status == 200 and body["results"][0]["status"] == "applied"
    assert stock_of("MUG")["available"] == 4


@pytest.mark.parametrize(
    ("csv", "field"),
    [
        ("skuId,delta,reason\nTEE-M,five,restock\n", "lines.0.delta"),
        ("skuId,delta,reason\nTEE-M,1,gift\n", "lines.0.reason"),
        ("skuId,delta,reason\nTEE-M,1,restock,extra\n", "lines.0"),
        ("sku,delta,reason\nTEE-M,1,restock\n", "(header)"),
        ("", None),
    ],
)
def test_malformed_csv_is_refused_whole(seeded: dict[str, Any], catalog_api: Api, csv: str, field: str | None) -> None:
    before = table_snapshot()
    got = batch(catalog_api, raw_body=csv, headers={"content-type": "text/csv"})
    if field is None:  # an empty body: the body is missing
        assert_problem(*got, 422, "validation-failed")
    else:
        _status, _, body = got
        assert_problem(*got, 422, "validation-failed")
        assert field in [e["field"] for e in body["errors"]], body
    assert table_snapshot() == before


def test_oversize_and_overlong_csv_and_wrong_content_type(seeded: dict[str, Any], catalog_api: Api) -> None:
    before = table_snapshot()
    big = "skuId,delta,reason,note\n" + "TEE-M,1,restock,{}\n".format("x" * 400) * 200
    assert len(big.encode()) > 64 * 1024
    assert_problem(*batch(catalog_api, raw_body=big, headers={"content-type": "text/csv"}), 413, "payload-too-large")
    long = "skuId,delta,reason\n" + "TEE-M,1,restock\n" * 201
    status, _, body = batch(catalog_api, raw_body=long, headers={"content-type": "text/csv"})
    assert_problem(status, _, body, 422, "validation-failed")
    too_many = {"lines": [{"skuId": "TEE-M", "delta": 1, "reason": "restock"}] * 201}
    assert_problem(*batch(catalog_api, too_many), 422, "validation-failed")
    got = batch(catalog_api, raw_body="skuId,delta,reason\nTEE-M,1,restock\n", headers={"content-type": "text/plain"})
    assert_problem(*got, 415, "unsupported-media-type")
    # Other routes still take JSON only.
    got = catalog_api(
        "POST",
        "/skus/TEE-M/stock-adjustments",
        route="POST /skus/{skuId}/stock-adjustments",
        **ADMIN,
        raw_body="delta\n1\n",
        headers={"content-type": "text/csv"},
    )
    assert_problem(*got, 415, "unsupported-media-type")
    assert table_snapshot() == before


def test_replay_answers_the_same_and_applies_nothing_twice(seeded: dict[str, Any], catalog_api: Api) -> None:
    body = {"lines": [{"skuId": "TEE-M", "delta": 4, "reason": "restock"}]}
    status, _, first = batch(catalog_api, body)
    status, headers, again = batch(catalog_api, body)
    assert status == 200 and headers.get("Idempotent-Replayed") == "true"
    assert again == first
    assert stock_of("TEE-M")["available"] == 14
    other = {"lines": [{"skuId": "TEE-M", "delta": 5, "reason": "restock"}]}
    assert_problem(*batch(catalog_api, other), 422, "idempotency-key-reused")
    assert_problem(*batch(catalog_api, body, headers={"Idempotency-Key": ""}), 400, "idempotency-key-missing")


def test_a_transient_fault_makes_one_line_retry_and_the_same_key_finishes_it(
    seeded: dict[str, Any], catalog_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError
    from oms.store.catalog import CatalogRepository

    real = CatalogRepository.adjust_stock
    failing = {"MUG"}

    def flaky(self: CatalogRepository, movement: Any, *args: Any, **kwargs: Any) -> bool:
        if movement.sku_id in failing:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems")
        return real(self, movement, *args, **kwargs)

    monkeypatch.setattr(CatalogRepository, "adjust_stock", flaky)
    body = {
        "lines": [
            {"skuId": "TEE-M", "delta": 1, "reason": "restock"},
            {"skuId": "MUG", "delta": 1, "reason": "restock"},
            {"skuId": "NOPE", "delta": 1, "reason": "restock"},
        ]
    }
    status, _, first = batch(catalog_api, body)
    assert status == 200
    assert [r["status"] for r in first["results"]] == ["applied", "retry", "refused"]
    assert first["results"][1]["problem"]["status"] == 503 and first["complete"] is False
    failing.clear()
    status, headers, second = batch(catalog_api, body)
    assert "Idempotent-Replayed" not in headers
    assert [r["status"] for r in second["results"]] == ["applied", "applied", "refused"]
    assert second["batchId"] == first["batchId"] and second["results"][0] == first["results"][0]
    assert stock_of("TEE-M")["available"] == 11 and stock_of("MUG")["available"] == 4  # each once
    _, headers, third = batch(catalog_api, body)
    assert headers.get("Idempotent-Replayed") == "true" and third == second


def test_a_rerun_after_a_crash_applies_each_line_once(
    seeded: dict[str, Any], catalog_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run committed its lines and died before answering: the same key runs the batch again under
    the same id, and each line's marker answers what it did."""
    from oms.services import stock_ops

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the function died")

    monkeypatch.setattr(stock_ops, "finish_batch", crash)
    body = {
        "lines": [
            {"skuId": "TEE-M", "delta": 2, "reason": "restock"},
            {"skuId": "MUG", "delta": 1, "reason": "restock"},
        ]
    }
    assert batch(catalog_api, body)[0] == 500
    monkeypatch.undo()
    status, _, answer = batch(catalog_api, body)
    assert status == 200 and [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert stock_of("TEE-M")["available"] == 12 and stock_of("MUG")["available"] == 4


def test_store_scoped_staff_adjust_only_their_stores_skus(
    seeded: dict[str, Any], catalog_api: Api, grant_merchant_stock: None
) -> None:
    catalog_api("PUT", "/stores/north", route="PUT /stores/{storeId}", **ADMIN, body=_store())
    _product(catalog_api, "north", "NORTH-1")
    body = {
        "lines": [
            {"skuId": "TEE-M", "delta": 1, "reason": "restock"},
            {"skuId": "NORTH-1", "delta": 1, "reason": "restock"},
        ]
    }
    status, _, answer = batch(catalog_api, body, who=MERCHANT)
    assert status == 200, answer
    assert [(r["status"], (r.get("problem") or {}).get("type")) for r in answer["results"]] == [
        ("applied", None),
        ("refused", "urn:oms:problem:not-found"),
    ]
    assert stock_of("NORTH-1")["available"] == 5


def test_only_stock_adjusters_send_batches(seeded: dict[str, Any], catalog_api: Api) -> None:
    body = {"lines": [{"skuId": "TEE-M", "delta": 1, "reason": "restock"}]}
    assert_problem(*batch(catalog_api, body, who={"sub": "c", "roles": ("customer",)}), 403, "forbidden")
    assert_problem(*batch(catalog_api, body, who=MERCHANT), 403, "forbidden")  # the matrix: admin only


# ---------------------------------------------------------------- stocktakes
def count(
    api: Api, lines: list[dict[str, Any]], who: dict[str, Any] = ADMIN, key: str = "st-1", store: str = "demo"
) -> tuple[int, dict[str, str], Any]:
    body = {"storeId": store, "lines": lines, "note": "December count"}
    return api("POST", "/stocktakes", route=STOCKTAKE, **who, body=body, headers={"Idempotency-Key": key})


def test_stocktake_sets_counts_up_and_down_and_keeps_a_record(seeded: dict[str, Any], catalog_api: Api) -> None:
    from oms.store import keys
    from oms.store.models import StockItem

    status, _, taken = count(
        catalog_api,
        [{"skuId": "TEE-M", "counted": 12}, {"skuId": "MUG", "counted": 1}, {"skuId": "NOPE", "counted": 3}],
    )
    assert status == 201, taken
    assert taken["status"] == "recorded" and taken["by"] == "admin-1"
    lines = {line["skuId"]: line for line in taken["lines"]}
    assert (lines["TEE-M"]["before"], lines["TEE-M"]["counted"], lines["TEE-M"]["difference"]) == (10, 12, 2)
    assert (lines["MUG"]["before"], lines["MUG"]["difference"]) == (3, -2)
    assert lines["NOPE"]["status"] == "refused"
    assert taken["summary"] == {"lines": 3, "applied": 2, "refused": 1, "retry": 0, "unitsUp": 2, "unitsDown": 2}
    assert stock_of("TEE-M") == {"available": 12, "reserved": 0, "sold": 0, "received": 10, "adjusted": 2}
    assert stock_of("MUG") == {"available": 1, "reserved": 0, "sold": 0, "received": 3, "adjusted": -2}
    move = StockItem.get(*keys.stock("MUG"), consistent_read=True).lastMove
    assert move["kind"] == "stocktake" and move["ref"] == {"stocktakeId": taken["stocktakeId"], "line": "2"}
    assert move["id"] == lines["MUG"]["movementId"] and move["reason"] == "December count"
    got = catalog_api("GET", f"/stocktakes/{taken['stocktakeId']}", route="GET /stocktakes/{stocktakeId}", **ADMIN)
    assert got[0] == 200 and got[2]["lines"] == taken["lines"] and "status" not in got[2]
    status, _, page = catalog_api("GET", "/stocktakes", route="GET /stocktakes", **ADMIN, query={"store": "demo"})
    assert [s["stocktakeId"] for s in page["items"]] == [taken["stocktakeId"]] and "lines" not in page["items"][0]
    # A replay counts nothing again, even though the stock differs from the count now.
    catalog_api(
        "POST",
        "/skus/MUG/stock-adjustments",
        route="POST /skus/{skuId}/stock-adjustments",
        **ADMIN,
        body={"delta": 5, "reason": "restock"},
    )
    status, headers, again = count(
        catalog_api,
        [{"skuId": "TEE-M", "counted": 12}, {"skuId": "MUG", "counted": 1}, {"skuId": "NOPE", "counted": 3}],
    )
    assert status == 201 and headers.get("Idempotent-Replayed") == "true" and again == taken
    assert stock_of("MUG")["available"] == 6


def test_stocktake_audits_and_refuses_bad_input(seeded: dict[str, Any], catalog_api: Api) -> None:
    from oms.store.models import AuditItem, Item

    before = table_snapshot()
    twice = [{"skuId": "MUG", "counted": 1}, {"skuId": "MUG", "counted": 2}]
    assert_problem(*count(catalog_api, twice), 422, "validation-failed")
    assert_problem(*count(catalog_api, [{"skuId": "MUG", "counted": -1}]), 422, "validation-failed")
    assert_problem(*count(catalog_api, [{"skuId": "MUG", "counted": 1}], store="elsewhere"), 404, "not-found")
    assert table_snapshot() == before
    _, _, taken = count(catalog_api, [{"skuId": "MUG", "counted": 3}])  # no difference: no stock write
    assert taken["lines"][0]["difference"] == 0 and taken["lines"][0].get("movementId") is None
    assert stock_of("MUG")["adjusted"] == 0
    audits = [i for i in Item.query(f"AUDIT#STOCKTAKE#{taken['stocktakeId']}") if isinstance(i, AuditItem)]
    assert [a.action for a in audits] == ["stocktake.record"]
    missing = catalog_api(
        "GET", "/stocktakes/01JUNKJUNKJUNKJUNKJUNKJUNK", route="GET /stocktakes/{stocktakeId}", **ADMIN
    )
    assert_problem(*missing, 404, "not-found")


def test_store_scoped_staff_count_only_their_stores(
    seeded: dict[str, Any], catalog_api: Api, grant_merchant_stock: None
) -> None:
    catalog_api("PUT", "/stores/north", route="PUT /stores/{storeId}", **ADMIN, body=_store())
    _product(catalog_api, "north", "NORTH-1")
    assert_problem(*count(catalog_api, [{"skuId": "NORTH-1", "counted": 1}], MERCHANT, store="north"), 404, "not-found")
    status, _, taken = count(catalog_api, [{"skuId": "NORTH-1", "counted": 1}], MERCHANT, key="st-2")
    assert status == 201 and taken["lines"][0]["status"] == "refused"  # not a SKU of store demo
    _, _, north = count(catalog_api, [{"skuId": "NORTH-1", "counted": 2}], ADMIN, key="st-3", store="north")
    got = catalog_api("GET", f"/stocktakes/{north['stocktakeId']}", route="GET /stocktakes/{stocktakeId}", **MERCHANT)
    assert_problem(*got, 404, "not-found")
    got = catalog_api("GET", "/stocktakes", route="GET /stocktakes", **MERCHANT, query={"store": "north"})
    assert_problem(*got, 404, "not-found")


def test_a_checkout_between_the_read_and_the_count_is_counted_again(
    seeded: dict[str, Any], catalog_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout reserves a unit after the count read the stock: the conditional write fails, the count
    reads again and sets available to the count (the reserved unit stays reserved, set aside)."""
    from oms.services import stock_ops
    from oms.store import keys
    from oms.store.models import StockItem

    real = stock_ops.stock_image
    reads = []

    def read_then_checkout(sku_id: str) -> Any:
        image = real(sku_id)
        reads.append(image)
        if len(reads) == 1:  # what a checkout's reservation does to the counters
            StockItem(*keys.stock(sku_id)).update([StockItem.available.add(-1), StockItem.reserved.add(1)])
        return image

    monkeypatch.setattr(stock_ops, "stock_image", read_then_checkout)
    status, _, taken = count(catalog_api, [{"skuId": "TEE-M", "counted": 7}])
    assert status == 201 and len(reads) == 2
    line = taken["lines"][0]
    assert (line["before"], line["counted"], line["difference"]) == (9, 7, -2)
    assert stock_of("TEE-M") == {"available": 7, "reserved": 1, "sold": 0, "received": 10, "adjusted": -2}
    assert conserved("TEE-M")


def test_stocktake_races_real_checkouts(
    seeded: dict[str, Any], catalog_api: Api, orders_api: Api, serialized: None
) -> None:
    """Checkouts of the SKU in threads while it is counted: whatever the interleaving, the count takes effect
    once, every reservation holds (those after the count come off the counted units), conservation holds."""
    answers: list[int] = []
    lock = threading.Lock()

    def shop(n: int) -> None:
        body = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}
        status, _, _ = orders_api(
            "POST", "/orders", sub=f"cust-{n}", roles=("customer",), headers={"Idempotency-Key": f"r-{n}"}, body=body
        )
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=shop, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    status, _, taken = count(catalog_api, [{"skuId": "TEE-M", "counted": 20}])
    for thread in threads:
        thread.join()
    assert status == 201, taken
    placed = answers.count(201)
    assert placed >= 1 and set(answers) <= {201, 409}  # 409: a checkout that lost every retry to the others
    level = stock_of("TEE-M")
    assert level["reserved"] == placed
    line = taken["lines"][0]
    reserved_at_count = line["stock"]["reserved"]
    assert line["before"] == 10 - reserved_at_count
    assert level["available"] == 20 - (placed - reserved_at_count)
    assert conserved("TEE-M")


# ---------------------------------------------------------------- fixtures
def _store() -> dict[str, Any]:
    from tests.helpers.handlers import DEMO_STORE

    return {**DEMO_STORE, "name": "North"}


def _product(api: Api, store: str, sku_id: str) -> None:
    status, _, body = api(
        "POST",
        "/products",
        **ADMIN,
        body={
            "storeId": store,
            "name": "North thing",
            "skus": [
                {
                    "skuId": sku_id,
                    "name": "N",
                    "price": {"amount": 100, "currency": "CNY"},
                    "stock": 5,
                    "warehouseId": "WH1",
                    "weightGrams": 1,
                }
            ],
        },
    )
    assert status == 201, body


@pytest.fixture
def grant_merchant_stock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merchant staff hold stock:adjust (as an admin's grant to the role would give them)."""
    from oms.domain import permissions

    monkeypatch.setitem(
        permissions.MATRIX,
        permissions.Permission.STOCK_ADJUST,
        permissions.MATRIX[permissions.Permission.STOCK_ADJUST] | {permissions.Role.MERCHANT},
    )
