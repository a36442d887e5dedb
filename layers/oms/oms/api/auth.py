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


def parse_stores(raw: Any) -> frozenset[str]:
    """The `custom:stores` claim: store ids separated by commas or spaces (Cognito custom attributes are
    strings), or a JSON list."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(str(part) for part in raw if str(part))
    text = str(raw).strip().strip("[]")
    return frozenset(part.strip().strip('"') for part in text.replace(",", " ").split() if part.strip().strip('"'))


def actor_from_event(event: dict[str, Any]) -> Actor:
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        raise HttpProblem(401, "unauthorized", "Unauthorized", "a signed bearer token is required")
    return Actor(
        subject=str(subject),
        roles=parse_groups(claims.get("cognito:groups")),
        stores=parse_stores(claims.get("custom:stores")),
        request_id=context.get("requestId") or None,
        source_ip=(context.get("http") or {}).get("sourceIp") or None,
        email=str(claims["email"]) if claims.get("email") else None,
    )


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
