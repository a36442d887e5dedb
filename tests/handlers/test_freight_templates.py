"""Freight templates through the catalog and orders functions (moto): CRUD with If-Match and audit, the
store's default, quote and checkout priced by template and destination, excluded regions refused with
nothing written, the applied rule frozen on the order, and a store without templates as before."""

from __future__ import annotations

from typing import Any

import pytest
from oms.store.audit import audit_records

from tests.handlers.conftest import ADDRESS, ADMIN, CUSTOMER, DEMO_STORE, SUPPORT, Api, AwsCalls
from tests.helpers.freight import BY_PIECE, BY_WEIGHT
from tests.helpers.problems import assert_problem
from tests.helpers.table import stock_of, table_snapshot

TEMPLATES = "/stores/demo/freight-templates"
ROUTE = "/stores/{storeId}/freight-templates/{freightTemplateId}"
GUANGZHOU = {**ADDRESS, "city": "Guangzhou", "region": "广东省"}
URUMQI = {**ADDRESS, "city": "Urumqi", "region": "新疆"}
MERCHANT = {"sub": "merchant-1", "roles": ("merchant",), "stores": ("other",)}


def put(api: Api, template_id: str, body: dict[str, Any], who: dict[str, Any] = ADMIN, **kw: Any) -> Any:
    return api("PUT", f"{TEMPLATES}/{template_id}", route=f"PUT {ROUTE}", body=body, **who, **kw)


def set_sku_template(catalog_api: Api, sku_id: str, template_id: str | None) -> None:
    status, _, body = catalog_api(
        "PATCH", f"/skus/{sku_id}", route="PATCH /skus/{skuId}", body={"freightTemplateId": template_id}, **ADMIN
    )
    assert status == 200 and body["freightTemplateId"] == template_id, body


def quote(orders_api: Api, lines: list[dict[str, Any]], destination: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"lines": lines}
    if destination is not None:
        body["destination"] = destination
    return orders_api("POST", "/orders/quote", body=body, **CUSTOMER)


def checkout(orders_api: Api, lines: list[dict[str, Any]], address: dict[str, Any], key: str) -> Any:
    body = {"lines": lines, "shippingAddress": address}
    return orders_api("POST", "/orders", body=body, headers={"Idempotency-Key": key}, **CUSTOMER)


# ---------------------------------------------------------------- CRUD
def test_a_store_without_templates_lists_its_flat_fee_as_the_default(catalog_api: Api, seeded: Any) -> None:
    status, _, listed = catalog_api("GET", TEMPLATES, route="GET /stores/{storeId}/freight-templates")
    assert status == 200, listed
    assert (listed["items"], listed["defaultTemplateId"]) == ([], "flat-fee")
    flat = listed["flatFee"]
    assert (flat["basis"], flat["rules"][0]["firstFee"], flat["freeShipping"][0]["minAmount"]) == (
        "order",
        DEMO_STORE["shippingFee"],
        DEMO_STORE["freeShippingThreshold"],
    )
    assert flat["isDefault"] is True


def test_create_read_replace_with_if_match_and_delete_audited(catalog_api: Api, seeded: Any) -> None:
    status, headers, created = put(catalog_api, "heavy", {**BY_WEIGHT, "isDefault": True})
    assert status == 201, created
    assert (created["version"], headers["ETag"], created["isDefault"]) == (1, '"1"', True)
    assert created["rules"][1] == {
        "regions": ["CN/广东"],
        "first": 1000,
        "firstFee": {"amount": 600, "currency": "CNY"},
        "additional": 500,
        "additionalFee": {"amount": 200, "currency": "CNY"},
    }
    status, _, read = catalog_api("GET", f"{TEMPLATES}/heavy", route=f"GET {ROUTE}")
    assert (status, read) == (200, created | {"updatedAt": read["updatedAt"]})

    status, _, body = put(catalog_api, "heavy", {**BY_WEIGHT, "name": "Renamed"}, headers={"If-Match": '"9"'})
    assert_problem(status, {"Content-Type": "application/problem+json"}, body, 412, "precondition-failed")
    status, _, replaced = put(catalog_api, "heavy", {**BY_WEIGHT, "name": "Renamed"}, headers={"If-Match": '"1"'})
    assert (status, replaced["version"], replaced["name"], replaced["isDefault"]) == (200, 2, "Renamed", True)

    status, _, listed = catalog_api(
        "DELETE", f"{TEMPLATES}/heavy", route=f"DELETE {ROUTE}", headers={"If-Match": '"2"'}, **ADMIN
    )
    assert (status, listed["items"], listed["defaultTemplateId"]) == (200, [], "flat-fee")
    status, _, _ = catalog_api("GET", f"{TEMPLATES}/heavy", route=f"GET {ROUTE}")
    assert status == 404
    actions = [r.action for r in audit_records("STORE#demo")]
    assert actions[:3] == ["freight-template.delete", "freight-template.put", "freight-template.put"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"rules": [{"first": 1, "firstFee": {"amount": 1, "currency": "USD"}}]}, "rules"),
        ({"excludedRegions": ["CN/广东省"]}, "rules"),  # the same province as a rule's
        ({"rules": [{"first": 1, "firstFee": {"amount": 1, "currency": "CNY"}}] * 2}, "rules"),  # two catch-alls
        ({"freeShipping": [{"regions": ["CN"]}]}, "freeShipping"),  # no amount, no quantity
    ],
)
def test_bad_templates_are_422_and_nothing_is_written(
    catalog_api: Api, seeded: Any, change: dict[str, Any], field: str
) -> None:
    before = table_snapshot()
    status, headers, body = put(catalog_api, "bad", {**BY_WEIGHT, **change})
    assert_problem(status, headers, body, 422, "validation-failed")
    assert table_snapshot() == before


