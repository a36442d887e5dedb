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


def store_body(name: str) -> dict[str, Any]:
    return {"name": name, "currency": "CNY", "shippingFee": {"amount": 800, "currency": "CNY"}}


def directory_entries(stack: LocalStack) -> dict[str, Any]:
    """The shipping policies checkout reads: the STORES/DIRECTORY item, as the repository reads it."""
    from oms.store import keys
    from oms.store.models import StoreDirectoryItem

    return StoreDirectoryItem.get(*keys.STORE_DIRECTORY, consistent_read=True).all_policies()


def test_different_stores_created_at_once_all_land_in_the_directory(stack: LocalStack, http: Any) -> None:
    admin = stack.demo_tokens["admin"]
    ids = [f"shop-{uuid.uuid4().hex[:6]}.{i}" for i in range(RACERS)]  # '.' is a path inside the map
    answers = race(lambda i: http.put(f"/stores/{ids[i]}", token=admin, json=store_body(f"Shop {i}")))
    assert [a.status for a in answers] == [201] * RACERS, [a.text for a in answers if a.status != 201]
    entries = directory_entries(stack)
    assert set(ids) <= set(entries) and "demo" in entries  # the seeded store kept its entry too
    assert all(entries[i]["shippingFee"] == {"amount": 800, "currency": "CNY"} for i in ids)
    for store_id in ids:
        assert http.get(f"/stores/{store_id}").json()["version"] == 1


def test_edits_of_one_store_at_once_still_follow_if_match(stack: LocalStack, http: Any) -> None:
    admin = stack.demo_tokens["admin"]
    store_id = f"shop-{uuid.uuid4().hex[:6]}"
    assert http.put(f"/stores/{store_id}", token=admin, json=store_body("First")).status == 201

    def edit(i: int) -> Any:
        fee = {"amount": 100 + i, "currency": "CNY"}
        body = {**store_body(f"Edit {i}"), "shippingFee": fee}
        return http.put(f"/stores/{store_id}", token=admin, json=body, headers={"If-Match": '"1"'})

    answers = race(edit)
    statuses = sorted(a.status for a in answers)
    assert statuses[0] == 200 and statuses.count(200) == 1, [a.text for a in answers]
    assert set(statuses[1:]) <= {409, 412}
    winner = next(a.json() for a in answers if a.status == 200)
    store = http.get(f"/stores/{store_id}").json()
    assert (store["version"], store["name"]) == (2, winner["name"])
    assert directory_entries(stack)[store_id]["shippingFee"] == winner["shippingFee"]  # the winner's, not a loser's
