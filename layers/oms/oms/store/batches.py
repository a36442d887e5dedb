"""A batch request's Idempotency-Key record (oms.services.batches): written when the batch starts (status
0, its batch id and start time in the body), replaced by the batch's answer when it ends. A batch is many
transactions, one per order, so its answer cannot ride in one of them: the started record lets a retry
after a crash resume the same batch (the same batch id, so each order's note is written once) and the
finished record replays the answer."""

from __future__ import annotations

import json
from typing import Any

from oms.domain.clock import parse_rfc3339
from oms.store import keys
from oms.store.models import IdempotencyItem
from oms.store.orders import IDEMPOTENCY_TTL, stored_response
from oms.store.records import StoredResponse
from oms.store.transactions import Part, Transaction, TransactionCancelled

STARTED = 0  # the status code of a batch that started and has no answer yet


def batch_record(subject: str, key: str) -> StoredResponse | None:
    return stored_response(subject, key)


def _item(subject: str, key: str, request_hash: str, status: int, body: dict[str, Any], now: str) -> IdempotencyItem:
    return IdempotencyItem(
        *keys.idempotency(subject, key),
        requestHash=request_hash,
        statusCode=status,
        responseBody=json.dumps(body, separators=(",", ":")),
        createdAt=now,
        expiresAt=parse_rfc3339(now) + IDEMPOTENCY_TTL,
    )


def start_batch(subject: str, key: str, request_hash: str, started: dict[str, Any], now: str) -> bool:
    """Record that the batch started (False: a request with this key recorded it first)."""
    tx = Transaction()
    tx.put(
        Part.IDEMPOTENCY, _item(subject, key, request_hash, STARTED, started, now), IdempotencyItem.PK.does_not_exist()
    )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.IDEMPOTENCY):
            return False
        raise
    return True


def finish_batch(subject: str, key: str, request_hash: str, status: int, body: dict[str, Any], now: str) -> None:
    """The batch's answer, replayed from now on for its key."""
    tx = Transaction()
    tx.put(Part.IDEMPOTENCY, _item(subject, key, request_hash, status, body, now))
    tx.commit()