def test_only_holders_of_store_write_write_templates(catalog_api: Api, seeded: Any) -> None:
    status, headers, body = put(catalog_api, "heavy", BY_WEIGHT, who=MERCHANT)
    assert_problem(status, headers, body, 403, "forbidden")
    status, headers, body = put(catalog_api, "heavy", BY_WEIGHT, who=SUPPORT)
    assert_problem(status, headers, body, 403, "forbidden")


def test_an_unknown_store_is_404(catalog_api: Api, seeded: Any) -> None:
    status, headers, body = catalog_api(
        "PUT", "/stores/nope/freight-templates/t", route=f"PUT {ROUTE}", body=BY_WEIGHT, **ADMIN
    )
    assert_problem(status, headers, body, 404, "not-found")
    status, headers, body = catalog_api(
        "GET", "/stores/nope/freight-templates", route="GET /stores/{storeId}/freight-templates"
    )
    assert_problem(status, headers, body, 404, "not-found")


# ---------------------------------------------------------------- quote and checkout
def test_quote_prices_by_template_and_destination(catalog_api: Api, orders_api: Api, seeded: Any) -> None:
    assert put(catalog_api, "heavy", BY_WEIGHT)[0] == 201
    assert put(catalog_api, "piece", BY_PIECE)[0] == 201
    set_sku_template(catalog_api, "TEE-M", "heavy")  # 200 g
    set_sku_template(catalog_api, "MUG", "piece")
    lines = [{"skuId": "TEE-M", "quantity": 6}, {"skuId": "MUG", "quantity": 2}]  # 294.00 + 51.00: over 200

    status, _, shanghai = quote(orders_api, [{"skuId": "TEE-M", "quantity": 6}], {"country": "CN", "region": "上海"})
    assert status == 200, shanghai
    # 1,200 g, not Guangdong: 10.00 + one 500 g step 4.00; 294.00 is over 200.00: free
    assert shanghai["freight"][0] | {"skuIds": None} == {
        "storeId": "demo",
        "templateId": "heavy",
        "version": 1,
        "basis": "weight",
        "region": "*",
        "units": 1200,
        "fee": {"amount": 1400, "currency": "CNY"},
        "freeBy": "amount",
        "charged": {"amount": 0, "currency": "CNY"},
        "skuIds": None,
    }
    status, _, canton = quote(orders_api, [{"skuId": "TEE-M", "quantity": 2}], {"country": "CN", "region": "广东"})
    assert (status, canton["shipping"]) == (200, {"amount": 600, "currency": "CNY"})  # 400 g in Guangdong
    status, _, both = quote(orders_api, [{"skuId": "TEE-M", "quantity": 2}, lines[1]])  # no destination: catch-alls
    assert [(f["templateId"], f["charged"]["amount"]) for f in both["freight"]] == [("heavy", 1000), ("piece", 1100)]
    assert both["shipping"]["amount"] == 2100 == sum(line["shipping"]["amount"] for line in both["lines"])


