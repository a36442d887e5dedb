"""Fixtures for the API contract run: a local stack of its own (the run creates, changes and cancels
things as an admin, so it must not share the integration tests' stack) and the schema of the OpenAPI
document it serves.

The stack is module-scoped and named like the integration tests' session stack (the functions read the
table name at import), so it must be stopped before that one starts: pytest collects tests/contract
before tests/integration, and the scheduler in tests/conftest.py runs both in one worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from oms_local.stack import LocalStack

from tests.helpers.contract import contract_config, existing_ids

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def contract_stack() -> Iterator[LocalStack]:
    with LocalStack(
        template_path=ROOT / "template.yaml",
        port=0,
        parameter_overrides={"PaymentTimeoutSeconds": "600"},
        seed=True,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def openapi_url(contract_stack: LocalStack) -> str:
    return f"{contract_stack.base_url}/_local/openapi.json"


@pytest.fixture(scope="module")
def openapi_document(openapi_url: str) -> dict[str, Any]:
    response = requests.get(openapi_url, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def api_schema(contract_stack: LocalStack, openapi_url: str) -> schemathesis.BaseSchema:
    """The document as the stack serves it, requests sent to the stack."""
    return schemathesis.openapi.from_url(openapi_url, config=contract_config(contract_stack.base_url))


@pytest.fixture(scope="module")
def tokens(contract_stack: LocalStack) -> dict[str, str]:
    """The demo users' tokens by role: `customer` (demo-customer) and `admin` (demo-admin)."""
    tokens: dict[str, str] = contract_stack.demo_tokens
    return tokens


@pytest.fixture(scope="module")
def known_ids(contract_stack: LocalStack) -> dict[str, str]:
    return existing_ids(contract_stack)
