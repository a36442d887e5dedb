"""The order state machine: the transition table, terminal states and who may cancel when."""

from __future__ import annotations

from itertools import product

import pytest
from oms.domain.errors import Forbidden, IllegalTransition
from oms.domain.order import (
    HOLDS_RESERVED_STOCK,
    TERMINAL,
    TRANSITIONS,
    OrderStatus,
    StatusChange,
    check_cancel,
    check_transition,
)
from oms.domain.permissions import Actor, Role

S = OrderStatus

# The business rules, written out independently of the code's table.
EXPECTED_TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED, S.ON_HOLD},
    S.PAID: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CLOSED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.ON_HOLD, S.CLOSED},
    S.SHIPPED: {S.DELIVERED, S.ON_HOLD, S.CLOSED},
    S.DELIVERED: {S.COMPLETED, S.CLOSED},
    S.COMPLETED: {S.CLOSED},
    S.ON_HOLD: {S.PENDING_PAYMENT, S.PAID, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.CLOSED},
    S.CANCELLED: {S.PAID},  # only a payment arriving after cancel, with stock re-reserved
    S.CLOSED: set(),
}

ALL_PAIRS = list(product(OrderStatus, OrderStatus))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in EXPECTED_TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in EXPECTED_TRANSITIONS[a]]


def pair_id(pair: tuple[OrderStatus, OrderStatus]) -> str:
    current, target = pair
    return f"{current}->{target}"


def actor(*roles: Role, subject: str = "user-1") -> Actor:
    return Actor(subject=subject, roles=frozenset(roles))


# ---------------------------------------------------------------- transitions


def test_transition_table_matches_the_business_rules() -> None:
    assert {status: set(targets) for status, targets in TRANSITIONS.items()} == EXPECTED_TRANSITIONS


@pytest.mark.parametrize("pair", LEGAL, ids=pair_id)
def test_legal_transition_is_allowed(pair: tuple[OrderStatus, OrderStatus]) -> None:
    current, target = pair
    check_transition(current, target)


@pytest.mark.parametrize("pair", ILLEGAL, ids=pair_id)
def test_illegal_transition_is_rejected_naming_both_states(pair: tuple[OrderStatus, OrderStatus]) -> None:
    current, target = pair
    with pytest.raises(IllegalTransition) as excinfo:
        check_transition(current, target)
    error = excinfo.value
    assert error.extensions == {"current": current.value, "target": target.value}
    assert error.status == 409
    assert error.slug == "illegal-transition"
    assert error.detail == f"order cannot move from {current.value} to {target.value}"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PENDING_PAYMENT, S.SHIPPED),  # cannot ship before payment
        (S.PAID, S.CANCELLED),  # paid orders go through refunds, not cancel
        (S.PAID, S.PENDING_PAYMENT),  # payment is not undone
        (S.DELIVERED, S.ON_HOLD),
        (S.SHIPPED, S.PAID),
        (S.ON_HOLD, S.ON_HOLD),
        (S.ON_HOLD, S.DELIVERED),
    ],
)
def test_notable_forbidden_moves(current: OrderStatus, target: OrderStatus) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(current, target)


def test_no_status_transitions_to_itself() -> None:
    for status in OrderStatus:
        with pytest.raises(IllegalTransition):
            check_transition(status, status)


def test_terminal_states_are_cancelled_and_closed_and_only_a_late_payment_revives_a_cancel() -> None:
    assert frozenset({S.CANCELLED, S.CLOSED}) == TERMINAL
    for status in TERMINAL:
        for target in OrderStatus:
            if (status, target) == (S.CANCELLED, S.PAID):
                check_transition(status, target)
                continue
            with pytest.raises(IllegalTransition):
                check_transition(status, target)


def test_every_status_is_reachable_from_pending_payment_and_can_reach_an_end() -> None:
    def reachable(start: OrderStatus) -> set[OrderStatus]:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        return seen

    assert reachable(S.PENDING_PAYMENT) == set(OrderStatus)
    for status in OrderStatus:
        assert reachable(status) & TERMINAL, f"{status} can never finish"


