"""A shopper's account rows: the profile (`CUSTOMER#<sub>/PROFILE`), the address book's count and default
(`CUSTOMER#<sub>/ADDRESSBOOK`) and the saved addresses (`CUSTOMER#<sub>/ADDRESS#<addressId>`).

Every key starts with the caller's own `sub`: an address id of another shopper is simply not found. The
language of the profile is the `locale` of the notification preferences row (one field, two routes), so a
profile change that sets it writes that row in the same transaction, conditional on what was read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from oms.store import keys
from oms.store.models import (
    AddressBookItem,
    CustomerAddressItem,
    CustomerProfileItem,
    Item,
    NotificationPreferencesItem,
)
from oms.store.transactions import Part, Transaction


@dataclass(frozen=True)
class ProfileRecord:
    customer_id: str
    name: str | None
    currency: str | None
    version: int  # 0: never written
    updated_at: str | None
    preferences: dict[str, Any] | None  # the notification preferences row, if any
    preferences_updated_at: str | None


@dataclass(frozen=True)
class AddressRecord:
    address_id: str
    address: dict[str, Any]
    label: str | None
    version: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class AddressBook:
    addresses: list[AddressRecord]  # oldest first (address ids are time-sortable)
    default_id: str | None
    version: int  # 0: no address was ever saved


def _address(item: CustomerAddressItem) -> AddressRecord:
    return AddressRecord(
        address_id=item.addressId,
        address=dict(item.address),
        label=item.label,
        version=int(item.version),
        created_at=item.createdAt,
        updated_at=item.updatedAt,
    )


# ---------------------------------------------------------------- profile
def profile(customer_id: str) -> ProfileRecord:
    """The profile and the notification preferences row (one consistent BatchGetItem)."""
    found = list(
        Item.batch_get(
            [keys.customer_profile(customer_id), keys.notification_preferences(customer_id)], consistent_read=True
        )
    )
    row = next((i for i in found if isinstance(i, CustomerProfileItem)), None)
    prefs = next((i for i in found if isinstance(i, NotificationPreferencesItem)), None)
    return ProfileRecord(
        customer_id=customer_id,
        name=row.name if row else None,
        currency=row.currency if row else None,
        version=int(row.version) if row else 0,
        updated_at=row.updatedAt if row else None,
        preferences=dict(prefs.preferences) if prefs else None,
        preferences_updated_at=prefs.updatedAt if prefs else None,
    )


def put_profile(
    read: ProfileRecord,
    *,
    name: str | None,
    currency: str | None,
    preferences: dict[str, Any] | None,
    now: str,
) -> int:
    """Write the profile (conditional on the version read) and, when `preferences` is given, the
    notification preferences row (conditional on it being as read). TransactionCancelled when either
    changed meanwhile; returns the new version."""
    version = read.version + 1
    tx = Transaction()
    expected: Condition = (
        CustomerProfileItem.PK.does_not_exist() if read.version == 0 else CustomerProfileItem.version == read.version
    )
    tx.put(
        Part.PROFILE,
        CustomerProfileItem(
            *keys.customer_profile(read.customer_id),
            customerId=read.customer_id,
            name=name,
            currency=currency,
            version=version,
            updatedAt=now,
        ),
        expected,
    )
    if preferences is not None:
        unchanged: Condition = (
            NotificationPreferencesItem.PK.does_not_exist()
            if read.preferences_updated_at is None
            else NotificationPreferencesItem.updatedAt == read.preferences_updated_at
        )
        tx.put(
            Part.SETTINGS,
            NotificationPreferencesItem(
                *keys.notification_preferences(read.customer_id),
                userId=read.customer_id,
                preferences=preferences,
                updatedAt=now,
            ),
            unchanged,
        )
    tx.commit()
    return version


# ---------------------------------------------------------------- address book
def address_book(customer_id: str) -> AddressBook:
    """Every saved address and the book's default (one Query: the book row sorts after the addresses)."""
    addresses: list[AddressRecord] = []
    default_id: str | None = None
    version = 0
    for item in Item.query(
        keys.customer_pk(customer_id),
        Item.SK.between(keys.ADDRESS_SK_PREFIX, keys.ADDRESS_BOOK_SK),
        consistent_read=True,
    ):
        if isinstance(item, CustomerAddressItem):
            addresses.append(_address(item))
        elif isinstance(item, AddressBookItem):
            default_id = item.defaultAddressId
            version = int(item.version)
    return AddressBook(addresses, default_id, version)


