"""Daily reconciliation of a payment provider's bill against our ledger (pure code).

The provider's file (Alipay's business bill, WeChat Pay's trade bill, the card processor's itemized balance
report) is parsed into `SettlementLine`s (oms.adapters.bills); our side is the ledger of the provider's
account for the same day, summed per payment and per refund into `BookedEntry`s. `reconcile` pairs them by
(kind, our reference): the payment id we sent as out_trade_no / metadata, the refund id we sent as
out_request_no / out_refund_no / refund metadata.

Day boundaries: Alipay and WeChat bill days run 00:00–24:00 China time (UTC+8), the card report is asked
for a UTC day. We book a payment when its notice arrives, which may be a little after the provider's
cut-off: our entries are read for the day widened by `GRACE` on both sides; an entry of ours inside the
day proper that the bill lacks is missing at the provider, one in the margins belongs to the neighbouring
day and is not reported here (the service also drops entries of ours that the previous day's bill holds).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from oms.domain.money import Money

CHINA = timezone(timedelta(hours=8))
GRACE = timedelta(minutes=30)
BILL_ZONES = {"alipay": CHINA, "wechat": CHINA, "card": UTC}
PROVIDERS = tuple(BILL_ZONES)


class LineKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class MatchStatus(StrEnum):
    MATCHED = "MATCHED"
    MISSING_OURS = "MISSING_OURS"  # a payment in the provider's bill we never booked
    MISSING_THEIRS = "MISSING_THEIRS"  # a payment we booked that the provider's bill lacks
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    DUPLICATE_PAYMENT = "DUPLICATE_PAYMENT"  # the bill holds the same payment more than once
    REFUND_NOT_RECONCILED = "REFUND_NOT_RECONCILED"  # a refund on one side only
    FEE_MISMATCH = "FEE_MISMATCH"  # same money, another fee


MISMATCHES = tuple(s for s in MatchStatus if s is not MatchStatus.MATCHED)


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One row of a provider's bill, in our terms. `amount` is positive for payments and refunds alike;
    `fee` is what the provider charged on the row (negative when it gave a fee back)."""

    provider: str
    provider_reference: str  # trade_no / transaction_id / charge or refund id
    payment_id: str  # OUR payment attempt id (out_trade_no, payment metadata)
    refund_id: str | None  # OUR refund id (out_request_no, out_refund_no, refund metadata) on refund rows
    kind: LineKind
    amount: Money
    fee: Money
    at: datetime  # when the provider saw it (aware)

    @property
    def reference(self) -> str:
        return self.refund_id if self.kind is LineKind.REFUND and self.refund_id else self.payment_id


@dataclass(frozen=True, slots=True)
class BookedEntry:
    """What our ledger holds about one payment or refund through the provider's account."""

    kind: LineKind
    payment_id: str
    refund_id: str | None
    order_id: str | None
    amount: Money
    fee: Money
    at: datetime  # the first booking time

    @property
    def reference(self) -> str:
        return self.refund_id if self.kind is LineKind.REFUND and self.refund_id else self.payment_id


@dataclass(frozen=True, slots=True)
class Match:
    status: MatchStatus
    kind: LineKind
    reference: str  # our payment or refund id
    theirs: SettlementLine | None
    ours: BookedEntry | None
    detail: str = ""

    @property
    def payment_id(self) -> str:
        line = self.theirs or self.ours
        return line.payment_id if line is not None else self.reference

    @property
    def order_id(self) -> str | None:
        return self.ours.order_id if self.ours is not None else order_of_payment(self.payment_id)


@dataclass(frozen=True, slots=True)
class DayWindow:
    provider: str
    day: date
    start: datetime
    end: datetime

    @property
    def wide_start(self) -> datetime:
        return self.start - GRACE

    @property
    def wide_end(self) -> datetime:
        return self.end + GRACE

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def bill_window(provider: str, day: date) -> DayWindow:
    """The UTC span of a provider's bill day (China time for Alipay and WeChat, UTC for the card report)."""
    zone = BILL_ZONES[provider]
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return DayWindow(provider, day, start, start + timedelta(days=1))


def order_of_payment(payment_id: str) -> str | None:
    """Our payment ids are the order id and a 2-digit attempt number; None for an id that is not ours."""
    if len(payment_id) == 28 and payment_id[-2:].isdigit() and payment_id[:26].isalnum():
        return payment_id[:26]
    return None


