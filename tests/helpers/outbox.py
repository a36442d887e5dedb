"""Outbox relay inputs and fakes: Lambda-shaped stream records, outbox rows, a recording bus and one
that refuses."""

from __future__ import annotations

import json
import time
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.helpers.handlers import load_function

OUTBOX = {
    "PK": {"S": "ORDER#01X"},
    "SK": {"S": "OUTBOX#01E"},
    "type": {"S": "Outbox"},
    "eventId": {"S": "01E"},
    "detailType": {"S": "OrderPlaced"},
    "detail": {"S": json.dumps({"orderId": "01X", "total": {"amount": 100, "currency": "CNY"}})},
    "createdAt": {"S": "2026-11-22T01:00:00.000Z"},
}


def stream_record(
    event_name: str, image: dict[str, Any], sequence: str = "100", created: float | None = None
) -> dict[str, Any]:
    return {
        "eventID": f"id-{sequence}",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/oms-local-oms/stream/x",
        "dynamodb": {
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": sequence,
            "ApproximateCreationDateTime": created if created is not None else time.time(),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def outbox_row(n: int, detail_type: str = "OrderPlaced") -> dict[str, Any]:
    event_id = f"01E{n:03d}"
    return {
        **OUTBOX,
        "SK": {"S": f"OUTBOX#{event_id}"},
        "eventId": {"S": event_id},
        "detailType": {"S": detail_type},
        "detail": {"S": json.dumps({"orderId": f"01X{n:03d}"})},
    }


class Bus:
    """A bus with a rule sending everything from source oms to an SQS queue, so tests see what arrived."""

    def __init__(self, name: str = "oms-test-bus") -> None:
        self.events, self.sqs = boto3.client("events"), boto3.client("sqs")
        self.name = name
        self.events.create_event_bus(Name=name)
        self.queue = self.sqs.create_queue(QueueName=f"{name}-seen")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name="all", EventBusName=name, EventPattern=json.dumps({"source": ["oms"]}))
        self.events.put_targets(Rule="all", EventBusName=name, Targets=[{"Id": "q", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return seen


class Refusing:
    """EventBridge refusing the entries whose eventId is listed (as PutEvents reports a partial failure),
    passing the others to the real client."""

    def __init__(self, inner: Any, refused: set[str], code: str = "InternalFailure") -> None:
        self.inner, self.refused, self.code = inner, refused, code
        self.calls = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        refuse = [json.loads(e["Detail"])["eventId"] in self.refused for e in Entries]
        passed = [e for e, no in zip(Entries, refuse, strict=True) if not no]
        answers = iter(self.inner.put_events(Entries=passed)["Entries"] if passed else [])
        entries = [
            {"ErrorCode": self.code, "ErrorMessage": "refused by the test"} if no else next(answers) for no in refuse
        ]
        return {"FailedEntryCount": sum(refuse), "Entries": entries}


def relay_with(monkeypatch: pytest.MonkeyPatch, bus: Bus, refused: set[str]) -> tuple[ModuleType, Refusing]:
    monkeypatch.setenv("EVENT_BUS_NAME", bus.name)
    relay = load_function("outbox_relay")
    client = Refusing(bus.events, refused)
    monkeypatch.setattr(relay, "_client", client)
    return relay, client
