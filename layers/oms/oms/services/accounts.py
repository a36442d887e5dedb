"""A signed-in person's own account data: the profile (`GET/PUT /me`: name, language, currency) and the
address book (`/me/addresses`, at most `MAX_ADDRESSES`, one default) that checkout takes by id.

Only one's own: every read and write is keyed by the caller's `sub`, so another person's address id is
not found (404 here, 422 at checkout) and nothing changes. The profile's language is the notification
preferences' `locale` (one field: `PUT /me/notification-preferences` and `PUT /me` change the same one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.notifications import Preferences
from oms.domain.permissions import Actor
from oms.store import accounts as store
from oms.store.accounts import AddressBook, AddressRecord, ProfileRecord
from oms.store.transactions import Part, TransactionCancelled

MAX_ADDRESSES = 20
WRITE_ATTEMPTS = 3  # a write without If-Match that lost a race reads again and retries


class AddressBookFull(InvalidRequest):
    slug = "address-book-full"
    title = "The address book is full"


class UnknownAddress(InvalidRequest):
    """A checkout's `shippingAddressId` that is not one of the caller's saved addresses."""

    slug = "unknown-address"
    title = "No such saved address"


def _signed_in(actor: Actor) -> str:
    if actor.is_system:
        raise NotFound("no account")  # the API never calls with the system actor; a guard, not a route
    return actor.subject


def _profile_view(read: ProfileRecord) -> dict[str, Any]:
    language = Preferences.from_json(read.preferences).locale
    return {
        "customerId": read.customer_id,
        "name": read.name,
        "language": language.value if language is not None else None,
        "currency": read.currency,
        "version": read.version,
        "updatedAt": read.updated_at,
    }


def _address_view(record: AddressRecord, default_id: str | None) -> dict[str, Any]:
    return {
        "addressId": record.address_id,
        "label": record.label,
        "default": record.address_id == default_id,
        "address": record.address,
        "version": record.version,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


class AccountService:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- profile
    def profile(self, actor: Actor) -> dict[str, Any]:
        return _profile_view(store.profile(_signed_in(actor)))

    def put_profile(self, actor: Actor, changes: Mapping[str, Any], if_match: int | None) -> dict[str, Any]:
        """Change what the body names (`null` clears it); `language` goes to the notification preferences'
        locale in the same transaction. 412 when If-Match is not the version read."""
        subject = _signed_in(actor)
        for _attempt in range(WRITE_ATTEMPTS):
            read = store.profile(subject)
            if if_match is not None and if_match != read.version:
                raise PreconditionFailed("the profile changed since you read it (If-Match)")
            preferences = None
            if "language" in changes:
                current = Preferences.from_json(read.preferences).to_json()
                preferences = Preferences.from_json({**current, "locale": changes["language"]}).to_json()
            name = changes.get("name", read.name)
            currency = changes.get("currency", read.currency)
            now = self._now()
            try:
                version = store.put_profile(read, name=name, currency=currency, preferences=preferences, now=now)
            except TransactionCancelled as cancelled:
                if if_match is not None:
                    raise PreconditionFailed("the profile changed since you read it (If-Match)") from cancelled
                continue
            written = ProfileRecord(
                subject,
                name,
                currency,
                version,
                now,
                preferences if preferences is not None else read.preferences,
                now if preferences is not None else read.preferences_updated_at,
            )
            return _profile_view(written)
        raise Conflict("the profile was changed concurrently; read it again")

    # ---------------------------------------------------------------- address book
    def addresses(self, actor: Actor) -> dict[str, Any]:
        book = store.address_book(_signed_in(actor))
        return {
            "items": [_address_view(record, book.default_id) for record in book.addresses],
            "defaultAddressId": book.default_id,
            "limit": MAX_ADDRESSES,
        }

    def _find(self, subject: str, address_id: str) -> tuple[AddressBook, AddressRecord]:
        book = store.address_book(subject)
        record = next((r for r in book.addresses if r.address_id == address_id), None)
        if record is None:
            raise NotFound(f"address {address_id} not found")
        return book, record

    def add_address(self, actor: Actor, address: dict[str, Any], *, label: str | None, default: bool) -> dict[str, Any]:
        """Save an address (the first one becomes the default); 422 `address-book-full` beyond the limit."""
        subject = _signed_in(actor)
        now = self._now()
        record = AddressRecord(new_id(), address, label, 1, now, now)
        try:
            store.add_address(subject, record, make_default=default, limit=MAX_ADDRESSES)
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.ADDRESS_BOOK):
                raise AddressBookFull(
                    f"at most {MAX_ADDRESSES} addresses can be saved; delete one first", limit=MAX_ADDRESSES
                ) from cancelled
            raise
        book = store.address_book(subject)
        return _address_view(record, book.default_id)

    def put_address(
        self,
        actor: Actor,
        address_id: str,
        address: dict[str, Any],
        *,
        label: str | None,
        default: bool,
        if_match: int | None,
    ) -> dict[str, Any]:
        """Replace a saved address (404 for an id that is not the caller's; 412 on a stale If-Match)."""
        subject = _signed_in(actor)
        for _attempt in range(WRITE_ATTEMPTS):
            _, current = self._find(subject, address_id)
            if if_match is not None and if_match != current.version:
                raise PreconditionFailed("the address changed since you read it (If-Match)")
            record = AddressRecord(address_id, address, label, current.version + 1, current.created_at, self._now())
            try:
                store.update_address(subject, record, expected_version=current.version, make_default=default)
            except TransactionCancelled as cancelled:
                if if_match is not None:
                    raise PreconditionFailed("the address changed since you read it (If-Match)") from cancelled
                continue
            book = store.address_book(subject)
            return _address_view(record, book.default_id)
        raise Conflict("the address was changed concurrently; read it again")

    def delete_address(self, actor: Actor, address_id: str) -> None:
        """Delete a saved address (404 for one that is not the caller's); orders placed with it keep their
        copy. The default is then unset until the shopper picks another."""
        subject = _signed_in(actor)
        for _attempt in range(WRITE_ATTEMPTS):
            book, _ = self._find(subject, address_id)
            try:
                store.delete_address(subject, address_id, book)
            except TransactionCancelled:
                continue
            return
        raise Conflict("the address book was changed concurrently; try again")

    def make_default(self, actor: Actor, address_id: str) -> dict[str, Any]:
        subject = _signed_in(actor)
        book, record = self._find(subject, address_id)
        if book.default_id == address_id:
            return _address_view(record, address_id)  # it is already: a retry changes nothing
        try:
            store.set_default(subject, address_id)
        except TransactionCancelled as cancelled:
            raise NotFound(f"address {address_id} not found") from cancelled
        return _address_view(record, address_id)
