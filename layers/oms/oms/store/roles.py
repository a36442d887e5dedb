"""The role policy in the table: one settings item (`SETTINGS#ROLES` / `POLICY`), read by the edge with one
GetItem per cold environment (then cached, `oms.services.roles`), replaced conditioned on its version with
its audit entry (`roles.update`) in one transaction."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from oms.domain.errors import Conflict
from oms.domain.permissions import Actor
from oms.domain.roles import RolePolicy
from oms.store.audit import add_audit
from oms.store.models import RolePolicyItem
from oms.store.transactions import Part, Transaction, TransactionCancelled

ROLE_POLICY = ("SETTINGS#ROLES", "POLICY")
AUDIT_SUBJECT = "SETTINGS#ROLES"


class ConcurrentRoleChange(Conflict):
    slug = "concurrent-update"
    title = "The resource changed while this request was processed"


def read_policy(*, consistent: bool = True) -> RolePolicy:
    """The stored policy, or the empty one (version 0: the built-in matrix as is)."""
    try:
        item = RolePolicyItem.get(*ROLE_POLICY, consistent_read=consistent)
    except DoesNotExist:
        return RolePolicy()
    return RolePolicy.from_dict(
        item.data or {}, version=int(item.version), updated_at=item.updatedAt, updated_by=item.updatedBy
    )


def write_policy(
    policy: RolePolicy, *, expected_version: int, actor: Actor, now: str, before: RolePolicy, reason: str | None
) -> RolePolicy:
    """Replace the policy read at `expected_version`, with its audit entry, in one transaction."""
    data = policy.to_dict()
    item = RolePolicyItem(*ROLE_POLICY, data=data, version=expected_version + 1, updatedAt=now, updatedBy=actor.subject)
    tx = Transaction()
    tx.put(
        Part.SETTINGS,
        item,
        RolePolicyItem.version == expected_version if expected_version else RolePolicyItem.PK.does_not_exist(),
    )
    before_data = before.to_dict()
    add_audit(tx, AUDIT_SUBJECT, "roles.update", actor=actor, now=now, before=before_data, after=data, reason=reason)
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.SETTINGS):
            raise ConcurrentRoleChange("the role policy was changed concurrently; read it again") from cancelled
        raise
    return RolePolicy.from_dict(data, version=expected_version + 1, updated_at=now, updated_by=actor.subject)
