"""Idempotency-Key, the service-side rule in one place: the fingerprint of a request, and what a key that
was already used means.

A client repeats a write with the same `Idempotency-Key` header when it did not get (or lost) the answer.
The service stores, in the transaction of the write, the key (per caller), the fingerprint of the validated
request and the response (`oms.store.payments.add_idempotency`, the one writer). A later request with the
same key:

- with the same fingerprint gets the stored response again (a replay; nothing is written twice):
  `replay`, the one check every keyed write makes before it reads or writes anything else;
- with another fingerprint is refused: 422 `idempotency-key-reused` (`IdempotencyKeyReused`, from `replay`);
- while the first is still in flight loses the race on the record's write: 409 `idempotency-key-in-use`
  (`oms.store.orders.IdempotencyKeyInUse`: `raise_if_key_in_use` when the service commits the transaction,
  the store itself for checkout, whose failed transaction it explains).

Stdlib-only at import (and the domain's errors): the handlers fingerprint bodies without loading the store.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from oms.domain.errors import InvalidRequest

if TYPE_CHECKING:
    from oms.store.records import StoredResponse
    from oms.store.transactions import TransactionCancelled

Replay = tuple[int, dict[str, Any], bool]  # (status, body, replayed=True): the stored answer, again


class IdempotencyKeyReused(InvalidRequest):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key was already used with a different request"


def request_fingerprint(payload: dict[str, Any]) -> str:
    """Hash of the validated request: the same order asked twice hashes the same, whatever the JSON layout."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(stored: StoredResponse | None, fingerprint: str) -> Replay | None:
    """The stored answer to give again for a key already used (None: a new key, go on with the write);
    `IdempotencyKeyReused` when the key was used with another request."""
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
    return stored.status_code, stored.body, True


def raise_if_key_in_use(cancelled: TransactionCancelled) -> None:
    """`IdempotencyKeyInUse` (409) when the write's transaction was cancelled on its idempotency record:
    another request with the same key committed it first, or is committing it now."""
    from oms.store.orders import IdempotencyKeyInUse
    from oms.store.transactions import Part

    if cancelled.failed(Part.IDEMPOTENCY):
        raise IdempotencyKeyInUse("another request with this Idempotency-Key is in flight") from cancelled
