"""Properties of refund splitting (issue 11, item 3): unit shares by cumulative floor shares sum to the
part whatever order units go back in; a refund's tenders sum exactly to it and never exceed their rooms;
a cap scales every tender; a whole child refunded unit by unit gives back exactly what it was paid."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain.refunds import (
    RefundExceedsPaid,
    RefundPart,
    RefundRooms,
    leg_ids,
    split_amount,
    split_units,
    unit_share,
)

FAST = settings(max_examples=200, deadline=None)


@st.composite
def batches(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """(amount, quantity, batch sizes summing to quantity): units refunded in batches, in some order."""
    quantity = draw(st.integers(min_value=1, max_value=40))
    amount = draw(st.integers(min_value=0, max_value=10**9))
    sizes: list[int] = []
    left = quantity
    while left:
        size = draw(st.integers(min_value=1, max_value=left))
        sizes.append(size)
        left -= size
    return amount, quantity, sizes


@FAST
@given(batches())
def test_unit_shares_sum_to_the_part_whatever_the_batches(case: tuple[int, int, list[int]]) -> None:
    amount, quantity, sizes = case
    done = 0
    shares = []
    for size in sizes:
        shares.append(unit_share(amount, quantity, done, size))
        done += size
    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)
    # Each batch is within one unit of its exact share.
    assert all(abs(share - amount * size / quantity) < 1 + 1e-9 for share, size in zip(shares, sizes, strict=True))


@st.composite
def parts(draw: st.DrawFn) -> list[RefundPart]:
    count = draw(st.integers(min_value=1, max_value=4))
    out = []
    for n in range(count):
        quantity = draw(st.integers(min_value=1, max_value=9))
        goods = draw(st.integers(min_value=0, max_value=10**6))
        shipping = draw(st.integers(min_value=0, max_value=2000))
        balance = draw(st.integers(min_value=0, max_value=goods + shipping))
        out.append(
            RefundPart(
                line_no=n + 1,
                quantity=quantity,
                refunded=0,
                goods=goods,
                shipping=shipping,
                balance=balance,
                points_back=draw(st.integers(min_value=0, max_value=5000)),
                points_earned=draw(st.integers(min_value=0, max_value=5000)),
            )
        )
    return out


def rooms_for(parts: list[RefundPart], weights: list[int]) -> RefundRooms:
    """Provider payments holding exactly the child's non-balance money, split over `weights`."""
    from oms.domain.money import allocate

    money = sum(p.goods + p.shipping - p.balance for p in parts)
    shares = allocate(money, weights)
    provider = tuple((f"P{n:02d}", share) for n, share in enumerate(shares))
    return RefundRooms(provider, money + sum(p.balance for p in parts))


@FAST
@given(parts(), st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=3), st.randoms())
def test_a_child_refunded_unit_by_unit_gives_back_exactly_what_it_was_paid(
    child: list[RefundPart], weights: list[int], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    rooms = rooms_for(child, weights)
    units = [(p.line_no, 1) for p in child for _ in range(p.quantity)]
    rnd.shuffle(units)
    current = list(child)
    provider_left = dict(rooms.provider)
    order_left = rooms.order
    money = balance = points = revoked = 0
    for n, unit in enumerate(units):
        split = split_units(current, [unit], RefundRooms(tuple(provider_left.items()), order_left))
        assert split.amount == split.balance + sum(a for _, a in split.provider)
        for pid, amount in split.provider:
            assert 0 < amount <= provider_left[pid]
            provider_left[pid] -= amount
        order_left -= split.amount
        money += split.amount
        balance += split.balance
        points += split.points_back
        revoked += split.points_revoked
        assert split.completes_child == (n == len(units) - 1)
        current = [
            RefundPart(**{**p.__dict__, "refunded": p.refunded + (1 if p.line_no == unit[0] else 0)}) for p in current
        ]
    assert money == sum(p.goods + p.shipping for p in child)
    assert balance == sum(p.balance for p in child)
    assert points == sum(p.points_back for p in child)
    assert revoked == sum(p.points_earned for p in child)
    assert order_left == 0 and all(left == 0 for left in provider_left.values())


@FAST
@given(parts(), st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=3), st.data())
def test_a_cap_scales_every_tender_and_the_parts_sum_to_it(
    child: list[RefundPart], weights: list[int], data: st.DataObject
) -> None:
    rooms = rooms_for(child, weights)
    units = [(p.line_no, p.quantity) for p in child]
    whole = split_units(child, units, rooms)
    cap = data.draw(st.integers(min_value=0, max_value=whole.amount))
    capped = split_units(child, units, rooms, cap=cap)
    assert capped.amount == cap
    assert capped.balance <= whole.balance
    full = dict(whole.provider)
    assert all(amount <= full[pid] for pid, amount in capped.provider)
    assert capped.points_back <= whole.points_back and capped.points_revoked <= whole.points_revoked


@FAST
@given(parts(), st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=3))
def test_to_balance_sends_all_money_to_the_balance(child: list[RefundPart], weights: list[int]) -> None:
    rooms = rooms_for(child, weights)
    units = [(p.line_no, p.quantity) for p in child]
    split = split_units(child, units, rooms, to_balance=True)
    assert split.provider == () and split.balance == sum(p.goods + p.shipping for p in child)


@FAST
@given(
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=0, max_size=4),
    st.integers(min_value=0, max_value=10**6),
    st.data(),
)
def test_a_manual_amount_fits_the_rooms_and_sums_exactly(
    provider: list[int], balance_room: int, data: st.DataObject
) -> None:
    rooms = RefundRooms(tuple((f"P{n}", r) for n, r in enumerate(provider)), sum(provider) + balance_room)
    if rooms.order == 0:
        with pytest.raises(RefundExceedsPaid):
            split_amount(1, rooms)
        return
    amount = data.draw(st.integers(min_value=1, max_value=rooms.order))
    split = split_amount(amount, rooms)
    assert split.amount == amount
    assert split.balance <= rooms.balance
    room_of = dict(rooms.provider)
    assert all(0 < part <= room_of[pid] for pid, part in split.provider)
    with pytest.raises(RefundExceedsPaid):
        split_amount(rooms.order + 1, rooms)


def test_units_beyond_what_is_left_are_refused() -> None:
    part = RefundPart(1, 2, 1, 1000, 0, 0, 0, 0)
    with pytest.raises(RefundExceedsPaid):
        split_units([part], [(1, 2)], RefundRooms((("P01", 1000),), 1000))
    with pytest.raises(RefundExceedsPaid):
        split_units([part], [(2, 1)], RefundRooms((("P01", 1000),), 1000))


def test_leg_ids() -> None:
    assert leg_ids("RFX", 2, True, []) == (["RFX", "RFX-2"], "RFX-B")
    assert leg_ids("RFX", 1, False, ["RFX"]) == (["RFX-2"], None)
