"""The outbox on the wire: outbox rows → EventBridge entries, the relay that publishes them with partial
batch failures, the dead-letter messages it writes for events it cannot publish, and the redrive that
publishes them again (the `oms-outbox-dlq` command).

Delivery is at least once. A record that fails is reported to the event source mapping (which retries
from the lowest failed record, so later ones may be published twice: consumers dedupe on
`detail.eventId`). Each failure of an event is counted; at `max_attempts` failures (or once the record is
older than `give_up_after_seconds`, before the mapping's own maximum record age discards it) the relay
writes the complete entry to the dead-letter queue and reports the record as done, so one poison event
never blocks the rest of its shard. A redrive publishes the stored entry unchanged, with its original
`eventId`.

The dead-letter queue receives two kinds of messages: ours (``kind: oms.outbox.dead-letter``, the entry
itself), and the event source mapping's on-failure records (``DDBStreamBatchInfo``: only the shard and a
range of sequence numbers, written when the function itself kept failing). The redrive reads the latter's
records back from the stream while the stream still holds them (24 hours).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer

log = logging.getLogger(__name__)

_jitter = random.Random()  # its own generator: never the process's shared `random` state
SOURCE = "oms"
DEAD_LETTER_KIND = "oms.outbox.dead-letter"
DEAD_LETTER_VERSION = 1
MAX_ENTRIES_PER_CALL = 10  # PutEvents takes at most 10 entries
# Business metrics (EMF, namespace POWERTOOLS_METRICS_NAMESPACE), counted from the committed events the
# relay publishes, so every writer of such an event is counted and nothing a rolled-back request tried is.
# Delivery is at least once: a record retried after a partial failure may be counted twice.
BUSINESS_METRICS = {
    "OrderPlaced": "OrdersPlaced",
    "OrderPaid": "PaymentsApplied",
    "RefundSucceeded": "RefundsSucceeded",
    "RefundFailed": "RefundsFailed",
}
_deserializer = TypeDeserializer()


class OutboxNotRelayed(RuntimeError):
    """No record of the batch could be published or dead-lettered: the whole batch is retried."""


# ----------------------------------------------------------------------------- rows and entries


def new_image(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The deserialized new image of a stream record (Lambda's or GetRecords' shape), or None."""
    image = (record.get("dynamodb") or {}).get("NewImage")
    if not image:
        return None
    return {key: _deserializer.deserialize(value) for key, value in image.items()}


def is_outbox_insert(record: Mapping[str, Any]) -> bool:
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    return bool(record.get("eventName") == "INSERT" and image.get("type", {}).get("S") == "Outbox")


def outbox_entry(row: Mapping[str, Any], bus_name: str) -> dict[str, str]:
    """The PutEvents entry for an outbox row (deserialized); ValueError if the row is malformed."""
    try:
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else dict(row["detail"])
        if not isinstance(detail, dict):
            raise ValueError("detail is not an object")
        return {
            "Source": SOURCE,
            "DetailType": str(row["detailType"]),
            "Detail": json.dumps(
                {**detail, "eventId": str(row["eventId"]), "occurredAt": str(row["createdAt"])}, default=str
            ),
            "EventBusName": bus_name,
        }
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"malformed outbox row: {type(error).__name__}: {error}") from None


