"""The order search's pure rules: date presets in a zone, contact keys, query checks and JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from oms.domain.errors import InvalidRequest
from oms.domain.order import OrderStatus
from oms.domain.order_search import (
    ContactKind,
    DatePreset,
    OrderQuery,
    SearchFlag,
    TimeRange,
    contact_key,
    preset_range,
    search_flags,
    time_range,
    zone_of,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday


@pytest.mark.parametrize(
    ("preset", "zone", "start", "end"),
    [
        (DatePreset.TODAY, "UTC", "2026-11-22T00:00:00.000Z", "2026-11-23T00:00:00.000Z"),
        (DatePreset.TODAY, "Asia/Shanghai", "2026-11-21T16:00:00.000Z", "2026-11-22T16:00:00.000Z"),
        (DatePreset.THIS_WEEK, "UTC", "2026-11-16T00:00:00.000Z", "2026-11-23T00:00:00.000Z"),
        (DatePreset.THIS_MONTH, "UTC", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"),
        # Berlin's November starts in winter time but October 1 in summer time: midnight is re-resolved.
        (DatePreset.THIS_MONTH, "Europe/Berlin", "2026-10-31T23:00:00.000Z", "2026-11-30T23:00:00.000Z"),
    ],
)
def test_presets_start_at_midnight_in_the_zone(preset: DatePreset, zone: str, start: str, end: str) -> None:
    assert preset_range(preset, NOW, zone_of(zone)) == TimeRange(start, end)


def test_a_custom_range_is_checked() -> None:
    zone = zone_of(None)
    assert time_range(None, "2026-11-01T08:00:00+08:00", None, now=NOW, zone=zone, name="created") == TimeRange(
        "2026-11-01T00:00:00.000Z", None
    )
    for start, end in (("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z"), ("2026-11-01T00:00:00Z",) * 2):
        with pytest.raises(InvalidRequest):
            time_range(None, start, end, now=NOW, zone=zone, name="created")
    with pytest.raises(InvalidRequest):
        time_range(DatePreset.TODAY, "2026-11-01T00:00:00Z", None, now=NOW, zone=zone, name="paid")
    with pytest.raises(InvalidRequest):
        zone_of("Nowhere/Else")


def test_contacts_are_keyed_hashes_of_their_normal_form() -> None:
    secret = b"k"
    phone = contact_key(ContactKind.PHONE, "+86 138-0000 0000", secret)
    assert phone == contact_key(ContactKind.PHONE, "+8613800000000", secret)
    assert phone != contact_key(ContactKind.PHONE, "+8613800000000", b"other")
    assert phone is not None and "138" not in phone and len(phone) == 32
    assert contact_key(ContactKind.EMAIL, " A@B.cn ", secret) == contact_key(ContactKind.EMAIL, "a@b.cn", secret)
    assert contact_key(ContactKind.PHONE, "--", secret) is None


def test_flags_and_contradictions() -> None:
    assert search_flags("special,on-hold,special") == (SearchFlag.SPECIAL, SearchFlag.ON_HOLD)
    with pytest.raises(InvalidRequest):
        search_flags("special,vip")
    with pytest.raises(InvalidRequest):
        OrderQuery(amount_min=5, amount_max=4)
    assert OrderQuery(flags=frozenset({SearchFlag.ON_HOLD}), status=OrderStatus.PAID).contradictory
    assert OrderQuery(store_id="s1", stores=frozenset({"s2"})).contradictory
    assert OrderQuery(stores=frozenset()).contradictory  # a merchant without stores sees nothing
    assert not OrderQuery(store_id="s2", stores=frozenset({"s2"})).contradictory


def test_a_query_survives_its_json_as_an_export_records_it() -> None:
    query = OrderQuery(
        order_number="1",
        status=OrderStatus.PAID,
        created=TimeRange("a", None),
        paid=TimeRange(None, "b"),
        payment_method="card",
        customer_id="c",
        phone_key="p",
        email_key="e",
        sku_id="s",
        product_id="pr",
        store_id="st",
        amount_min=0,
        amount_max=9,
        currency="CNY",
        points_used=False,
        flags=frozenset({SearchFlag.SPECIAL, SearchFlag.ON_HOLD}),
        stores=frozenset({"st"}),
    )
    assert OrderQuery.from_json(query.to_json()) == query
    assert OrderQuery.from_json({"status": "PAID", "createdTo": "x"}) == OrderQuery(
        status=OrderStatus.PAID, created=TimeRange(None, "x")
    )
