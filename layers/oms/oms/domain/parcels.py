"""Splitting limits of seed 003 beyond the per-order customs limit: a carrier's parcel weight limit and the
yearly cross-border allowance per person. Pure and deterministic.

**Parcels.** A child order ships in parcels, each within its carrier's weight limit. The child's units are
packed first-fit decreasing by unit weight: heavier units first (ties keep the child's line order), each
unit into the first parcel it still fits in, else a new parcel. Units of one line may spread over parcels.
A unit heavier than the limit alone cannot go into any parcel: it gets a parcel of its own marked
`oversize` (the warehouse ships it as freight or by another carrier), rather than making a product
unsellable because of one carrier's setting. Without a limit a child is one parcel.

**Yearly allowance.** China allows a person 26,000 CNY of cross-border e-commerce retail imports per
calendar year (seed 003). The year is the one the order was placed in, in China time (Asia/Shanghai): the
customs year of the person. The amount an order uses is its cross-border children's totals, in CNY
(converted with the order's frozen rate, rounding up: never under-counted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money
from oms.domain.splitting import ChildOrder

# China's yearly limit per person for cross-border e-commerce retail imports.
DEFAULT_YEARLY_CROSS_BORDER_LIMIT = Money(2_600_000, "CNY")
CUSTOMS_ZONE = ZoneInfo("Asia/Shanghai")
MAX_PARCEL_WEIGHT_GRAMS = 1_000_000  # 1 t: far beyond any parcel carrier


@dataclass(frozen=True, slots=True)
class UnitsOfLine:
    """One line of a child order as packing sees it: its units and the weight of one."""

    line_no: int
    quantity: int  # >= 1
    unit_weight_grams: int  # >= 0


@dataclass(frozen=True, slots=True)
class Parcel:
    parcel_no: int  # 1..n in packing order
    lines: Mapping[int, int]  # line number -> units in this parcel (line order)
    weight_grams: int
    oversize: bool  # a single unit over the carrier's limit, alone in this parcel

    def to_dict(self, carrier: str | None, limit_grams: int | None) -> dict[str, object]:
        return {
            "parcelNo": self.parcel_no,
            "carrier": carrier,
            "weightLimitGrams": limit_grams,
            "weightGrams": self.weight_grams,
            "oversize": self.oversize,
            "lines": [{"lineNo": line, "quantity": quantity} for line, quantity in self.lines.items()],
        }


def pack_parcels(lines: Sequence[UnitsOfLine], limit_grams: int | None) -> tuple[Parcel, ...]:
    """The parcels of one child (module docstring): first-fit decreasing by unit weight; `None`: no limit."""
    if not lines:
        raise ValueError("a child order has at least one line")
    for line in lines:
        if line.quantity < 1 or line.unit_weight_grams < 0:
            raise ValueError(f"line {line.line_no}: quantity >= 1 and weight >= 0 are needed")
    if limit_grams is not None and limit_grams < 1:
        raise ValueError("a parcel weight limit is at least 1 g")
    if limit_grams is None:
        whole = {line.line_no: line.quantity for line in lines}
        return (Parcel(1, whole, sum(line.quantity * line.unit_weight_grams for line in lines), False),)
    order = {line.line_no: n for n, line in enumerate(lines)}
    loads: list[int] = []
    contents: list[dict[int, int]] = []
    oversize: list[bool] = []
    for line in sorted(lines, key=lambda line: (-line.unit_weight_grams, order[line.line_no])):
        weight, left = line.unit_weight_grams, line.quantity
        if weight > limit_grams:  # each unit alone, marked
            for _ in range(left):
                loads.append(weight)
                contents.append({line.line_no: 1})
                oversize.append(True)
            continue
        for n in range(len(loads)):  # first fit: each open parcel takes as many units as still fit
            if not left:
                break
            if oversize[n]:
                continue
            take = left if weight == 0 else min(left, (limit_grams - loads[n]) // weight)
            if take:
                loads[n] += take * weight
                contents[n][line.line_no] = contents[n].get(line.line_no, 0) + take
                left -= take
        while left:
            take = left if weight == 0 else min(left, limit_grams // weight)
            loads.append(take * weight)
            contents.append({line.line_no: take})
            oversize.append(False)
            left -= take
    return tuple(
        Parcel(n + 1, {k: units[k] for k in sorted(units, key=order.__getitem__)}, loads[n], oversize[n])
        for n, units in enumerate(contents)
    )


# ---------------------------------------------------------------- carriers


@dataclass(frozen=True, slots=True)
class CarrierSettings:
    """The carriers parcels are packed for: each one's per-parcel weight limit (None: none), the carrier
    of each store's parcels, and the carrier of the others (None: no carrier chosen, no limit)."""

    limits: Mapping[str, int | None]  # carrier code -> parcel weight limit in grams
    store_carriers: Mapping[str, str]  # store id -> carrier code
    default_carrier: str | None

    def __post_init__(self) -> None:
        named = [*self.store_carriers.values(), *([self.default_carrier] if self.default_carrier else [])]
        unknown = sorted({code for code in named if code not in self.limits})
        if unknown:
            raise InvalidRequest(f"carriers {unknown} are not configured", field="storeCarriers", carriers=unknown)
        for code, limit in self.limits.items():
            if limit is not None and not 1 <= limit <= MAX_PARCEL_WEIGHT_GRAMS:
                raise InvalidRequest(
                    f"carrier {code}: the parcel weight limit is 1..{MAX_PARCEL_WEIGHT_GRAMS} g", field="carriers"
                )

    def carrier_of(self, store_id: str) -> tuple[str | None, int | None]:
        """(carrier code, its parcel weight limit) for a store's parcels."""
        code = self.store_carriers.get(store_id, self.default_carrier)
        return code, None if code is None else self.limits.get(code)

    def to_dict(self) -> dict[str, object]:
        return {
            "carriers": [
                {"code": code, "parcelWeightLimitGrams": limit} for code, limit in sorted(self.limits.items())
            ],
            "storeCarriers": dict(sorted(self.store_carriers.items())),
            "defaultCarrier": self.default_carrier,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> CarrierSettings:
        """The stored settings (None: nothing configured, no limits)."""
        if not data:
            return NO_CARRIERS
        carriers = data.get("carriers") or []
        stores = data.get("storeCarriers") or {}
        default = data.get("defaultCarrier")
        assert isinstance(carriers, list) and isinstance(stores, Mapping)
        limits = {
            str(c["code"]): None if c.get("parcelWeightLimitGrams") is None else int(c["parcelWeightLimitGrams"])
            for c in carriers
        }
        return cls(limits, {str(k): str(v) for k, v in stores.items()}, None if default is None else str(default))


NO_CARRIERS = CarrierSettings({}, {}, None)


def plan_parcels(
    children: Sequence[ChildOrder], unit_weights: Mapping[str, int], carriers: CarrierSettings
) -> dict[int, list[dict[str, object]]]:
    """Per child number: its parcels (JSON-ready), packed for its store's carrier. A line's unit weight
    is its SKU's (`unit_weights`, grams; an unknown SKU weighs 0)."""
    plans: dict[int, list[dict[str, object]]] = {}
    for child in children:
        carrier, limit = carriers.carrier_of(child.store_id)
        units: dict[int, UnitsOfLine] = {}
        for part in child.parts:  # a line appears once in a child
            units[part.line_no] = UnitsOfLine(part.line_no, part.quantity, unit_weights.get(part.sku_id, 0))
        parcels = pack_parcels(list(units.values()), limit)
        plans[child.child_no] = [parcel.to_dict(carrier, limit) for parcel in parcels]
    return plans


# ---------------------------------------------------------------- the yearly cross-border allowance


def customs_year(placed_at: datetime) -> int:
    """The calendar year an order placed at `placed_at` (aware) counts toward: China time."""
    return placed_at.astimezone(CUSTOMS_ZONE).year


def cross_border_amounts(
    children: Sequence[ChildOrder], currency: str, to_cny: Callable[[int], int] | None, limit: Money
) -> dict[int, int]:
    """What each cross-border child uses of the yearly allowance (child number -> minor units of the
    limit's currency): its total, converted (rounding up) when the order is in another currency. Each
    child is converted alone, so a cancel of one child gives back exactly what it took."""
    amounts = {child.child_no: child.total() for child in children if child.cross_border and child.total() > 0}
    if not amounts or currency == limit.currency:
        return amounts
    if to_cny is None:
        raise InvalidRequest(
            f"a cross-border order in {currency} needs a rate to {limit.currency} for its yearly limit",
            field="fx",
            reason="fx-rate-missing",
        )
    return {child_no: to_cny(amount) for child_no, amount in amounts.items()}


def quota_record(year: int, limit: Money, amounts: Mapping[int, int]) -> dict[str, object] | None:
    """What the order records of its share (None: no cross-border goods): given back by its cancels."""
    if not amounts:
        return None
    return {
        "year": year,
        "currency": limit.currency,
        "limit": limit.amount,
        "amount": sum(amounts.values()),
        "children": {str(child_no): amount for child_no, amount in sorted(amounts.items())},
    }


class CrossBorderYearlyLimitExceeded(InvalidRequest):
    """The order would take the customer past the yearly cross-border allowance: nothing is written."""

    slug = "cross-border-yearly-limit"
    title = "Over the yearly cross-border limit"

    def __init__(self, year: int, limit: Money, used: int, amount: int) -> None:
        remaining = Money(max(limit.amount - used, 0), limit.currency)
        super().__init__(
            f"this order's cross-border goods ({Money(amount, limit.currency).display()}) are more than what is "
            f"left of the {year} allowance of {limit.display()}: {remaining.display()}",
            field="lines",
            year=year,
            limit=limit.to_dict(),
            used=Money(used, limit.currency).to_dict(),
            remaining=remaining.to_dict(),
            requested=Money(amount, limit.currency).to_dict(),
        )


def check_yearly_allowance(year: int, limit: Money, used: int, amount: int) -> None:
    """Refuse an order of `amount` when `used` of the year's allowance is already taken (boundary allowed)."""
    if amount > 0 and used + amount > limit.amount:
        raise CrossBorderYearlyLimitExceeded(year, limit, used, amount)
