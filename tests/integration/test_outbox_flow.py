"""Through the local stack: an outbox event EventBridge keeps refusing does not hold up the events after
it on the stream; it lands in the outbox dead-letter queue with its entry, and `oms-outbox-dlq redrive`
publishes it once, with its original eventId. The stream poller honours the relay's partial batch
responses, as Lambda's event source mapping does."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from oms.outbox_dlq import main as outbox_dlq
from oms_local.core.streams import lambda_record, on_failure_record

from tests.helpers.flows import new_sku, place

pytestmark = pytest.mark.integration


class BusWatcher:
    """An SQS queue behind a rule that takes every `oms` event of the stack's bus."""

    def __init__(self, stack: Any) -> None:
        self.events, self.sqs = stack.boto3_client("events"), stack.boto3_client("sqs")
        self.bus = stack.resources["EventBus"]
        name = f"watch-{uuid.uuid4().hex[:8]}"
        self.queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.rule = name
        self.events.put_rule(Name=name, EventBusName=self.bus, EventPattern=json.dumps({"source": ["oms"]}))
        self.events.put_targets(Rule=name, EventBusName=self.bus, Targets=[{"Id": "q", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        for message in self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            self.seen.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return self.seen

    def about(self, order_id: str, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in self.seen if e["detail-type"] == detail_type and e["detail"].get("orderId") == order_id]

    def close(self) -> None:
        self.events.remove_targets(Rule=self.rule, EventBusName=self.bus, Ids=["q"])
        self.events.delete_rule(Name=self.rule, EventBusName=self.bus)
        self.sqs.delete_queue(QueueUrl=self.queue)


class RefusingOne:
    """EventBridge refusing one order's OrderCancelled (as PutEvents reports a per-entry failure)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.order_id = ""
        self.refused = 0

    def refuses(self, entry: dict[str, Any]) -> bool:
        return entry["DetailType"] == "OrderCancelled" and json.loads(entry["Detail"]).get("orderId") == self.order_id

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        passed = [e for e in Entries if not self.refuses(e)]
        answers = iter(self.inner.put_events(Entries=passed)["Entries"] if passed else [])
        results = []
        for entry in Entries:
            if self.refuses(entry):
                self.refused += 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "refused by the test"})
            else:
                results.append(next(answers))
        return {"FailedEntryCount": len(Entries) - len(passed), "Entries": results}


def dead_letters(stack: Any) -> list[dict[str, Any]]:
    sqs = stack.boto3_client("sqs")
    url = stack.outputs["OutboxDeadLetterQueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def watcher(stack: Any) -> Any:
    bus = BusWatcher(stack)
    yield bus
    bus.close()


def test_the_outbox_dead_letter_queue_exists_locally(stack: Any) -> None:
    url = stack.outputs["OutboxDeadLetterQueueUrl"]
    attributes = stack.boto3_client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes["QueueArn"].endswith(":oms-local-outboxdeadletterqueue")


def test_a_refused_event_is_dead_lettered_without_holding_up_later_events_and_redrives_once(
    stack: Any,
    http: Any,
    watcher: BusWatcher,
    eventually: Callable[..., Any],
    long_payment_timeout: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    relay = stack.functions["OutboxRelayFunction"].module
    broken = RefusingOne(relay.events_client())
    monkeypatch.setattr(relay, "_client", broken)
    sku_id = new_sku(stack, http, stock=5)
    alice = stack.mint_token("it-outbox-dlq", ["customer"])
    doomed = place(http, alice, sku_id, 1).json()["orderId"]
    broken.order_id = doomed
    assert http.post(f"/orders/{doomed}/cancel", token=alice, json={}).status == 200
    started = time.monotonic()
    later = place(http, alice, sku_id, 1).json()["orderId"]
    # The events after the refused one arrive while it is being retried and then dead-lettered.
    eventually(lambda: watcher.poll() and watcher.about(later, "OrderPlaced"), timeout=15)
    assert time.monotonic() - started < 15
    [letter] = eventually(
        lambda: [d for d in dead_letters(stack) if d["entry"] and doomed in d["entry"]["Detail"]], timeout=20
    )
    assert broken.refused >= int(stack.template.parameters["OutboxRelayMaxAttempts"])
    assert letter["detailType"] == "OrderCancelled" and letter["attempts"] >= 1
    assert json.loads(letter["entry"]["Detail"])["eventId"] == letter["eventId"]
    # The shard moved on: an event written after the dead-lettering arrives too.
    after = place(http, alice, sku_id, 1).json()["orderId"]
    eventually(lambda: watcher.poll() and watcher.about(after, "OrderPlaced"), timeout=15)
    assert watcher.about(doomed, "OrderCancelled") == []  # never accepted so far

    monkeypatch.setattr(relay, "_client", broken.inner)  # EventBridge is back
    capsys.readouterr()
    assert outbox_dlq(["--local", stack.base_url, "redrive", "--event-id", letter["eventId"], "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["published"] is True and row["eventIds"] == [letter["eventId"]]
    [cancelled] = eventually(lambda: watcher.poll() and watcher.about(doomed, "OrderCancelled"), timeout=15)
    assert cancelled["detail"]["eventId"] == letter["eventId"]
    time.sleep(1.5)  # anything published twice would show up by now
    watcher.poll()
    assert [e["detail"]["eventId"] for e in watcher.about(doomed, "OrderCancelled")] == [letter["eventId"]]
    assert [d for d in dead_letters(stack) if d.get("eventId") == letter["eventId"]] == []


def test_a_stream_batch_the_relay_could_not_handle_is_redriven_from_the_stream(
    stack: Any, http: Any, watcher: BusWatcher, eventually: Callable[..., Any], long_payment_timeout: None
) -> None:
    """The event source mapping's on-failure message names a range of sequence numbers only: the redrive
    reads those records back from the stream and publishes their outbox rows."""
    sku_id = new_sku(stack, http, stock=2)
    alice = stack.mint_token("it-outbox-batch", ["customer"])
    order_id = place(http, alice, sku_id, 1).json()["orderId"]
    [placed] = eventually(lambda: watcher.poll() and watcher.about(order_id, "OrderPlaced"))
    record = outbox_record(stack, placed["detail"]["eventId"])
    stream_arn = record["eventSourceARN"]
    shard = stack.boto3_client("dynamodbstreams").describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    message = on_failure_record(
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:oms-local-outbox-relay",
        stream_arn=stream_arn,
        shard_id=shard[0]["ShardId"],
        records=[record],
        condition="RetryAttemptsExhausted",
        invoke_count=101,
        function_error=True,
    )
    sqs = stack.boto3_client("sqs")
    sqs.send_message(QueueUrl=stack.outputs["OutboxDeadLetterQueueUrl"], MessageBody=json.dumps(message))
    assert outbox_dlq(["--local", stack.base_url, "redrive"]) == 0
    eventually(lambda: watcher.poll() is not None and len(watcher.about(order_id, "OrderPlaced")) == 2)
    assert [e["detail"]["eventId"] for e in watcher.about(order_id, "OrderPlaced")] == [placed["detail"]["eventId"]] * 2


def outbox_record(stack: Any, event_id: str) -> dict[str, Any]:
    """The stream record that inserted outbox row `event_id` (Lambda's shape)."""
    dynamodb, streams = stack.boto3_client("dynamodb"), stack.boto3_client("dynamodbstreams")
    stream_arn = dynamodb.describe_table(TableName=stack.resources["Table"])["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for raw in page["Records"]:
            image = raw["dynamodb"].get("NewImage") or {}
            if raw["eventName"] == "INSERT" and image.get("eventId", {}).get("S") == event_id:
                return lambda_record(raw, stream_arn, "us-east-1")
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    raise AssertionError(f"no stream record for outbox event {event_id}")
