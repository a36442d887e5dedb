"""The pure part of risk control (oms.domain.risk): normalised blacklist values, fixed windows, the rules."""

from __future__ import annotations

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.risk import (
    CheckoutFacts,
    ListKind,
    RiskSettings,
    address_text,
    digest,
    evaluate,
    needs_review,
    normalise,
    retry_after,
    verdict,
    window_of,
)
from pydantic import ValidationError

CALM = CheckoutFacts(
    amount=5900,
    currency="CNY",
    account_age_seconds=30 * 86_400,
    customer_orders_in_window=1,
    device_orders_in_window=None,
    device_accounts=None,
    address_accounts=1,
    shipping_country="CN",
    billing_country=None,
)


@pytest.mark.parametrize(
    ("kind", "raw", "normalised"),
    [
        (ListKind.PHONE, "+86 138-0000 0000", "8613800000000"),
        (ListKind.EMAIL, " Fraud@Example.COM ", "fraud@example.com"),
        (ListKind.IP, "2001:DB8:0:0::1", "2001:db8::1"),
        (ListKind.ADDRESS, "CN,  Shanghai — 1 Nanjing Rd.", "cn shanghai 1 nanjing rd"),
        (ListKind.DEVICE, "  dev-1 ", "dev-1"),
        (ListKind.USER, "cust-1", "cust-1"),
    ],
)
def test_values_are_listed_in_one_normal_form(kind: ListKind, raw: str, normalised: str) -> None:
    assert normalise(kind, raw) == normalised
    assert digest(kind, normalise(kind, raw)) == digest(kind, normalised)
    assert len(digest(kind, normalised)) == 40 and normalised not in digest(kind, normalised)


@pytest.mark.parametrize(("kind", "raw"), [(ListKind.PHONE, "+-"), (ListKind.EMAIL, "nobody"), (ListKind.IP, "1.2.3")])
def test_a_value_that_is_no_such_thing_is_refused(kind: ListKind, raw: str) -> None:
    with pytest.raises(InvalidRequest):
        normalise(kind, raw)


def test_an_address_is_located_by_its_parts_not_its_recipient() -> None:
    address = {"name": "Li Lei", "phone": "1", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}
    assert address_text(address) == "CN Shanghai 1 Nanjing Rd"


def test_fixed_windows_and_the_wait_until_the_next() -> None:
    assert window_of(3_661, 60) == 3_660
    assert retry_after(3_661, 60) == 59
    assert retry_after(3_660, 60) == 60


def test_a_calm_checkout_matches_nothing() -> None:
    settings = RiskSettings()
    assert evaluate(settings, CALM) == []
    assert verdict(settings, [], "t") == {"review": False, "matched": [], "at": "t"}


def test_each_rule_matches_past_its_threshold() -> None:
    settings = RiskSettings.of(
        {"rules": {"newAccount": {"amountOver": {"CNY": 5000}}, "sharedAddress": {"enabled": True, "maxAccounts": 2}}}
    )
    facts = CheckoutFacts(
        amount=5900,
        currency="CNY",
        account_age_seconds=None,
        customer_orders_in_window=51,
        device_orders_in_window=51,
        device_accounts=6,
        address_accounts=3,
        shipping_country="CN",
        billing_country="US",
    )
    rules = [hit["rule"] for hit in evaluate(settings, facts)]
    assert rules == [
        "new-account-high-amount",
        "customer-velocity",
        "device-velocity",
        "shared-device",
        "shared-address",
        "country-mismatch",
    ]
    hits = evaluate(settings, facts)
    assert needs_review(verdict(settings, hits, "t"))
    assert not needs_review(verdict(RiskSettings.of({"reviewMatched": False}), hits, "t"))


def test_an_old_account_or_another_currency_is_not_new_and_high() -> None:
    settings = RiskSettings.of({"rules": {"newAccount": {"amountOver": {"CNY": 5000}}}})
    old = CheckoutFacts(**{**CALM.__dict__, "account_age_seconds": 2 * 86_400})
    usd = CheckoutFacts(**{**CALM.__dict__, "currency": "USD", "account_age_seconds": None})
    assert evaluate(settings, old) == [] and evaluate(settings, usd) == []


def test_disabled_rules_and_bad_settings() -> None:
    off = RiskSettings.of({"rules": {"countryMismatch": {"enabled": False}}})
    assert evaluate(off, CheckoutFacts(**{**CALM.__dict__, "billing_country": "US"})) == []
    for bad in ({"rateLimits": {"checkout": {"perUser": {"limit": 0, "windowSeconds": 60}}}}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            RiskSettings.of(bad)
