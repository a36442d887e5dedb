"""An export through the local stack over HTTP, with its state machine running for real (moto's executor,
the job's Lambda tasks in process): POST /exports commits the job, the after-commit function starts
`export-<exportId>` from the stream, its chunks write the file into the exports bucket, and the presigned
link that GET /exports/{id} answers downloads it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.helpers.flows import admin, fresh_order

pytestmark = pytest.mark.integration


@pytest.mark.usefixtures("long_payment_timeout")  # the orders stay PENDING_PAYMENT while the export reads them
def test_an_export_runs_after_the_commit_and_its_link_downloads_the_file(
    stack: LocalStack, http: Any, eventually: Any
) -> None:
    placed = [fresh_order(stack, http)[2] for _ in range(3)]
    body = {
        "format": "csv",
        "fields": ["orderNumber", "status", "shippingName"],
        "filters": {"status": "PENDING_PAYMENT", "createdFrom": placed[0]["createdAt"]},
        "locale": "en",
    }
    asked = http.post("/exports", token=admin(stack), json=body, headers={"Idempotency-Key": placed[0]["orderId"]})
    assert asked.status == 202, asked.text
    location = asked.headers["Location"]

    def finished() -> dict[str, Any] | None:
        view: dict[str, Any] = http.get(location, token=admin(stack)).json()
        return view if view["state"] in ("SUCCEEDED", "FAILED") else None

    done = eventually(finished, timeout=30)
    assert done["state"] == "SUCCEEDED", done
    sfn = stack.boto3_client("stepfunctions")
    arn = stack.template.state_machines["ExportJobStateMachine"].arn.replace(":stateMachine:", ":execution:")
    execution = f"{arn}:export-{done['exportId']}"
    # The job's row says SUCCEEDED in the execution's last task; the execution itself ends just after.
    assert eventually(
        lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED" or None, timeout=30
    )

    downloaded = requests.get(done["download"]["url"], timeout=10)
    assert downloaded.status_code == 200
    rows = list(csv.reader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert rows[0] == ["Order number", "Status", "Recipient"]
    numbers = {row[0] for row in rows[1:]}
    assert {o["orderNumber"] for o in placed} <= numbers
    assert all(row[1] == "PENDING_PAYMENT" for row in rows[1:])
