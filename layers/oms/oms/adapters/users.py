"""The user directory: the identity provider's accounts (Cognito's user pool on AWS, the local stack's own
directory on one machine). Staff create shoppers' accounts through it (a manual order for a new customer);
self-registration goes through the identity provider itself and lands in the `customer` group by its
post-confirmation trigger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    subject: str  # the token's `sub`: the customer id everything else is keyed by
    email: str | None
    phone: str | None  # E.164
    name: str | None
    groups: frozenset[str]
    created_at: str  # RFC 3339 UTC


class UserDirectory(Protocol):
    def find_customer(self, *, email: str | None = None, phone: str | None = None) -> DirectoryUser | None:
        """The account with this verified email or phone, if any."""
        ...

    def create_customer(self, *, email: str | None, phone: str | None, name: str | None) -> DirectoryUser:
        """A new account in the `customer` group (an invitation to set a password is sent by the provider);
        an account that already has this email or phone is returned as it is, not duplicated."""
        ...

    def get_user(self, subject: str) -> DirectoryUser | None: ...


CUSTOMER_GROUP = "customer"  # the group (role) of shoppers: self-registered and staff-created accounts


class GroupMembership(Protocol):
    """What the post-confirmation trigger needs of the directory: put a confirmed account in a group."""

    def add_to_group(self, username: str, group: str) -> None:
        """Idempotent: an account already in the group stays in it once."""
        ...
