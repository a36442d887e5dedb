"""The RFC 9457 problem answer every refusal has."""

from __future__ import annotations

from typing import Any


def assert_problem(status: int, headers: dict[str, str], body: Any, expected_status: int, slug: str) -> None:
    assert status == expected_status, body
    assert headers["Content-Type"] == "application/problem+json"
    assert body["type"] == f"urn:oms:problem:{slug}"
    assert body["status"] == expected_status
