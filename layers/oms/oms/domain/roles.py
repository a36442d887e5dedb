"""The role policy admins configure (`/settings/roles`): permissions granted to or revoked from each
built-in role, and custom staff roles, within limits that keep the platform safe.

The edge turns a token's groups into effective permissions with `RolePolicy.effective`: for each built-in
role its matrix permissions (`oms.domain.permissions.MATRIX`) plus what was granted minus what was revoked,
and for each custom role among the groups its permissions. Group names that are neither are ignored.

Limits (`check`, a 422 problem naming the rule):

- NON_DELEGABLE permissions (roles management, unmasked personal data, erasing it, reading the whole audit
  trail) stay with the roles the matrix gives
  them: never granted to another role, never part of a custom role.
- Admin always keeps roles management (nobody can lock the platform out of its own settings).
- MONEY_MOVES (refunds, refund resolution, balance and points adjustments, bank-transfer review) are never
  given to the customer role or to a store-scoped role (merchant, or a custom role holding order:read-store).
- The customer role is every self-registered shopper: it may be granted shopper permissions only.
  Staff roles (built-in or custom) never hold shopper permissions: a custom role is a staff role.
- A custom role is either platform-wide (order:read-any) or store-scoped (order:read-store), not both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oms.domain.errors import InvalidRequest
from oms.domain.permissions import MATRIX, Permission, Role

P = Permission

NON_DELEGABLE = frozenset({P.ROLES_MANAGE, P.PERSONAL_DATA_READ, P.PERSONAL_DATA_ERASE, P.AUDIT_READ})
ADMIN_KEEPS = frozenset({P.ROLES_MANAGE})
MONEY_MOVES = frozenset({P.REFUND_CREATE, P.REFUND_RESOLVE, P.BALANCE_ADJUST, P.POINTS_ADJUST, P.PAYMENT_REVIEW})
SHOPPER_PERMISSIONS = frozenset(
    {P.ORDER_PLACE, P.ORDER_READ_OWN, P.ORDER_CANCEL_OWN, P.PAYMENT_CREATE, P.AFTER_SALES_OPEN_OWN}
)
OPEN_TO_ALL = frozenset({P.ORDER_QUOTE})  # every signed-in role may price a cart
CUSTOMER_MAY_HOLD = SHOPPER_PERMISSIONS | OPEN_TO_ALL

CUSTOM_ROLE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
MAX_CUSTOM_ROLES = 20
MAX_DESCRIPTION = 200


class RoleLimit(InvalidRequest):
    """A change the limits refuse: `rule` names which one, `role` and `permissions` what it was about."""

    slug = "role-limit"
    title = "This permission change is not allowed"


def builtin_permissions(role: Role) -> frozenset[Permission]:
    return frozenset(p for p, roles in MATRIX.items() if role in roles)


@dataclass(frozen=True)
class RoleChange:
    """What an admin changed on a built-in role."""

    grant: frozenset[Permission] = frozenset()
    revoke: frozenset[Permission] = frozenset()


@dataclass(frozen=True)
class CustomRole:
    name: str
    permissions: frozenset[Permission]
    description: str = ""

    @property
    def store_scoped(self) -> bool:
        return P.ORDER_READ_STORE in self.permissions


@dataclass(frozen=True)
class RolePolicy:
    """The stored policy (version 0: nothing configured, the built-in matrix as is)."""

    changes: Mapping[Role, RoleChange] = field(default_factory=dict)
    custom: Mapping[str, CustomRole] = field(default_factory=dict)
    version: int = 0
    updated_at: str | None = None
    updated_by: str | None = None

    def permissions_of(self, role: Role) -> frozenset[Permission]:
        change = self.changes.get(role, RoleChange())
        return (builtin_permissions(role) | change.grant) - change.revoke

    def effective(self, roles: Iterable[Role], custom_roles: Iterable[str]) -> frozenset[Permission]:
        held: set[Permission] = set()
        for role in roles:
            held |= self.permissions_of(role)
        for name in custom_roles:
            if name in self.custom:
                held |= self.custom[name].permissions
        return frozenset(held)

    def to_dict(self) -> dict[str, Any]:
        """As stored (and audited): only what differs from the built-in matrix."""
        return {
            "roles": {
                role.value: {"grant": sorted(change.grant), "revoke": sorted(change.revoke)}
                for role, change in sorted(self.changes.items())
                if change.grant or change.revoke
            },
            "customRoles": {
                name: {"description": custom.description, "permissions": sorted(custom.permissions)}
                for name, custom in sorted(self.custom.items())
            },
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, version: int = 0, updated_at: str | None = None, updated_by: str | None = None
    ) -> RolePolicy:
        changes = {
            Role(name): RoleChange(
                grant=frozenset(Permission(p) for p in entry.get("grant", ()) if p in _PERMISSION_VALUES),
                revoke=frozenset(Permission(p) for p in entry.get("revoke", ()) if p in _PERMISSION_VALUES),
            )
            for name, entry in (data.get("roles") or {}).items()
            if name in _ROLE_VALUES
        }
        custom = {
            name: CustomRole(
                name,
                frozenset(Permission(p) for p in entry.get("permissions", ()) if p in _PERMISSION_VALUES),
                str(entry.get("description") or ""),
            )
            for name, entry in (data.get("customRoles") or {}).items()
        }
        return cls(changes, custom, version, updated_at, updated_by)


_ROLE_VALUES = {role.value for role in Role}
_PERMISSION_VALUES = {p.value for p in Permission}


def _refuse(rule: str, detail: str, role: str, permissions: Iterable[Permission]) -> RoleLimit:
    return RoleLimit(detail, rule=rule, role=role, permissions=sorted(p.value for p in permissions))


def check(policy: RolePolicy) -> RolePolicy:
    """The policy if every limit holds, else the first RoleLimit broken."""
    for role, change in policy.changes.items():
        both = change.grant & change.revoke
        if both:
            raise _refuse("grant-and-revoke", f"{role.value}: a permission is both granted and revoked", role, both)
        given = change.grant - builtin_permissions(role)
        if given & NON_DELEGABLE:
            raise _refuse(
                "non-delegable", f"{role.value}: these permissions cannot be given away", role, given & NON_DELEGABLE
            )
        if role is Role.ADMIN and change.revoke & ADMIN_KEEPS:
            raise _refuse("admin-keeps", "admin always keeps roles management", role, change.revoke & ADMIN_KEEPS)
        if role is Role.CUSTOMER and given - CUSTOMER_MAY_HOLD:
            raise _refuse(
                "customer-shopper-only",
                "the customer role (every shopper) may be granted shopper permissions only",
                role,
                given - CUSTOMER_MAY_HOLD,
            )
        if role is not Role.CUSTOMER and given & SHOPPER_PERMISSIONS:
            raise _refuse(
                "staff-not-shopper",
                f"{role.value} is a staff role: shopper permissions are the customer role's",
                role,
                given & SHOPPER_PERMISSIONS,
            )
        if role is Role.MERCHANT and given & MONEY_MOVES:
            raise _refuse("no-money-moves", "store-scoped roles never move money", role, given & MONEY_MOVES)
        if role is Role.MERCHANT and P.ORDER_READ_ANY in given:
            raise _refuse(
                "store-scoped", "merchant staff are store-scoped: not order:read-any", role, {P.ORDER_READ_ANY}
            )
    if len(policy.custom) > MAX_CUSTOM_ROLES:
        raise RoleLimit(f"at most {MAX_CUSTOM_ROLES} custom roles", rule="too-many-roles", role="", permissions=[])
    for name, custom in policy.custom.items():
        if not CUSTOM_ROLE_NAME.fullmatch(name) or name in _ROLE_VALUES:
            raise _refuse(
                "role-name",
                f"{name[:40]!r}: a custom role is 2-32 lower-case letters, digits and dashes, not a built-in",
                name[:40],
                (),
            )
        if len(custom.description) > MAX_DESCRIPTION:
            raise _refuse("description", f"{name}: the description is at most {MAX_DESCRIPTION} characters", name, ())
        if not custom.permissions:
            raise _refuse("empty-role", f"{name}: a custom role holds at least one permission", name, ())
        for rule, bad, detail in (
            ("non-delegable", custom.permissions & NON_DELEGABLE, "these permissions cannot be given away"),
            ("staff-not-shopper", custom.permissions & SHOPPER_PERMISSIONS, "a custom role is a staff role"),
            (
                "no-money-moves",
                custom.permissions & MONEY_MOVES if custom.store_scoped else frozenset(),
                "store-scoped roles never move money",
            ),
            (
                "store-scoped",
                custom.permissions & {P.ORDER_READ_ANY} if custom.store_scoped else frozenset(),
                "a role is either store-scoped (order:read-store) or platform-wide (order:read-any)",
            ),
        ):
            if bad:
                raise _refuse(rule, f"{name}: {detail}", name, bad)
    return policy
