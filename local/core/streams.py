"""DynamoDB stream → function delivery, polled like Lambda's event source mapping does.

moto's own event source mappings call the function inside the write request (so under the DynamoDB
lock, where a handler writing to the table would deadlock) and resend undelivered records. Here a
thread per subscription reads the stream with GetRecords and calls the handler with Lambda's
``{"Records": [...]}`` event, records in shard order. What happens on failure follows the subscription's
event properties in the template, as on AWS:

- ``FunctionResponseTypes: [ReportBatchItemFailures]``: a ``{"batchItemFailures": [...]}`` answer is a
  partial success; the lowest failed sequence number becomes the checkpoint and every record from it on
  is retried. An empty or null list is success; an empty, null or unknown ``itemIdentifier`` fails the
  whole batch. Without the setting the answer is ignored.
- ``BisectBatchOnFunctionError``: a batch whose invocation raised is split in two and the halves are
  retried one after the other (a split does not use a retry).
- ``MaximumRetryAttempts`` / ``MaximumRecordAgeInSeconds`` (-1: unbounded): records past either limit
  are discarded and described (shard, sequence numbers; not the records) to the
  ``DestinationConfig.OnFailure`` destination, an SQS queue or SNS topic.

A failing batch blocks the records after it on its shard, as on AWS, and is retried with a backoff
(0.1 s doubling up to 5 s).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.events.models import EventPattern

from .functions import InProcessFunction
from .template import StreamSubscriptionSpec

log = logging.getLogger("local_stack")

IDLE_POLL_SECONDS = 0.2
MIN_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 5.0

OnFailure = Callable[[str, dict[str, Any]], None]
"""Delivers an on-failure record to a destination ARN."""


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) → a record of Lambda's DynamoDB event."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"].get("SequenceNumber", ""))


def _created(record: Mapping[str, Any]) -> float | None:
    value = record["dynamodb"].get("ApproximateCreationDateTime")
    return float(value) if isinstance(value, int | float) else None


def first_failed_index(records: list[dict[str, Any]], result: Any) -> int | None:
    """Where to retry from after a ``ReportBatchItemFailures`` answer (None: the batch succeeded)."""
    if not isinstance(result, Mapping):
        return None  # a null or empty response is a success
    failures = result.get("batchItemFailures")
    if not failures:
        return None
    if not isinstance(failures, list):
        return 0
    positions = {_sequence(record): index for index, record in enumerate(records)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in positions:
            return 0  # empty, null or unknown identifiers fail the whole batch
        indexes.append(positions[identifier])
    return min(indexes)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def on_failure_record(
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    records: list[dict[str, Any]],
    condition: str,
    invoke_count: int,
    function_error: bool,
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination for discarded stream records: metadata only."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": _sequence(records[0]),
            "endSequenceNumber": _sequence(records[-1]),
            "approximateArrivalOfFirstRecord": _iso(_created(records[0])),
            "approximateArrivalOfLastRecord": _iso(_created(records[-1])),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


@dataclass
class _Batch:
    records: list[dict[str, Any]]
    retries: int = 0  # failed invocations of (part of) this batch so far
    invocations: int = 0
    function_error: bool = False


@dataclass
class _Shard:
    shard_id: str
    iterator: str
    pending: deque[_Batch] = field(default_factory=deque)  # read, not yet delivered: retried first


class StreamPoller:
    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        subscription: StreamSubscriptionSpec,
        function: InProcessFunction,
        region: str,
        on_failure: OnFailure | None = None,
    ) -> None:
        self.client = streams_client
        self.stream_arn = stream_arn
        self.subscription = subscription
        self.function = function
        self.region = region
        self.on_failure = on_failure
        self._stop = threading.Event()
        self._shards: list[_Shard] = []
        # Take the starting position now, so writes made right after start() are not missed.
        for shard in self.client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            iterator = self.client.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType=subscription.starting_position,
            )["ShardIterator"]
            self._shards.append(_Shard(shard["ShardId"], iterator))
        # Lambda's FilterCriteria: records that match no pattern are dropped before the function runs.
        self._patterns = [EventPattern.load(pattern) for pattern in subscription.filters]
        self._thread = threading.Thread(target=self._run, name=f"oms-stream-{subscription.logical_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            outcome = self.poll_once()
            if outcome == "stopped":
                return
            if outcome == "failed":
                backoff = min(MAX_BACKOFF_SECONDS, max(MIN_BACKOFF_SECONDS, backoff * 2))
                self._stop.wait(backoff)
            else:
                backoff = 0.0
                self._stop.wait(0 if outcome == "progressed" else IDLE_POLL_SECONDS)

    def poll_once(self) -> str:
        """One delivery attempt per shard: "progressed", "failed" (something will be retried), "idle"."""
        progressed = failed = False
        for shard in self._shards:
            try:
                outcome = self._step(shard)
            except Exception:
                if self._stop.is_set():
                    return "stopped"
                log.exception("reading stream %s failed", self.stream_arn)
                outcome = "failed"
            progressed |= outcome == "progressed"
            failed |= outcome == "failed"
        return "failed" if failed else "progressed" if progressed else "idle"

    def _read(self, shard: _Shard) -> bool:
        """Read the next page of the shard into its pending batches; True if the shard moved on."""
        page = self.client.get_records(ShardIterator=shard.iterator, Limit=self.subscription.batch_size)
        raw = page.get("Records", [])
        records = [lambda_record(r, self.stream_arn, self.region) for r in raw]
        if self._patterns:
            records = [r for r in records if any(p.matches_event(r) for p in self._patterns)]  # type: ignore[arg-type]
        shard.iterator = page.get("NextShardIterator") or shard.iterator
        if records:
            shard.pending.append(_Batch(records))
        return bool(raw)

    def _step(self, shard: _Shard) -> str:
        """Deliver the shard's oldest pending batch once: "progressed", "failed" or "idle"."""
        if not shard.pending and not self._read(shard):
            return "idle"
        if not shard.pending:
            return "progressed"  # only filtered-out records: the checkpoint moved past them
        batch = shard.pending[0]
        spec = self.subscription
        if spec.maximum_record_age_seconds >= 0:
            now = time.time()
            expired = [r for r in batch.records if (_created(r) or now) < now - spec.maximum_record_age_seconds]
            if expired:
                self._discard(shard, expired, "RecordAgeExceeded", batch)
                batch.records = [r for r in batch.records if not any(r is e for e in expired)]
                if not batch.records:
                    shard.pending.popleft()
                    return "progressed"
        batch.invocations += 1
        retry_from: int | None
        try:
            result = self.function.invoke({"Records": batch.records})
        except Exception:
            log.exception("%s failed on a stream batch of %d", spec.function_id, len(batch.records))
            retry_from, function_error = 0, True
        else:
            retry_from = first_failed_index(batch.records, result) if spec.report_batch_item_failures else None
            function_error = False
            if retry_from is not None:
                log.warning(
                    "%s reported %d of %d stream records failed",
                    spec.function_id,
                    len(batch.records) - retry_from,
                    len(batch.records),
                )
        if retry_from is None:
            shard.pending.popleft()
            return "progressed"
        shard.pending.popleft()
        remaining = batch.records[retry_from:]
        if function_error and spec.bisect_on_error and len(remaining) > 1:
            half = len(remaining) // 2
            shard.pending.appendleft(_Batch(remaining[half:], batch.retries, batch.invocations))
            shard.pending.appendleft(_Batch(remaining[:half], batch.retries, batch.invocations))
            return "failed"
        retry = _Batch(remaining, batch.retries + 1, batch.invocations, function_error)
        if 0 <= spec.maximum_retry_attempts < retry.retries:
            self._discard(shard, remaining, "RetryAttemptsExhausted", retry)
            return "failed"
        shard.pending.appendleft(retry)
        return "failed"

    def _discard(self, shard: _Shard, records: list[dict[str, Any]], condition: str, batch: _Batch) -> None:
        destination = self.subscription.on_failure_destination
        log.warning(
            "%s: %d stream records discarded (%s)%s",
            self.subscription.function_id,
            len(records),
            condition,
            f"; described to {destination}" if destination else "",
        )
        if destination is None or self.on_failure is None:
            return
        message = on_failure_record(
            function_arn=self.function.spec.arn,
            stream_arn=self.stream_arn,
            shard_id=shard.shard_id,
            records=records,
            condition=condition,
            invoke_count=batch.invocations,
            function_error=batch.function_error,
        )
        try:
            self.on_failure(destination, message)
        except Exception:
            log.exception("delivering the on-failure record to %s failed", destination)
