"""Who is calling: the JWT claims API Gateway's authorizer verified, turned into an Actor.

API Gateway HTTP APIs pass claims as strings; list claims such as `cognito:groups` arrive as
"[admin customer]". Both that form and a real JSON list are accepted.
"""

from __future__ import annotations

from typing import Any

from oms.api.problems import HttpProblem
from oms.domain.permissions import Actor, Permission, Role

_ROLE_VALUES = {role.value: role for role in Role}


def parse_groups(raw: Any) -> frozenset[Role]:
    if raw is None:
        return frozenset()
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        names = [part.strip().strip('"') for part in text.replace(",", " ").split()]
    elif isinstance(raw, list | tuple):
        names = [str(part) for part in raw]
    else:
        return frozenset()
    return frozenset(_ROLE_VALUES[name] for name in names if name in _ROLE_VALUES)


def actor_from_event(event: dict[str, Any]) -> Actor:
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        raise HttpProblem(401, "unauthorized", "Unauthorized", "a signed bearer token is required")
    return Actor(subject=str(subject), roles=parse_groups(claims.get("cognito:groups")))


def require(actor: Actor, permission: Permission) -> None:
    """Called by a handler before it reads the body: a role that may not act gets 403, never a schema hint."""
    if not actor.can(permission):
        raise HttpProblem(403, "forbidden", "Not allowed", f"this action needs the {permission.value} permission")


def require_any(actor: Actor, *permissions: Permission) -> None:
    """For routes open to several roles on different terms (e.g. cancel: one's own order, or any order):
    the object-level check that picks between them stays in the service."""
    if not any(actor.can(permission) for permission in permissions):
        names = " or ".join(permission.value for permission in permissions)
        raise HttpProblem(403, "forbidden", "Not allowed", f"this action needs the {names} permission")
