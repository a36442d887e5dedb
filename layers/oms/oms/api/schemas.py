"""The field types and base models every request and response model shares. Every request model forbids
unknown fields, so server-owned fields (status, totals, prices) cannot be bound from a client (OWASP
API3); every response model (`View`) forbids them too, so the documented schema is the whole answer.

Each function's request models live in their own module (`catalog_schemas`, `order_schemas`,
`payment_schemas`, `fulfilment_schemas`, `pricing_schemas`) and its response models in `*_views`
modules; a function imports only its own: building pydantic models is a large part of a cold start
(docs/benchmarks.md)."""

from __future__ import annotations

import re
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from oms.api.ids import NAME_ID_MAX, NAME_ID_PATTERN
from oms.domain.money import MAX_AMOUNT, SUPPORTED_CURRENCIES, Money

MAX_POINTS = 100_000_000
Id = Annotated[str, StringConstraints(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN)]

# ---------------------------------------------------------------- free text
# Text that is stored and shown again (names, addresses, notes, reasons) carries no control characters:
# they corrupt exports, logs and consoles and can hide what a value says. A single-line field (a name,
# a phone, an address line, a reason) takes none at all, nor the Unicode line and paragraph separators;
# a multi-line one (a note, a description) keeps line feeds, carriage returns and tabs. Lone surrogates
# are not text either. Put `SingleLine` or `MultiLine` last in a field's Annotated, after its
# StringConstraints, so surrounding whitespace is stripped before the check.
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _free_text(forbidden: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        found = forbidden.search(value)
        if found is not None:
            raise PydanticCustomError(
                "control_character",
                "{what} must not contain control characters: U+{code} at position {position}",
                {"what": what, "code": f"{ord(found.group()):04X}", "position": found.start()},
            )
        return value

    return AfterValidator(check)


SingleLine = _free_text(_NOT_IN_A_LINE, "a single-line text")
MultiLine = _free_text(_NOT_IN_TEXT, "a text (line breaks and tabs allowed)")
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), SingleLine]
LongText = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True), MultiLine]
Note = Annotated[str, StringConstraints(max_length=500), MultiLine]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), SingleLine]
AuditReason = Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True), SingleLine]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MoneyIn(Strict):
    amount: int = Field(ge=0, le=MAX_AMOUNT)
    currency: str

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {value!r}")
        return value

    def money(self) -> Money:
        return Money(self.amount, self.currency)


# ---------------------------------------------------------------- responses
class View(BaseModel):
    """A response body: the JSON a view (`oms.views`) builds, checked against this model before it leaves
    (a mismatch is the server's bug: a 500, never a 422). Unknown fields are refused, so the documented
    schema is the whole answer; fields the view leaves out stay out (they are not sent as null).

    Built at first use (`defer_build`): a cold start builds the models of the routes it answers, and the
    SnapStart snapshot holds all of them (`oms.api.http.build_response_models`)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    # No return annotation on purpose: pydantic takes a serializer's return type as the model's
    # serialization schema, and powertools documents responses in serialization mode.
    @model_serializer(mode="wrap")
    def _as_built(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        given = self.model_fields_set
        fields = type(self).model_fields
        keys = given | {alias for name in given if (alias := fields[name].alias)}
        return {key: value for key, value in data.items() if key in keys}


class MoneyOut(View):
    """An amount in minor units (cents, fen) and its ISO 4217 currency."""

    amount: int
    currency: str


Item = TypeVar("Item", bound=BaseModel)


class Page(View, Generic[Item]):
    """One page of a listing; pass `next_cursor` back as `cursor` for the next (null: the last page)."""

    items: list[Item]
    next_cursor: str | None


# The modules of each function's request models (a function imports only its own: tests/unit/test_lazy_imports.py).
MODEL_MODULES = (
    "oms.api.catalog_schemas",
    "oms.api.stock_schemas",
    "oms.api.order_schemas",
    "oms.api.payment_schemas",
    "oms.api.fulfilment_schemas",
    "oms.api.pricing_schemas",
    "oms.api.after_sales_schemas",
    "oms.api.export_schemas",
    "oms.api.audit_schemas",
)
