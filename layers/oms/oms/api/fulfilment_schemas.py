"""Request bodies of the fulfilment function: shipments, one or in a batch (shared field types in
`oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from oms.api.schemas import (
    Reason,
    Strict,
)
from oms.domain.parcels import MAX_PARCEL_WEIGHT_GRAMS
from oms.domain.pricing import MAX_DISTINCT_SKUS, MAX_QUANTITY

Carrier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,20}$")]
TrackingNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")]


class ShipmentLineIn(Strict):
    lineNo: int = Field(ge=1, le=999)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ShipmentIn(Strict):
    carrier: Carrier
    trackingNumber: TrackingNumber
    lines: list[ShipmentLineIn] | None = Field(default=None, min_length=1, max_length=MAX_DISTINCT_SKUS)
    # One of the child's planned parcels (its lines are the parcel's): instead of `lines`.
    parcelNo: int | None = Field(default=None, ge=1, le=999)

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[ShipmentLineIn] | None) -> list[ShipmentLineIn] | None:
        if lines is not None and len({line.lineNo for line in lines}) != len(lines):
            raise ValueError("each line number at most once")
        return lines

    @model_validator(mode="after")
    def _parcel_or_lines(self) -> ShipmentIn:
        if self.parcelNo is not None and self.lines is not None:
            raise ValueError("give lines or parcelNo, not both")
        return self


class BatchShipmentItemIn(ShipmentIn):
    childOrderId: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class BatchShipmentIn(Strict):
    items: list[BatchShipmentItemIn] = Field(min_length=1, max_length=50)


StoreRef = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class CarrierIn(Strict):
    code: Carrier
    # The carrier's per-parcel weight limit; null: none (a child ships as one parcel).
    parcelWeightLimitGrams: int | None = Field(ge=1, le=MAX_PARCEL_WEIGHT_GRAMS)


class CarrierSettingsIn(Strict):
    """PUT /settings/carriers: the carriers parcels are packed for, which one each store ships with, and the
    one of the other stores (null: none, no limit)."""

    carriers: list[CarrierIn] = Field(max_length=50)
    storeCarriers: Annotated[dict[StoreRef, Carrier], Field(max_length=1000)] = Field(default_factory=dict)
    defaultCarrier: Carrier | None = None
    reason: Reason | None = None

    @field_validator("carriers")
    @classmethod
    def _distinct_codes(cls, carriers: list[CarrierIn]) -> list[CarrierIn]:
        if len({carrier.code for carrier in carriers}) != len(carriers):
            raise ValueError("each carrier code at most once")
        return carriers
