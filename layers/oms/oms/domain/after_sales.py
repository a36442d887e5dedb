"""After-sales cases: refund-only, return-and-refund and exchange, as one table of moves.

A case is in one `CaseStatus` and waits for one `CaseStep` (who is to act next: staff decide, the shopper
ships the return, the warehouse receives it, ...). Every move is an `CaseAction` taken at a step; `move`
says where it leads, or refuses it (409 `case-not-waiting`) when the case is not waiting for that step.
The Step Functions flow (statemachines/after_sales_case.asl.json) holds the waits and their deadlines; it
asks this table what comes next, so the rules live here once and the stored case is the truth: a late
timer never undoes what a person decided (the timeout's action is refused when the step has moved on).

    REQUESTED ──approve──► (refund_only) REFUNDING ──refunded──► RESOLVED
        │                  (return_refund, exchange) AWAITING_RETURN ──return-shipped──► RETURN_SHIPPED
        │                                                   │ timeout: CLOSED          ──received──► RECEIVED
        │                                                                  ──inspect (timeout: accept all)──►
        │                                                   (return_refund) REFUNDING / (exchange) EXCHANGING
        ├──reject──► REJECTED ──dispute (once)──► ESCALATED ──arbitrate──► approve as above | REJECTED (final)
        │               └── timeout: the rejection stands (final)
        ├──timeout──► the store policy: approve, or escalate to platform support (ESCALATED)
        └──cancel (the shopper, before the refund starts)──► CANCELLED
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from oms.domain.errors import Conflict, InvalidRequest
from oms.domain.money import Money


class CaseType(StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_REFUND = "return_refund"
    EXCHANGE = "exchange"


class CaseStatus(StrEnum):
    REQUESTED = "REQUESTED"  # waits for the merchant's (or support's) decision
    ESCALATED = "ESCALATED"  # waits for platform support's arbitration (a dispute, or the policy escalated)
    REJECTED = "REJECTED"  # rejected: the shopper may dispute once (step dispute), else final (step done)
    AWAITING_RETURN = "AWAITING_RETURN"  # approved: the shopper ships the goods back
    RETURN_SHIPPED = "RETURN_SHIPPED"  # the return parcel is on its way
    RECEIVED = "RECEIVED"  # the warehouse has it: the merchant inspects it
    REFUNDING = "REFUNDING"  # the refund is on its way (its legs settle at the providers)
    EXCHANGING = "EXCHANGING"  # the replacement child order ships through fulfilment
    RESOLVED = "RESOLVED"
    CANCELLED = "CANCELLED"  # withdrawn by the shopper (or support on their behalf)
    CLOSED = "CLOSED"  # ended without a refund: the return was not shipped in time


class CaseStep(StrEnum):
    """What the case waits for (the flow's task token waits on it)."""

    DECISION = "decision"  # merchant or support: approve or reject
    ARBITRATION = "arbitration"  # platform support: approve or reject, final
    DISPUTE = "dispute"  # the shopper may dispute a rejection until the deadline
    RETURN_SHIPMENT = "return_shipment"  # the shopper ships the return until the deadline
    RECEIPT = "receipt"  # the return parcel arrives (carrier DELIVERED, or the warehouse books it)
    INSPECTION = "inspection"  # the merchant inspects until the deadline (then every unit is accepted)
    REFUND = "refund"  # the refund's legs settle
    REPLACEMENT = "replacement"  # the exchange's replacement child order is made, then ships
    DIFFERENCE = "difference"  # the shopper pays a dearer replacement's price difference until the deadline
    DONE = "done"


class CaseAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    DISPUTE = "dispute"
    ARBITRATE_APPROVE = "arbitrate-approve"
    ARBITRATE_REJECT = "arbitrate-reject"
    RETURN_SHIPPED = "return-shipped"
    RECEIVED = "received"
    INSPECTED = "inspected"
    CANCEL = "cancel"
    REFUNDED = "refunded"  # the refund's legs all succeeded (system)
    REPLACED = "replaced"  # the replacement shipped (system)
    DIFFERENCE_DUE = "difference-due"  # the replacement costs more: the shopper pays the difference (system)
    DIFFERENCE_PAID = "difference-paid"  # the difference was paid: the replacement is released (system)
    NOT_REPLACEABLE = "not-replaceable"  # no stock, or the difference not paid: refund the returned units (system)
    ESCALATE = "escalate"  # the policy at the decision's deadline (system)
    EXPIRE = "expire"  # a deadline passed with nothing to decide (system): the rejection stands, return not shipped
    CLOSE = "close"  # nothing is left to refund (it went back another way meanwhile): the case ends (system)


class CaseReason(StrEnum):
    """Why the shopper asks (a stable code list; free text goes with it)."""

    NOT_RECEIVED = "not_received"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    MISSING_PARTS = "missing_parts"
    SIZE_OR_FIT = "size_or_fit"
    CHANGED_MIND = "changed_mind"  # 7 days without reason (seed 003, PRC consumer law art. 25)
    OTHER = "other"


TERMINAL = frozenset({CaseStatus.RESOLVED, CaseStatus.CANCELLED, CaseStatus.CLOSED})
# Cases whose claimed units still count against what the line can be claimed for.
RELEASES_CLAIM = frozenset({CaseStatus.CANCELLED, CaseStatus.CLOSED})

# The steps whose wait has a deadline (the flow's timeout), by the template parameter that sets it.
DEADLINES: Mapping[CaseStep, str] = {
    CaseStep.DECISION: "review",
    CaseStep.DISPUTE: "dispute",
    CaseStep.RETURN_SHIPMENT: "returnShip",
    CaseStep.INSPECTION: "inspect",
    CaseStep.DIFFERENCE: "differencePay",
}

# Who may take each action (roles; the shopper acts on their own case only, staff within their scope).
SHOPPER_ACTIONS = frozenset({CaseAction.DISPUTE, CaseAction.RETURN_SHIPPED, CaseAction.CANCEL})
SYSTEM_ACTIONS = frozenset(
    {
        CaseAction.REFUNDED,
        CaseAction.REPLACED,
        CaseAction.ESCALATE,
        CaseAction.EXPIRE,
        CaseAction.CLOSE,
        CaseAction.DIFFERENCE_DUE,
        CaseAction.DIFFERENCE_PAID,
        CaseAction.NOT_REPLACEABLE,
    }
)


class CaseNotWaiting(Conflict):
    slug = "case-not-waiting"
    title = "The case is not waiting for this step"


class ClaimExceeded(Conflict):
    slug = "claim-exceeded"
    title = "More units than can still be claimed"


class NotReturnable(Conflict):
    slug = "not-returnable"
    title = "These goods cannot be claimed this way now"


@dataclass(frozen=True)
class Move:
    """Where an action leads: the new status and the step the case then waits for."""

    status: CaseStatus
    step: CaseStep


def _approved(kind: CaseType) -> Move:
    if kind is CaseType.REFUND_ONLY:
        return Move(CaseStatus.REFUNDING, CaseStep.REFUND)
    return Move(CaseStatus.AWAITING_RETURN, CaseStep.RETURN_SHIPMENT)


def _inspected(kind: CaseType) -> Move:
    if kind is CaseType.EXCHANGE:
        return Move(CaseStatus.EXCHANGING, CaseStep.REPLACEMENT)
    return Move(CaseStatus.REFUNDING, CaseStep.REFUND)


# step -> the actions it accepts
ACCEPTS: Mapping[CaseStep, frozenset[CaseAction]] = {
    CaseStep.DECISION: frozenset({CaseAction.APPROVE, CaseAction.REJECT, CaseAction.ESCALATE, CaseAction.CANCEL}),
    CaseStep.ARBITRATION: frozenset({CaseAction.ARBITRATE_APPROVE, CaseAction.ARBITRATE_REJECT, CaseAction.CANCEL}),
    CaseStep.DISPUTE: frozenset({CaseAction.DISPUTE, CaseAction.EXPIRE, CaseAction.CANCEL}),
    CaseStep.RETURN_SHIPMENT: frozenset(
        {CaseAction.RETURN_SHIPPED, CaseAction.RECEIVED, CaseAction.EXPIRE, CaseAction.CANCEL}
    ),
    CaseStep.RECEIPT: frozenset({CaseAction.RECEIVED}),
    CaseStep.INSPECTION: frozenset({CaseAction.INSPECTED}),
    CaseStep.REFUND: frozenset({CaseAction.REFUNDED, CaseAction.CLOSE}),
    CaseStep.REPLACEMENT: frozenset({CaseAction.REPLACED, CaseAction.DIFFERENCE_DUE, CaseAction.NOT_REPLACEABLE}),
    CaseStep.DIFFERENCE: frozenset({CaseAction.DIFFERENCE_PAID, CaseAction.EXPIRE}),
    CaseStep.DONE: frozenset(),
}


def move(kind: CaseType, step: CaseStep, action: CaseAction, *, disputed: bool = False) -> Move:
    """Where `action` at `step` leads a case of `kind`; `CaseNotWaiting` when the step does not take it
    (the case moved on, or never waits for it). `disputed`: the shopper already disputed once."""
    if action not in ACCEPTS[step]:
        raise CaseNotWaiting(
            f"the case waits for {step.value}: {action.value} is not possible now", step=step.value, action=action.value
        )
    if action is CaseAction.CANCEL:
        return Move(CaseStatus.CANCELLED, CaseStep.DONE)
    if action in (CaseAction.APPROVE, CaseAction.ARBITRATE_APPROVE):
        return _approved(kind)
    if action is CaseAction.REJECT:
        # A rejection can be disputed once: after a dispute the platform has decided, and it is final.
        return Move(CaseStatus.REJECTED, CaseStep.DONE if disputed else CaseStep.DISPUTE)
    if action is CaseAction.ARBITRATE_REJECT:
        return Move(CaseStatus.REJECTED, CaseStep.DONE)
    if action in (CaseAction.DISPUTE, CaseAction.ESCALATE):
        if action is CaseAction.DISPUTE and disputed:
            raise CaseNotWaiting("a rejection can be disputed once", step=step.value, action=action.value)
        return Move(CaseStatus.ESCALATED, CaseStep.ARBITRATION)
    if action is CaseAction.CLOSE:
        return Move(CaseStatus.CLOSED, CaseStep.DONE)
    if action is CaseAction.DIFFERENCE_DUE:
        return Move(CaseStatus.EXCHANGING, CaseStep.DIFFERENCE)
    if action is CaseAction.DIFFERENCE_PAID:
        return Move(CaseStatus.EXCHANGING, CaseStep.REPLACEMENT)
    if action is CaseAction.NOT_REPLACEABLE or (action is CaseAction.EXPIRE and step is CaseStep.DIFFERENCE):
        return Move(CaseStatus.REFUNDING, CaseStep.REFUND)  # the exchange becomes a refund of the returned units
    if action is CaseAction.EXPIRE:
        if step is CaseStep.DISPUTE:
            return Move(CaseStatus.REJECTED, CaseStep.DONE)  # not disputed in time: the rejection stands
        return Move(CaseStatus.CLOSED, CaseStep.DONE)  # the return was not shipped in time
    if action is CaseAction.RETURN_SHIPPED:
        return Move(CaseStatus.RETURN_SHIPPED, CaseStep.RECEIPT)
    if action is CaseAction.RECEIVED:
        return Move(CaseStatus.RECEIVED, CaseStep.INSPECTION)
    if action is CaseAction.INSPECTED:
        return _inspected(kind)
    # REFUNDED, REPLACED
    return Move(CaseStatus.RESOLVED, CaseStep.DONE)


# ---------------------------------------------------------------- the store's policy at the deadline
@dataclass(frozen=True)
class CasePolicy:
    """What happens when staff do not decide within the review deadline: refund-only cases up to
    `auto_approve_refund_only_up_to` (and every return or exchange when `auto_approve_returns`) are
    approved, as the big marketplaces do; the others are escalated to platform support."""

    auto_approve_refund_only_up_to: Money | None = None
    auto_approve_returns: bool = True

    def on_review_timeout(self, kind: CaseType, amount: Money) -> CaseAction:
        if kind is CaseType.REFUND_ONLY:
            limit = self.auto_approve_refund_only_up_to
            ok = limit is not None and limit.currency == amount.currency and amount.amount <= limit.amount
            return CaseAction.APPROVE if ok else CaseAction.ESCALATE
        return CaseAction.APPROVE if self.auto_approve_returns else CaseAction.ESCALATE


DEFAULT_POLICY = CasePolicy(auto_approve_refund_only_up_to=Money(20000, "CNY"), auto_approve_returns=True)


# ---------------------------------------------------------------- what can be claimed
@dataclass(frozen=True)
class Claim:
    """Units of one line of a child order a case asks for."""

    line_no: int
    quantity: int


@dataclass(frozen=True)
class ClaimContext:
    """What a child order holds for claims: units per line (paid), shipped per line, and what other live
    cases already claim per line."""

    paid: Mapping[int, int]
    shipped: Mapping[int, int]
    claimed: Mapping[int, int] = field(default_factory=dict)


def check_claims(kind: CaseType, claims: Iterable[Claim], context: ClaimContext, *, delivered: bool) -> None:
    """Refuse a claim for a line the child does not hold, more units than can still be claimed (what was
    paid, for a refund-only case; what was shipped and delivered, for a return or exchange; less what other
    cases claim), or a return of goods not delivered yet."""
    seen: set[int] = set()
    over = []
    for claim in claims:
        if claim.quantity <= 0:
            raise InvalidRequest("a claimed quantity is at least 1", field="lines")
        if claim.line_no in seen:
            raise InvalidRequest(f"line {claim.line_no} is claimed twice", field="lines")
        seen.add(claim.line_no)
        if claim.line_no not in context.paid:
            raise InvalidRequest(f"line {claim.line_no} is not in this child order", field="lines")
        if kind is CaseType.REFUND_ONLY:
            limit = context.paid[claim.line_no]
        else:
            if not delivered:
                raise NotReturnable(
                    "a return or exchange is asked for once the goods are delivered; before that, ask for a refund",
                    caseType=kind.value,
                )
            limit = context.shipped.get(claim.line_no, 0)
        free = limit - context.claimed.get(claim.line_no, 0)
        if claim.quantity > free:
            over.append({"lineNo": claim.line_no, "requested": claim.quantity, "claimable": max(free, 0)})
    if not seen:
        raise InvalidRequest("a case claims at least one line", field="lines")
    if over:
        text = ", ".join(f"line {o['lineNo']}: {o['requested']} asked, {o['claimable']} claimable" for o in over)
        raise ClaimExceeded(f"more units than can still be claimed ({text})", over=over)


@dataclass(frozen=True)
class Inspection:
    """The merchant's verdict per returned line: units fit to sell again, and damaged units."""

    line_no: int
    restockable: int
    damaged: int


def check_inspection(claims: Iterable[Claim], verdicts: Iterable[Inspection]) -> None:
    """Every returned unit is judged exactly once: restockable + damaged = the units claimed per line."""
    claimed = {c.line_no: c.quantity for c in claims}
    judged: dict[int, int] = {}
    for verdict in verdicts:
        if verdict.restockable < 0 or verdict.damaged < 0:
            raise InvalidRequest("inspected quantities are not negative", field="lines")
        if verdict.line_no not in claimed:
            raise InvalidRequest(f"line {verdict.line_no} was not returned in this case", field="lines")
        if verdict.line_no in judged:
            raise InvalidRequest(f"line {verdict.line_no} is inspected twice", field="lines")
        judged[verdict.line_no] = verdict.restockable + verdict.damaged
    wrong = [n for n, q in claimed.items() if judged.get(n) != q]
    if wrong:
        raise InvalidRequest(
            "every returned unit is judged once: restockable + damaged must equal the units returned "
            f"(lines {', '.join(map(str, wrong))})",
            field="lines",
        )


def accept_all(claims: Iterable[Claim]) -> list[Inspection]:
    """The inspection's deadline passed: every returned unit is accepted as restockable."""
    return [Inspection(c.line_no, c.quantity, 0) for c in claims]


# ---------------------------------------------------------------- exchanges
@dataclass(frozen=True)
class Replacement:
    """What an exchange asks for one claimed line: the SKU to send instead (the same, or another SKU of the
    same product)."""

    line_no: int
    sku_id: str


def check_replacements(
    kind: CaseType,
    claims: Iterable[Claim],
    replacements: Iterable[Replacement],
    *,
    product_of_line: Mapping[int, str],
    product_of_sku: Mapping[str, str | None],
) -> None:
    """An exchange names one replacement per claimed line, a SKU that exists and belongs to the product of
    the line's SKU; other case types name none. `product_of_sku`: the product of each named SKU (None:
    no such SKU)."""
    wanted = list(replacements)
    if kind is not CaseType.EXCHANGE:
        if wanted:
            raise InvalidRequest("only an exchange names replacements", field="replacements")
        return
    claimed = {c.line_no for c in claims}
    named: dict[int, str] = {}
    for replacement in wanted:
        if replacement.line_no in named:
            raise InvalidRequest(f"line {replacement.line_no} has two replacements", field="replacements")
        if replacement.line_no not in claimed:
            raise InvalidRequest(f"line {replacement.line_no} is not claimed by this exchange", field="replacements")
        named[replacement.line_no] = replacement.sku_id
    missing = sorted(claimed - named.keys())
    if missing:
        raise InvalidRequest(
            f"an exchange names a replacement for every claimed line (missing: {', '.join(map(str, missing))})",
            field="replacements",
        )
    for line_no, sku_id in sorted(named.items()):
        product = product_of_sku.get(sku_id)
        if product is None:
            raise InvalidRequest(f"SKU {sku_id} does not exist", field="replacements")
        if product != product_of_line.get(line_no):
            raise InvalidRequest(
                f"line {line_no}'s replacement {sku_id} is another product: an exchange sends the same SKU or "
                "another variant of the same product",
                field="replacements",
            )


def price_difference(new_unit: Money, returned_unit: Money, quantity: int) -> Money:
    """What an exchanged line costs more (positive: the shopper pays it) or less (negative: refunded): the
    replacement SKU's current unit price less the returned line's unit price, times the units."""
    if new_unit.currency != returned_unit.currency:
        raise InvalidRequest(
            f"the replacement is priced in {new_unit.currency}, the order in {returned_unit.currency}",
            field="replacements",
        )
    return Money((new_unit.amount - returned_unit.amount) * quantity, new_unit.currency)


@dataclass(frozen=True)
class CaseRequest:
    """What a shopper (or support) asks for when opening a case (the route's validated body)."""

    child_order_id: str
    case_type: CaseType
    lines: tuple[Claim, ...]
    reason: CaseReason
    note: str | None
    requested_amount: Money | None
    to_balance: bool
    evidence: tuple[str, ...]
    replacements: tuple[Replacement, ...] = ()  # an exchange: what to send instead of each claimed line


class RefundNotSettled(Exception):
    """A leg of the case's refund is still on its way (the flow retries, then waits for RefundSucceeded)."""
