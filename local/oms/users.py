"""The local stack's user directory: what Cognito's user pool is on AWS, in process and thread-safe.

It holds accounts (sub, email, phone, name, password hash, confirmed) and their groups. The functions use
it as `oms.wiring.Adapters.users` (staff creating a shopper's account) and `.user_groups` (the
post-confirmation trigger), and the local token issuer reads the groups of the subject it mints a token
for. `sign_up` is Cognito's SignUp + ConfirmSignUp without the code: the account is confirmed at once and
the caller runs the post-confirmation trigger with `post_confirmation_event`, as Cognito would.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass, field

from oms.adapters.users import CUSTOMER_GROUP, DirectoryUser
from oms.domain.clock import to_rfc3339, utcnow

LOCAL_USER_POOL_ID = "local_users"


class AccountExists(Exception):
    """An account with this email or phone number exists already."""


@dataclass
class _Account:
    subject: str
    email: str | None
    phone: str | None
    name: str | None
    created_at: str
    password_hash: str | None = None
    groups: set[str] = field(default_factory=set)

    def user(self) -> DirectoryUser:
        return DirectoryUser(
            subject=self.subject,
            email=self.email,
            phone=self.phone,
            name=self.name,
            groups=frozenset(self.groups),
            created_at=self.created_at,
        )


def _hash(password: str, salt: bytes) -> str:
    return salt.hex() + ":" + hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()


def _email_key(email: str | None) -> str | None:
    return email.strip().lower() if email else None  # the pool's usernames are case-insensitive


class LocalUserDirectory:
    """`UserDirectory` and `GroupMembership` for one machine (one lock around every read and change)."""

    user_pool_id = LOCAL_USER_POOL_ID

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}
        self._by_email: dict[str, str] = {}
        self._by_phone: dict[str, str] = {}

    # ------------------------------------------------------------------ UserDirectory
    def find_customer(self, *, email: str | None = None, phone: str | None = None) -> DirectoryUser | None:
        with self._lock:
            account = self._find(email, phone)
            return account.user() if account is not None else None

    def get_user(self, subject: str) -> DirectoryUser | None:
        with self._lock:
            account = self._accounts.get(subject)
            return account.user() if account is not None else None

    def create_customer(self, *, email: str | None, phone: str | None, name: str | None) -> DirectoryUser:
        """An account staff create (confirmed, in the `customer` group); one with this email or phone is
        returned as it is."""
        with self._lock:
            existing = self._find(email, phone)
            if existing is not None:
                return existing.user()
            account = self._add(email, phone, name, None)
            account.groups.add(CUSTOMER_GROUP)
            return account.user()

    # ------------------------------------------------------------------ GroupMembership
    def add_to_group(self, username: str, group: str) -> None:
        with self._lock:
            account = self._accounts.get(username)
            if account is None:
                raise LookupError(f"no account {username!r} in the local user pool")
            account.groups.add(group)

    # ------------------------------------------------------------------ the local identity provider
    def sign_up(self, *, email: str | None, phone: str | None, name: str | None, password: str | None) -> DirectoryUser:
        """A self-registered account, confirmed and in no group yet (AccountExists when its email or phone
        is taken, as Cognito's UsernameExistsException)."""
        with self._lock:
            if self._find(email, phone) is not None:
                raise AccountExists("an account with this email or phone number exists already")
            return self._add(email, phone, name, password).user()

    def groups_of(self, subject: str) -> list[str]:
        """The groups the local token issuer puts in a token for `subject` (none for an unknown one)."""
        with self._lock:
            account = self._accounts.get(subject)
            return sorted(account.groups) if account is not None else []

    def post_confirmation_event(self, user: DirectoryUser, *, region: str = "us-east-1") -> dict[str, object]:
        """The event Cognito sends the post-confirmation trigger after ConfirmSignUp."""
        attributes: dict[str, str] = {"sub": user.subject, "cognito:user_status": "CONFIRMED"}
        if user.email:
            attributes |= {"email": user.email, "email_verified": "true"}
        if user.phone:
            attributes |= {"phone_number": user.phone, "phone_number_verified": "true"}
        if user.name:
            attributes["name"] = user.name
        return {
            "version": "1",
            "region": region,
            "userPoolId": self.user_pool_id,
            "userName": user.subject,
            "callerContext": {"awsSdkVersion": "oms-local", "clientId": "local"},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {"userAttributes": attributes},
            "response": {},
        }

    # ------------------------------------------------------------------ inside the lock
    def _find(self, email: str | None, phone: str | None) -> _Account | None:
        subject = self._by_email.get(_email_key(email) or "") or self._by_phone.get(phone or "")
        return self._accounts.get(subject) if subject else None

    def _add(self, email: str | None, phone: str | None, name: str | None, password: str | None) -> _Account:
        if not email and not phone:
            raise ValueError("an email or a phone number is needed")
        account = _Account(
            subject=str(uuid.uuid4()),
            email=email,
            phone=phone,
            name=name,
            created_at=to_rfc3339(utcnow()),
            password_hash=_hash(password, secrets.token_bytes(16)) if password else None,
        )
        self._accounts[account.subject] = account
        if email:
            self._by_email[_email_key(email) or ""] = account.subject
        if phone:
            self._by_phone[phone] = account.subject
        return account


__all__ = ["LOCAL_USER_POOL_ID", "AccountExists", "LocalUserDirectory"]
