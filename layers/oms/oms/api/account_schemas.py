"""Request bodies and answers of the accounts routes: the caller's profile (`/me`) and address book
(`/me/addresses`). A saved address has checkout's `shippingAddress` shape (`AddressIn`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from oms.api.order_schemas import AddressIn
from oms.api.schemas import ShortText, SingleLine, Strict, View
from oms.domain.money import SUPPORTED_CURRENCIES
from oms.domain.notifications import Locale

Label = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True), SingleLine]


class ProfileIn(Strict):
    """What to change of the caller's profile: a field left out stays as it is, `null` clears it."""

    name: ShortText | None = None
    language: Locale | None = Field(None, strict=False, description="Also the language of notifications.")
    currency: str | None = Field(None, description="ISO 4217, one of the supported currencies.")

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in SUPPORTED_CURRENCIES:
            raise ValueError(f"unsupported currency {value!r}; one of {', '.join(sorted(SUPPORTED_CURRENCIES))}")
        return value


class Profile(View):
    """The caller's profile; `version` is also the ETag a PUT's If-Match names."""

    customerId: str
    name: str | None
    language: Locale | None
    currency: str | None
    version: int
    updatedAt: str | None


class AddressEntryIn(Strict):
    """A saved address: the address (as checkout's `shippingAddress`), an optional label, and whether it
    becomes the default (the first saved address is the default anyway)."""

    address: AddressIn
    label: Label | None = None
    default: bool = False

    def address_data(self) -> dict[str, Any]:
        return self.address.model_dump(mode="json", exclude_none=True)


class SavedAddress(View):
    addressId: str
    label: str | None
    default: bool
    address: dict[str, Any]
    version: int
    createdAt: str
    updatedAt: str


class AddressBookOut(View):
    """Every saved address (oldest first), the default's id and how many may be saved."""

    items: list[SavedAddress]
    defaultAddressId: str | None
    limit: int