def test_checkout_freezes_the_applied_rule_and_a_later_edit_does_not_change_it(
    catalog_api: Api, orders_api: Api, seeded: Any
) -> None:
    assert put(catalog_api, "heavy", BY_WEIGHT)[0] == 201
    set_sku_template(catalog_api, "TEE-M", "heavy")
    status, _, order = checkout(orders_api, [{"skuId": "TEE-M", "quantity": 2}], GUANGZHOU, "fr-1")
    assert status == 201, order
    frozen = order["pricing"]["freight"]
    assert [(f["templateId"], f["version"], f["region"], f["charged"]["amount"]) for f in frozen] == [
        ("heavy", 1, "CN/广东", 600)
    ]
    cheaper = {**BY_WEIGHT, "rules": [{"first": 1000, "firstFee": {"amount": 1, "currency": "CNY"}}]}
    assert put(catalog_api, "heavy", cheaper, headers={"If-Match": '"1"'})[0] == 200
    status, _, read = orders_api("GET", f"/orders/{order['orderId']}", route="GET /orders/{orderId}", **CUSTOMER)
    assert (read["pricing"]["freight"], read["breakdown"]["shipping"]["amount"]) == (frozen, 600)
    status, _, now = quote(orders_api, [{"skuId": "TEE-M", "quantity": 2}], {"country": "CN", "region": "广东"})
    assert now["freight"][0]["version"] == 2 and now["shipping"]["amount"] == 1


def test_an_excluded_region_is_refused_naming_store_and_skus_and_nothing_changes(
    catalog_api: Api, orders_api: Api, seeded: Any
) -> None:
    assert put(catalog_api, "heavy", BY_WEIGHT)[0] == 201
    set_sku_template(catalog_api, "TEE-M", "heavy")
    before, stock = table_snapshot(), stock_of("TEE-M")
    lines = [{"skuId": "TEE-M", "quantity": 1}, {"skuId": "MUG", "quantity": 1}]
    status, headers, problem = checkout(orders_api, lines, URUMQI, "fr-2")
    assert_problem(status, headers, problem, 422, "shipping-region-excluded")
    assert (problem["storeId"], problem["skuIds"], problem["templateId"]) == ("demo", ["TEE-M"], "heavy")
    assert problem["field"] == "shippingAddress"
    assert (table_snapshot(), stock_of("TEE-M")) == (before, stock)
    status, headers, problem = quote(orders_api, lines, {"country": "CN", "region": "新疆"})
    assert_problem(status, headers, problem, 422, "shipping-region-excluded")
    assert problem["field"] == "destination"  # the quote's own field
    # the MUG alone ships by the store's flat fee, which goes everywhere
    status, _, order = checkout(orders_api, [lines[1]], URUMQI, "fr-3")
    assert (status, order["pricing"]["freight"][0]["templateId"]) == (201, "flat-fee")


def test_the_default_template_prices_skus_without_their_own(catalog_api: Api, orders_api: Api, seeded: Any) -> None:
    assert put(catalog_api, "piece", {**BY_PIECE, "isDefault": True})[0] == 201
    status, _, priced = quote(orders_api, [{"skuId": "MUG", "quantity": 3}], {"country": "US", "region": "CA"})
    assert (status, priced["shipping"]["amount"], priced["freight"][0]["templateId"]) == (200, 1400, "piece")
    # no longer the default: the flat fee again (10.00, under the 99.00 threshold)
    assert put(catalog_api, "piece", {**BY_PIECE, "isDefault": False})[0] == 200
    status, _, priced = quote(orders_api, [{"skuId": "MUG", "quantity": 3}])
    assert (priced["shipping"]["amount"], priced["freight"][0]["templateId"]) == (1000, "flat-fee")


def test_a_store_without_templates_charges_its_flat_fee_exactly_as_before(orders_api: Api, seeded: Any) -> None:
    status, _, small = quote(orders_api, [{"skuId": "MUG", "quantity": 1}])
    assert (status, small["shipping"]["amount"]) == (200, 1000)
    status, _, large = quote(orders_api, [{"skuId": "TEE-M", "quantity": 3}])  # 147.00: over 99.00
    assert large["shipping"]["amount"] == 0
    assert large["freight"][0]["freeBy"] == "amount"


def test_checkout_with_templates_still_makes_one_read_and_one_transaction(
    catalog_api: Api, orders_api: Api, seeded: Any, aws_calls: AwsCalls
) -> None:
    assert put(catalog_api, "heavy", BY_WEIGHT)[0] == 201
    set_sku_template(catalog_api, "TEE-M", "heavy")
    aws_calls.clear()
    status, _, order = checkout(orders_api, [{"skuId": "TEE-M", "quantity": 1}], GUANGZHOU, "fr-4")
    assert status == 201, order
    assert order["pricing"]["freight"][0]["templateId"] == "heavy"
    assert [name for name in aws_calls.calls if name.startswith("dynamodb:")] == [
        "dynamodb:BatchGetItem",
        "dynamodb:TransactWriteItems",
    ]


