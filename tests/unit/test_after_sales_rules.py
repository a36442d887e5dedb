"""The after-sales case rules (oms.domain.after_sales): every move of the table, the steps that refuse a
move, the store's policy at the review deadline, what can be claimed and how returns are judged."""

from __future__ import annotations

import pytest
from oms.domain.after_sales import (
    ACCEPTS,
    CaseAction,
    CaseNotWaiting,
    CasePolicy,
    CaseStatus,
    CaseStep,
    CaseType,
    Claim,
    ClaimContext,
    ClaimExceeded,
    Inspection,
    Move,
    NotReturnable,
    accept_all,
    check_claims,
    check_inspection,
    move,
)
from oms.domain.errors import InvalidRequest
from oms.domain.money import Money

A, S, T, P = CaseAction, CaseStep, CaseType, CaseStatus


@pytest.mark.parametrize(
    ("kind", "step", "action", "expected"),
    [
        (T.REFUND_ONLY, S.DECISION, A.APPROVE, Move(P.REFUNDING, S.REFUND)),
        (T.RETURN_REFUND, S.DECISION, A.APPROVE, Move(P.AWAITING_RETURN, S.RETURN_SHIPMENT)),
        (T.EXCHANGE, S.DECISION, A.APPROVE, Move(P.AWAITING_RETURN, S.RETURN_SHIPMENT)),
        (T.REFUND_ONLY, S.DECISION, A.REJECT, Move(P.REJECTED, S.DISPUTE)),
        (T.REFUND_ONLY, S.DECISION, A.ESCALATE, Move(P.ESCALATED, S.ARBITRATION)),
        (T.REFUND_ONLY, S.DECISION, A.CANCEL, Move(P.CANCELLED, S.DONE)),
        (T.REFUND_ONLY, S.DISPUTE, A.DISPUTE, Move(P.ESCALATED, S.ARBITRATION)),
        (T.REFUND_ONLY, S.DISPUTE, A.EXPIRE, Move(P.REJECTED, S.DONE)),
        (T.REFUND_ONLY, S.ARBITRATION, A.ARBITRATE_APPROVE, Move(P.REFUNDING, S.REFUND)),
        (T.RETURN_REFUND, S.ARBITRATION, A.ARBITRATE_APPROVE, Move(P.AWAITING_RETURN, S.RETURN_SHIPMENT)),
        (T.RETURN_REFUND, S.ARBITRATION, A.ARBITRATE_REJECT, Move(P.REJECTED, S.DONE)),
        (T.RETURN_REFUND, S.RETURN_SHIPMENT, A.RETURN_SHIPPED, Move(P.RETURN_SHIPPED, S.RECEIPT)),
        (T.RETURN_REFUND, S.RETURN_SHIPMENT, A.EXPIRE, Move(P.CLOSED, S.DONE)),
        (T.RETURN_REFUND, S.RETURN_SHIPMENT, A.RECEIVED, Move(P.RECEIVED, S.INSPECTION)),
        (T.RETURN_REFUND, S.RECEIPT, A.RECEIVED, Move(P.RECEIVED, S.INSPECTION)),
        (T.RETURN_REFUND, S.INSPECTION, A.INSPECTED, Move(P.REFUNDING, S.REFUND)),
        (T.EXCHANGE, S.INSPECTION, A.INSPECTED, Move(P.EXCHANGING, S.REPLACEMENT)),
        (T.RETURN_REFUND, S.REFUND, A.REFUNDED, Move(P.RESOLVED, S.DONE)),
        (T.EXCHANGE, S.REPLACEMENT, A.REPLACED, Move(P.RESOLVED, S.DONE)),
        (T.RETURN_REFUND, S.REFUND, A.CLOSE, Move(P.CLOSED, S.DONE)),
    ],
)
def test_each_move_leads_where_the_table_says(
    kind: CaseType, step: CaseStep, action: CaseAction, expected: Move
) -> None:
    assert move(kind, step, action) == expected


def test_every_step_refuses_what_it_does_not_wait_for() -> None:
    for step in CaseStep:
        for action in CaseAction:
            if action in ACCEPTS[step]:
                continue
            with pytest.raises(CaseNotWaiting) as refused:
                move(T.RETURN_REFUND, step, action)
            assert refused.value.status == 409
            assert refused.value.extensions["step"] == step.value


