"""Freight templates (运费模板): a store's shipping fee from where the parcel goes and what is in it.

A template prices by weight (first grams + fee, each further step of grams + fee), by piece (first pieces
+ fee, each further step of pieces + fee) or per order (one fee: the store's flat fee, which is the
template a store without templates uses). Its rules are chosen by destination: a region is a country
(`CN`) or a province/state of one (`CN/广东`, `US/CA`); the most specific entry that matches wins
(province, then country, then the rule without regions, the catch-all). The same matching picks the
free-shipping condition (goods amount >= X or quantity >= N) and refuses excluded regions.

In one store, lines are grouped by their template (a SKU's own, else the store's default, else the flat
fee); each group is charged by its template and the store's fee is the sum (docs/shipping.md). Pure: no
AWS, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from oms.domain.errors import InvalidRequest
from oms.domain.money import Money

FLAT_TEMPLATE_ID = "flat-fee"  # the store's own flat fee and free-over threshold, as a template
CATCH_ALL = "*"  # how a frozen charge names the rule without regions
MAX_RULES = 30
MAX_REGIONS = 60  # per rule, per free-shipping condition, and excluded
MAX_TEMPLATES_PER_STORE = 10
_SUFFIXES = ("省", "市")  # "广东省" and "广东" name one province; "上海市" and "上海" one city


class FreightBasis(StrEnum):
    WEIGHT = "weight"  # units are grams (SKU weight × quantity)
    PIECE = "piece"  # units are pieces
    ORDER = "order"  # one fee for the template's lines together (the flat fee)


class ShippingRegionExcluded(InvalidRequest):
    slug = "shipping-region-excluded"
    title = "The store does not ship these items to this region"


class ShippingDestinationRequired(InvalidRequest):
    slug = "shipping-destination-required"
    title = "Shipping depends on the destination: give one"


def _norm(text: str) -> str:
    name = " ".join(text.split()).casefold()
    for suffix in _SUFFIXES:
        if len(name) > len(suffix) and name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an order ships: ISO 3166-1 alpha-2 country and the address's province/state (`region`)."""

    country: str
    region: str | None = None

    @classmethod
    def of_address(cls, address: Mapping[str, object] | None) -> Destination | None:
        if not address or not isinstance(address.get("country"), str):
            return None
        region = address.get("region")
        return cls(str(address["country"]).upper(), region if isinstance(region, str) and region.strip() else None)

    def to_dict(self) -> dict[str, object]:
        return {"country": self.country, "region": self.region}


def parse_region(entry: str, field: str = "regions") -> tuple[str, str | None]:
    """`CN` or `CN/广东` as (country, normalised province), or a 422 naming `field`."""
    country, _, province = entry.partition("/")
    if len(country) != 2 or not country.isascii() or not country.isalpha() or not country.isupper():
        raise InvalidRequest(f"a region is a country code (CN) or country/province (CN/广东): {entry!r}", field=field)
    if "/" in entry and not province.strip():
        raise InvalidRequest(f"a region's province is empty: {entry!r}", field=field)
    return country, _norm(province) if province.strip() else None


def _specificity(entry: str, destination: Destination | None) -> int:
    """2: the destination's province, 1: its country, 0: no match."""
    if destination is None:
        return 0
    country, province = parse_region(entry)
    if country != destination.country:
        return 0
    if province is None:
        return 1
    return 2 if destination.region is not None and province == _norm(destination.region) else 0


def _best(entries: Sequence[tuple[tuple[str, ...], object]], destination: Destination | None) -> tuple[str, object]:
    """The most specific (entry, thing) whose regions match; (CATCH_ALL, thing) for one without regions;
    ("", None) when nothing matches."""
    best: tuple[int, str, object] = (-1, "", None)
    for regions, thing in entries:
        if not regions:
            if best[0] < 0:
                best = (0, CATCH_ALL, thing)
            continue
        for entry in regions:
            score = _specificity(entry, destination)
            if score and score > best[0]:
                best = (score, entry, thing)
    return best[1], best[2]