def test_store_scoped_staff_granted_store_write_reach_only_their_stores(catalog_api: Api, seeded: Any) -> None:
    from oms import wiring
    from oms.api.catalog_schemas import FreightTemplateIn
    from oms.domain.errors import NotFound
    from oms.domain.permissions import Actor, Permission, Role

    def merchant(stores: set[str]) -> Actor:
        granted = frozenset({Permission.STORE_WRITE, Permission.ORDER_READ_STORE})
        return Actor("merchant-1", frozenset({Role.MERCHANT}), frozenset(stores), granted=granted)

    service = wiring.services().freight
    template = FreightTemplateIn.model_validate(BY_PIECE, strict=False).template("piece")
    before = table_snapshot()
    with pytest.raises(NotFound):
        service.put(merchant({"other"}), "demo", template, is_default=None, if_match=None)
    assert table_snapshot() == before
    view, created = service.put(merchant({"demo"}), "demo", template, is_default=None, if_match=None)
    assert (created, view["templateId"]) == (True, "piece")


def test_a_sku_naming_a_template_its_store_lacks_is_refused(catalog_api: Api, seeded: Any) -> None:
    before = table_snapshot()
    status, headers, body = catalog_api(
        "PATCH", "/skus/MUG", route="PATCH /skus/{skuId}", body={"freightTemplateId": "nope"}, **ADMIN
    )
    assert_problem(status, headers, body, 422, "validation-failed")
    assert "freight template" in body["detail"]
    assert table_snapshot() == before
    sku = {"name": "Cup", "price": {"amount": 100, "currency": "CNY"}, "stock": 1, "warehouseId": "WH1"}
    status, headers, body = catalog_api(
        "POST",
        f"/products/{seeded['productId']}/skus",
        route="POST /products/{productId}/skus",
        body={**sku, "weightGrams": 10, "freightTemplateId": "nope"},
        **ADMIN,
    )
    assert_problem(status, headers, body, 422, "validation-failed")
    assert "freight template" in body["detail"]
    assert table_snapshot() == before
    set_sku_template(catalog_api, "MUG", None)  # back to the default is always fine


def test_manual_orders_and_edits_price_by_the_templates_and_the_address(
    catalog_api: Api, orders_api: Api, seeded: Any, providers: Any
) -> None:
    from tests.handlers.conftest import load_function

    admin_orders = Api(load_function("admin_orders"))
    assert put(catalog_api, "heavy", BY_WEIGHT)[0] == 201
    set_sku_template(catalog_api, "TEE-M", "heavy")
    manual = {"customerId": "cust-1", "lines": [{"skuId": "TEE-M", "quantity": 2}], "paymentMode": "online"}
    before = table_snapshot()
    status, headers, problem = admin_orders(
        "POST",
        "/admin/orders",
        route="POST /admin/orders",
        body={**manual, "shippingAddress": URUMQI},
        headers={"Idempotency-Key": "m-x"},
        **SUPPORT,
    )
    assert_problem(status, headers, problem, 422, "shipping-region-excluded")
    assert table_snapshot() == before
    status, _, order = admin_orders(
        "POST",
        "/admin/orders",
        route="POST /admin/orders",
        body={**manual, "shippingAddress": ADDRESS},
        headers={"Idempotency-Key": "m-1"},
        **SUPPORT,
    )
    assert status == 201, order
    assert (order["breakdown"]["shipping"]["amount"], order["pricing"]["freight"][0]["region"]) == (1000, "*")

    def edit(address: dict[str, Any], version: int) -> Any:
        return admin_orders(
            "PATCH",
            f"/orders/{order['orderId']}",
            route="PATCH /orders/{orderId}",
            body={"shippingAddress": address},
            headers={"If-Match": f'"{version}"'},
            **SUPPORT,
        )

    before = table_snapshot()
    status, headers, problem = edit(URUMQI, order["version"])
    assert_problem(status, headers, problem, 422, "shipping-region-excluded")
    assert table_snapshot() == before
    status, _, edited = edit(GUANGZHOU, order["version"])
    assert status == 200, edited
    assert (edited["breakdown"]["shipping"]["amount"], edited["pricing"]["freight"][0]["region"]) == (600, "CN/广东")


def test_a_stores_templates_are_bounded_in_number_and_size(catalog_api: Api, seeded: Any) -> None:
    for n in range(10):
        assert put(catalog_api, f"t{n}", BY_PIECE)[0] == 201
    before = table_snapshot()
    status, headers, body = put(catalog_api, "t10", BY_PIECE)
    assert_problem(status, headers, body, 422, "freight-templates-too-large")
    assert table_snapshot() == before
    fee = BY_PIECE["rules"][0]["firstFee"]
    wide = [{"regions": [f"CN/region-{r}-{p}" for p in range(50)], "first": 1, "firstFee": fee} for r in range(12)]
    status, headers, body = put(catalog_api, "t0", {**BY_PIECE, "rules": wide})
    assert_problem(status, headers, body, 422, "freight-templates-too-large")
    assert body["limit"] == 8000 and body["bytes"] > 8000
    assert table_snapshot() == before