def test_a_rejection_is_disputed_once_and_the_second_rejection_is_final() -> None:
    assert move(T.REFUND_ONLY, S.DECISION, A.REJECT, disputed=True) == Move(P.REJECTED, S.DONE)
    with pytest.raises(CaseNotWaiting):
        move(T.REFUND_ONLY, S.DISPUTE, A.DISPUTE, disputed=True)


def test_nothing_moves_a_finished_case_and_the_refund_cannot_be_cancelled() -> None:
    assert ACCEPTS[S.DONE] == frozenset()
    for step in (S.REFUND, S.RECEIPT, S.INSPECTION, S.REPLACEMENT):
        with pytest.raises(CaseNotWaiting):
            move(T.RETURN_REFUND, step, A.CANCEL)


def test_the_policy_approves_small_refunds_and_escalates_the_rest() -> None:
    policy = CasePolicy(auto_approve_refund_only_up_to=Money(10000, "CNY"), auto_approve_returns=False)
    assert policy.on_review_timeout(T.REFUND_ONLY, Money(10000, "CNY")) is A.APPROVE
    assert policy.on_review_timeout(T.REFUND_ONLY, Money(10001, "CNY")) is A.ESCALATE
    assert policy.on_review_timeout(T.REFUND_ONLY, Money(100, "USD")) is A.ESCALATE  # another currency: a person
    assert policy.on_review_timeout(T.RETURN_REFUND, Money(1, "CNY")) is A.ESCALATE
    assert CasePolicy(auto_approve_returns=True).on_review_timeout(T.EXCHANGE, Money(1, "CNY")) is A.APPROVE
    assert CasePolicy().on_review_timeout(T.REFUND_ONLY, Money(1, "CNY")) is A.ESCALATE  # no threshold


CONTEXT = ClaimContext(paid={1: 3, 2: 1}, shipped={1: 2}, claimed={1: 1})


def test_a_refund_claims_what_was_paid_less_other_claims() -> None:
    check_claims(T.REFUND_ONLY, [Claim(1, 2), Claim(2, 1)], CONTEXT, delivered=False)
    with pytest.raises(ClaimExceeded) as over:
        check_claims(T.REFUND_ONLY, [Claim(1, 3)], CONTEXT, delivered=False)
    assert over.value.extensions["over"] == [{"lineNo": 1, "requested": 3, "claimable": 2}]


def test_a_return_claims_what_was_delivered_less_other_claims() -> None:
    check_claims(T.RETURN_REFUND, [Claim(1, 1)], CONTEXT, delivered=True)
    with pytest.raises(ClaimExceeded):
        check_claims(T.RETURN_REFUND, [Claim(1, 2)], CONTEXT, delivered=True)
    with pytest.raises(ClaimExceeded):  # line 2 was never shipped
        check_claims(T.EXCHANGE, [Claim(2, 1)], CONTEXT, delivered=True)
    with pytest.raises(NotReturnable):
        check_claims(T.RETURN_REFUND, [Claim(1, 1)], CONTEXT, delivered=False)


@pytest.mark.parametrize("claims", [[], [Claim(9, 1)], [Claim(1, 0)], [Claim(1, 1), Claim(1, 1)]])
def test_malformed_claims_are_refused(claims: list[Claim]) -> None:
    with pytest.raises(InvalidRequest):
        check_claims(T.REFUND_ONLY, claims, CONTEXT, delivered=True)


def test_every_returned_unit_is_judged_exactly_once() -> None:
    claims = [Claim(1, 3), Claim(2, 1)]
    check_inspection(claims, [Inspection(1, 2, 1), Inspection(2, 0, 1)])
    for wrong in (
        [Inspection(1, 2, 0), Inspection(2, 1, 0)],  # a unit of line 1 not judged
        [Inspection(1, 3, 1), Inspection(2, 1, 0)],  # one too many
        [Inspection(1, 3, 0)],  # line 2 missing
        [Inspection(1, 3, 0), Inspection(2, 1, 0), Inspection(3, 1, 0)],  # not returned
        [Inspection(1, 4, -1), Inspection(2, 1, 0)],
    ):
        with pytest.raises(InvalidRequest):
            check_inspection(claims, wrong)
    assert accept_all(claims) == [Inspection(1, 3, 0), Inspection(2, 1, 0)]