def address_of(item: Any) -> dict[str, Any] | None:
    """The address of a saved-address row read with others (checkout's BatchGetItem), else None."""
    return dict(item.address) if isinstance(item, CustomerAddressItem) else None


def _book_update(customer_id: str, version_delta: int = 1) -> tuple[AddressBookItem, list[Any]]:
    book = AddressBookItem(*keys.address_book(customer_id))
    return book, [
        AddressBookItem.type.set(AddressBookItem),
        AddressBookItem.customerId.set(customer_id),
        AddressBookItem.version.add(version_delta),
    ]


def add_address(customer_id: str, record: AddressRecord, *, make_default: bool, limit: int) -> None:
    """Save a new address; the book counts it under `limit` (TransactionCancelled with Part.ADDRESS_BOOK
    beyond). The first address becomes the default."""
    tx = Transaction()
    tx.put(
        Part.ADDRESS,
        CustomerAddressItem(
            *keys.customer_address(customer_id, record.address_id),
            customerId=customer_id,
            addressId=record.address_id,
            address=record.address,
            label=record.label,
            version=record.version,
            createdAt=record.created_at,
            updatedAt=record.updated_at,
        ),
        CustomerAddressItem.PK.does_not_exist(),
    )
    book, actions = _book_update(customer_id)
    actions.append(AddressBookItem.addressCount.add(1))
    if make_default:
        actions.append(AddressBookItem.defaultAddressId.set(record.address_id))
    else:
        actions.append(AddressBookItem.defaultAddressId.set(AddressBookItem.defaultAddressId | record.address_id))
    tx.update(
        Part.ADDRESS_BOOK,
        book,
        actions,
        AddressBookItem.addressCount.does_not_exist() | (AddressBookItem.addressCount < limit),
    )
    tx.commit()


def update_address(customer_id: str, record: AddressRecord, *, expected_version: int, make_default: bool) -> None:
    """Replace a saved address (conditional on the version read: TransactionCancelled with Part.ADDRESS when
    it changed or is gone); `make_default` makes it the book's default."""
    tx = Transaction()
    item = CustomerAddressItem(*keys.customer_address(customer_id, record.address_id))
    tx.update(
        Part.ADDRESS,
        item,
        [
            CustomerAddressItem.address.set(record.address),
            CustomerAddressItem.label.set(record.label)
            if record.label is not None
            else CustomerAddressItem.label.remove(),
            CustomerAddressItem.version.set(record.version),
            CustomerAddressItem.updatedAt.set(record.updated_at),
        ],
        CustomerAddressItem.PK.exists() & (CustomerAddressItem.version == expected_version),
    )
    if make_default:
        book, actions = _book_update(customer_id)
        tx.update(Part.ADDRESS_BOOK, book, [*actions, AddressBookItem.defaultAddressId.set(record.address_id)])
    tx.commit()


def delete_address(customer_id: str, address_id: str, book: AddressBook) -> None:
    """Delete a saved address (the book's count down; the default forgotten when it was this one),
    conditional on the book being as read (TransactionCancelled otherwise)."""
    tx = Transaction()
    tx.delete(
        Part.ADDRESS,
        CustomerAddressItem(*keys.customer_address(customer_id, address_id)),
        CustomerAddressItem.PK.exists(),
    )
    row, actions = _book_update(customer_id)
    actions.append(AddressBookItem.addressCount.add(-1))
    if book.default_id == address_id:
        actions.append(AddressBookItem.defaultAddressId.remove())
    tx.update(Part.ADDRESS_BOOK, row, actions, AddressBookItem.version == book.version)
    tx.commit()


def set_default(customer_id: str, address_id: str) -> None:
    """Make a saved address the default (TransactionCancelled with Part.ADDRESS when there is none)."""
    tx = Transaction()
    tx.check(
        Part.ADDRESS,
        CustomerAddressItem(*keys.customer_address(customer_id, address_id)),
        CustomerAddressItem.PK.exists(),
    )
    book, actions = _book_update(customer_id)
    tx.update(Part.ADDRESS_BOOK, book, [*actions, AddressBookItem.defaultAddressId.set(address_id)])
    tx.commit()
