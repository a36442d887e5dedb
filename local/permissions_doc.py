"""docs/permissions.md from the code: every HTTP route of template.yaml with the permission its typed route
declares (`permits`, checked at the edge) and the built-in roles that hold it; then every permission with
its roles, and the limits of the role policy (`oms.domain.roles`). The unit tests run `--check`.

Usage: python -m oms_local.permissions_doc [--template template.yaml] [--out docs/permissions.md] [--check]
"""

from __future__ import annotations

from pathlib import Path

from oms.domain.permissions import MATRIX, Permission, Role
from oms.domain.roles import ADMIN_KEEPS, MONEY_MOVES, NON_DELEGABLE, SHOPPER_PERMISSIONS
from oms_local.core.template import load_template
from oms_local.generated_doc import run as write_or_check
from oms_local.openapi import handlers

ROOT = Path(__file__).resolve().parents[1]
YES, NO, SERVICE = "✓", "·", "○"

HEADER = """# Permissions

Generated from the code by `python -m oms_local.permissions_doc` (a unit test keeps it current): the
permission matrix (`oms.domain.permissions.MATRIX`), the permission each route declares at the edge
(`permits=` of its typed route: a caller holding none of them gets 403 before the body is read), and the
limits of the role policy admins edit (`/settings/roles`, `oms.domain.roles`). How roles, custom roles and
store scope work: [access.md](access.md).

Object-level rules come after the edge, in the services (`oms.services.access`): a shopper sees only their
own orders; store-scoped staff (merchant) only their stores' child orders and lines; anyone else gets the
same 404 as for a missing object.

In the route table ✓ means the role passes the edge, · that it gets 403 there. Routes marked *signed-in*
declare no permission (○): any caller with a valid token reaches the service, which decides (their own
data, or a 403/404 there). *public* routes need no token; *callback* routes no token either: the
provider's or carrier's signature authenticates them.

The tables show the built-in matrix; grants, revokes and custom roles change the effective permissions
at run time (`GET /settings/roles` shows them).
"""


def _roles_cell(permits: tuple[Permission, ...], role: Role) -> str:
    return YES if any(role in MATRIX[p] for p in permits) else NO


def render(template_path: Path) -> str:
    template = load_template(template_path)
    typed = handlers(template)
    roles = list(Role)
    lines = [HEADER, "## Routes", ""]
    lines.append("| Route | Function | Permission | " + " | ".join(r.value for r in roles) + " |")
    lines.append("|---|---|---|" + "---|" * len(roles))
    for route in sorted(template.routes, key=lambda r: (r.path, r.method)):
        function = route.function_id.removesuffix("Function")
        endpoint = typed.get(route.route_key)
        if route.path.startswith("/callbacks/"):
            needed, cells = "*callback*", [NO] * len(roles)
        elif route.public:
            needed, cells = "*public*", [YES] * len(roles)
        elif endpoint is None or not getattr(endpoint.function, "__oms_permits__", ()):
            needed, cells = "*signed-in*", [SERVICE] * len(roles)
        else:
            permits: tuple[Permission, ...] = endpoint.function.__oms_permits__
            needed = " or ".join(f"`{p.value}`" for p in permits)
            cells = [_roles_cell(permits, role) for role in roles]
        lines.append(f"| `{route.method} {route.path}` | {function} | {needed} | " + " | ".join(cells) + " |")
    lines += ["", "## Permissions", ""]
    lines.append("| Permission | " + " | ".join(r.value for r in roles) + " | Limits |")
    lines.append("|---|" + "---|" * len(roles) + "---|")
    for permission in Permission:
        limits = []
        if permission in NON_DELEGABLE:
            limits.append("non-delegable")
        if permission in ADMIN_KEEPS:
            limits.append("admin keeps it")
        if permission in MONEY_MOVES:
            limits.append("never customer or store-scoped")
        if permission in SHOPPER_PERMISSIONS:
            limits.append("shopper only")
        cells = [YES if role in MATRIX[permission] else NO for role in roles]
        lines.append(f"| `{permission.value}` | " + " | ".join(cells) + f" | {', '.join(limits)} |")
    lines += [
        "",
        "## Limits of the role policy",
        "",
        "- **Non-delegable** (never granted beyond the roles above, never in a custom role): "
        + ", ".join(f"`{p.value}`" for p in sorted(NON_DELEGABLE)),
        "- **Admin keeps**: " + ", ".join(f"`{p.value}`" for p in sorted(ADMIN_KEEPS)),
        "- **Money moves** (never granted to the customer role or a store-scoped role): "
        + ", ".join(f"`{p.value}`" for p in sorted(MONEY_MOVES)),
        "- **Shopper permissions** (the customer role's only; never in a staff or custom role): "
        + ", ".join(f"`{p.value}`" for p in sorted(SHOPPER_PERMISSIONS)),
        "- A custom role is store-scoped (`order:read-store`) or platform-wide (`order:read-any`), never both.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    status: int = write_or_check(
        "oms_local.permissions_doc", __doc__.split("\n\n")[0], "docs/permissions.md", render, argv
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
