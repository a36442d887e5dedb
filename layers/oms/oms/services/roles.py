"""Roles administration (`/settings/roles`) and the role policy every edge check uses.

The policy is one settings item. Each function environment reads it once (one GetItem, at the first
permission check of a token that names a group: `oms.domain.permissions.Grants`), then keeps it for
TTL_SECONDS: a change takes effect everywhere within that time (at once in the function that wrote it).
A read that fails while an expired copy is held serves that copy until a read succeeds; with no copy
the request fails like any other (503).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from oms.domain import clock
from oms.domain.errors import PreconditionFailed
from oms.domain.permissions import Actor, Permission, Role
from oms.domain.roles import (
    ADMIN_KEEPS,
    MONEY_MOVES,
    NON_DELEGABLE,
    SHOPPER_PERMISSIONS,
    CustomRole,
    RoleChange,
    RolePolicy,
    builtin_permissions,
    check,
)

TTL_SECONDS = 30.0

Json = dict[str, Any]


class PolicyCache:
    """The role policy of this environment, read at most once per TTL."""

    def __init__(
        self,
        read: Callable[[], RolePolicy],
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._policy: RolePolicy | None = None
        self._expires = 0.0

    def get(self) -> RolePolicy:
        now = self._monotonic()
        with self._lock:
            if self._policy is not None and now < self._expires:
                return self._policy
            try:
                policy = self._read()
            except Exception:
                if self._policy is not None:
                    return self._policy  # stale, until a read succeeds
                raise
            self._policy, self._expires = policy, now + self._ttl
            return policy

    def put(self, policy: RolePolicy) -> None:
        """The policy this environment just wrote: effective here at once."""
        with self._lock:
            self._policy, self._expires = policy, self._monotonic() + self._ttl

    def forget(self) -> None:
        with self._lock:
            self._policy, self._expires = None, 0.0


def _read_stored() -> RolePolicy:
    from oms.store.roles import read_policy

    # Eventually consistent: half the cost, and a change is seconds old at most (the TTL is longer).
    return read_policy(consistent=False)


POLICY = PolicyCache(_read_stored)


def current_policy() -> RolePolicy:
    return POLICY.get()


def policy_view(policy: RolePolicy) -> Json:
    """The policy as GET /settings/roles shows it: each role's built-in, granted, revoked and effective
    permissions, the custom roles, and the limits."""
    return {
        "roles": [
            {
                "role": role.value,
                "builtIn": sorted(builtin_permissions(role)),
                "granted": sorted(policy.changes.get(role, RoleChange()).grant),
                "revoked": sorted(policy.changes.get(role, RoleChange()).revoke),
                "effective": sorted(policy.permissions_of(role)),
            }
            for role in Role
        ],
        "customRoles": [
            {
                "name": custom.name,
                "description": custom.description,
                "permissions": sorted(custom.permissions),
                "storeScoped": custom.store_scoped,
            }
            for custom in sorted(policy.custom.values(), key=lambda c: c.name)
        ],
        "limits": {
            "nonDelegable": sorted(NON_DELEGABLE),
            "adminKeeps": sorted(ADMIN_KEEPS),
            "moneyMoves": sorted(MONEY_MOVES),
            "shopperOnly": sorted(SHOPPER_PERMISSIONS),
        },
        "version": policy.version,
        "updatedAt": policy.updated_at,
        "updatedBy": policy.updated_by,
    }


class RoleService:
    def __init__(
        self,
        read: Callable[[], RolePolicy] | None = None,
        write: Callable[..., RolePolicy] | None = None,
        cache: PolicyCache = POLICY,
        now: Callable[[], str] = lambda: clock.to_rfc3339(clock.utcnow()),
    ) -> None:
        if read is None or write is None:
            from oms.store.roles import read_policy, write_policy

            read, write = read or read_policy, write or write_policy
        self._read = read
        self._write = write
        self._cache = cache
        self._now = now

    def get(self, actor: Actor) -> Json:
        return policy_view(self._read())

    def put(
        self,
        actor: Actor,
        changes: Mapping[Role, tuple[frozenset[Permission], frozenset[Permission]]],
        custom: Mapping[str, tuple[str, frozenset[Permission]]],
        if_match: int | None,
        reason: str | None,
    ) -> Json:
        """Replace the whole policy (a role left out has no changes; a custom role left out is removed),
        within the limits (422 `role-limit`), conditioned on If-Match (412), audited as `roles.update`."""
        current = self._read()
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed("the roles changed since you read them (If-Match)")
        wanted = check(
            RolePolicy(
                {role: RoleChange(grant, revoke) for role, (grant, revoke) in changes.items() if grant or revoke},
                {name: CustomRole(name, perms, description) for name, (description, perms) in custom.items()},
            )
        )
        if wanted.to_dict() == current.to_dict():
            return policy_view(current)  # nothing changes (a retry after a lost answer, too)
        written = self._write(
            wanted, expected_version=current.version, actor=actor, now=self._now(), before=current, reason=reason
        )
        self._cache.put(written)
        return policy_view(written)
