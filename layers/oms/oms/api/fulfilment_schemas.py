"""Request bodies of the fulfilment function: shipments, one or in a batch (shared field types in
`oms.api.schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from oms.api.schemas import (
    Strict,
)
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

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[ShipmentLineIn] | None) -> list[ShipmentLineIn] | None:
        if lines is not None and len({line.lineNo for line in lines}) != len(lines):
            raise ValueError("each line number at most once")
        return lines


class BatchShipmentItemIn(ShipmentIn):
    childOrderId: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class BatchShipmentIn(Strict):
    items: list[BatchShipmentItemIn] = Field(min_length=1, max_length=50)
