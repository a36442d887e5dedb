"""Business metrics (orders placed, payments applied, refunds) come from the events the relay published,
as CloudWatch embedded-metric-format lines; refused events are not counted, other events emit nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.handlers.conftest import LambdaContext
from tests.helpers.outbox import Bus, outbox_row, relay_with, stream_record


def emf_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


def test_published_business_events_are_counted(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "OMS-test")
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E003"})
    rows = [
        outbox_row(1, "OrderPlaced"),
        outbox_row(2, "OrderPlaced"),
        outbox_row(3, "OrderPaid"),  # refused: not counted (the stream retries it)
        outbox_row(4, "RefundSucceeded"),
        outbox_row(5, "OrderShipped"),  # no business metric
    ]
    capsys.readouterr()

    relay.handler({"Records": [stream_record("INSERT", r, str(100 + i)) for i, r in enumerate(rows)]}, LambdaContext())

    [emf] = emf_lines(capsys.readouterr().out)
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "OMS-test"
    assert {m["Name"] for m in directive["Metrics"]} == {"OrdersPlaced", "RefundsSucceeded"}
    assert (emf["OrdersPlaced"], emf["RefundsSucceeded"]) == ([2.0], [1.0])


def test_a_batch_without_business_events_emits_no_metrics(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    relay, _ = relay_with(monkeypatch, Bus(), refused=set())
    capsys.readouterr()

    relay.handler({"Records": [stream_record("INSERT", outbox_row(1, "OrderShipped"))]}, LambdaContext())

    assert emf_lines(capsys.readouterr().out) == []
