"""DynamoDB stream → function delivery, polled like Lambda's event source mapping does.

moto's own event source mappings call the function inside the write request (so under the DynamoDB
lock, where a handler writing to the table would deadlock) and resend undelivered records. Here a
thread per subscription reads the stream with GetRecords and calls the handler with Lambda's
``{"Records": [...]}`` event; a failing batch is retried (backing off up to 5 s) until it succeeds,
which blocks the shard as on AWS.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from moto.events.models import EventPattern

from .functions import InProcessFunction
from .template import StreamSubscriptionSpec

log = logging.getLogger("local_stack")

IDLE_POLL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0


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


class StreamPoller:
    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        subscription: StreamSubscriptionSpec,
        function: InProcessFunction,
        region: str,
    ) -> None:
        self.client = streams_client
        self.stream_arn = stream_arn
        self.subscription = subscription
        self.function = function
        self.region = region
        self._stop = threading.Event()
        self._iterators: list[str] = []
        # Take the starting position now, so writes made right after start() are not missed.
        for shard in self.client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            self._iterators.append(
                self.client.get_shard_iterator(
                    StreamArn=stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType=subscription.starting_position,
                )["ShardIterator"]
            )
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
            delivered_any = False
            for index, iterator in enumerate(self._iterators):
                try:
                    page = self.client.get_records(ShardIterator=iterator, Limit=self.subscription.batch_size)
                except Exception:
                    if self._stop.is_set():
                        return
                    log.exception("reading stream %s failed", self.stream_arn)
                    break
                records = [lambda_record(r, self.stream_arn, self.region) for r in page.get("Records", [])]
                if self._patterns:
                    records = [r for r in records if any(p.matches_event(r) for p in self._patterns)]  # type: ignore[arg-type]
                if records:
                    event = {"Records": records}
                    try:
                        self.function.invoke(event)
                    except Exception:
                        backoff = min(MAX_BACKOFF_SECONDS, max(0.2, backoff * 2))
                        log.exception(
                            "%s failed on a stream batch; retrying in %.1fs",
                            self.function.spec.logical_id,
                            backoff,
                        )
                        break  # keep the iterator: the same batch is read again
                    backoff = 0.0
                    delivered_any = True
                self._iterators[index] = page.get("NextShardIterator") or iterator
            self._stop.wait(backoff if backoff else (0 if delivered_any else IDLE_POLL_SECONDS))
