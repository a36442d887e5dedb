"""Idempotency-Key, the service-side rule in one place: the fingerprint of a request, and what a key that
was already used means.

A client repeats a write with the same `Idempotency-Key` header when it did not get (or lost) the answer.
The service stores, in the transaction of the write, the key (per caller), the fingerprint of the validated
request and the response (`oms.store.payments.add_idempotency`, the one writer). A later request with the
same key:

- with the same fingerprint gets the stored response again (a replay; nothing is written twice);
- with another fingerprint is refused: 422 `idempotency-key-reused` (`IdempotencyKeyReused`);
- while the first is still in flight loses the race on the record's write: 409 `idempotency-key-in-use`
  (`oms.store.orders.IdempotencyKeyInUse`, raised where the store's transaction is cancelled).

Stdlib-only (and the domain's errors): the handlers fingerprint bodies without loading the store.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from oms.domain.errors import InvalidRequest


class IdempotencyKeyReused(InvalidRequest):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key was already used with a different request"


def request_fingerprint(payload: dict[str, Any]) -> str:
    """Hash of the validated request: the same order asked twice hashes the same, whatever the JSON layout."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
