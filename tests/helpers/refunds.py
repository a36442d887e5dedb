"""A shop for refund tests (tests/handlers/test_refunds.py): SKU G100 at 100.00, points at 100 = 1.00
(50 % cap, 1 point earned per 1.00), a 10.00 coupon issued to cust-1 who holds 1000 points, as the
checkout tests' seed-003 example; placing an order there with coupons, points and balance."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from oms.domain.clock import parse_rfc3339
from oms.domain.money import Money
from oms.domain.promotions import AmountOff, CouponTemplate, PointsRate, PointsRules, Scope, ValidityWindow
from oms.domain.rules_json import points_rules_to_dict, template_to_dict
from oms.store import keys
from oms.store.models import CouponItem, CouponTemplateItem, PointsAccountItem, PricingSettingsItem

from tests.helpers.handlers import ADDRESS, ADMIN, CUSTOMER, Api

NOW = "2026-01-01T00:00:00Z"
CNY = "CNY"


def _cny(amount: int) -> Money:
    return Money(amount, CNY)


def points_of(customer_id: str) -> int:
    table = boto3.resource("dynamodb").Table("oms-local-oms")
    pk, sk = keys.points_account(customer_id)
    return int(table.get_item(Key={"PK": pk, "SK": sk}).get("Item", {}).get("available", 0))


@pytest.fixture
def points_shop(seeded: dict[str, Any], catalog_api: Api) -> str:
    """The shop; returns the code of cust-1's coupon."""
    status, _, _ = catalog_api(
        "POST",
        "/products",
        **ADMIN,
        body={
            "storeId": "demo",
            "name": "Gadget",
            "category": "gadgets",
            "skus": [
                {
                    "skuId": "G100",
                    "name": "Gadget",
                    "price": {"amount": 10000, "currency": CNY},
                    "stock": 50,
                    "warehouseId": "WH1",
                    "weightGrams": 100,
                }
            ],
        },
    )
    assert status == 201
    programme = PointsRules(redeem_rate=PointsRate(100, _cny(100)), cap_bps=5000, earn_rate=PointsRate(1, _cny(100)))
    PricingSettingsItem(
        *keys.POINTS_SETTINGS, data={CNY: points_rules_to_dict(programme)}, version=1, updatedAt=NOW, updatedBy="a"
    ).save()
    PointsAccountItem(*keys.points_account("cust-1"), customerId="cust-1", available=1000, updatedAt=NOW).save()
    template = CouponTemplate(
        template_id="T10",
        stackable=False,
        benefit=AmountOff(_cny(1000)),
        scope=Scope(store_id="demo"),
        window=ValidityWindow(parse_rfc3339("2020-01-01T00:00:00Z")),
        min_spend=_cny(10000),
        total_limit=100,
        per_customer_limit=1,
    )
    CouponTemplateItem(
        *keys.coupon_template("T10"),
        templateId="T10",
        definition=template_to_dict(template),
        status="ACTIVE",
        issued=0,
        used=0,
        createdAt=NOW,
        updatedAt=NOW,
        createdBy="admin-1",
        version=1,
    ).save()
    CouponItem(
        *keys.coupon("C10-CUST1"),
        GSI1PK=keys.customer_coupons_gsi1("cust-1"),
        GSI1SK=f"COUPON#{NOW}#C10-CUST1",
        code="C10-CUST1",
        templateId="T10",
        template=template_to_dict(template),
        ownerId="cust-1",
        status="AVAILABLE",
        issuedAt=NOW,
        issuedBy="admin-1",
        version=1,
    ).save()
    return "C10-CUST1"


def place_gadgets(orders_api: Api, key: str, **options: Any) -> dict[str, Any]:
    body = {"lines": [{"skuId": "G100", "quantity": 2}], "shippingAddress": ADDRESS, **options}
    status, _, order = orders_api("POST", "/orders", **CUSTOMER, headers={"Idempotency-Key": key}, body=body)
    assert status == 201, order
    return dict(order)
