"""Generate the OpenAPI 3.1 document (docs/openapi.json) from template.yaml and the handlers' source.

Routes, methods and which routes are public (``Auth: { Authorizer: NONE }``) come from template.yaml.
Request bodies and headers come from reading each function's handler module with ``ast`` (never
importing it: handler modules build AWS clients at import time): the function decorated with the route's
method and path (``@app.post("/orders/<orderId>/cancel")``), its first ``parse_body(app, Model)`` call
(``Model`` imported from oms.api.schemas or a function's own schema module), and whether it calls
``idempotency_key(app)`` or ``if_match(app)``. Responses stay generic: a JSON ``2XX`` and RFC 9457 problems.

Usage: python -m oms_local.openapi [--template template.yaml] [--out docs/openapi.json] [--check]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oms.api.http import IDEMPOTENCY_KEY_MAX
from oms.api.ids import PATH_IDS
from oms.api.schemas import MODEL_MODULES
from oms_local.core.template import RouteSpec, TemplateError, load_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

ROOT = Path(__file__).resolve().parents[1]
REF = "#/components/schemas/{model}"
SCHEMA_MODULES = ("oms.api.schemas", *MODEL_MODULES)  # the index and each function's own module
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_POWERTOOLS_PARAM = re.compile(r"<([^<>]+)>")
_PATH_PARAM = re.compile(r"\{([^{}]+)\}")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; extension members (e.g. `errors`) vary by problem type.",
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "examples": ["urn:oms:problem:validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}


@dataclass(frozen=True)
class HandlerInfo:
    """What one route's handler reads from the request, found in its source."""

    function: str
    body_model: type[BaseModel] | None = None
    body_required: bool = False
    idempotency_key: bool | None = None  # None: not read; else whether it is read unconditionally
    if_match: bool = False


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _calls(function: ast.FunctionDef, name: str) -> list[tuple[ast.Call, bool]]:
    """Calls of ``name`` in source order, each with whether it sits in a branch of an ``if``."""
    found: list[tuple[ast.Call, bool]] = []

    def visit(node: ast.AST, conditional: bool) -> None:
        if isinstance(node, ast.Call) and _callee(node) == name:
            found.append((node, conditional))
        for child in ast.iter_child_nodes(node):
            branch = isinstance(node, ast.If | ast.IfExp) and child is not node.test
            visit(child, conditional or branch)

    for statement in function.body:
        visit(statement, False)
    return sorted(found, key=lambda item: (item[0].lineno, item[0].col_offset))


def _route_key(decorator: ast.expr) -> str | None:
    """``@app.post("/orders/<orderId>")`` → ``POST /orders/{orderId}``; None for other decorators."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    if decorator.func.attr not in _METHODS or not decorator.args:
        return None
    path = decorator.args[0]
    if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
        return None
    return decorator.func.attr.upper() + " " + _POWERTOOLS_PARAM.sub(r"{\1}", path.value)


def _body_model(call: ast.Call, imports: dict[str, tuple[str, str]], where: str) -> type[BaseModel]:
    node = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "model"), None)
    if not isinstance(node, ast.Name) or node.id not in imports:
        raise TemplateError(f"{where}: parse_body's model must be a name imported from {' or '.join(SCHEMA_MODULES)}")
    module, name = imports[node.id]
    model = getattr(importlib.import_module(module), name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TemplateError(f"{where}: {module}.{name} is not a pydantic model")
    return model


def handlers(module_file: Path) -> dict[str, HandlerInfo]:
    """Route key (``POST /orders/{orderId}/cancel``) → what its handler in ``module_file`` reads."""
    tree = ast.parse(module_file.read_text(encoding="utf-8"), filename=str(module_file))
    imports = {
        alias.asname or alias.name: (str(node.module), alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module in SCHEMA_MODULES
        for alias in node.names
    }
    found: dict[str, HandlerInfo] = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for key in filter(None, map(_route_key, function.decorator_list)):
            where = f"{module_file}:{function.lineno} {function.name}"
            bodies = _calls(function, "parse_body")
            keys = _calls(function, "idempotency_key")
            optional = bool(bodies) and any(
                k.arg == "optional" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                for k in bodies[0][0].keywords
            )
            found[key] = HandlerInfo(
                function=function.name,
                body_model=_body_model(bodies[0][0], imports, where) if bodies else None,
                body_required=bool(bodies) and not optional,
                idempotency_key=not all(conditional for _, conditional in keys) if keys else None,
                if_match=bool(_calls(function, "if_match")),
            )
    return found


def _path_schema(name: str) -> dict[str, Any]:
    """A path parameter's limits (`oms.api.ids`: checked at the edge for every resolver route)."""
    kind = PATH_IDS.get(name)
    if kind is None:  # the callbacks' {provider} and {carrier}: looked up by name, never used as a key
        return {"type": "string"}
    return {"type": "string", "minLength": 1, "maxLength": kind.max_length, "pattern": kind.pattern}