def reconcile(
    theirs: Sequence[SettlementLine],
    ours: Sequence[BookedEntry],
    window: DayWindow,
    *,
    billed_before: Iterable[tuple[LineKind, str]] = (),
) -> list[Match]:
    """Every bill row and every entry of ours inside the day, each with its status. `ours` may reach into
    the margins of the day (`GRACE`); `billed_before`: (kind, reference) of the previous day's bill, whose
    entries of ours booked just after midnight are not missing."""
    booked: dict[tuple[LineKind, str], BookedEntry] = {(e.kind, e.reference): e for e in ours}
    earlier = set(billed_before)
    results: list[Match] = []
    seen: set[tuple[LineKind, str]] = set()
    for line in sorted(theirs, key=lambda t: (t.at, t.provider_reference)):
        key = (line.kind, line.reference)
        entry = booked.get(key)
        if key in seen:
            status = (
                MatchStatus.DUPLICATE_PAYMENT if line.kind is LineKind.PAYMENT else MatchStatus.REFUND_NOT_RECONCILED
            )
            results.append(Match(status, line.kind, line.reference, line, entry, "the bill holds it more than once"))
            continue
        seen.add(key)
        if entry is None:
            if line.kind is LineKind.PAYMENT:
                results.append(Match(MatchStatus.MISSING_OURS, line.kind, line.reference, line, None, "not booked"))
            else:
                detail = "refunded by the provider, not booked by us"
                results.append(Match(MatchStatus.REFUND_NOT_RECONCILED, line.kind, line.reference, line, None, detail))
            continue
        results.append(_compare(line, entry))
    for key, entry in sorted(booked.items(), key=lambda kv: (kv[1].at, kv[0][1])):
        if key in seen or not window.holds(entry.at) or key in earlier:
            continue
        if entry.kind is LineKind.PAYMENT:
            results.append(
                Match(MatchStatus.MISSING_THEIRS, entry.kind, entry.reference, None, entry, "not in the bill")
            )
        else:
            detail = "booked by us, not in the provider's bill"
            results.append(Match(MatchStatus.REFUND_NOT_RECONCILED, entry.kind, entry.reference, None, entry, detail))
    return results


def _compare(line: SettlementLine, entry: BookedEntry) -> Match:
    def match(status: MatchStatus, detail: str = "") -> Match:
        return Match(status, line.kind, line.reference, line, entry, detail)

    if line.amount.currency != entry.amount.currency:
        return match(MatchStatus.CURRENCY_MISMATCH, f"bill {line.amount.currency}, ours {entry.amount.currency}")
    if line.amount != entry.amount:
        return match(MatchStatus.AMOUNT_MISMATCH, f"bill {line.amount.display()}, ours {entry.amount.display()}")
    if line.fee.amount != entry.fee.amount:
        return match(MatchStatus.FEE_MISMATCH, f"fee: bill {line.fee.display()}, ours {entry.fee.display()}")
    return match(MatchStatus.MATCHED)


@dataclass
class SideTotals:
    payments: int = 0
    payment_count: int = 0
    refunds: int = 0
    refund_count: int = 0
    fees: int = 0

    @property
    def net(self) -> int:
        return self.payments - self.refunds - self.fees

    def add(self, kind: LineKind, amount: int, fee: int) -> None:
        if kind is LineKind.PAYMENT:
            self.payments += amount
            self.payment_count += 1
        else:
            self.refunds += amount
            self.refund_count += 1
        self.fees += fee


@dataclass
class ChannelTotals:
    """Per currency: what the bill says and what we booked (rows counted once each), and mismatch counts."""

    provider: str
    theirs: dict[str, SideTotals] = field(default_factory=lambda: defaultdict(SideTotals))
    ours: dict[str, SideTotals] = field(default_factory=lambda: defaultdict(SideTotals))
    counts: dict[MatchStatus, int] = field(default_factory=lambda: dict.fromkeys(MatchStatus, 0))

    @property
    def mismatches(self) -> int:
        return sum(n for status, n in self.counts.items() if status is not MatchStatus.MATCHED)


def totals(provider: str, matches: Sequence[Match]) -> ChannelTotals:
    result = ChannelTotals(provider)
    counted: set[tuple[LineKind, str]] = set()
    for m in matches:
        result.counts[m.status] += 1
        if m.theirs is not None:
            t = m.theirs
            result.theirs[t.amount.currency].add(t.kind, t.amount.amount, t.fee.amount)
        if m.ours is not None and (m.kind, m.reference) not in counted:
            counted.add((m.kind, m.reference))
            o = m.ours
            result.ours[o.amount.currency].add(o.kind, o.amount.amount, o.fee.amount)
    return result


def anomaly_key(provider: str, day: date, match: Match) -> str:
    """A ULID-shaped anomaly id fixed by (provider, day, kind, reference): a re-run of the same day finds
    the case it opened instead of opening another."""
    from ulid import ULID

    digest = hashlib.sha256(f"{provider}|{day.isoformat()}|{match.kind.value}|{match.reference}".encode()).digest()
    millis = int(datetime.combine(day, time(0), UTC).timestamp() * 1000)
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))
