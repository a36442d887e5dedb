"""The catalog's typed routes without a table: request models take the body as powertools hands it over
(parsed JSON, pydantic's Python mode), and every view of `oms.views.catalog` is what its response model
in `oms.api.catalog_views` documents (a mismatch would be a 500)."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest
from oms.api import catalog_schemas as requests
from oms.api.catalog_views import Product, ProductPage, ProductSummary, Sku, StockAdjustment, Store
from oms.domain.catalog import StockAdjustmentReason, StockLevel
from oms.domain.money import Money
from oms.store.catalog import ProductRecord, SkuRecord, StockMovement, StoreRecord
from oms.views.catalog import product_view, sku_view, stock_adjustment_view, store_view
from pydantic import BaseModel

MONEY = {"amount": 100, "currency": "CNY"}
SKU = {"name": "S", "price": MONEY, "stock": 5, "warehouseId": "WH", "weightGrams": 1}
# A valid body per request model, and its enum fields.
BODIES: dict[type[BaseModel], dict[str, Any]] = {
    requests.StoreIn: {"name": "S", "currency": "CNY", "shippingFee": MONEY},
    requests.SkuIn: SKU,
    requests.SkuPatch: {},
    requests.StockAdjustmentIn: {"delta": 1, "reason": "restock"},
}


def _enum_of(annotation: Any) -> type[Enum] | None:
    """The enum in `E`, `E | None` or `Annotated[E, ...]`."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


ENUM_FIELDS = [
    (model, name, member.value)
    for model in BODIES
    for name, field in model.model_fields.items()
    if (enum := _enum_of(field.annotation)) is not None
    for member in enum
]


def test_every_catalog_request_model_with_enums_is_covered() -> None:
    assert {(m.__name__, n) for m, n, _ in ENUM_FIELDS} == {
        ("StoreIn", "stockPolicy"),
        ("StoreIn", "latePaymentPolicy"),
        ("SkuIn", "handling"),
        ("SkuPatch", "handling"),
        ("StockAdjustmentIn", "reason"),
    }


@pytest.mark.parametrize(("model", "name", "value"), ENUM_FIELDS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_enum_fields_take_their_values_from_parsed_json_as_from_the_text(
    model: type[BaseModel], name: str, value: str
) -> None:
    body = {**BODIES[model], name: value}
    parsed = model.model_validate(json.loads(json.dumps(body)))
    assert parsed == model.model_validate_json(json.dumps(body))
    assert getattr(parsed, name) == value


@pytest.mark.parametrize("model", list(BODIES), ids=lambda m: m.__name__)
def test_enum_fields_still_refuse_what_is_not_one_of_their_values(model: type[BaseModel]) -> None:
    for name in {n for m, n, _ in ENUM_FIELDS if m is model}:
        for wrong in ("gift", 5, ["restock"]):
            with pytest.raises(ValueError, match=name):
                model.model_validate({**BODIES[model], name: wrong})


def test_other_fields_stay_strict_from_parsed_json() -> None:
    with pytest.raises(ValueError, match="delta"):
        requests.StockAdjustmentIn.model_validate({"delta": "5", "reason": "restock"})
    with pytest.raises(ValueError, match="crossBorder"):
        requests.SkuIn.model_validate({**SKU, "crossBorder": "true"})


# ---------------------------------------------------------------- responses
def sku_record(**changes: Any) -> SkuRecord:
    values: dict[str, Any] = {
        "sku_id": "S1",
        "product_id": "P1",
        "store_id": "demo",
        "name": "S",
        "price": Money(100, "CNY"),
        "warehouse_id": "WH",
        "weight_grams": 1,
        "attributes": {"size": "M"},
        "category_id": None,
        "points_price": 0,
        "handling": "fragile",
        "cross_border": False,
        "status": "ACTIVE",
        "available": 3,
        "version": 1,
        **changes,
    }
    return SkuRecord(**values)


def product_record(skus: list[SkuRecord] | None) -> ProductRecord:
    return ProductRecord(
        "P1", "demo", "P", None, None, {}, "INACTIVE", 2, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", skus
    )


@pytest.mark.parametrize("threshold", [None, Money(9900, "CNY")])
def test_a_store_view_is_a_store(threshold: Money | None) -> None:
    record = StoreRecord("demo", "Demo", "CNY", Money(500, "CNY"), threshold, "deduct_at_order", "refund", 3, "t")
    view = store_view(record)
    assert Store.model_validate(view).model_dump(mode="json", by_alias=True) == view


def test_a_product_view_with_skus_is_a_product_and_one_without_a_summary() -> None:
    full = product_view(product_record([sku_record(), sku_record(sku_id="S2", category_id="c", cross_border=True)]))
    assert Product.model_validate(full).model_dump(mode="json") == full
    summary = product_view(product_record(None))
    assert "skus" not in summary
    assert ProductSummary.model_validate(summary).model_dump(mode="json") == summary
    page = {"items": [summary], "next_cursor": None}
    assert ProductPage.model_validate(page).model_dump(mode="json") == page
    with pytest.raises(ValueError, match="skus"):
        ProductSummary.model_validate(full)  # a summary never carries SKUs


def test_a_sku_view_is_a_sku() -> None:
    view = sku_view(sku_record())
    assert Sku.model_validate(view).model_dump(mode="json") == view


@pytest.mark.parametrize("note", [None, "PO-1"])
def test_a_stock_adjustment_view_is_a_stock_adjustment(note: str | None) -> None:
    movement = StockMovement("S1", "M1", 5, StockAdjustmentReason.RESTOCK, note, "admin-1", "t")
    view = stock_adjustment_view(movement, StockLevel(15, 0, 0, 15, 0))
    assert StockAdjustment.model_validate(view).model_dump(mode="json") == view
