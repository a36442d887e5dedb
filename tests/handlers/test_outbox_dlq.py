"""`oms-outbox-dlq`: list what the outbox dead-letter queue holds, and redrive it — each stored entry
published exactly as the relay built it (original eventId), deleted only once EventBridge accepted it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from oms.outbox_dlq import main

from tests.handlers.conftest import LambdaContext, load_function
from tests.helpers.outbox import Bus, Refusing, outbox_row, stream_record


@pytest.fixture
def poisoned(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Bus, str]:
    """Two events the bus kept refusing, dead-lettered by the relay (OUTBOX_RELAY_MAX_ATTEMPTS=1)."""
    bus = Bus()
    queue_url: str = boto3.client("sqs").create_queue(QueueName="outbox-dlq")["QueueUrl"]
    monkeypatch.setenv("OUTBOX_DLQ_URL", queue_url)
    monkeypatch.setenv("OUTBOX_RELAY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("EVENT_BUS_NAME", bus.name)
    relay = load_function("outbox_relay")
    monkeypatch.setattr(relay, "_client", Refusing(bus.events, {"01E001", "01E002"}))
    records = [stream_record("INSERT", outbox_row(n, "OrderCancelled"), str(100 + n)) for n in (1, 2, 3)]
    assert relay.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert [event["detail"]["eventId"] for event in bus.received()] == ["01E003"]
    return bus, queue_url


def queue_depth(queue_url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def output_rows(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_list_shows_the_stored_events_and_changes_nothing(
    poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, queue_url = poisoned
    assert main(["--queue-url", queue_url, "list", "--json"]) == 0
    rows = output_rows(capsys)
    assert sorted(row["eventId"] for row in rows) == ["01E001", "01E002"]
    assert {(row["kind"], row["detailType"], row["attempts"], row["redrivable"]) for row in rows} == {
        ("event", "OrderCancelled", 1, True)
    }
    assert rows[0]["error"].startswith("InternalFailure")
    assert main(["--queue-url", queue_url, "list", "--json"]) == 0  # listed again: still there
    assert len(output_rows(capsys)) == 2


def test_redrive_publishes_each_stored_entry_once_with_its_original_event_id(
    poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str]
) -> None:
    bus, queue_url = poisoned
    assert main(["--queue-url", queue_url, "redrive", "--json"]) == 0
    assert all(row["published"] for row in output_rows(capsys))
    events = bus.received()
    assert sorted(event["detail"]["eventId"] for event in events) == ["01E001", "01E002"]
    assert {(event["source"], event["detail-type"]) for event in events} == {("oms", "OrderCancelled")}
    assert {event["detail"]["orderId"] for event in events} == {"01X001", "01X002"}
    assert queue_depth(queue_url) == 0
    assert main(["--queue-url", queue_url, "redrive"]) == 0  # nothing left: nothing published twice
    assert bus.received() == []


def test_redrive_can_pick_events_by_id(poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str]) -> None:
    bus, queue_url = poisoned
    assert main(["--queue-url", queue_url, "redrive", "--event-id", "01E002"]) == 0
    assert [event["detail"]["eventId"] for event in bus.received()] == ["01E002"]
    capsys.readouterr()
    assert main(["--queue-url", queue_url, "list", "--json"]) == 0
    assert [row["eventId"] for row in output_rows(capsys)] == ["01E001"]


def test_a_dry_run_publishes_nothing(poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str]) -> None:
    bus, queue_url = poisoned
    assert main(["--queue-url", queue_url, "redrive", "--dry-run", "--json"]) == 0
    assert {row["action"] for row in output_rows(capsys)} == {"would publish"}
    assert bus.received() == [] and queue_depth(queue_url) == 2


def test_an_event_the_bus_still_refuses_stays_in_the_queue(
    poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, queue_url = poisoned
    assert main(["--queue-url", queue_url, "--bus-name", "no-such-bus", "redrive", "--json"]) == 1
    rows = output_rows(capsys)
    assert [row["published"] for row in rows] == [False, False]
    assert "ResourceNotFoundException" in rows[0]["reason"]
    assert queue_depth(queue_url) == 2


def test_the_queue_and_bus_come_from_the_stack_outputs(
    poisoned: tuple[Bus, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus, queue_url = poisoned

    class Stacks:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            assert StackName == "oms-prod"
            outputs = {"OutboxDeadLetterQueueUrl": queue_url, "EventBusName": bus.name}
            return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]}

    real_client = boto3.client
    monkeypatch.setattr(
        boto3, "client", lambda service, **kw: Stacks() if service == "cloudformation" else real_client(service, **kw)
    )
    assert main(["--stack-name", "oms-prod", "redrive"]) == 0
    assert sorted(event["detail"]["eventId"] for event in bus.received()) == ["01E001", "01E002"]


def test_without_a_queue_the_command_says_what_to_pass() -> None:
    with pytest.raises(SystemExit, match="--queue-url"):
        main(["list"])
