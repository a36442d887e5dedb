"""Who is calling: the JWT claims API Gateway's authorizer verified, turned into an Actor.

API Gateway HTTP APIs pass claims as strings; list claims such as `cognito:groups` arrive as
"[admin customer]". Both that form and a real JSON list are accepted. Groups name built-in roles or the
custom staff roles admins define; the actor's effective permissions come from the role policy
(`oms.services.roles.current_policy`: one read per cold environment, then cached for a short TTL).
"""

from __future__ import annotations

from typing import Any

from oms.api.problems import HttpProblem
from oms.domain.permissions import Actor, Grants, Permission, Role
from oms.domain.roles import CUSTOM_ROLE_NAME, RolePolicy

_ROLE_VALUES = {role.value: role for role in Role}


def group_names(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [part.strip().strip('"') for part in text.replace(",", " ").split()]
    if isinstance(raw, list | tuple):
        return [str(part) for part in raw]
    return []


def parse_groups(raw: Any) -> frozenset[Role]:
    """The built-in roles among the groups."""
    return frozenset(_ROLE_VALUES[name] for name in group_names(raw) if name in _ROLE_VALUES)


def parse_custom_groups(raw: Any) -> frozenset[str]:
    """The other groups that can name a custom staff role (whether they do is the policy's to say)."""
    return frozenset(name for name in group_names(raw) if name not in _ROLE_VALUES and CUSTOM_ROLE_NAME.fullmatch(name))


def parse_stores(raw: Any) -> frozenset[str]:
    """The `custom:stores` claim: store ids separated by commas or spaces (Cognito custom attributes are
    strings), or a JSON list."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(str(part) for part in raw if str(part))
    text = str(raw).strip().strip("[]")
    return frozenset(part.strip().strip('"') for part in text.replace(",", " ").split() if part.strip().strip('"'))


def _current_policy() -> RolePolicy:
    from oms.services.roles import current_policy  # the store loads on first use, not at import

    return current_policy()


def actor_from_event(event: dict[str, Any], policy: RolePolicy | None = None) -> Actor:
    """The caller, with the permissions its groups hold under the role policy (`policy`, or the cached
    one: read at the first permission check, and only when the token names a group)."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        raise HttpProblem(401, "unauthorized", "Unauthorized", "a signed bearer token is required")
    roles = parse_groups(claims.get("cognito:groups"))
    custom = parse_custom_groups(claims.get("cognito:groups"))
    granted: frozenset[Permission] | Grants
    if policy is not None:
        granted = policy.effective(roles, custom)
        custom = frozenset(name for name in custom if name in policy.custom)
    elif roles or custom:
        granted = Grants(lambda: _current_policy().effective(roles, custom))
    else:
        granted = frozenset()
    return Actor(
        subject=str(subject),
        roles=roles,
        stores=parse_stores(claims.get("custom:stores")),
        request_id=context.get("requestId") or None,
        source_ip=(context.get("http") or {}).get("sourceIp") or None,
        custom_roles=custom,
        granted=granted,
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