def test_unpaid_and_held_orders_hold_reserved_stock() -> None:
    assert frozenset({S.PENDING_PAYMENT, S.ON_HOLD}) == HOLDS_RESERVED_STOCK


# ---------------------------------------------------------------- cancel


def test_customer_may_cancel_their_own_unpaid_order() -> None:
    check_cancel(actor(Role.CUSTOMER), S.PENDING_PAYMENT, owns_order=True)


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not S.PENDING_PAYMENT])
def test_customer_may_not_cancel_their_own_order_once_past_payment(status: OrderStatus) -> None:
    with pytest.raises(IllegalTransition) as excinfo:
        check_cancel(actor(Role.CUSTOMER), status, owns_order=True)
    assert excinfo.value.extensions == {"current": status.value, "target": "CANCELLED"}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_customer_may_not_cancel_someone_elses_order_in_any_state(status: OrderStatus) -> None:
    with pytest.raises(Forbidden) as excinfo:
        check_cancel(actor(Role.CUSTOMER), status, owns_order=False)
    assert excinfo.value.status == 403


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPPORT])
@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.ON_HOLD])
@pytest.mark.parametrize("owns_order", [False, True])
def test_admin_and_support_may_cancel_unpaid_and_held_orders(role: Role, status: OrderStatus, owns_order: bool) -> None:
    check_cancel(actor(role), status, owns_order=owns_order)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPPORT])
@pytest.mark.parametrize("status", [s for s in OrderStatus if s not in (S.PENDING_PAYMENT, S.ON_HOLD)])
def test_admin_and_support_may_not_cancel_paid_or_later_orders(role: Role, status: OrderStatus) -> None:
    with pytest.raises(IllegalTransition) as excinfo:
        check_cancel(actor(role), status, owns_order=False)
    assert excinfo.value.extensions == {"current": status.value, "target": "CANCELLED"}


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.FINANCE, Role.MERCHANT])
@pytest.mark.parametrize("owns_order", [False, True])
def test_other_staff_may_not_cancel_orders(role: Role, owns_order: bool) -> None:
    with pytest.raises(Forbidden):
        check_cancel(actor(role), S.PENDING_PAYMENT, owns_order=owns_order)


def test_the_system_actor_may_not_cancel_through_the_user_path() -> None:
    with pytest.raises(Forbidden):
        check_cancel(Actor.system("payment-timeout"), S.PENDING_PAYMENT, owns_order=False)


def test_authorization_is_checked_before_state_so_state_does_not_leak() -> None:
    # a stranger asking about a paid order learns "forbidden", not the order's state
    with pytest.raises(Forbidden):
        check_cancel(actor(Role.WAREHOUSE), S.PAID, owns_order=False)


# ---------------------------------------------------------------- history entries


def test_status_change_to_dict_records_who_moved_the_order_and_why() -> None:
    change = StatusChange(
        from_status=S.PENDING_PAYMENT,
        to_status=S.CANCELLED,
        actor=actor(Role.CUSTOMER, Role.SUPPORT, subject="agent-7"),
        at="2026-11-22T08:00:00.000Z",
        reason="customer_request",
    )
    assert change.to_dict() == {
        "from": "PENDING_PAYMENT",
        "to": "CANCELLED",
        "by": "agent-7",
        "role": "support",
        "at": "2026-11-22T08:00:00.000Z",
        "reason": "customer_request",
    }


def test_status_change_for_a_new_order_by_the_system_has_no_from_and_no_reason() -> None:
    change = StatusChange(from_status=None, to_status=S.PENDING_PAYMENT, actor=Actor.system(), at="t")
    assert change.to_dict() == {
        "from": None,
        "to": "PENDING_PAYMENT",
        "by": "system",
        "role": "system",
        "at": "t",
        "reason": None,
    }
