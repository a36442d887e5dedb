"""Write or check the OpenAPI 3.1 document (docs/openapi.json): powertools generates it from the typed
routes of every HTTP function, and this module joins the functions' documents into one.

Each function's resolver (`oms.api.http.OmsResolver`) describes its own operations: path, query and
header parameters, the request body's model, every response with its schema (the success code with the
route's return type, each problem with `Problem`). template.yaml adds what only the deployment knows:
which routes need a bearer token (and so may answer 401), the operation ids (`<Function>.<Event>`), and
the two provider callbacks, which take raw bodies in their providers' formats and are described here.
Path ids get the limits the edge checks (`oms.api.ids`). A route in the template without a handler, a
handler without a route, or two functions defining one schema name differently are errors.

Usage: python -m oms_local.openapi [--template template.yaml] [--out docs/openapi.json] [--check]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

from oms.api.http import Endpoint
from oms.api.ids import PATH_IDS
from oms_local.core.template import RouteSpec, StackTemplate, TemplateError, load_template

ROOT = Path(__file__).resolve().parents[1]
_POWERTOOLS_ONLY = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_CALLBACKS = {
    "PaymentCallbacksFunction": (
        "A payment provider's notification, verified by the provider's signature over the raw body"
        " (Alipay RSA2 form, WeChat Pay AES-GCM JSON, card HMAC JSON, crypto HMAC JSON) and applied once."
        " The answer is in the provider's own format (Alipay `success`/`failure` as text, crypto `ok`,"
        " card JSON, WeChat Pay 204).",
        {
            "200": "Applied (or a duplicate): the provider's acknowledgement; Alipay also answers a refusal here",
            "204": "Applied (or a duplicate): WeChat Pay's acknowledgement",
            "400": "A bad signature or not a notification this provider sends",
            "404": "Unknown provider",
            "413": "Body larger than 64 KB",
            "500": "Not applied (a bug): the provider retries",
            "503": "Not applied yet (a transient fault; Retry-After): the provider retries",
        },
    ),
    "ChannelCallbacksFunction": (
        "A sales channel's order (JSON `{eventId?, channelOrderNo, lines: [{skuId, quantity}], buyer?, note?}`),"
        " verified by the store's HMAC signature (`Channel-Signature: t=<unix s>,v1=<hex>`) and placed once per"
        " channel order number, paid from the store's balance. The answer is JSON `{code, ...}`.",
        {
            "200": "Placed, or a duplicate of the order its number placed (`code` OK, `status` created/duplicate)",
            "401": "A bad or stale signature",
            "404": "Unknown channel store",
            "409": "Refused: the store is disabled, its balance is short, or the number was used for other lines",
            "413": "Body larger than 64 KB",
            "422": "Not an order (the channel must fix it)",
            "500": "Not applied (a bug): the channel retries",
            "503": "Not applied yet (a transient fault; Retry-After): the channel retries",
        },
    ),
    "CarrierCallbacksFunction": (
        "A carrier's tracking update, verified by its HMAC signature and applied once per event.",
        {
            "204": "Applied, recorded, or a duplicate (empty body)",
            "401": "Unknown carrier, bad or stale signature, or a malformed body",
            "409": "No shipment has this tracking number yet: the carrier retries",
            "413": "Body larger than 64 KB",
            "500": "Not applied (a bug, or the carrier's secrets missing): the carrier retries",
            "503": "Not applied yet (a transient fault; Retry-After): the carrier retries",
        },
    ),
}
# What the callbacks answer in: a payment provider's own format (Alipay `success` as text, WeChat Pay
# JSON, ...), a carrier JSON.
_CALLBACK_MEDIA = {
    "PaymentCallbacksFunction": "*/*",
    "CarrierCallbacksFunction": "application/json",
    "ChannelCallbacksFunction": "application/json",
}
_HEADERS = {"idempotency-key": "Idempotency-Key", "if-match": "If-Match"}
MODULE_PREFIX = "oms_openapi_"


def load_module(template: StackTemplate, function_id: str) -> ModuleType:
    """A function's handler module, imported under its own name (importing builds no AWS client)."""
    path = template.functions[function_id].module_file
    name = MODULE_PREFIX + function_id
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TemplateError(f"{function_id}: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves generic models through sys.modules
    spec.loader.exec_module(module)
    return module


def resolver_of(template: StackTemplate, function_id: str) -> Any | None:
    """The function's typed resolver (`app`), or None for a function that takes raw events."""
    from oms.api.http import OmsResolver

    app = getattr(load_module(template, function_id), "app", None)
    return app if isinstance(app, OmsResolver) else None


def handlers(template: StackTemplate) -> dict[str, Endpoint]:
    """Route key → the typed route registered for it, over every HTTP function of ``template`` (the
    callbacks, which take raw events, have none)."""
    found: dict[str, Endpoint] = {}
    for function_id in sorted({route.function_id for route in template.routes}):
        app = resolver_of(template, function_id)
        if app is not None:
            found.update({endpoint.route_key: endpoint for endpoint in app.endpoints})
    return found


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is absent or a string: `anyOf [X, null]` (an optional argument) is X."""
    options = schema.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        rest = dict(schema)
        del rest["anyOf"]
        return {**next(o for o in options if o != {"type": "null"}), **rest}
    return schema


def _path_schema(name: str) -> dict[str, Any]:
    kind = PATH_IDS.get(name)
    if kind is None:
        return {"type": "string"}
    return {"type": "string", "minLength": 1, "maxLength": kind.max_length, "pattern": kind.pattern}


def _operation(route: RouteSpec, generated: dict[str, Any]) -> dict[str, Any]:
    operation = dict(generated)
    operation["operationId"] = f"{route.function_id}.{route.event_id}"
    operation.setdefault("tags", [route.function_id.removesuffix("Function")])
    parameters = []
    for parameter in operation.get("parameters", []):
        parameter = {**parameter, "schema": _not_null(parameter["schema"])}
        parameter["schema"].pop("title", None)
        if parameter["in"] == "path":
            parameter["schema"] = _path_schema(parameter["name"])
        if parameter["in"] == "header":  # powertools lower-cases header names; HTTP's are case-insensitive
            parameter["name"] = _HEADERS.get(parameter["name"], parameter["name"])
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    if "requestBody" in operation:
        operation["requestBody"] = {"required": False, **operation["requestBody"]}
    responses = dict(operation["responses"])
    # Powertools documents 500 as its ResponseValidationError; the resolver answers every 500 as a Problem.
    responses["500"] = {
        "description": "Internal error (a bug, a response its model refuses): safe to retry",
        "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
    }
    if not route.public:
        operation["security"] = [{"bearerAuth": []}]
        responses["401"] = {
            "description": "No valid bearer token",
            "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
        }
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _callback(route: RouteSpec) -> dict[str, Any]:
    description, statuses = _CALLBACKS[route.function_id]
    media = _CALLBACK_MEDIA[route.function_id]
    name = re.findall(r"\{([^{}]+)\}", route.path)[0]
    return {
        "operationId": f"{route.function_id}.{route.event_id}",
        "tags": [route.function_id.removesuffix("Function")],
        "summary": description.split(",")[0].split(" (")[0],
        "description": description,
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}},
        "responses": {
            code: {"description": text} if code == "204" else {"description": text, "content": {media: {}}}
            for code, text in sorted(statuses.items())
        },
    }


def _merge_schemas(into: dict[str, Any], schemas: dict[str, Any], function_id: str) -> None:
    for name, schema in schemas.items():
        if name in _POWERTOOLS_ONLY:
            continue
        if name in into and into[name] != schema:
            raise TemplateError(f"{function_id}: schema {name} differs from another function's {name}: rename one")
        into[name] = schema


def _version(pyproject: Path) -> str:
    with pyproject.open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def build_openapi(template_path: str | Path, notes: list[str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``template_path``. Routes without a handler and handlers without a
    route are appended to ``notes`` when given (and left out of the document)."""
    template_path = Path(template_path).resolve()
    template = load_template(template_path)
    notes = notes if notes is not None else []
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for function_id in sorted({route.function_id for route in template.routes}):
        routes = {route.route_key: route for route in template.routes if route.function_id == function_id}
        app = resolver_of(template, function_id)
        if app is None:
            if function_id not in _CALLBACKS:
                notes.append(f"{function_id}: takes raw events and is not a described callback")
                continue
            for route in routes.values():
                paths.setdefault(route.path, {})[route.method.lower()] = _callback(route)
            continue
        generated = json.loads(app.get_openapi_json_schema())
        found = {
            f"{method.upper()} {path}": operation
            for path, item in generated.get("paths", {}).items()
            for method, operation in item.items()
        }
        notes += [f"{function_id}: {key} has no handler" for key in sorted(set(routes) - set(found))]
        notes += [
            f"{function_id}: handler for {key} has no route in template.yaml"
            for key in sorted(set(found) - set(routes))
        ]
        for key in sorted(set(routes) & set(found)):
            route = routes[key]
            item = paths.setdefault(route.path, {})
            if route.method.lower() in item:
                raise TemplateError(f"{key} is declared twice")
            item[route.method.lower()] = _operation(route, found[key])
        _merge_schemas(schemas, generated.get("components", {}).get("schemas", {}), function_id)
        described = [paths[r.path][r.method.lower()] for r in routes.values() if r.route_key in found]
        for name in _POWERTOOLS_ONLY:
            if any(f'"#/components/schemas/{name}"' in json.dumps(operation) for operation in described):
                raise TemplateError(f"{function_id}: a route answers with powertools' {name}: use app.endpoint")

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OMS",
            "version": _version(template_path.parent / "pyproject.toml"),
            "description": (
                "Order-management HTTP API, generated by powertools from the typed routes of each function"
                " (python -m oms_local.openapi). See docs/api.md."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "oms-local"}],
        "tags": [
            {"name": tag} for tag in sorted({t for item in paths.values() for op in item.values() for t in op["tags"]})
        ],
        "paths": {path: dict(sorted(item.items())) for path, item in sorted(paths.items())},
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token on AWS; `POST /_local/token` locally. Roles: `cognito:groups`.",
                }
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