def _parameters(route: RouteSpec, info: HandlerInfo | None) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name.rstrip("+"), "in": "path", "required": True, "schema": _path_schema(name.rstrip("+"))}
        for name in _PATH_PARAM.findall(route.path)
    ]
    if info is not None and info.idempotency_key is not None:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": info.idempotency_key,
                "description": "Makes a retry safe: the same key and body replay the first answer.",
                "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
            }
        )
    if info is not None and info.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The ETag of the version read; 412 if it has changed since.",
                "schema": {"type": "string"},
            }
        )
    return parameters


def _version(pyproject: Path) -> str:
    with pyproject.open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def build_openapi(template_path: str | Path, notes: list[str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``template_path``. Routes without a handler, and handlers without a
    route, are appended to ``notes`` when given."""
    template_path = Path(template_path).resolve()
    template = load_template(template_path)
    notes = notes if notes is not None else []
    by_function = {
        function_id: handlers(template.functions[function_id].module_file)
        for function_id in sorted({route.function_id for route in template.routes})
    }
    for function_id, found in by_function.items():
        declared = {route.route_key for route in template.routes if route.function_id == function_id}
        if found:  # a module without route decorators (the callbacks) takes the raw event: nothing to match
            notes += [f"{function_id}: {key} has no handler" for key in sorted(declared - set(found))]
        notes += [
            f"{function_id}: handler for {key} has no route in template.yaml" for key in sorted(set(found) - declared)
        ]

    infos = {route.route_key: by_function[route.function_id].get(route.route_key) for route in template.routes}
    models = {info.body_model for info in infos.values() if info is not None and info.body_model is not None}
    ordered = sorted(models, key=lambda model: (model.__name__, model.__module__))
    refs, definitions = models_json_schema([(model, "validation") for model in ordered], ref_template=REF)
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    if "Problem" in schemas:
        raise TemplateError("a request model is called Problem: that name is taken by the problem schema")
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(template.routes, key=lambda route: (route.path, route.method)):
        info = infos[route.route_key]
        operation: dict[str, Any] = {
            "operationId": f"{route.function_id}.{route.event_id}",
            "tags": [route.function_id.removesuffix("Function")],
            "responses": {
                "2XX": {"$ref": "#/components/responses/Success"},
                "503": {"$ref": "#/components/responses/ServiceUnavailable"},
                "default": {"$ref": "#/components/responses/Problem"},
            },
        }
        if parameters := _parameters(route, info):
            operation["parameters"] = parameters
        if info is not None and info.body_model is not None:
            schema = refs[(info.body_model, "validation")]
            content = {"application/json": {"schema": schema}}
            operation["requestBody"] = {"required": info.body_required, "content": content}
        if not route.public:
            operation["security"] = [{"bearerAuth": []}]
        path_item = paths.setdefault(route.path, {})
        method = route.method.lower()
        if method not in _METHODS:
            raise TemplateError(f"{route.route_key}: method {route.method} cannot be described in OpenAPI")
        if method in path_item:
            raise TemplateError(f"{route.route_key} is declared twice (also by {path_item[method]['operationId']})")
        path_item[method] = operation

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OMS",
            "version": _version(template_path.parent / "pyproject.toml"),
            "description": "Order-management HTTP API, generated from template.yaml and the handlers. See docs/api.md.",
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "oms-local"}],
        "tags": [{"name": tag} for tag in sorted({op["tags"][0] for item in paths.values() for op in item.values()})],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token on AWS; `POST /_local/token` locally. Roles: `cognito:groups`.",
                }
            },
            "responses": {
                "Success": {
                    "description": "Success (some routes answer 204 with no body).",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "Problem": {
                    "description": "An error, as RFC 9457 problem details.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
                "ServiceUnavailable": {
                    "description": (
                        "A transient fault (throttling, a timeout, a lost race): `service-unavailable` (or"
                        " `warehouse-unavailable`). Retry after `Retry-After` seconds; see docs/api.md for"
                        " which requests are safe to repeat as they are."
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait before retrying.",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m oms_local.openapi", description="Write or check the OpenAPI document."
    )
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "openapi.json")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out differs from a fresh build")
    args = parser.parse_args(argv)
    notes: list[str] = []
    text = render(build_openapi(args.template, notes))
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.check:
        if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
            print(f"{args.out} is stale: regenerate it with `python -m oms_local.openapi`", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
