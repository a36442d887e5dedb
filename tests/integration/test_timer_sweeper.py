"""Through the local stack: with the payment-timeout state machine gone (so its timer can never be
armed), an unpaid order is still cancelled at its deadline, by the sweeper that the local schedule runs
every few seconds, and its stock is released."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.flows import available, new_sku, place

pytestmark = pytest.mark.integration


@pytest.fixture
def no_payment_timeout_machine(stack: Any) -> Iterator[str]:
    """Delete the payment-timeout state machine for one test, then put it back as it was."""
    sfn = stack.boto3_client("stepfunctions")
    arn = stack.resources["PaymentTimeoutStateMachine"]
    machine = sfn.describe_state_machine(stateMachineArn=arn)
    sfn.delete_state_machine(stateMachineArn=arn)
    try:
        yield arn
    finally:
        sfn.create_state_machine(name=machine["name"], definition=machine["definition"], roleArn=machine["roleArn"])


def test_the_sweeper_cancels_an_unpaid_order_whose_timer_was_never_armed(
    stack: Any, http: Any, eventually: Any, no_payment_timeout_machine: str
) -> None:
    schedules = {s["rule"]: s["schedule"] for s in http.get("/_local/health").json()["schedules"]}
    assert schedules["oms-local-TimerSweeperFunction-Sweep"] == "rate(5 seconds)"  # the local default
    sku_id = new_sku(stack, http, stock=3)
    shopper = stack.mint_token("it-lost-timer", ["customer"])
    placed = place(http, shopper, sku_id, 2)
    assert placed.status == 201, placed.text  # committed: 201, whatever becomes of the timer
    order_id = placed.json()["orderId"]
    assert available(http, sku_id) == 1

    def cancelled() -> dict[str, Any] | None:
        order: dict[str, Any] = http.get(f"/orders/{order_id}", token=shopper).json()
        return order if order["status"] != "PENDING_PAYMENT" else None

    order = eventually(cancelled, timeout=int(stack.template.parameters["PaymentTimeoutSeconds"]) + 20)
    assert order["status"] == "CANCELLED"
    assert order["cancellation"]["reason"] == "payment_timeout"
    assert available(http, sku_id) == 3
    sfn = stack.boto3_client("stepfunctions")
    execution_arn = no_payment_timeout_machine.replace(":stateMachine:", ":execution:") + f":pay-{order_id}"
    with pytest.raises(ClientError):
        sfn.describe_execution(executionArn=execution_arn)  # no timer ever ran: the sweeper did it
