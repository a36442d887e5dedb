"""Request bodies of the pricing admin routes (promotions, coupon templates)."""

from __future__ import annotations

from typing import Any


def cny(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CNY"}


def spend_and_save(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "spend_and_save",
        "name": "Spend 200 save 50",
        "rule": {"tiers": [{"threshold": cny(20000), "off": cny(5000)}]},
        "scope": {"storeId": "demo"},
        "window": {"startsAt": "2026-11-01T00:00:00Z"},
    }
    body.update(changes)
    return body


def ten_off(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "amount_off",
        "name": "10.00 off over 100.00",
        "benefit": {"amount": cny(1000)},
        "scope": {},
        "window": {"startsAt": "2026-11-01T00:00:00Z"},
        "minSpend": cny(10000),
        "perCustomerLimit": 1,
    }
    body.update(changes)
    return body
