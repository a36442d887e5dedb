"""Notification templates and rules: a template exists for every event, channel and locale the routing
table uses (and none is left over), money and dates follow the locale, HTML email is escaped, and the rules
that narrow a route (a store's, a person's) are validated and kept."""

from __future__ import annotations

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.events import EventType
from oms.domain.notifications import (
    ROUTES,
    Audience,
    Category,
    Channel,
    Locale,
    Preferences,
    StoreRules,
    deliveries,
    routes_for,
    store_rules,
    strictest,
)
from oms.services.notification_templates import TEMPLATES, format_money, format_when, render, template_path

NEEDED = sorted({(r.template, c, loc) for r in ROUTES for c in r.channels for loc in Locale})


@pytest.mark.parametrize(("template", "channel", "locale"), NEEDED, ids=lambda v: str(v))
def test_every_template_the_routing_table_uses_exists_and_renders(
    template: str, channel: Channel, locale: Locale
) -> None:
    assert template_path(template, channel, locale).is_file(), f"missing {template}/{channel}.{locale}.j2"
    message = render(template, channel, locale, {"orderNumber": "N1", "total": {"amount": 100, "currency": "CNY"}})
    assert message.body
    assert bool(message.subject) is (channel is not Channel.SMS)


def test_no_template_file_is_left_over() -> None:
    used = {template_path(*needed) for needed in NEEDED}
    files = {p for p in TEMPLATES.rglob("*.j2") if p.parent.name != "_layout"}
    assert files == used


def test_every_route_offers_its_defaults_and_the_inbox() -> None:
    for route in ROUTES:
        assert route.default_on <= route.channels and Channel.INBOX in route.channels, route


def test_html_email_is_escaped_and_text_is_not() -> None:
    facts = {"orderNumber": "<script>x</script>", "carrier": "sf", "trackingNumber": "T"}
    email = render("order_shipped", Channel.EMAIL, Locale.EN, facts)
    assert "<script>" not in email.body and "&lt;script&gt;" in email.body
    assert render("order_shipped", Channel.SMS, Locale.EN, facts).body.startswith("[OMS] Your order <script>")


def test_money_takes_the_currencys_exponent_and_the_locales_style() -> None:
    assert format_money({"amount": 123456, "currency": "CNY"}, "zh-CN") == "¥1,234.56"
    assert format_money({"amount": 123456, "currency": "CNY"}, "en") == "CNY 1,234.56"
    assert format_money({"amount": 1500, "currency": "JPY"}, "en") == "JPY 1,500"
    assert format_money({"amount": 1234, "currency": "KWD"}, "zh-CN") == "1.234 KWD"
    assert format_when("2026-12-31T20:05:00Z", "zh-CN") == "2027年1月1日 04:05"
    assert format_when("2026-12-31T20:05:00Z", "en") == "31 Dec 2026, 20:05 UTC"


def test_store_rules_refuse_unknown_events_and_channels_an_event_does_not_offer() -> None:
    with pytest.raises(InvalidRequest, match="no notification"):
        store_rules({"OrderExploded": ["inbox"]}, [], "en")
    with pytest.raises(InvalidRequest, match="sms"):
        store_rules({"OrderPlaced": ["sms"]}, [], "en")
    rules = store_rules({"OrderShipped": ["sms"]}, ["s1", "s1"], "en")
    assert rules.staff == ("s1",)
    assert StoreRules.from_json(rules.to_json()) == rules


def test_deliveries_follow_the_rules_the_preferences_and_the_addresses() -> None:
    [route] = routes_for(EventType.ORDER_SHIPPED, {})
    prefs = {"u1": Preferences(Locale.EN, frozenset({Channel.SMS}), email="u1@example.com", phone="+8613800000001")}
    sent = deliveries(route, ["u1", "u2"], StoreRules(), prefs)
    assert [(d.recipient, d.channel, d.locale) for d in sent] == [
        ("u1", Channel.EMAIL, Locale.EN),
        ("u1", Channel.INBOX, Locale.EN),
        ("u2", Channel.INBOX, Locale.ZH_CN),  # no address, no language: the inbox, in the store's
    ]
    off = {"u1": Preferences(categories_off=frozenset({Category.SHIPPING}))}
    assert deliveries(route, ["u1"], StoreRules(), off) == []
    quiet = StoreRules({EventType.ORDER_SHIPPED.value: frozenset()})
    assert strictest([StoreRules(), quiet]).channels(route) == frozenset()
    assert Preferences.from_json(prefs["u1"].to_json()) == prefs["u1"]


def test_a_refund_alerts_staff_only_when_refused_for_good_and_a_shoppers_own_case_move_tells_nobody() -> None:
    assert routes_for(EventType.REFUND_FAILED, {"status": "PENDING"}) == []
    assert [r.audience for r in routes_for(EventType.REFUND_FAILED, {"status": "FAILED"})] == [Audience.STAFF]
    assert routes_for(EventType.CASE_UPDATED, {"action": "cancel", "role": "customer"}) == []
    assert len(routes_for(EventType.CASE_UPDATED, {"action": "approve", "role": "support"})) == 1
    assert {r.audience for r in routes_for(EventType.PAYMENT_ANOMALY, {})} == {Audience.CUSTOMER, Audience.STAFF}
