"""Splitting a placed order into child orders. Pure and deterministic: same lines, same children.

Rules, applied in this order:

1. **Merchant, warehouse, border, handling.** Lines are grouped by merchant (`store_id`, first-seen
   order), then by warehouse (first-seen order within the merchant), then domestic before cross-border
   (never mixed in one child), then handling: the NORMAL lines of a group share one child; every
   FRAGILE, BULKY or HAZARDOUS line ships alone; the VIRTUAL lines of a group share one child (delivered as
   codes, links or services, never in a parcel). Handling never splits a line.
2. **Cross-border limit.** A cross-border group whose total, in the limit's currency, is over the
   per-order limit (5000 CNY) is packed first-fit-decreasing into as few children as that packing
   gives, each within the limit; a line may then be split by quantity. Each amount and points key of
   such a line is split over its parts by largest remainder with the parts' quantities as weights
   (`allocate`), so the parts sum exactly to the line. Groups within the limit stay whole.
3. **Numbering.** `child_no` is 1..n in the order produced: merchant, warehouse, domestic before
   cross-border, normal before special handling, then packing order.

Why a packed child stays within the limit. Let a line of quantity q have amounts `a_k`; its total is
T = original + shipping − goodsDiscount − shippingDiscount − pointsValue. Packing sizes each unit of
the line by the per-unit bound

    u = ceil(original / q) + ceil(shipping / q) − floor(goodsDiscount / q) − floor(shippingDiscount / q)
        − floor(pointsValue / q)

and keeps every child's `load` (the sum of its units' u, in the order currency) such that
`convert(load) <= limit`. A part of p units gets, for each key, `allocate`'s largest-remainder share,
which is floor(a_k·p/q) or ceil(a_k·p/q). So the part's total t is at most
Σ₊ ceil(a_k·p/q) − Σ₋ floor(a_k·p/q) ≤ Σ₊ p·ceil(a_k/q) − Σ₋ p·floor(a_k/q) = p·u (using
ceil(p·x) ≤ p·ceil(x) and floor(p·x) ≥ p·floor(x)). A child's total is the sum of its parts' totals,
hence ≤ its load, and the converter is monotone (a rate times the amount, rounded once), hence the
child's converted total ≤ convert(load) ≤ limit. The bound is never looser than the simpler
ceil(T / q) + 5: u − T/q is a sum of five fractional roundings, each < 1, so u ≤ ceil(T/q) + 4; for a
one-unit line u = T exactly, so a lone 4999.99 item is never refused. A unit whose u alone converts to more
than the limit cannot be shipped: `CrossBorderLimitExceeded` (422). The packer re-checks every child
after splitting and raises `AssertionError` if the bound ever failed (a bug, never a request error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from oms.domain.errors import InvalidRequest
from oms.domain.fx import FxRate, Rounding
from oms.domain.money import SUPPORTED_CURRENCIES, Money, allocate


class HandlingClass(StrEnum):
    NORMAL = "normal"
    FRAGILE = "fragile"
    BULKY = "bulky"
    HAZARDOUS = "hazardous"
    VIRTUAL = "virtual"  # virtual goods (oms.domain.virtual_goods): delivered as codes, links or services


AMOUNT_KEYS = ("original", "shipping", "goodsDiscount", "shippingDiscount", "pointsValue", "balance")
POINT_KEYS = ("pointsRequired", "pointsRedeemed", "pointsEarned")

_HANDLING_VALUES = tuple(h.value for h in HandlingClass)
_ADDED = ("original", "shipping")  # add to a line's total
_DEDUCTED = ("goodsDiscount", "shippingDiscount", "pointsValue")  # take from it; balance only pays it

# China's per-transaction limit for cross-border e-commerce retail imports.
DEFAULT_CROSS_BORDER_LIMIT = Money(500000, "CNY")


def _money_total(amounts: Mapping[str, int]) -> int:
    return sum(amounts[key] for key in _ADDED) - sum(amounts[key] for key in _DEDUCTED)


def _frozen(values: Mapping[str, int], keys: Sequence[str]) -> Mapping[str, int]:
    return MappingProxyType({key: values[key] for key in keys})


@dataclass(frozen=True, slots=True)
class SplitLine:
    """One line of the placed order, as the splitter needs it (amounts in the order currency)."""

    line_no: int
    sku_id: str
    store_id: str  # the merchant
    warehouse_id: str
    handling: HandlingClass
    cross_border: bool
    quantity: int  # >= 1
    amounts: Mapping[str, int]  # minor units: every AMOUNT_KEYS key, each >= 0
    points: Mapping[str, int]  # every POINT_KEYS key, each >= 0

    @property
    def total(self) -> int:
        """original + shipping − goodsDiscount − shippingDiscount − pointsValue (balance pays it)."""
        return _money_total(self.amounts)


@dataclass(frozen=True, slots=True)
class ChildPart:
    """A line, or a quantity slice of a line, inside one child order."""

    line_no: int
    sku_id: str
    quantity: int
    amounts: Mapping[str, int]
    points: Mapping[str, int]

    @property
    def total(self) -> int:
        return _money_total(self.amounts)

    def to_dict(self) -> dict[str, object]:
        return {
            "lineNo": self.line_no,
            "skuId": self.sku_id,
            "quantity": self.quantity,
            "amounts": {key: self.amounts[key] for key in AMOUNT_KEYS},
            "points": {key: self.points[key] for key in POINT_KEYS},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], path: str = "part") -> ChildPart:
        line_no = _int_field(data, "lineNo", path, minimum=1)
        sku_id = _str_field(data, "skuId", path)
        quantity = _int_field(data, "quantity", path, minimum=1)
        amounts = _counts(data.get("amounts"), AMOUNT_KEYS, f"{path}.amounts")
        points = _counts(data.get("points"), POINT_KEYS, f"{path}.points")
        return cls(line_no, sku_id, quantity, amounts, points)


@dataclass(frozen=True, slots=True)
class ChildOrder:
    child_no: int  # 1..n in the order produced
    store_id: str
    warehouse_id: str
    handling: HandlingClass
    cross_border: bool
    parts: tuple[ChildPart, ...]

    def total(self) -> int:
        return sum(part.total for part in self.parts)

    def amount(self, key: str) -> int:
        if key not in AMOUNT_KEYS:
            raise KeyError(key)
        return sum(part.amounts[key] for part in self.parts)

    def points_of(self, key: str) -> int:
        if key not in POINT_KEYS:
            raise KeyError(key)
        return sum(part.points[key] for part in self.parts)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready (integers, strings, booleans)."""
        return {
            "childNo": self.child_no,
            "storeId": self.store_id,
            "warehouseId": self.warehouse_id,
            "handling": self.handling.value,
            "crossBorder": self.cross_border,
            "total": self.total(),
            "parts": [part.to_dict() for part in self.parts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ChildOrder:
        """Reads `to_dict` back; `total` is derived, so it is recomputed rather than read."""
        child_no = _int_field(data, "childNo", "child", minimum=1)
        store_id = _str_field(data, "storeId", "child")
        warehouse_id = _str_field(data, "warehouseId", "child")
        handling = _handling(data.get("handling"), "child.handling")
        cross_border = data.get("crossBorder")
        if type(cross_border) is not bool:
            raise InvalidRequest("child crossBorder must be a boolean", field="child.crossBorder")
        parts = data.get("parts")
        if not isinstance(parts, list) or not parts:
            raise InvalidRequest("a child order needs a non-empty list of parts", field="child.parts")
        read = []
        for index, part in enumerate(parts):
            if not isinstance(part, Mapping):
                raise InvalidRequest("a child part must be an object", field=f"child.parts[{index}]")
            read.append(ChildPart.from_dict(part, f"child.parts[{index}]"))
        return cls(child_no, store_id, warehouse_id, handling, cross_border, tuple(read))


class CrossBorderLimitExceeded(InvalidRequest):
    """One unit of a cross-border SKU alone is over the per-order limit: no split can ship it."""

    slug = "cross-border-limit-exceeded"
    title = "Over the cross-border order limit"

    def __init__(self, sku_id: str, limit: Money) -> None:
        super().__init__(
            f"one unit of {sku_id} is over the cross-border per-order limit of {limit.display()}",
            skuId=sku_id,
            limit=limit.to_dict(),
        )


def limit_converter(rate: FxRate) -> Callable[[int], int]:
    """A `to_limit_currency` from a frozen rate (order currency → limit currency), rounding up."""

    def convert(amount: int) -> int:
        return rate.convert(Money(amount, rate.base), rounding=Rounding.CEILING).amount

    return convert


# ---------------------------------------------------------------- validation and reading


def _int_field(data: Mapping[str, object], key: str, path: str, *, minimum: int) -> int:
    value = data.get(key)
    if type(value) is not int or value < minimum:
        raise InvalidRequest(f"{key} must be an integer >= {minimum}", field=f"{path}.{key}")
    return value


def _str_field(data: Mapping[str, object], key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{key} must be a non-empty string", field=f"{path}.{key}")
    return value


def _handling(value: object, path: str) -> HandlingClass:
    if isinstance(value, str) and value in _HANDLING_VALUES:
        return HandlingClass(value)
    raise InvalidRequest("handling must be one of " + ", ".join(_HANDLING_VALUES), field=path)


def _counts(values: object, keys: Sequence[str], path: str) -> Mapping[str, int]:
    """Exactly `keys`, each an integer >= 0: an unknown key would silently drop out of every sum."""
    if not isinstance(values, Mapping):
        raise InvalidRequest(f"{path} must be an object with keys " + ", ".join(keys), field=path)
    for key in keys:
        value = values.get(key)
        if type(value) is not int or value < 0:
            raise InvalidRequest(f"{key} must be an integer >= 0", field=f"{path}.{key}")
    for key in values:
        if key not in keys:
            raise InvalidRequest(f"unknown key {key!r}", field=f"{path}.{key}")
    return _frozen(values, keys)


def _validate(lines: Sequence[SplitLine], currency: str) -> list[SplitLine]:
    """The lines with handling coerced to `HandlingClass` and frozen copies of their mappings."""
    if currency not in SUPPORTED_CURRENCIES:
        raise InvalidRequest(f"unsupported currency {currency!r}", field="currency")
    if not lines:
        raise InvalidRequest("an order to split needs at least one line", field="lines")
    seen: set[int] = set()
    result = []
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        if type(line.line_no) is not int or line.line_no < 1:
            raise InvalidRequest("lineNo must be an integer >= 1", field=f"{path}.lineNo")
        if line.line_no in seen:
            raise InvalidRequest(f"duplicate lineNo {line.line_no}", field=f"{path}.lineNo")
        seen.add(line.line_no)
        for name, value in (("skuId", line.sku_id), ("storeId", line.store_id), ("warehouseId", line.warehouse_id)):
            if not isinstance(value, str) or not value:
                raise InvalidRequest(f"{name} must be a non-empty string", field=f"{path}.{name}")
        handling = _handling(line.handling, f"{path}.handling")
        if type(line.cross_border) is not bool:
            raise InvalidRequest("crossBorder must be a boolean", field=f"{path}.crossBorder")
        if type(line.quantity) is not int or line.quantity < 1:
            raise InvalidRequest("quantity must be an integer >= 1", field=f"{path}.quantity")
        amounts = _counts(line.amounts, AMOUNT_KEYS, f"{path}.amounts")
        points = _counts(line.points, POINT_KEYS, f"{path}.points")
        if _money_total(amounts) < 0:
            raise InvalidRequest("a line's total must not be negative", field=f"{path}.amounts")
        result.append(
            SplitLine(
                line_no=line.line_no,
                sku_id=line.sku_id,
                store_id=line.store_id,
                warehouse_id=line.warehouse_id,
                handling=handling,
                cross_border=line.cross_border,
                quantity=line.quantity,
                amounts=amounts,
                points=points,
            )
        )
    return result


# ---------------------------------------------------------------- grouping and packing


@dataclass(frozen=True, slots=True)
class _Group:
    """Lines that may share a child: one merchant, one warehouse, one border, one handling."""

    store_id: str
    warehouse_id: str
    cross_border: bool
    handling: HandlingClass
    lines: tuple[SplitLine, ...]


def _groups(lines: Sequence[SplitLine]) -> list[_Group]:
    buckets: dict[tuple[str, str], list[SplitLine]] = {}
    for store_id in dict.fromkeys(line.store_id for line in lines):  # merchants, first seen first
        for line in lines:
            if line.store_id == store_id:  # warehouses in first-seen order within the merchant
                buckets.setdefault((store_id, line.warehouse_id), []).append(line)
    groups = []
    for (store_id, warehouse_id), bucket in buckets.items():
        for cross_border in (False, True):
            same_border = [line for line in bucket if line.cross_border is cross_border]
            normal = tuple(line for line in same_border if line.handling is HandlingClass.NORMAL)
            if normal:
                groups.append(_Group(store_id, warehouse_id, cross_border, HandlingClass.NORMAL, normal))
            virtual = tuple(line for line in same_border if line.handling is HandlingClass.VIRTUAL)
            if virtual:  # delivered together, never in a parcel
                groups.append(_Group(store_id, warehouse_id, cross_border, HandlingClass.VIRTUAL, virtual))
            for line in same_border:
                if line.handling not in (HandlingClass.NORMAL, HandlingClass.VIRTUAL):  # ships alone
                    groups.append(_Group(store_id, warehouse_id, cross_border, line.handling, (line,)))
    return groups


def _unit_bound(line: SplitLine) -> int:
    """Upper bound on the total of any p-unit part of the line, divided by p (module docstring)."""
    q = line.quantity
    return sum(-(-line.amounts[key] // q) for key in _ADDED) - sum(line.amounts[key] // q for key in _DEDUCTED)


@dataclass(slots=True)
class _Bin:
    load: int = 0  # order-currency upper bound of the child's total
    units: dict[int, int] = field(default_factory=dict)  # line position in the group → units


class _Limit:
    def __init__(self, limit: Money, convert: Callable[[int], int]) -> None:
        self.limit = limit
        self._convert = convert

    def converted(self, amount: int) -> int:
        value = self._convert(amount)
        if type(value) is not int:
            raise TypeError("to_limit_currency must return an integer number of minor units")
        return value

    def fits(self, amount: int) -> bool:
        return self.converted(amount) <= self.limit.amount

    def most_units(self, load: int, bound: int, available: int) -> int:
        """The most units of size `bound` (≤ available) that fit on top of `load`; fits is monotone."""
        low, high = 0, available
        while low < high:
            middle = (low + high + 1) // 2
            if self.fits(load + middle * bound):
                low = middle
            else:
                high = middle - 1
        return low


def _pack(group: _Group, limit: _Limit) -> list[_Bin]:
    """First-fit decreasing over the group's units, each sized by its line's unit bound."""
    bounds = [_unit_bound(line) for line in group.lines]
    for line, bound in zip(group.lines, bounds, strict=True):
        if not limit.fits(bound):
            raise CrossBorderLimitExceeded(line.sku_id, limit.limit)
    bins: list[_Bin] = []
    # Larger units first; a line's units are consecutive, ties keep the line order.
    for position in sorted(range(len(group.lines)), key=lambda i: (-bounds[i], i)):
        bound, left = bounds[position], group.lines[position].quantity
        for target in bins:  # first fit: each earlier bin takes as many units as still fit
            if not left:
                break
            take = limit.most_units(target.load, bound, left)
            if take:
                target.load += take * bound
                target.units[position] = take
                left -= take
        while left:
            take = limit.most_units(0, bound, left)  # >= 1: one unit fits alone, checked above
            bins.append(_Bin(take * bound, {position: take}))
            left -= take
    return bins


def _shares(values: Mapping[str, int], keys: Sequence[str], weights: list[int]) -> list[Mapping[str, int]]:
    split = {key: allocate(values[key], weights) for key in keys}
    return [MappingProxyType({key: split[key][n] for key in keys}) for n in range(len(weights))]


def _packed_children(group: _Group, limit: _Limit) -> list[tuple[ChildPart, ...]]:
    bins = _pack(group, limit)
    parts: list[dict[int, ChildPart]] = [{} for _ in bins]
    for position, line in enumerate(group.lines):
        holders = [n for n, target in enumerate(bins) if position in target.units]
        weights = [bins[n].units[position] for n in holders]
        amounts = _shares(line.amounts, AMOUNT_KEYS, weights)
        points = _shares(line.points, POINT_KEYS, weights)
        for k, n in enumerate(holders):
            parts[n][position] = ChildPart(line.line_no, line.sku_id, weights[k], amounts[k], points[k])
    children = []
    for target, by_position in zip(bins, parts, strict=True):
        child = tuple(by_position[position] for position in sorted(by_position))  # line order
        child_total = sum(part.total for part in child)
        if child_total > target.load or not limit.fits(child_total):  # the bound is proved; a failure is a bug
            raise AssertionError(f"packed child total {child_total} is over its bound {target.load}")
        children.append(child)
    return children


def _same_currency(amount: int) -> int:
    return amount


def _whole(line: SplitLine) -> ChildPart:
    return ChildPart(line.line_no, line.sku_id, line.quantity, line.amounts, line.points)


def split_order(
    lines: Sequence[SplitLine],
    *,
    currency: str,
    cross_border_limit: Money = DEFAULT_CROSS_BORDER_LIMIT,
    to_limit_currency: Callable[[int], int] | None = None,
) -> tuple[ChildOrder, ...]:
    """Split a placed order's lines into child orders by the rules of this module's docstring.

    Amounts are minor units of `currency`. `to_limit_currency` converts such an amount to minor units
    of the limit's currency; it must be monotone (the order's frozen rate, rounding up:
    `limit_converter(rate)`). It is needed only when a cross-border line exists and `currency` is not
    the limit's currency (else `InvalidRequest`, reason "fx-rate-missing"); in the limit's own currency
    amounts are compared as they are. Bad input raises `InvalidRequest` with a field path; a unit that
    alone is over the limit raises `CrossBorderLimitExceeded`.
    """
    if cross_border_limit.amount <= 0:
        raise ValueError("the cross-border limit must be positive")
    checked = _validate(lines, currency)
    convert = to_limit_currency
    if currency == cross_border_limit.currency:
        convert = _same_currency
    elif convert is None:
        if any(line.cross_border for line in checked):
            raise InvalidRequest(
                f"a cross-border order in {currency} needs a rate to {cross_border_limit.currency} for its limit",
                field="fx",
                reason="fx-rate-missing",
            )
        convert = _same_currency  # never called: only cross-border groups are measured
    limit = _Limit(cross_border_limit, convert)
    children: list[ChildOrder] = []
    for group in _groups(checked):
        whole = tuple(_whole(line) for line in group.lines)
        if group.cross_border and not limit.fits(sum(line.total for line in group.lines)):
            packed = _packed_children(group, limit)
        else:
            packed = [whole]
        for parts in packed:
            children.append(
                ChildOrder(
                    child_no=len(children) + 1,
                    store_id=group.store_id,
                    warehouse_id=group.warehouse_id,
                    handling=group.handling,
                    cross_border=group.cross_border,
                    parts=parts,
                )
            )
    return tuple(children)
