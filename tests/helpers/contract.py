"""The API contract run (tests/contract): schemathesis against the OpenAPI document a local stack serves.

`run_operation` feeds one operation a bounded, deterministic set of generated requests (`MAX_EXAMPLES`
per operation, valid and invalid ones, from a seed derived from the operation's label; no example
database, no shrinking) and sends each as the given user. `check_case` puts every response through
`CHECKS`: no 5xx, a declared status code, a declared content type, a body that matches the declared
schema (`LOOSE_CHECKS`, without the content type, while the document is the AST reader's). The
self-tests in tests/contract prove both can fail.

Built on schemathesis's Python API (`APIOperation.as_strategy`, `Case.call_and_validate`) under a plain
`hypothesis.given` rather than `schemathesis.pytest.from_fixture`, whose lazy loader writes
`Function._nodeid`, an attribute pytest 9.2 no longer has (the document is only known once the stack
runs, so the schema cannot be loaded at collection time).
"""

from __future__ import annotations

import functools
import os
import re
import uuid
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import strategies as st
from oms_local.stack import LocalStack
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers.flows import ADDRESS

MAX_EXAMPLES = int(os.environ.get("OMS_CONTRACT_EXAMPLES", "25"))
"""Generated requests per operation and user (`OMS_CONTRACT_EXAMPLES=200` for a deeper run by hand)."""

SEED = 10
"""Mixed with each operation's label into that operation's seed: the same requests on every run."""

CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
LOOSE_CHECKS: tuple[CheckFunction, ...] = (not_a_server_error, status_code_conformance, response_schema_conformance)
"""For the AST reader's loose document, whose `default` response claims problem+json for every status of
every route: it is wrong for the callbacks, which answer in each provider's own format (`success`,
`{"received":true}`, ...), so the content-type check waits for a document that declares them."""

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]

MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)

_RANGE = re.compile(r"^[1-5]XX$", re.IGNORECASE)
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def contract_config(base_url: str) -> schemathesis.Config:
    """Schemathesis's configuration: requests go to the stack (whatever the document's `servers` say)."""
    return schemathesis.Config.from_dict({"base-url": base_url, "request-timeout": 30})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def checks_for(document: Mapping[str, Any]) -> tuple[CheckFunction, ...]:
    return LOOSE_CHECKS if has_range_keys(document) else CHECKS


def check_case(case: Case, token: str | None = None, *, checks: Sequence[CheckFunction] = CHECKS) -> None:
    """Send one generated request (as the token's user) and fail on anything `checks` rejects."""
    case.call_and_validate(headers=bearer(token) if token else None, checks=list(checks))


def operation_seed(label: str) -> int:
    return zlib.crc32(f"{SEED}:{label}".encode())


def run_operation(
    operation: Operation,
    token: str | None = None,
    *,
    known: Mapping[str, str] | None = None,
    checks: Sequence[CheckFunction] = CHECKS,
    max_examples: int = MAX_EXAMPLES,
) -> None:
    """`max_examples` generated requests for one operation, each through `check_case`; raises on the first
    request that fails a check (schemathesis's failure group, with a curl line to reproduce it).

    `known` maps names to ids that exist on the stack (an order, a SKU, the demo store): about half the
    requests use them as path parameters and for body fields of the same name (`lines[].skuId`,
    `storeId`, ...), so they reach past the 404 and the unknown-SKU 422 to real objects."""
    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    if known:
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: value for name, value in known.items() if name in names}
        strategies += [
            operation.as_strategy(generation_mode=mode, path_parameters=fixed).map(functools.partial(_use_known, known))
            for mode in MODES
        ]
    strategy = st.one_of(strategies)

    @hypothesis.seed(operation_seed(operation.label))
    @hypothesis.settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate),
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=strategy)
    def send(case: Case) -> None:
        check_case(case, token, checks=checks)

    send()


def existing_ids(stack: LocalStack) -> dict[str, str]:
    """Path parameter values that exist on a seeded stack: the demo store, its first product and SKU, the
    seed's promotion, coupon template and public code, the demo customer, and a new order of the demo
    customer's with an Alipay payment started (so the run reaches real objects, not only 404s)."""
    seeded = stack.seed_result
    assert seeded is not None, "the stack must be seeded"
    customer = bearer(stack.demo_tokens["customer"])
    sku = seeded.products[0]["skus"][0]
    order = requests.post(
        f"{stack.base_url}/orders",
        headers={**customer, "Idempotency-Key": str(uuid.uuid4())},
        json={"lines": [{"skuId": sku["skuId"], "quantity": 1}], "shippingAddress": ADDRESS},
        timeout=30,
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["orderId"]
    payment = requests.post(
        f"{stack.base_url}/orders/{order_id}/payments",
        headers={**customer, "Idempotency-Key": str(uuid.uuid4())},
        json={"method": "alipay"},
        timeout=30,
    )
    assert payment.status_code == 201, payment.text
    return {
        "storeId": seeded.store["storeId"],
        "productId": seeded.products[0]["productId"],
        "skuId": sku["skuId"],
        "warehouseId": sku["warehouseId"],
        "promotionId": seeded.promotion["promotionId"],
        "templateId": seeded.coupon_template["templateId"],
        "code": seeded.public_code["code"],
        "customerId": "demo-customer",
        "orderId": order_id,
        "paymentId": payment.json()["paymentId"],
        "provider": "alipay",
        "carrier": "sf",
    }


def _use_known(known: Mapping[str, str], case: Case) -> Case:
    if isinstance(case.body, dict | list):
        case.body = _with_known(case.body, known)
    return case


def _with_known(value: Any, known: Mapping[str, str]) -> Any:
    """`value` with every object member named like a key of `known` (and holding a string) set to its id."""
    if isinstance(value, list):
        return [_with_known(item, known) for item in value]
    if isinstance(value, dict):
        return {
            key: known[key] if key in known and isinstance(item, str) else _with_known(item, known)
            for key, item in value.items()
        }
    return value


def loose_status_keys(document: Mapping[str, Any]) -> list[str]:
    """The responses keyed by a range ("2XX") or `default` rather than by a status code, as
    `METHOD path: key`: under such a key, every status it covers counts as declared."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for key in operation.get("responses", {}):
                if key == "default" or _RANGE.match(key):
                    found.append(f"{method.upper()} {path}: {key}")
    return found


def has_range_keys(document: Mapping[str, Any]) -> bool:
    """True for the AST reader's loose document (every operation answers "2XX" and `default`)."""
    return any(not entry.endswith(": default") for entry in loose_status_keys(document))
