"""Identifiers: time-sortable ULIDs and human-readable order numbers."""

from __future__ import annotations

import secrets
from datetime import datetime

from ulid import ULID


def new_id() -> str:
    """A ULID: 26 characters, lexicographically sortable by creation time."""
    return str(ULID())


def new_order_number(now: datetime) -> str:
    """`YYMMDD` + 8 random digits, e.g. `26112204817362`.

    Unique by construction is not enough with random digits, so the store reserves each number with a
    conditional write in the checkout transaction and retries with a fresh one on the rare collision.
    """
    return f"{now:%y%m%d}{secrets.randbelow(10**8):08d}"
