"""Things that did not exist yet, created by several clients at once through the local stack (issue 9
items 5 and 11b): the first credits to a customer without a balance, and different stores."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration

RACERS = 8


def race(work: Any, count: int = RACERS) -> list[Any]:
    """`work(i)` for i in 0..count-1, all released at the same moment."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_first_credits_all_land(stack: LocalStack, http: Any) -> None:
    customer = f"new-{uuid.uuid4().hex[:8]}"  # no balance account yet
    finance = stack.mint_token("it-finance", ["finance"])
    amounts = [100 * (i + 1) for i in range(RACERS)]

    def credit(i: int) -> Any:
        return http.post(
            f"/customers/{customer}/balance/adjustments",
            token=finance,
            headers={"Idempotency-Key": f"{customer}-{i}"},
            json={"direction": "credit", "amount": {"amount": amounts[i], "currency": "CNY"}, "reason": "welcome"},
        )

    answers = race(credit)
    assert [a.status for a in answers] == [201] * RACERS, [a.text for a in answers if a.status != 201]
    balance = http.get(f"/customers/{customer}/balance", token=finance, params={"limit": "50"}).json()
    assert balance["balance"] == {"amount": sum(amounts), "currency": "CNY"}
    # Ledger lines of the account balance:<id>, a liability: money owed to the customer is a credit (< 0).
    assert sorted(-m["amount"]["amount"] for m in balance["movements"]) == amounts
    # A retry of one of them replays its answer and moves nothing.
    assert credit(3).status == 201
    again = http.get(f"/customers/{customer}/balance", token=finance, params={"limit": "50"}).json()
    assert again["balance"]["amount"] == sum(amounts) and len(again["movements"]) == RACERS
