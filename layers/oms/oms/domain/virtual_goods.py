"""Virtual goods (seeds 004 and 000): SKUs delivered as a redemption code from a staff-uploaded pool, as a
redemption link on the store's domain, or as a service activation, and the vouchers an order's units
become when they are delivered (电商发货).

A voucher is one delivered unit. Its state machine (illegal moves are 409s):

    code     PENDING_VERIFICATION ──verify──► VERIFIED
    link     PENDING_REDEMPTION ──redeem──► PENDING_VERIFICATION ──verify──► VERIFIED
    service  PENDING_ACTIVATION ──activate (staff, or the timer at activateAt)──► ACTIVE
             (immediate activation delivers straight to ACTIVE)

and from any open state: FROZEN (staff; unfreeze returns to the state it froze), REJECTED (staff refuse the
unit, with a reason; it is refunded), PENDING_AFTER_SALES (a case on its line is open; it returns when the
case ends without a refund), REVOKED (its unit was refunded: the code, link or service stops working).
VERIFIED is final for a code (it was used); ACTIVE can still be revoked by a refund (the service stops).

Redemption status (待兑换 / 已兑换) and verification status (待核销 / 已核销) are views of the state, so the
lists filter on them directly. Pure: no AWS, no storage."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from oms.domain.clock import to_rfc3339
from oms.domain.errors import Conflict, IllegalTransition, InvalidRequest

MAX_CODE = 128
MAX_UPLOAD_CODES = 2000
MAX_UNITS_PER_DELIVERY = 200  # units one order delivers (written in transactions of DELIVERY_CHUNK units)
DELIVERY_CHUNK = 20
DEFAULT_LOW_POOL = 10
CODE = re.compile(r"^[\x21-\x7e]{4,128}$")  # printable ASCII, no spaces


class DeliveryKind(StrEnum):
    CODE = "code"  # a code from the SKU's pool
    LINK = "link"  # a generated redemption link on the store's redemption domain
    SERVICE = "service"  # a service activated on the buyer's account


class Activation(StrEnum):
    IMMEDIATE = "immediate"
    MANUAL = "manual"
    DELAYED = "delayed"


class VoucherState(StrEnum):
    PENDING_REDEMPTION = "PENDING_REDEMPTION"
    PENDING_VERIFICATION = "PENDING_VERIFICATION"
    VERIFIED = "VERIFIED"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    REJECTED = "REJECTED"
    PENDING_AFTER_SALES = "PENDING_AFTER_SALES"
    REVOKED = "REVOKED"


V = VoucherState
OPEN = frozenset({V.PENDING_REDEMPTION, V.PENDING_VERIFICATION, V.PENDING_ACTIVATION, V.ACTIVE})
TRANSITIONS: dict[VoucherState, frozenset[VoucherState]] = {
    V.PENDING_REDEMPTION: frozenset({V.PENDING_VERIFICATION, V.FROZEN, V.REJECTED, V.PENDING_AFTER_SALES, V.REVOKED}),
    V.PENDING_VERIFICATION: frozenset({V.VERIFIED, V.FROZEN, V.REJECTED, V.PENDING_AFTER_SALES, V.REVOKED}),
    V.PENDING_ACTIVATION: frozenset({V.ACTIVE, V.FROZEN, V.REJECTED, V.PENDING_AFTER_SALES, V.REVOKED}),
    V.ACTIVE: frozenset({V.FROZEN, V.PENDING_AFTER_SALES, V.REVOKED}),
    V.VERIFIED: frozenset(),
    # Back to where it was (`before`), or on to a refund.
    V.FROZEN: frozenset(OPEN | {V.REJECTED, V.REVOKED}),
    V.PENDING_AFTER_SALES: frozenset(OPEN | {V.REVOKED}),
    V.REJECTED: frozenset({V.REVOKED}),
    V.REVOKED: frozenset(),
}
del V


def check_transition(current: VoucherState, target: VoucherState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition("voucher", current.value, target.value)


class RedemptionStatus(StrEnum):
    PENDING = "PENDING"
    REDEEMED = "REDEEMED"


class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"


def redemption_status(kind: DeliveryKind, state: VoucherState, redeemed_at: str | None) -> RedemptionStatus | None:
    """待兑换 / 已兑换 — only links are redeemed."""
    if kind is not DeliveryKind.LINK:
        return None
    if redeemed_at is not None:
        return RedemptionStatus.REDEEMED
    return RedemptionStatus.PENDING if state is VoucherState.PENDING_REDEMPTION else None


def verification_status(state: VoucherState) -> VerificationStatus | None:
    """待核销 / 已核销 — codes, and links once redeemed."""
    if state is VoucherState.PENDING_VERIFICATION:
        return VerificationStatus.PENDING
    if state is VoucherState.VERIFIED:
        return VerificationStatus.VERIFIED
    return None


# The order's stage in the e-commerce order list: the least advanced of its vouchers' states.
STAGE_ORDER = (
    "PENDING_DELIVERY",
    VoucherState.FROZEN.value,
    VoucherState.PENDING_AFTER_SALES.value,
    VoucherState.REJECTED.value,
    VoucherState.PENDING_REDEMPTION.value,
    VoucherState.PENDING_ACTIVATION.value,
    VoucherState.PENDING_VERIFICATION.value,
    VoucherState.ACTIVE.value,
    VoucherState.VERIFIED.value,
    VoucherState.REVOKED.value,
)
PENDING_DELIVERY = "PENDING_DELIVERY"


def order_stage(states: Iterable[VoucherState], undelivered_units: int) -> str:
    """The stage the e-commerce order list files an order under."""
    if undelivered_units:
        return PENDING_DELIVERY
    values = {s.value for s in states}
    return next((stage for stage in STAGE_ORDER if stage in values), VoucherState.REVOKED.value)


@dataclass(frozen=True)
class VirtualSpec:
    """How a virtual SKU is delivered (`virtual` on the SKU)."""

    kind: DeliveryKind
    activation: Activation = Activation.IMMEDIATE  # services only
    delay_seconds: int = 0  # delayed services: after delivery, unless the delivery names a time
    low_pool_threshold: int = DEFAULT_LOW_POOL  # codes only: the alert level of the pool
    valid_days: int | None = None  # codes and links: they expire this long after delivery (None: never)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind.value}
        if self.kind is DeliveryKind.SERVICE:
            data["activation"] = self.activation.value
            if self.activation is Activation.DELAYED:
                data["delaySeconds"] = self.delay_seconds
        if self.kind is DeliveryKind.CODE:
            data["lowPoolThreshold"] = self.low_pool_threshold
        if self.valid_days is not None and self.kind is not DeliveryKind.SERVICE:
            data["validDays"] = self.valid_days
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> VirtualSpec:
        return cls(
            kind=DeliveryKind(str(data["kind"])),
            activation=Activation(str(data.get("activation") or Activation.IMMEDIATE.value)),
            delay_seconds=int(str(data.get("delaySeconds") or 0)),
            low_pool_threshold=int(str(data.get("lowPoolThreshold", DEFAULT_LOW_POOL))),
            valid_days=None if data.get("validDays") is None else int(str(data["validDays"])),
        )


def check_spec(spec: VirtualSpec) -> VirtualSpec:
    delayed = spec.kind is DeliveryKind.SERVICE and spec.activation is Activation.DELAYED
    if delayed and not 1 <= spec.delay_seconds <= 366 * 86400:
        raise InvalidRequest("a delayed activation waits 1 s to 366 days", field="virtual.delaySeconds")
    if not 0 <= spec.low_pool_threshold <= 100_000:
        raise InvalidRequest("the low-pool alert level is 0 to 100000", field="virtual.lowPoolThreshold")
    if spec.valid_days is not None and not 1 <= spec.valid_days <= 3650:
        raise InvalidRequest("codes are valid 1 to 3650 days", field="virtual.validDays")
    return spec


class CodePoolEmpty(Conflict):
    slug = "code-pool-empty"
    title = "The SKU's code pool does not hold enough codes"


class NothingToDeliver(Conflict):
    slug = "nothing-to-deliver"
    title = "The order has no virtual goods waiting for delivery"


class VoucherNotFound(Conflict):
    slug = "code-not-found"
    title = "No such code"
    status = 404


class CodeAlreadyVerified(Conflict):
    slug = "code-already-verified"
    title = "The code was verified already"


class CodeExpired(Conflict):
    slug = "code-expired"
    title = "The code has expired"


class CodeRevoked(Conflict):
    slug = "code-revoked"
    title = "The code was refunded or rejected"


class CodeNotUsable(Conflict):
    slug = "code-not-usable"
    title = "The code cannot be used now"


def verification_refusal(state: VoucherState, expires_at: str | None, now: str) -> Conflict | None:
    """Why a code cannot be verified now (None: it can)."""
    if state is VoucherState.VERIFIED:
        return CodeAlreadyVerified("this code was verified already")
    if state in (VoucherState.REVOKED, VoucherState.REJECTED):
        return CodeRevoked("this code was refunded or rejected and no longer works", state=state.value)
    if state is not VoucherState.PENDING_VERIFICATION:
        reason = {
            VoucherState.FROZEN: "the code is frozen by staff",
            VoucherState.PENDING_AFTER_SALES: "an after-sales case on the order is open",
            VoucherState.PENDING_REDEMPTION: "the link has not been redeemed yet",
        }.get(state, f"the voucher is {state.value}")
        return CodeNotUsable(reason, state=state.value)
    if expires_at is not None and expires_at <= now:
        return CodeExpired(f"the code expired at {expires_at}", expiresAt=expires_at)
    return None


def mask_code(code: str) -> str:
    """What lists show of a code: its first two and last two characters (short codes: the last one)."""
    if len(code) <= 6:
        return "*" * (len(code) - 1) + code[-1:]
    return code[:2] + "*" * (len(code) - 4) + code[-2:]


@dataclass(frozen=True)
class UploadedCode:
    code: str
    expires_at: str | None  # RFC 3339 (None: never)


@dataclass(frozen=True)
class CodeFile:
    codes: tuple[UploadedCode, ...]
    rejected: tuple[dict[str, object], ...]  # {"line", "reason"} for lines not taken


def parse_code_file(text: str, now: datetime) -> CodeFile:
    """A pool upload: one code per line, or CSV `code[,expiresAt]` with an optional header line. Blank lines
    are skipped; a malformed code, a past expiry or a code repeated in the file is rejected with its line
    number (the others are taken)."""
    codes: list[UploadedCode] = []
    rejected: list[dict[str, object]] = []
    seen: set[str] = set()
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) > MAX_UPLOAD_CODES + 1:
        raise InvalidRequest(f"one upload holds at most {MAX_UPLOAD_CODES} codes", field="body")
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        if number == 1 and cells[0].lower() == "code":
            continue
        code = cells[0]
        expires = cells[1] if len(cells) > 1 and cells[1] else None
        if not CODE.match(code):
            rejected.append({"line": number, "reason": "a code is 4 to 128 printable characters without spaces"})
            continue
        if code in seen:
            rejected.append({"line": number, "reason": "repeated in this file"})
            continue
        if expires is not None:
            try:
                moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
            except ValueError:
                rejected.append({"line": number, "reason": "expiresAt is not an RFC 3339 time"})
                continue
            if moment.tzinfo is None:
                rejected.append({"line": number, "reason": "expiresAt needs a time zone"})
                continue
            if moment <= now:
                rejected.append({"line": number, "reason": "already expired"})
                continue
            expires = to_rfc3339(moment)
        seen.add(code)
        codes.append(UploadedCode(code, expires))
    if len(codes) > MAX_UPLOAD_CODES:
        raise InvalidRequest(f"one upload holds at most {MAX_UPLOAD_CODES} codes", field="body")
    return CodeFile(tuple(codes), tuple(rejected))


def redemption_url(domain: str, token: str) -> str:
    """The link a shopper opens: on the channel store's redemption domain (http for a local host:port)."""
    scheme = "http" if domain.startswith(("127.0.0.1", "localhost")) else "https"
    return f"{scheme}://{domain}/r/{token}"