@dataclass(frozen=True, slots=True)
class Steps:
    """`first` units for `first_fee`, then `additional_fee` for each further `additional` units or part
    of them (minor units of the template's currency). `additional` 0: the first fee covers any amount."""

    first: int
    first_fee: int
    additional: int = 0
    additional_fee: int = 0

    def __post_init__(self) -> None:
        for name in ("first", "first_fee", "additional", "additional_fee"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise InvalidRequest(f"{name} is a whole number >= 0", field=name)
        if self.first < 1:
            raise InvalidRequest("the first step covers at least one unit", field="first")

    def fee(self, units: int) -> int:
        if units <= self.first or self.additional == 0:
            return self.first_fee
        steps = -(-(units - self.first) // self.additional)  # each further step, or part of one
        return self.first_fee + steps * self.additional_fee

    def to_dict(self) -> dict[str, int]:
        return {
            "first": self.first,
            "firstFee": self.first_fee,
            "additional": self.additional,
            "additionalFee": self.additional_fee,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Steps:
        def number(key: str) -> int:
            value = data.get(key, 0)
            return int(value) if isinstance(value, int | float | str) else 0

        return cls(number("first"), number("firstFee"), number("additional"), number("additionalFee"))


@dataclass(frozen=True, slots=True)
class FreightRule:
    regions: tuple[str, ...]  # empty: the catch-all rule
    steps: Steps


@dataclass(frozen=True, slots=True)
class FreeShipping:
    """Free when the template's goods amount (after promotions and coupons) reaches `min_amount`, or its
    quantity reaches `min_quantity` (either given condition suffices)."""

    regions: tuple[str, ...]  # empty: everywhere else
    min_amount: int | None = None
    min_quantity: int | None = None

    def __post_init__(self) -> None:
        if self.min_amount is None and self.min_quantity is None:
            raise InvalidRequest("a free-shipping condition names an amount or a quantity", field="freeShipping")

    def met_by(self, amount: int, quantity: int) -> str | None:
        if self.min_amount is not None and amount >= self.min_amount:
            return "amount"
        if self.min_quantity is not None and quantity >= self.min_quantity:
            return "quantity"
        return None


@dataclass(frozen=True, slots=True)
class FreightItem:
    """One cart line as freight sees it."""

    sku_id: str
    template_id: str | None  # the SKU's own template (None or unknown: the store's default)
    weight_grams: int
    quantity: int
    amount: int  # goods still to pay after promotions and coupons (minor units)


@dataclass(frozen=True, slots=True)
class FreightCharge:
    """What one template charged one store's lines: frozen on the order (`PricedOrder.freight`)."""

    store_id: str
    template_id: str
    version: int
    basis: FreightBasis
    region: str  # the matched rule's entry (`CN/广东`, `CN`, or CATCH_ALL)
    units: int  # grams, pieces, or 1 (per order)
    fee: Money  # by the rule
    free_by: str | None  # "amount" / "quantity": the free-shipping condition met (fee waived)
    charged: Money
    sku_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "storeId": self.store_id,
            "templateId": self.template_id,
            "version": self.version,
            "basis": self.basis.value,
            "region": self.region,
            "units": self.units,
            "fee": self.fee.to_dict(),
            "freeBy": self.free_by,
            "charged": self.charged.to_dict(),
            "skuIds": list(self.sku_ids),
        }


@dataclass(frozen=True, slots=True)
class FreightTemplate:
    template_id: str
    name: str
    currency: str
    basis: FreightBasis
    rules: tuple[FreightRule, ...]
    free_shipping: tuple[FreeShipping, ...] = ()
    excluded: tuple[str, ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        if not self.rules:
            raise InvalidRequest("a template has at least one rule", field="rules")
        if len(self.rules) > MAX_RULES:
            raise InvalidRequest(f"a template has at most {MAX_RULES} rules", field="rules")
        if sum(1 for r in self.rules if not r.regions) > 1:
            raise InvalidRequest("a template has at most one rule without regions (the catch-all)", field="rules")
        if sum(1 for f in self.free_shipping if not f.regions) > 1:
            raise InvalidRequest("at most one free-shipping condition without regions", field="freeShipping")
        self._unique([entry for rule in self.rules for entry in rule.regions] + list(self.excluded), "rules")
        self._unique([entry for free in self.free_shipping for entry in free.regions], "freeShipping")
        if self.basis is FreightBasis.ORDER and any(r.steps.additional for r in self.rules):
            raise InvalidRequest("a per-order template has no additional steps", field="rules")

    @staticmethod
    def _unique(entries: list[str], field: str) -> None:
        seen: set[tuple[str, str | None]] = set()
        for entry in entries:
            key = parse_region(entry, field)
            if key in seen:
                raise InvalidRequest(f"region {entry!r} is named twice", field=field, region=entry)
            seen.add(key)

    def charge(self, store_id: str, items: Sequence[FreightItem], destination: Destination | None) -> FreightCharge:
        """This template's fee for `items` shipped to `destination` (None: not known yet, as in a quote
        without an address: the catch-all rule prices it)."""
        sku_ids = tuple(item.sku_id for item in items)
        rule_entries: list[tuple[tuple[str, ...], object]] = [(r.regions, r) for r in self.rules]
        region, found = _best([*rule_entries, (self.excluded, None)] if self.excluded else rule_entries, destination)
        if not isinstance(found, FreightRule):
            if destination is None:
                raise ShippingDestinationRequired(
                    f"store {store_id} prices shipping by destination: give a shipping address",
                    field="destination",
                    storeId=store_id,
                    skuIds=list(sku_ids),
                )
            where = destination.country + (f"/{destination.region}" if destination.region else "")
            raise ShippingRegionExcluded(
                f"store {store_id} does not ship {', '.join(sku_ids)} to {where}",
                field="shippingAddress",
                storeId=store_id,
                skuIds=list(sku_ids),
                destination=destination.to_dict(),
                templateId=self.template_id,
            )
        quantity = sum(item.quantity for item in items)
        units = {
            FreightBasis.WEIGHT: sum(item.weight_grams * item.quantity for item in items),
            FreightBasis.PIECE: quantity,
            FreightBasis.ORDER: 1,
        }[self.basis]
        fee = found.steps.fee(units)
        _, free = _best([(f.regions, f) for f in self.free_shipping], destination)
        free_by = free.met_by(sum(item.amount for item in items), quantity) if isinstance(free, FreeShipping) else None
        return FreightCharge(
            store_id=store_id,
            template_id=self.template_id,
            version=self.version,
            basis=self.basis,
            region=region,
            units=units,
            fee=Money(fee, self.currency),
            free_by=free_by,
            charged=Money(0 if free_by else fee, self.currency),
            sku_ids=sku_ids,
        )

    # ---- the compact form the store directory carries (and the template item's body)
    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "currency": self.currency,
            "basis": self.basis.value,
            "version": self.version,
            "rules": [{"regions": list(r.regions), **r.steps.to_dict()} for r in self.rules],
            "freeShipping": [
                {"regions": list(f.regions), "minAmount": f.min_amount, "minQuantity": f.min_quantity}
                for f in self.free_shipping
            ],
            "excluded": list(self.excluded),
        }

    @classmethod
    def from_dict(cls, template_id: str, data: Mapping[str, object]) -> FreightTemplate:
        def listed(value: object) -> list[Mapping[str, object]]:
            return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []

        def regions(value: object) -> tuple[str, ...]:
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        def optional(value: object) -> int | None:
            return None if value is None else int(value) if isinstance(value, int | float | str) else None

        version = data.get("version", 1)
        return cls(
            template_id=template_id,
            name=str(data.get("name", "")),
            currency=str(data["currency"]),
            basis=FreightBasis(str(data["basis"])),
            rules=tuple(FreightRule(regions(r.get("regions")), Steps.from_dict(r)) for r in listed(data.get("rules"))),
            free_shipping=tuple(
                FreeShipping(regions(f.get("regions")), optional(f.get("minAmount")), optional(f.get("minQuantity")))
                for f in listed(data.get("freeShipping"))
            ),
            excluded=regions(data.get("excluded")),
            version=int(version) if isinstance(version, int | float | str) else 1,
        )


def flat_template(currency: str, fee: Money, free_threshold: Money | None) -> FreightTemplate:
    """The store's flat fee as the template it is: one fee per order, free from the threshold on."""
    free = (FreeShipping((), min_amount=free_threshold.amount),) if free_threshold is not None else ()
    return FreightTemplate(
        template_id=FLAT_TEMPLATE_ID,
        name="flat fee",
        currency=fee.currency or currency,
        basis=FreightBasis.ORDER,
        rules=(FreightRule((), Steps(1, fee.amount)),),
        free_shipping=free,
        version=0,
    )


def charge_store(
    store_id: str,
    items: Sequence[FreightItem],
    templates: Mapping[str, FreightTemplate],
    default: FreightTemplate,
    destination: Destination | None,
) -> list[tuple[FreightCharge, list[int]]]:
    """One store's charges: its lines grouped by template (a SKU's own when the store has it, else the
    default), each group charged by its template; with the indexes (into `items`) of the group's lines.
    Every excluded group is named in one 422 (all the store's SKUs that cannot go there)."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        own = item.template_id
        template_id = own if own is not None and own in templates else default.template_id
        groups.setdefault(template_id, []).append(index)
    charges: list[tuple[FreightCharge, list[int]]] = []
    refused: list[ShippingRegionExcluded] = []
    for template_id, indexes in groups.items():
        template = default if template_id == default.template_id else templates[template_id]
        try:
            charges.append((template.charge(store_id, [items[i] for i in indexes], destination), indexes))
        except ShippingRegionExcluded as excluded:
            refused.append(excluded)
    if refused:
        if len(refused) == 1:
            raise refused[0]
        sku_ids = [sku for error in refused for sku in error.extensions["skuIds"]]
        first = refused[0]
        raise ShippingRegionExcluded(
            f"store {store_id} does not ship {', '.join(sku_ids)} there",
            field="shippingAddress",
            storeId=store_id,
            skuIds=sku_ids,
            destination=first.extensions["destination"],
            templateId=first.extensions["templateId"],
        )
    return charges
