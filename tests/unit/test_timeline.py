"""The timeline's catalogue and paging (oms.domain.timeline), and who sees an order's contact details
(oms.domain.personal_data.contact_access): pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.domain.errors import InvalidRequest
from oms.domain.permissions import Actor, Role
from oms.domain.personal_data import (
    ContactAccess,
    ContactField,
    contact_access,
    mask_shipping_address,
    pseudonymised_address,
)
from oms.domain.timeline import RANK, EntryKind, TimelineEntry, decode_cursor, page, shopper_view, trace_of

ADDRESS = {"name": "Li Lei", "phone": "13800001234", "line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"}


def entry(at: str, kind: EntryKind = EntryKind.STATUS_CHANGED, entry_id: str = "e", **more: object) -> TimelineEntry:
    return TimelineEntry(at=at, kind=kind, id=entry_id, summary="s", **more)  # type: ignore[arg-type]


def test_every_kind_has_a_rank_and_ties_keep_the_catalogue_order() -> None:
    assert set(RANK) == set(EntryKind)
    same = "2026-01-01T00:00:00.000Z"
    paid, moved = entry(same, EntryKind.STATUS_CHANGED), entry(same, EntryKind.PAYMENT_SUCCEEDED)
    assert [e.kind for e in page([paid, moved], 10, None)[0]] == [EntryKind.PAYMENT_SUCCEEDED, EntryKind.STATUS_CHANGED]


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(list(EntryKind)), st.text("ab", min_size=1, max_size=3)),
        unique=True,
        max_size=30,
    ),
    st.integers(1, 7),
)
def test_paging_returns_every_entry_exactly_once_in_order(items: list[tuple[int, EntryKind, str]], limit: int) -> None:
    entries = [entry(f"2026-01-01T00:00:0{n}.000Z", kind, entry_id) for n, kind, entry_id in items]
    seen: list[TimelineEntry] = []
    cursor = None
    for _ in range(len(entries) + 2):
        chosen, cursor = page(entries, limit, cursor)
        assert len(chosen) <= limit
        seen += chosen
        if cursor is None:
            break
    assert seen == sorted(entries, key=lambda e: e.key)


@pytest.mark.parametrize("cursor", ["x", "W10", "WzEsMiwzXQ", "WyJhIiwibm9wZSIsImIiXQ", "A" * 1025])
def test_a_cursor_that_is_not_ours_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor)


def test_the_shopper_view_hides_staff_entries_identities_and_traces() -> None:
    staff = {"id": "support-1", "role": "support"}
    entries = [
        entry("t1", EntryKind.STAFF_ACTION, actor=staff),
        entry("t2", EntryKind.ANOMALY_OPENED),
        entry("t3", EntryKind.NOTE, shopper=False),
        entry("t4", EntryKind.STATUS_CHANGED, actor=staff, internal={"sourceIp": "10.0.0.1"}),
    ]
    [shown] = shopper_view(entries)
    assert shown.view(staff=False) == {
        "at": "t4",
        "kind": "order.status-changed",
        "id": "e",
        "summary": "s",
        "actor": {"id": None, "role": "staff"},
        "details": {},
    }
    assert shown.view(staff=True)["details"] == {"sourceIp": "10.0.0.1"}
    assert shown.view(staff=True)["actor"] == staff


def test_the_trace_of_an_actor_is_what_it_has() -> None:
    assert trace_of(Actor("a", frozenset({Role.ADMIN}), request_id="r", source_ip="1.2.3.4")) == {
        "requestId": "r",
        "sourceIp": "1.2.3.4",
    }
    assert trace_of(Actor.system()) == {}


def who(*roles: Role, sub: str = "u", stores: tuple[str, ...] = ()) -> Actor:
    return Actor(sub, frozenset(roles), stores=frozenset(stores))


@pytest.mark.parametrize(
    ("actor", "status", "access"),
    [
        (who(Role.CUSTOMER, sub="cust-1"), "PAID", ContactAccess.OWN),
        (who(Role.CUSTOMER, sub="cust-2"), "PAID", ContactAccess.MASKED),
        (who(Role.ADMIN), "COMPLETED", ContactAccess.FULL),
        (who(Role.WAREHOUSE), "PAID", ContactAccess.FULL),
        (who(Role.WAREHOUSE), "SHIPPED", ContactAccess.FULL),
        (who(Role.WAREHOUSE), "DELIVERED", ContactAccess.MASKED),
        (who(Role.WAREHOUSE), "PENDING_PAYMENT", ContactAccess.MASKED),
        (who(Role.MERCHANT, stores=("s1",)), "DELIVERED", ContactAccess.FULL),
        (who(Role.MERCHANT, stores=("s2",)), "PAID", ContactAccess.MASKED),
        (who(Role.MERCHANT), "PAID", ContactAccess.MASKED),
        (who(Role.SUPPORT), "PAID", ContactAccess.MASKED),
        (who(Role.FINANCE), "PAID", ContactAccess.MASKED),
        (Actor.system(), "PAID", ContactAccess.MASKED),
    ],
)
def test_who_sees_an_orders_contact_details(actor: Actor, status: str, access: ContactAccess) -> None:
    assert contact_access(actor, customer_id="cust-1", store_ids=["s1"], status=status) is access


def test_masking_keeps_the_city_and_what_was_revealed() -> None:
    assert mask_shipping_address(ADDRESS) == {
        "name": "L*****",
        "phone": "138****1234",
        "line1": "****",
        "city": "Shanghai",
        "country": "CN",
    }
    shown = mask_shipping_address(ADDRESS, keep=[ContactField.PHONE, ContactField.ADDRESS])
    assert (shown["name"], shown["phone"], shown["line1"]) == ("L*****", "13800001234", "1 Nanjing Rd")
    assert mask_shipping_address(None) is None


def test_pseudonymising_leaves_no_person_only_the_place() -> None:
    erased = pseudonymised_address({**ADDRESS, "postalCode": "200001", "line2": "Flat 3", "region": "SH"})
    assert erased == {
        "name": "[erased]",
        "phone": "",
        "line1": "[erased]",
        "city": "Shanghai",
        "region": "SH",
        "country": "CN",
    }
