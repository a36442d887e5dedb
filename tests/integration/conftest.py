"""Fixtures for tests that drive a local stack over HTTP.

- ``stack``: template.yaml served by ``LocalStack`` on a free port, seeded, with a 2-second payment
  timeout; ``http`` is a client for it (``http.post("/orders", token=stack.demo_tokens["customer"],
  json={...})``).
- ``fixture_stack`` / ``fixture_http``: the small canary template in fixtures/canary, which the local
  runtime's own tests (test_local_stack.py) use.

Both stacks are session-scoped (started once, on first use) and may run side by side: they share the
process's moto server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from oms_local.stack import LocalStack
from requests.structures import CaseInsensitiveDict

from tests.helpers.flows import payment_timeout
from tests.helpers.polling import poll_until

ROOT = Path(__file__).resolve().parents[2]
CANARY_TEMPLATE = Path(__file__).resolve().parent / "fixtures" / "canary" / "template.yaml"


class Response:
    def __init__(self, raw: requests.Response) -> None:
        self.status: int = raw.status_code
        self.headers: CaseInsensitiveDict[str] = raw.headers
        self.content: bytes = raw.content
        self.text: str = raw.text

    def json(self) -> Any:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.text[:300]!r}>"


class HttpClient:
    """A small client for a local stack; thread-safe (one connection pool per thread)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        raw = self._session().request(
            method, self.base_url + path, json=json, data=body, headers=sent, params=params, timeout=60
        )
        return Response(raw)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def eventually() -> Callable[..., Any]:
    """``eventually(check, timeout=15)``: poll until ``check()`` is truthy and return that value."""
    return poll_until


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(
        template_path=ROOT / "template.yaml",
        port=0,
        parameter_overrides={"PaymentTimeoutSeconds": "2", "AutoConfirmDays": "3"},
        seed=True,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def http(stack: LocalStack) -> HttpClient:
    return HttpClient(stack.base_url)


@pytest.fixture(scope="session")
def fixture_stack() -> Iterator[LocalStack]:
    with LocalStack(template_path=CANARY_TEMPLATE, port=0, stack_name="oms-canary", seed=False) as running:
        yield running


@pytest.fixture(scope="session")
def fixture_http(fixture_stack: LocalStack) -> HttpClient:
    return HttpClient(fixture_stack.base_url)


@pytest.fixture
def long_payment_timeout(stack: LocalStack) -> Iterator[None]:
    """Tests that are not about the timer get a long one, so it cannot fire in the middle of them."""
    with payment_timeout(stack, 600):
        yield
