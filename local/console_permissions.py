"""console/src/generated/permissions.json from the code: the built-in permission matrix (role → permissions)
and, for every HTTP route of template.yaml, what the edge asks (`public`, `callback`, `signed-in`, or the
permissions any one of which lets a caller through). The console shows an action only when the signed-in
user's roles pass its route's edge; the API still enforces it. The unit tests run `--check`.

Usage: python -m oms_local.console_permissions [--template T] [--out console/src/generated/permissions.json] [--check]
"""

from __future__ import annotations

import json
from pathlib import Path

from oms.domain.permissions import MATRIX, Permission, Role
from oms_local.core.template import load_template
from oms_local.generated_doc import run as write_or_check
from oms_local.openapi import handlers

OUT = "console/src/generated/permissions.json"


def render(template_path: Path) -> str:
    template = load_template(template_path)
    typed = handlers(template)
    routes: dict[str, str | list[str]] = {}
    for route in sorted(template.routes, key=lambda r: (r.path, r.method)):
        endpoint = typed.get(route.route_key)
        permits: tuple[Permission, ...] = getattr(endpoint.function, "__oms_permits__", ()) if endpoint else ()
        if route.path.startswith("/callbacks/"):
            routes[route.route_key] = "callback"
        elif route.public:
            routes[route.route_key] = "public"
        elif not permits:
            routes[route.route_key] = "signed-in"
        else:
            routes[route.route_key] = sorted(p.value for p in permits)
    roles = {role.value: sorted(p.value for p in Permission if role in MATRIX[p]) for role in Role}
    return json.dumps({"roles": roles, "routes": routes}, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    status: int = write_or_check("oms_local.console_permissions", __doc__.split("\n\n")[0], OUT, render, argv)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
