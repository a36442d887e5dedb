"""The order's benefits (oms.domain.benefits): typed reads over the stored map, and changes that keep
its stored form (keys an older order lacks stay absent)."""

from __future__ import annotations

from oms.domain.benefits import Benefits
from oms.domain.money import Money


def test_at_checkout_writes_the_stored_form() -> None:
    benefits = Benefits.at_checkout(
        "c1", coupons=[{"code": "X"}], points_debited=30, balance=Money(500, "CNY"), points_earned=7
    )
    assert benefits.to_dict() == {
        "customerId": "c1",
        "coupons": [{"code": "X"}],
        "pointsDebited": 30,
        "balance": {"amount": 500, "currency": "CNY"},
        "pointsEarned": 7,
        "pointsCredited": False,
    }
    assert benefits.took_any and benefits.balance == Money(500, "CNY")


def test_changes_touch_only_their_key() -> None:
    old = {"customerId": "c1", "coupons": [], "pointsEarned": 10}  # an older row: no pointsCredited
    benefits = Benefits.of(old)
    assert benefits.given_back().to_dict() == {**old, "returned": True}
    assert benefits.credited().to_dict() == {**old, "pointsCredited": True}
    assert benefits.less_earned(4).to_dict() == {**old, "pointsEarned": 6}
    assert benefits.less_earned(40).points_earned == 0
    assert old == {"customerId": "c1", "coupons": [], "pointsEarned": 10}


def test_nothing_taken_and_nothing_recorded() -> None:
    zero_balance = Benefits.of({"coupons": [], "pointsDebited": 0, "balance": {"amount": 0, "currency": "CNY"}})
    assert not zero_balance.took_any and zero_balance.balance is None
    assert not Benefits.of(None) and not Benefits.of(None).took_any and not Benefits.of(None).returned
