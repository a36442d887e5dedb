"""Identifiers: time-sortable ULIDs and human-readable order numbers."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_id() -> str:
    """A ULID: 26 characters, lexicographically sortable by creation time."""
    # Imported at first use: python-ulid reads its version from the package metadata when imported
    # (importlib.metadata scanning the layer's dist-info folders: ~25 ms of every cold start). Under
    # SnapStart the import happens before the snapshot (oms.snapstart warms it).
    from ulid import ULID

    return str(ULID())


def new_order_number(now: datetime) -> str:
    """`YYMMDD` + 8 random digits, e.g. `26112204817362`.

    Unique by construction is not enough with random digits, so the store reserves each number with a
    conditional write in the checkout transaction and retries with a fresh one on the rare collision.
    """
    return f"{now:%y%m%d}{secrets.randbelow(10**8):08d}"
