"""The outbox relay publishes inserted outbox rows (only those) to the bus; a refused batch fails loudly."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.handlers.conftest import LambdaContext, load_function


def stream_record(event_name: str, image: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": event_name, "dynamodb": {"NewImage": image}}


OUTBOX = {
    "PK": {"S": "ORDER#01X"},
    "SK": {"S": "OUTBOX#01E"},
    "type": {"S": "Outbox"},
    "eventId": {"S": "01E"},
    "detailType": {"S": "OrderPlaced"},
    "detail": {"S": json.dumps({"orderId": "01X", "total": {"amount": 100, "currency": "CNY"}})},
    "createdAt": {"S": "2026-11-22T01:00:00.000Z"},
}


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
        stream_record("INSERT", OUTBOX),
        stream_record("MODIFY", OUTBOX),  # not a new row
        stream_record("INSERT", {**OUTBOX, "type": {"S": "Order"}}),  # not an outbox row
    ]
    assert relay.handler({"Records": records}, LambdaContext()) == {"published": 1}
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
