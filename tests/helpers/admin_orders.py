"""Manual orders in handler tests: a fake user directory, the admin orders API fixture, request bodies and
the create / edit calls (shared by the manual-order and member-price tests)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from oms.adapters.users import DirectoryUser

from tests.helpers.handlers import ADDRESS, SUPPORT, Api, adapters, load_function

CREATE = "POST /admin/orders"
EDIT = "PATCH /orders/{orderId}"


@dataclass
class FakeDirectory:
    """The user directory (oms.adapters.users.UserDirectory) as a dict, recording the accounts it creates."""

    users: dict[str, DirectoryUser] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=itertools.count)

    def add(self, subject: str, email: str | None = None) -> None:
        self.users[subject] = DirectoryUser(
            subject, email, None, subject, frozenset({"customer"}), "2026-01-01T00:00:00Z"
        )

    def find_customer(self, *, email: str | None = None, phone: str | None = None) -> DirectoryUser | None:
        return next(
            (u for u in self.users.values() if (email and u.email == email) or (phone and u.phone == phone)), None
        )

    def create_customer(self, *, email: str | None, phone: str | None, name: str | None) -> DirectoryUser:
        found = self.find_customer(email=email, phone=phone)
        if found is not None:
            return found
        subject = f"new-{next(self.ids)}"
        user = DirectoryUser(subject, email, phone, name, frozenset({"customer"}), "2026-12-01T00:00:00Z")
        self.users[subject] = user
        self.created.append(subject)
        return user

    def get_user(self, subject: str) -> DirectoryUser | None:
        return self.users.get(subject)


@pytest.fixture
def directory() -> Iterator[FakeDirectory]:
    fake = FakeDirectory()
    fake.add("cust-1", "cust-1@example.com")
    with adapters(users=fake):
        yield fake


@pytest.fixture
def admin_api(aws: None, providers: Any, directory: FakeDirectory) -> Api:
    return Api(load_function("admin_orders"))


def body(mode: str = "online", quantity: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "customerId": "cust-1",
        "lines": [{"skuId": "TEE-M", "quantity": quantity}],
        "shippingAddress": ADDRESS,
        "paymentMode": mode,
        **extra,
    }


def create(api: Api, payload: dict[str, Any], who: dict[str, Any] = SUPPORT, key: str = "m1") -> tuple[int, Any]:
    status, _, answer = api(
        "POST", "/admin/orders", route=CREATE, body=payload, headers={"Idempotency-Key": key}, **who
    )
    return status, answer


def created(api: Api, payload: dict[str, Any], who: dict[str, Any] = SUPPORT, key: str = "m1") -> dict[str, Any]:
    status, answer = create(api, payload, who, key)
    assert status == 201, answer.get("errors", answer)
    return answer


def edit(
    api: Api, order: dict[str, Any], payload: dict[str, Any], who: dict[str, Any] = SUPPORT, version: Any = None
) -> tuple[int, dict[str, str], Any]:
    tag = f'"{order["version"] if version is None else version}"'
    return api("PATCH", f"/orders/{order['orderId']}", route=EDIT, body=payload, headers={"If-Match": tag}, **who)
