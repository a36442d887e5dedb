"""Roles administration: which permissions each built-in role holds beyond (or short of) the built-in
matrix, and the custom staff roles admins define (`/settings/roles`, admin only, audited, ETag/If-Match).
Thin: parse, authorize, call oms, shape the response. The edge of every function reads the policy this
writes (`oms.services.roles`: cached for a short TTL)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from oms import snapstart, wiring
from oms.api.http import actor, answer, etag, if_match, make_resolver
from oms.api.params import IfMatch
from oms.api.role_schemas import MyPermissions, Roles, RolesIn
from oms.domain.permissions import Permission

logger = Logger()
app = make_resolver(logger, tag="Roles")
services = wiring.services()
snapstart.build_before_snapshot(services, "roles")


@app.endpoint("GET", "/settings/roles", permits=Permission.ROLES_MANAGE, headers=("ETag",))
def get_roles() -> Response[Roles]:
    """Every role's built-in, granted, revoked and effective permissions, the custom roles and the limits.

    The ETag is the policy's version."""
    result = services.roles.get(actor(app))
    return Response(200, "application/json", answer(Roles, result), etag(result["version"]))


@app.endpoint("PUT", "/settings/roles", permits=Permission.ROLES_MANAGE, problems=(400, 409, 412), headers=("ETag",))
def put_roles(body: Annotated[RolesIn, Body()], ifMatch: IfMatch = None) -> Response[Roles]:
    """Replace the role policy: grants and revokes per built-in role, and the custom staff roles.

    Within the limits (422 `role-limit`): docs/access.md."""
    result = services.roles.put(
        actor(app),
        {role: (frozenset(change.grant), frozenset(change.revoke)) for role, change in body.roles.items()},
        {name: (custom.description, frozenset(custom.permissions)) for name, custom in body.customRoles.items()},
        if_match(app),
        body.reason,
    )
    return Response(200, "application/json", answer(Roles, result), etag(result["version"]))


@app.endpoint("GET", "/me/permissions")
def my_permissions() -> MyPermissions:
    """The caller's roles, custom roles, stores and effective permissions under the current role policy
    (built-in matrix, grants and revokes, custom roles). A client shows only what these allow; every route
    still checks them."""
    caller = actor(app)
    return answer(
        MyPermissions,
        {
            "subject": caller.subject,
            "roles": sorted(role.value for role in caller.roles),
            "customRoles": sorted(caller.custom_roles),
            "stores": sorted(caller.stores),
            "permissions": [permission.value for permission in Permission if caller.can(permission)],
        },
    )


@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
