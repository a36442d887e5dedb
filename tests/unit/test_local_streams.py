"""The local stream poller follows a subscription's event properties as Lambda's event source mapping
does: partial batch responses, bisection on function errors, retry and record-age limits, and the
on-failure destination. Driven synchronously (``poll_once``) against a fake stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from oms_local.core.streams import StreamPoller, first_failed_index
from oms_local.core.template import StreamSubscriptionSpec

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/local"


class FakeStream:
    """One shard; iterators are offsets; records appear as `put` adds them."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def put(self, key: str, *, age_seconds: float = 0.0) -> str:
        sequence = str(1000 + len(self.records))
        created = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_seconds)
        self.records.append(
            {
                "eventID": f"e{sequence}",
                "eventName": "INSERT",
                "dynamodb": {
                    "Keys": {"PK": {"S": key}},
                    "NewImage": {"PK": {"S": key}},
                    "SequenceNumber": sequence,
                    "ApproximateCreationDateTime": created,
                },
            }
        )
        return sequence

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + Limit]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class FakeFunction:
    """Records every batch it receives; `behave(keys)` decides: None (ok), a result, or raises."""

    def __init__(self, behave: Callable[[list[str], list[str]], Any]) -> None:
        self.behave = behave
        self.batches: list[list[str]] = []
        self.spec = SimpleNamespace(arn="arn:aws:lambda:us-east-1:123456789012:function:f")

    def invoke(self, event: dict[str, Any]) -> Any:
        keys = [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(keys)
        return self.behave(keys, sequences)


def subscription(**overrides: Any) -> StreamSubscriptionSpec:
    values: dict[str, Any] = {
        "logical_id": "FOutbox",
        "function_id": "F",
        "table_id": "T",
        "starting_position": "TRIM_HORIZON",
        "batch_size": 10,
        "enabled": True,
        "on_failure_destination": "arn:aws:sqs:us-east-1:123456789012:dlq",
        **overrides,
    }
    return StreamSubscriptionSpec(**values)


def run(poller: StreamPoller, rounds: int = 30) -> None:
    for _ in range(rounds):
        if poller.poll_once() == "idle":
            return
    raise AssertionError("the poller never became idle")


def poller_for(
    stream: FakeStream, function: FakeFunction, **overrides: Any
) -> tuple[StreamPoller, list[tuple[str, dict[str, Any]]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    poller = StreamPoller(
        stream, STREAM, subscription(**overrides), function, "us-east-1", on_failure=lambda a, m: sent.append((a, m))
    )  # type: ignore[arg-type]
    return poller, sent


def failing(poison: set[str]) -> Callable[[list[str], list[str]], Any]:
    """A handler that reports the poison keys as batch item failures."""

    def behave(keys: list[str], sequences: list[str]) -> Any:
        return {
            "batchItemFailures": [{"itemIdentifier": s} for k, s in zip(keys, sequences, strict=True) if k in poison]
        }

    return behave


def test_a_partial_failure_retries_from_the_lowest_failed_record() -> None:
    stream = FakeStream()
    for key in ("a", "b", "poison", "c"):
        stream.put(key)
    attempts = {"poison": 0}

    def behave(keys: list[str], sequences: list[str]) -> Any:
        if "poison" in keys and attempts["poison"] < 2:
            attempts["poison"] += 1
            return failing({"poison"})(keys, sequences)
        return {"batchItemFailures": []}

    function = FakeFunction(behave)
    poller, sent = poller_for(stream, function, report_batch_item_failures=True)
    run(poller)
    assert function.batches == [["a", "b", "poison", "c"], ["poison", "c"], ["poison", "c"]]
    assert sent == []


def test_the_answer_is_ignored_without_report_batch_item_failures() -> None:
    stream = FakeStream()
    stream.put("poison")
    function = FakeFunction(failing({"poison"}))
    poller, _ = poller_for(stream, function, report_batch_item_failures=False)
    run(poller)
    assert function.batches == [["poison"]]  # taken as a success


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "1001"}]},
        {"batchItemFailures": [{"itemIdentifier": "999"}]},
        {"batchItemFailures": "1001"},
    ],
)
def test_an_invalid_failure_report_fails_the_whole_batch(answer: dict[str, Any]) -> None:
    records = [{"dynamodb": {"SequenceNumber": "1000"}}, {"dynamodb": {"SequenceNumber": "1001"}}]
    assert first_failed_index(records, answer) == 0


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, "done"])
def test_empty_or_null_answers_are_a_success(answer: Any) -> None:
    assert first_failed_index([{"dynamodb": {"SequenceNumber": "1000"}}], answer) is None


def test_retries_stop_at_maximum_retry_attempts_and_the_records_are_described_to_the_destination() -> None:
    stream = FakeStream()
    stream.put("a")
    poison = stream.put("poison")
    function = FakeFunction(failing({"poison"}))
    poller, sent = poller_for(stream, function, report_batch_item_failures=True, maximum_retry_attempts=2)
    run(poller)
    assert function.batches == [["a", "poison"], ["poison"], ["poison"]]  # first try + 2 retries
    stream.put("later")
    run(poller)
    assert function.batches[-1] == ["later"]  # the shard moved on
    [(destination, record)] = sent
    assert destination == "arn:aws:sqs:us-east-1:123456789012:dlq"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    info = record["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (poison, poison, 1)
    assert (info["shardId"], info["streamArn"]) == ("shard-1", STREAM)


def test_a_raising_batch_is_bisected_until_the_bad_record_is_alone() -> None:
    stream = FakeStream()
    for key in ("a", "b", "crash", "c"):
        stream.put(key)

    def behave(keys: list[str], sequences: list[str]) -> Any:
        if "crash" in keys:
            raise RuntimeError("boom")
        return None

    function = FakeFunction(behave)
    poller, sent = poller_for(stream, function, bisect_on_error=True, maximum_retry_attempts=1)
    run(poller)
    # In shard order: the lone bad record uses its retries before "c" is delivered.
    assert function.batches == [["a", "b", "crash", "c"], ["a", "b"], ["crash", "c"], ["crash"], ["crash"], ["c"]]
    [(_, record)] = sent
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_without_bisection_a_raising_batch_is_retried_whole() -> None:
    stream = FakeStream()
    for key in ("a", "crash"):
        stream.put(key)

    def behave(keys: list[str], sequences: list[str]) -> Any:
        if "crash" in keys:
            raise RuntimeError("boom")

    function = FakeFunction(behave)
    poller, sent = poller_for(stream, function, maximum_retry_attempts=1)
    run(poller)
    assert function.batches == [["a", "crash"], ["a", "crash"]]
    assert sent[0][1]["DDBStreamBatchInfo"]["batchSize"] == 2


def test_records_older_than_the_maximum_age_are_discarded_before_the_call() -> None:
    stream = FakeStream()
    stream.put("old", age_seconds=120)
    stream.put("fresh")
    function = FakeFunction(lambda keys, sequences: None)
    poller, sent = poller_for(stream, function, maximum_record_age_seconds=60)
    run(poller)
    assert function.batches == [["fresh"]]
    [(_, record)] = sent
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1


def test_unbounded_retries_keep_the_shard_blocked() -> None:
    stream = FakeStream()
    stream.put("poison")
    stream.put("later")
    function = FakeFunction(failing({"poison"}))
    poller, sent = poller_for(stream, function, report_batch_item_failures=True)
    for _ in range(10):
        poller.poll_once()
    assert len(function.batches) == 10 and all(batch[0] == "poison" for batch in function.batches)
    assert sent == []
