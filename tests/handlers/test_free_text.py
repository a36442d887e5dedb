"""Control characters in free text (issue 9 item 11f): refused with 422 and the field's path in every
request model that stores text and shows it again; notes and descriptions keep line breaks and tabs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from oms.api import catalog_schemas, order_schemas, payment_schemas, pricing_schemas
from pydantic import BaseModel, ValidationError

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, Api
from tests.helpers.fulfilment import sku
from tests.helpers.problems import assert_problem
from tests.helpers.table import table_snapshot

TEE = sku("TEE-X", 100)
CHECKOUT = {"lines": [{"skuId": "TEE-M", "quantity": 1}], "shippingAddress": ADDRESS}


def with_text(body: dict[str, Any], path: str, text: str) -> dict[str, Any]:
    """A copy of `body` with `text` at the dotted `path` (list indices as numbers)."""
    result: Any = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = text
    return dict(result)


# (model, a valid body, the text field's path, single line?)
FIELDS: list[tuple[type[BaseModel], dict[str, Any], str, bool]] = [
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.name", True),
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.line1", True),
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.line2", True),
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.city", True),
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.region", True),
    (order_schemas.CheckoutIn, CHECKOUT, "shippingAddress.postalCode", True),
    (order_schemas.CheckoutIn, CHECKOUT, "note", False),
    (
        catalog_schemas.StoreIn,
        {"name": "S", "currency": "CNY", "shippingFee": {"amount": 0, "currency": "CNY"}},
        "name",
        True,
    ),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "name", True),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "description", False),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "category", True),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "attributes.colour", True),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "skus.0.name", True),
    (catalog_schemas.ProductIn, {"storeId": "demo", "name": "P", "skus": [TEE]}, "skus.0.attributes.size", True),
    (catalog_schemas.StockAdjustmentIn, {"delta": 1, "reason": "restock"}, "note", False),
    (order_schemas.CancelIn, {}, "reason", True),
    (payment_schemas.ReviewIn, {"decision": "reject"}, "reason", True),
    (
        payment_schemas.BalanceAdjustmentIn,
        {"direction": "credit", "amount": {"amount": 1, "currency": "CNY"}, "reason": "ok"},
        "reason",
        True,
    ),
    (payment_schemas.ResolveIn, {"decision": "dismiss", "note": "fine"}, "note", False),
    (pricing_schemas.PointsAdjustmentIn, {"delta": 1, "reason": "ok"}, "reason", True),
    (pricing_schemas.DisableIn, {}, "reason", True),
    (
        pricing_schemas.PromotionIn,
        {"kind": "percent_off", "name": "P", "rule": {}, "scope": {}, "window": {"startsAt": "2026-01-01T00:00:00Z"}},
        "name",
        True,
    ),
]


@pytest.mark.parametrize(("model", "body", "path", "single"), FIELDS, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\n", "\t", "\u2028"])
def test_control_characters_are_refused_with_the_field_path(
    model: type[BaseModel], body: dict[str, Any], path: str, single: bool, char: str
) -> None:
    text = f"Li{char}Lei and more"
    data = json.dumps(with_text(body, path, text))
    if not single and char in "\n\t\u2028":  # line breaks and tabs: in notes and descriptions only
        model.model_validate_json(data)
        return
    with pytest.raises(ValidationError) as refused:
        model.model_validate_json(data)
    (error,) = refused.value.errors()
    assert (".".join(str(p) for p in error["loc"]), error["type"]) == (path, "control_character")
    assert f"U+{ord(char):04X}" in error["msg"]


def test_a_checkout_with_a_bell_in_the_address_is_a_422_and_nothing_is_written(
    seeded: dict[str, Any], orders_api: Api
) -> None:
    before = table_snapshot()
    body = with_text(CHECKOUT, "shippingAddress.line1", "1 Nanjing Rd\x07")
    got = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "cc-1"}, body=body)
    assert_problem(*got, 422, "validation-failed")
    assert got[2]["errors"] == [
        {
            "field": "shippingAddress.line1",
            "message": "a single-line text must not contain control characters: U+0007 at position 12",
            "code": "control_character",
        }
    ]
    assert table_snapshot() == before


def test_a_note_keeps_its_line_breaks_and_a_name_its_outer_whitespace_is_trimmed(
    seeded: dict[str, Any], orders_api: Api, catalog_api: Api
) -> None:
    body = {**with_text(CHECKOUT, "shippingAddress.name", "  Li Lei\n"), "note": "ring twice\n\tthen wait"}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": "cc-2"}, body=body)
    assert status == 201, order
    assert (order["note"], order["shippingAddress"]["name"]) == ("ring twice\n\tthen wait", "Li Lei")
    product = {"storeId": "demo", "name": "Vase", "description": "Hand made.\r\nFragile.", "skus": [TEE]}
    status, _, created = catalog_api("POST", "/products", **ADMIN, body=product)
    assert (status, created["description"]) == (201, "Hand made.\r\nFragile.")
