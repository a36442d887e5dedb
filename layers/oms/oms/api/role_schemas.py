"""Request bodies and answers of `/settings/roles`: grants and revokes per built-in role, custom staff roles."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from pydantic import Strict as StrictMode

from oms.api.schemas import AuditReason, SingleLine, Strict, View
from oms.domain.permissions import Permission, Role
from oms.domain.roles import MAX_CUSTOM_ROLES, MAX_DESCRIPTION

PermissionName = Annotated[Permission, StrictMode(False)]
RoleName = Annotated[Role, StrictMode(False)]
CustomName = Annotated[str, StringConstraints(min_length=2, max_length=32, pattern=r"^[a-z][a-z0-9-]+$")]


class RoleChangeIn(Strict):
    grant: list[PermissionName] = Field(default_factory=list, max_length=len(Permission))
    revoke: list[PermissionName] = Field(default_factory=list, max_length=len(Permission))


class CustomRoleIn(Strict):
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION), SingleLine] = ""
    permissions: list[PermissionName] = Field(min_length=1, max_length=len(Permission))


class RolesIn(Strict):
    """The whole policy (replacing the stored one): what each built-in role gains or loses against the
    built-in matrix (a role left out: nothing), and the custom staff roles (one left out is removed)."""

    roles: dict[RoleName, RoleChangeIn] = Field(default_factory=dict, max_length=len(Role))
    customRoles: dict[CustomName, CustomRoleIn] = Field(default_factory=dict, max_length=MAX_CUSTOM_ROLES)
    reason: AuditReason | None = None


class RoleOut(View):
    role: Role
    builtIn: list[Permission]
    granted: list[Permission]
    revoked: list[Permission]
    effective: list[Permission]


class CustomRoleOut(View):
    name: str
    description: str
    permissions: list[Permission]
    storeScoped: bool


class RoleLimits(View):
    nonDelegable: list[Permission]
    adminKeeps: list[Permission]
    moneyMoves: list[Permission]
    shopperOnly: list[Permission]


class Roles(View):
    roles: list[RoleOut]
    customRoles: list[CustomRoleOut]
    limits: RoleLimits
    version: int
    updatedAt: str | None
    updatedBy: str | None


class MyPermissions(View):
    """What the caller may do under the current role policy: the console shows only the actions these allow."""

    subject: str
    roles: list[Role]
    customRoles: list[str]
    stores: list[str]
    permissions: list[Permission]
