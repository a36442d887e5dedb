"""The outbox relay publishes inserted outbox rows (only those) to the bus; a refused batch fails loudly.

Partial batch responses: a refused entry is reported alone (the others are published); an event that
keeps failing goes to the dead-letter queue with its complete entry once its attempts are used up, and
the record is then reported done so the shard moves on.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import LambdaContext, load_function
from tests.helpers.outbox import OUTBOX, Bus, outbox_row, relay_with, stream_record


@pytest.fixture
def dlq(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url: str = boto3.client("sqs").create_queue(QueueName="outbox-dlq")["QueueUrl"]
    monkeypatch.setenv("OUTBOX_DLQ_URL", url)
    monkeypatch.setenv("OUTBOX_RELAY_MAX_ATTEMPTS", "3")
    return url


def dead_letters(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_relays_inserted_outbox_rows_to_the_bus(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="oms-test-bus")
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName="oms-test-bus", EventPattern=json.dumps({"source": ["oms"]}))
    events.put_targets(Rule="all", EventBusName="oms-test-bus", Targets=[{"Id": "q", "Arn": queue_arn}])
    monkeypatch.setenv("EVENT_BUS_NAME", "oms-test-bus")
    relay = load_function("outbox_relay")
    records = [
        stream_record("INSERT", OUTBOX, "100"),
        stream_record("MODIFY", OUTBOX, "101"),  # not a new row
        stream_record("INSERT", {**OUTBOX, "type": {"S": "Order"}}, "102"),  # not an outbox row
    ]
    # Partial batch response: nothing to retry (the SAM event declares ReportBatchItemFailures).
    assert relay.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("oms", "OrderPlaced")
    assert event["detail"]["orderId"] == "01X" and event["detail"]["eventId"] == "01E"


def test_a_refused_batch_fails_so_the_stream_retries_it(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_BUS_NAME", "missing-bus")
    relay = load_function("outbox_relay")

    class Refusing:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]}

    monkeypatch.setattr(relay, "_client", Refusing())
    with pytest.raises(RuntimeError, match="not accepted"):
        relay.handler({"Records": [stream_record("INSERT", OUTBOX)]}, LambdaContext())


def test_one_refused_entry_is_reported_alone_and_the_others_are_published(
    dlq: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E002"})
    records = [stream_record("INSERT", outbox_row(n), str(100 + n)) for n in range(1, 6)]
    assert relay.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    published = sorted(event["detail"]["eventId"] for event in bus.received())
    assert published == ["01E001", "01E003", "01E004", "01E005"]
    assert dead_letters(dlq) == []  # one failure: retried by the stream, not given up yet


def test_a_poison_event_goes_to_the_dead_letter_queue_with_its_entry_and_the_shard_moves_on(
    dlq: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E002"})
    batch = [stream_record("INSERT", outbox_row(n), str(100 + n)) for n in range(1, 4)]
    # What the event source mapping does with a partial failure: retry from the failed record on.
    assert relay.handler({"Records": batch}, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    assert relay.handler({"Records": batch[1:]}, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    # Third failure of the same event (OUTBOX_RELAY_MAX_ATTEMPTS=3): dead-lettered, the batch succeeds.
    assert relay.handler({"Records": batch[1:]}, LambdaContext()) == {"batchItemFailures": []}
    [letter] = dead_letters(dlq)
    assert letter["kind"] == "oms.outbox.dead-letter" and letter["eventId"] == "01E002"
    assert letter["attempts"] == 3 and letter["error"].startswith("InternalFailure")
    assert letter["entry"] == {
        "Source": "oms",
        "DetailType": "OrderPlaced",
        "Detail": json.dumps({"orderId": "01X002", "eventId": "01E002", "occurredAt": "2026-11-22T01:00:00.000Z"}),
        "EventBusName": "oms-test-bus",
    }
    assert letter["record"]["sequenceNumber"] == "102"
    assert letter["record"]["keys"] == {"PK": "ORDER#01X", "SK": "OUTBOX#01E002"}
    # The next records of the shard are published as usual.
    later = [stream_record("INSERT", outbox_row(9), "109")]
    assert relay.handler({"Records": later}, LambdaContext()) == {"batchItemFailures": []}
    ids = [event["detail"]["eventId"] for event in bus.received()]
    assert "01E009" in ids and "01E002" not in ids


def test_a_record_older_than_the_give_up_age_is_dead_lettered_on_its_first_failure(
    dlq: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTBOX_RELAY_GIVE_UP_SECONDS", "600")
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E001"})
    old = stream_record("INSERT", outbox_row(1), "101", created=time.time() - 601)
    assert relay.handler({"Records": [old]}, LambdaContext()) == {"batchItemFailures": []}
    assert [letter["eventId"] for letter in dead_letters(dlq)] == ["01E001"]


def test_a_malformed_outbox_row_is_dead_lettered_at_once_with_the_row(
    dlq: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused=set())
    broken = {**outbox_row(1), "detail": {"S": "not json"}}
    records = [stream_record("INSERT", broken, "101"), stream_record("INSERT", outbox_row(2), "102")]
    assert relay.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    [letter] = dead_letters(dlq)
    assert letter["entry"] is None and letter["row"]["detail"] == "not json" and "malformed" in letter["error"]
    assert [event["detail"]["eventId"] for event in bus.received()] == ["01E002"]


def test_an_event_that_cannot_be_dead_lettered_stays_on_the_stream(dlq: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_RELAY_MAX_ATTEMPTS", "1")
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E001"})
    monkeypatch.setenv("OUTBOX_DLQ_URL", dlq + "-gone")  # the queue does not exist
    records = [stream_record("INSERT", outbox_row(1), "101"), stream_record("INSERT", outbox_row(2), "102")]
    assert relay.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "101"}]}


def test_failures_are_counted_per_event_in_the_table(dlq: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bus = Bus()
    relay, _ = relay_with(monkeypatch, bus, refused={"01E001"})
    relay.handler(
        {"Records": [stream_record("INSERT", outbox_row(1), "101"), stream_record("INSERT", outbox_row(2), "102")]},
        LambdaContext(),
    )
    item = boto3.client("dynamodb").get_item(
        TableName="oms-local-oms", Key={"PK": {"S": "OUTBOXRELAY#01E001"}, "SK": {"S": "ATTEMPTS"}}
    )["Item"]
    assert item["attempts"] == {"N": "1"} and item["type"] == {"S": "OutboxRelayAttempt"}
    assert item["lastError"]["S"].startswith("InternalFailure") and "expiresAt" in item
