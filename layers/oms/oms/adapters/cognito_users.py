"""The user directory on AWS: the stack's Cognito user pool.

Staff-created shoppers (`create_customer`) get an account by `AdminCreateUser` (Cognito mails or texts the
invitation with a temporary password) and the `customer` group by `AdminAddUserToGroup`: an account an
administrator creates is confirmed already, so the post-confirmation trigger does not run for it. Lookups
by email or phone are `ListUsers` with a `Filter` (an indexed Cognito query, not a scan of our table).
The pool's username attributes are email and phone, so the username Cognito generates is the account's
`sub`."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from oms.adapters.users import CUSTOMER_GROUP, DirectoryUser
from oms.faults import aws_client


def _rfc3339(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _quoted(value: str) -> str:
    """A value inside a ListUsers filter's double quotes (a quote or backslash in it escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


class CognitoUserDirectory:
    """`UserDirectory` and `GroupMembership` over one user pool (`client` gives the cognito-idp client when
    first needed)."""

    def __init__(self, user_pool_id: str, client: Callable[[], Any] | None = None) -> None:
        if not user_pool_id:
            raise ValueError("a user pool id is needed (USER_POOL_ID)")
        self.user_pool_id = user_pool_id
        self._make_client = client or (lambda: aws_client("cognito-idp"))
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    # ------------------------------------------------------------------ reads
    def find_customer(self, *, email: str | None = None, phone: str | None = None) -> DirectoryUser | None:
        for name, value in (("email", email), ("phone_number", phone)):
            if not value:
                continue
            users = self.client.list_users(
                UserPoolId=self.user_pool_id, Filter=f'{name} = "{_quoted(value)}"', Limit=2
            ).get("Users", [])
            if users:
                return self._user(users[0], users[0].get("Attributes", []))
        return None

    def get_user(self, subject: str) -> DirectoryUser | None:
        users = self.client.list_users(UserPoolId=self.user_pool_id, Filter=f'sub = "{_quoted(subject)}"', Limit=1).get(
            "Users", []
        )
        return self._user(users[0], users[0].get("Attributes", [])) if users else None

    def _groups(self, username: str) -> frozenset[str]:
        groups: set[str] = set()
        token: str | None = None
        while True:
            page = self.client.admin_list_groups_for_user(
                UserPoolId=self.user_pool_id, Username=username, **({"NextToken": token} if token else {})
            )
            groups |= {group["GroupName"] for group in page.get("Groups", [])}
            token = page.get("NextToken")
            if not token:
                return frozenset(groups)

    def _user(self, user: Mapping[str, Any], attributes: Sequence[Mapping[str, str]]) -> DirectoryUser:
        values = {attribute["Name"]: attribute["Value"] for attribute in attributes}
        username = str(user["Username"])
        return DirectoryUser(
            subject=values.get("sub", username),
            email=values.get("email"),
            phone=values.get("phone_number"),
            name=values.get("name"),
            groups=self._groups(username),
            created_at=_rfc3339(user.get("UserCreateDate", "")),
        )

    # ------------------------------------------------------------------ writes
    def create_customer(self, *, email: str | None, phone: str | None, name: str | None) -> DirectoryUser:
        if not email and not phone:
            raise ValueError("an email or a phone number is needed")
        existing = self.find_customer(email=email, phone=phone)
        if existing is not None:
            return existing
        attributes = [
            *([{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}] if email else []),
            *(
                [{"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "true"}]
                if phone
                else []
            ),
            *([{"Name": "name", "Value": name}] if name else []),
        ]
        username = email or phone
        assert username is not None
        try:
            created = self.client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=username,
                UserAttributes=attributes,
                DesiredDeliveryMediums=["EMAIL"] if email else ["SMS"],
            )["User"]
        except self.client.exceptions.UsernameExistsException:
            # Created meanwhile (another request, the same shopper signing up): that account is the one.
            found = self.find_customer(email=email, phone=phone)
            if found is None:
                raise
            return found
        self.add_to_group(str(created["Username"]), CUSTOMER_GROUP)
        return self._user(created, created.get("Attributes", []))

    def add_to_group(self, username: str, group: str) -> None:
        # AdminAddUserToGroup is idempotent: a member added again stays a member once.
        self.client.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=username, GroupName=group)


@functools.cache
def cognito_directory(user_pool_id: str) -> CognitoUserDirectory:
    """One directory (and one client, made at first use) per pool for the life of the process."""
    return CognitoUserDirectory(user_pool_id)


def cognito_directory_from_environment() -> CognitoUserDirectory:
    """The pool `USER_POOL_ID` names (set on the functions that need it, never in Globals: the trigger
    shares those, and the pool refers to the trigger)."""
    return cognito_directory(os.environ.get("USER_POOL_ID", ""))