def entry_event_id(entry: Mapping[str, Any]) -> str | None:
    try:
        value = json.loads(str(entry["Detail"])).get("eventId")
    except (KeyError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def record_created_at(record: Mapping[str, Any]) -> float | None:
    """ApproximateCreationDateTime in epoch seconds (Lambda sends a number; boto3 parses a datetime)."""
    value = (record.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def sequence_number(record: Mapping[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


# ----------------------------------------------------------------------------- publishing


class EventPublisher(Protocol):
    """Where the relay publishes entries (PutEvents-shaped: Source, DetailType, Detail, EventBusName)."""

    def publish(self, entries: Sequence[Mapping[str, str]]) -> list[str | None]:
        """Publish at most MAX_ENTRIES_PER_CALL entries; for each, None if accepted or why it was refused.
        Raises when the call itself failed (throttling, timeouts, permissions): every entry failed."""
        ...


class EventBridgePublisher:
    """EventPublisher on an EventBridge client (`client` is a boto3 `events` client factory, looked up at
    each call so tests and the local stack can swap the client)."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    def publish(self, entries: Sequence[Mapping[str, str]]) -> list[str | None]:
        result = self._client().put_events(Entries=[dict(entry) for entry in entries])
        refusals: list[str | None] = [None] * len(entries)
        if not result.get("FailedEntryCount"):
            return refusals
        for index, answer in enumerate((result.get("Entries") or [])[: len(entries)]):
            if answer.get("ErrorCode"):
                refusals[index] = f"{answer['ErrorCode']}: {answer.get('ErrorMessage', '')}"
        return refusals


# ----------------------------------------------------------------------------- dead letters


def dead_letter_message(
    *,
    record: Mapping[str, Any],
    entry: Mapping[str, str] | None,
    event_id: str | None,
    attempts: int,
    error: str,
    failed_at: datetime,
    row: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What the relay writes to the dead-letter queue: the complete entry (or, for a row that cannot be
    turned into one, the row itself) and where it came from."""
    message: dict[str, Any] = {
        "kind": DEAD_LETTER_KIND,
        "version": DEAD_LETTER_VERSION,
        "eventId": event_id,
        "detailType": entry.get("DetailType") if entry else None,
        "entry": dict(entry) if entry else None,
        "attempts": attempts,
        "error": error[:1000],
        "failedAt": failed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "record": {
            "eventSourceARN": record.get("eventSourceARN"),
            "sequenceNumber": sequence_number(record),
            "approximateCreationDateTime": record_created_at(record),
            "keys": {
                k: _deserializer.deserialize(v) for k, v in ((record.get("dynamodb") or {}).get("Keys") or {}).items()
            },
        },
    }
    if entry is None and row is not None:
        message["row"] = json.loads(json.dumps(dict(row), default=str))
    return message


class DeadLetterQueue:
    """The SQS queue the relay writes failed entries to (`client` is a boto3 SQS client factory)."""

    def __init__(self, client: Callable[[], Any], queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def send(self, message: Mapping[str, Any]) -> None:
        attributes = {
            name: {"DataType": "String", "StringValue": str(message[key])}
            for name, key in (("eventId", "eventId"), ("detailType", "detailType"))
            if message.get(key)
        }
        self._client().send_message(
            QueueUrl=self.queue_url, MessageBody=json.dumps(message, default=str), MessageAttributes=attributes
        )


# ----------------------------------------------------------------------------- the relay


@dataclass
class RelayOutcome:
    published: int = 0
    dead_lettered: list[str] = field(default_factory=list)  # event ids (or sequence numbers of malformed rows)
    failed: dict[str, str] = field(default_factory=dict)  # sequence number → why: retried by the stream
    published_types: Counter[str] = field(default_factory=Counter)  # detail type → entries published

    def business_metrics(self) -> dict[str, int]:
        """Metric name → count for the published events that carry a business metric."""
        return {
            BUSINESS_METRICS[detail_type]: count
            for detail_type, count in sorted(self.published_types.items())
            if detail_type in BUSINESS_METRICS
        }

    def check(self, sequence: str) -> None:
        """Raise for a record that must be retried (the batch processor reports it)."""
        if sequence in self.failed:
            raise OutboxNotRelayed(self.failed[sequence])


@dataclass
class _Pending:
    record: Mapping[str, Any]
    entry: dict[str, str]
    event_id: str
    error: str = ""


class OutboxRelay:
    def __init__(
        self,
        *,
        bus_name: str,
        publisher: EventPublisher,
        dead_letters: DeadLetterQueue | None,
        count_failure: Callable[[str, str, datetime], int],
        max_attempts: int = 5,
        give_up_after_seconds: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_delay_seconds: float = 0.1,
    ) -> None:
        self.bus_name = bus_name
        self._publisher = publisher
        self.dead_letters = dead_letters
        self._count_failure = count_failure
        self.max_attempts = max(1, max_attempts)
        self.give_up_after_seconds = give_up_after_seconds
        self._clock = clock
        self.retry_delay_seconds = retry_delay_seconds

    def relay(self, records: Sequence[Mapping[str, Any]]) -> RelayOutcome:
        """Publish every inserted outbox row among `records`; the outcome names the records to retry."""
        outcome = RelayOutcome()
        pending: list[_Pending] = []
        for record in records:
            if not is_outbox_insert(record):
                continue  # the mapping's filter should have dropped it; harmless either way
            row = new_image(record) or {}
            try:
                entry = outbox_entry(row, self.bus_name)
            except ValueError as error:
                # Never publishable: dead-letter it at once (with the row), retrying cannot help.
                event_id = str(row.get("eventId") or "") or None
                letter = dead_letter_message(
                    record=record,
                    entry=None,
                    event_id=event_id,
                    attempts=0,
                    error=str(error),
                    failed_at=self._clock(),
                    row=row,
                )
                self._give_up(record, letter, outcome)
                continue
            pending.append(_Pending(record, entry, str(row["eventId"])))
        failed = self._publish(pending)
        if failed:
            time.sleep(self.retry_delay_seconds * (1 + _jitter.random()))  # one quick retry of refused entries
            failed = self._publish(failed)
        outcome.published = len(pending) - len(failed)
        refused = {id(item) for item in failed}
        outcome.published_types.update(item.entry["DetailType"] for item in pending if id(item) not in refused)
        for item in failed:
            self._after_failure(item, outcome)
        return outcome

    def _publish(self, items: list[_Pending]) -> list[_Pending]:
        """PutEvents in chunks; returns the items EventBridge did not accept (with why)."""
        refused: list[_Pending] = []
        for start in range(0, len(items), MAX_ENTRIES_PER_CALL):
            chunk = items[start : start + MAX_ENTRIES_PER_CALL]
            try:
                refusals = self._publisher.publish([item.entry for item in chunk])
            except Exception as error:  # throttling, timeouts, permissions: every entry of the call failed
                for item in chunk:
                    item.error = f"{type(error).__name__}: {error}"
                refused += chunk
                continue
            for item, refusal in zip(chunk, refusals, strict=False):
                if refusal:
                    item.error = refusal
                    refused.append(item)
        return refused

    def _after_failure(self, item: _Pending, outcome: RelayOutcome) -> None:
        now = self._clock()
        try:
            attempts = self._count_failure(item.event_id, item.error, now)
        except Exception as error:
            log.warning(
                "could not count a failed outbox attempt", extra={"eventId": item.event_id, "error": str(error)}
            )
            outcome.failed[sequence_number(item.record)] = item.error
            return
        created = record_created_at(item.record)
        too_old = created is not None and now.timestamp() - created >= self.give_up_after_seconds
        if attempts < self.max_attempts and not too_old:
            log.warning(
                "outbox event not accepted; the stream retries it",
                extra={"eventId": item.event_id, "attempts": attempts, "error": item.error},
            )
            outcome.failed[sequence_number(item.record)] = item.error
            return
        letter = dead_letter_message(
            record=item.record,
            entry=item.entry,
            event_id=item.event_id,
            attempts=attempts,
            error=item.error,
            failed_at=now,
        )
        self._give_up(item.record, letter, outcome)

    def _give_up(self, record: Mapping[str, Any], letter: dict[str, Any], outcome: RelayOutcome) -> None:
        """Write `letter` to the dead-letter queue and count the record done; if that fails, retry it."""
        sequence, event_id, error = sequence_number(record), letter["eventId"], letter["error"]
        if self.dead_letters is None:
            outcome.failed[sequence] = f"{error} (no dead-letter queue configured)"
            return
        try:
            self.dead_letters.send(letter)
        except Exception as send_error:
            log.error("could not dead-letter an outbox event", extra={"eventId": event_id, "error": str(send_error)})
            outcome.failed[sequence] = f"{error}; dead-letter queue: {send_error}"
            return
        log.error(
            "outbox event moved to the dead-letter queue",
            extra={
                "eventId": event_id,
                "attempts": letter["attempts"],
                "error": error,
                "queue": self.dead_letters.queue_url,
            },
        )
        outcome.dead_lettered.append(event_id or sequence)


# ----------------------------------------------------------------------------- redrive


@dataclass(frozen=True)
class DeadLetter:
    """One message of the dead-letter queue, as the redrive sees it."""

    message_id: str
    receipt_handle: str
    body: dict[str, Any]

    @property
    def is_ours(self) -> bool:
        return self.body.get("kind") == DEAD_LETTER_KIND

    @property
    def batch_info(self) -> dict[str, Any] | None:
        """The event source mapping's on-failure record (records not included), if that is what this is."""
        info = self.body.get("DDBStreamBatchInfo")
        return info if isinstance(info, dict) else None

    @property
    def event_id(self) -> str | None:
        value = self.body.get("eventId")
        return value if isinstance(value, str) else None

    def summary(self) -> dict[str, Any]:
        if self.is_ours:
            return {
                "messageId": self.message_id,
                "kind": "event",
                "eventId": self.event_id,
                "detailType": self.body.get("detailType"),
                "attempts": self.body.get("attempts"),
                "failedAt": self.body.get("failedAt"),
                "error": self.body.get("error"),
                "redrivable": isinstance(self.body.get("entry"), dict),
            }
        info = self.batch_info
        if info is not None:
            context = self.body.get("requestContext") or {}
            return {
                "messageId": self.message_id,
                "kind": "stream-batch",
                "condition": context.get("condition"),
                "shardId": info.get("shardId"),
                "startSequenceNumber": info.get("startSequenceNumber"),
                "endSequenceNumber": info.get("endSequenceNumber"),
                "batchSize": info.get("batchSize"),
                "failedAt": self.body.get("timestamp"),
                "redrivable": True,
            }
        return {"messageId": self.message_id, "kind": "unknown", "redrivable": False}


def parse_dead_letter(message: Mapping[str, Any]) -> DeadLetter:
    try:
        body = json.loads(str(message.get("Body", "")))
    except ValueError:
        body = {}
    return DeadLetter(str(message["MessageId"]), str(message["ReceiptHandle"]), body if isinstance(body, dict) else {})


def receive_messages(sqs: Any, queue_url: str, *, visibility_timeout: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` messages of a queue (attributes included), each once. They stay hidden for
    `visibility_timeout` seconds (so the listing reaches them all): delete or release each one."""
    messages: dict[str, dict[str, Any]] = {}
    while len(messages) < limit:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - len(messages)),
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in messages]
        if not fresh:
            break
        for message in fresh:
            messages[message["MessageId"]] = message
    return list(messages.values())


def receive_dead_letters(sqs: Any, queue_url: str, *, visibility_timeout: int, limit: int) -> list[DeadLetter]:
    """The outbox queue's messages (`receive_messages`) as dead letters."""
    received = receive_messages(sqs, queue_url, visibility_timeout=visibility_timeout, limit=limit)
    return [parse_dead_letter(message) for message in received]


def release(sqs: Any, queue_url: str, letter: DeadLetter) -> None:
    """Make a received message visible again at once (it stays in the queue)."""
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=letter.receipt_handle, VisibilityTimeout=0)


def stream_records(streams: Any, info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of an on-failure batch, read back from the stream (raises if the stream trimmed them)."""
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    records: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page.get("Records", []):
            if int(sequence_number(record)) > end:
                return records
            records.append(record)
        if not page.get("Records"):
            return records
        iterator = page.get("NextShardIterator")
    return records


@dataclass
class RedriveResult:
    message_id: str
    event_ids: list[str]
    published: bool
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "eventIds": self.event_ids,
            "published": self.published,
            "reason": self.reason,
        }


def redrive_one(
    letter: DeadLetter,
    events: Any,
    *,
    bus_override: str | None = None,
    stream_bus: str | None = None,
    streams: Callable[[], Any] | None = None,
) -> RedriveResult:
    """Publish what `letter` holds: the stored entry as it was (its eventId included; `bus_override`
    replaces its bus), or the outbox rows of an on-failure batch read back from the stream and published
    to `bus_override` or `stream_bus`."""
    bus_name = bus_override or stream_bus
    if letter.is_ours:
        entry = letter.body.get("entry")
        if not isinstance(entry, dict):
            return RedriveResult(letter.message_id, [], False, "the row could not be turned into an event")
        entries = [{**entry, "EventBusName": bus_override or entry.get("EventBusName", "default")}]
    elif letter.batch_info is not None:
        if streams is None:
            return RedriveResult(letter.message_id, [], False, "no stream client to read the batch back")
        if bus_name is None:
            return RedriveResult(letter.message_id, [], False, "a stream batch needs the bus name (--bus-name)")
        try:
            records = stream_records(streams(), letter.batch_info)
        except Exception as error:
            return RedriveResult(letter.message_id, [], False, f"cannot read the batch from the stream: {error}")
        entries = []
        for record in records:
            if is_outbox_insert(record):
                try:
                    entries.append(outbox_entry(new_image(record) or {}, bus_name))
                except ValueError as error:
                    return RedriveResult(letter.message_id, [], False, str(error))
    else:
        return RedriveResult(letter.message_id, [], False, "not an outbox dead letter")
    event_ids = [entry_event_id(entry) or "?" for entry in entries]
    for start in range(0, len(entries), MAX_ENTRIES_PER_CALL):
        try:
            result = events.put_events(Entries=entries[start : start + MAX_ENTRIES_PER_CALL])
        except Exception as error:
            return RedriveResult(letter.message_id, event_ids, False, f"{type(error).__name__}: {error}")
        if result.get("FailedEntryCount"):
            errors = [e.get("ErrorCode") for e in result.get("Entries", []) if e.get("ErrorCode")]
            return RedriveResult(letter.message_id, event_ids, False, f"EventBridge refused: {errors}")
    return RedriveResult(letter.message_id, event_ids, True)
