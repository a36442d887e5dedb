"""The sales channel the local stack plays (a Taobao-like shop platform): it keeps each connected store's
account and the balance it holds for the platform, answers "sync channel info" (`ChannelGateway.account`,
given to the functions in `oms.wiring.Adapters.channels`), and signs order callbacks with the store's
callback secret exactly as a channel must (`Channel-Signature`, oms.adapters.channels).

A store is connected with the secret its creation answered (`connect`); `/_local/sandbox/channels/...`
drives it from the command line (docs/local-stack.md)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from oms.adapters.channels import ChannelAccount, ChannelUnavailable, sign_channel_body
from oms.domain.money import Money


@dataclass
class _Store:
    secret: str
    account: str
    balance: Money


class SandboxChannels:
    """Thread-safe, in memory; `calls` records every sync asked of it, `unavailable = True` makes them fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: dict[str, _Store] = {}
        self.calls: list[str] = []
        self.unavailable = False

    def connect(self, store_id: str, secret: str, account: str, balance: Money) -> None:
        with self._lock:
            self._stores[store_id] = _Store(secret, account, balance)

    def set_balance(self, store_id: str, balance: Money) -> None:
        with self._lock:
            self._stores[store_id].balance = balance

    def book_charge(self, store_id: str, answer: dict[str, Any] | None) -> None:
        """The channel's own ledger: an order the platform placed and charged is taken from its figure."""
        charged = (answer or {}).get("charged")
        if not charged or (answer or {}).get("status") != "created":
            return
        with self._lock:
            found = self._stores[store_id]
            found.balance = Money(found.balance.amount - int(charged["amount"]), found.balance.currency)

    def set_account(self, store_id: str, account: str) -> None:
        with self._lock:
            self._stores[store_id].account = account

    def state(self, store_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._stores.get(store_id)
            if found is None:
                return None
            return {"storeId": store_id, "account": found.account, "balance": found.balance.to_dict()}

    def account(self, store_id: str, channel_type: str, connected_account: str | None, secret: str) -> ChannelAccount:
        with self._lock:
            self.calls.append(store_id)
            if self.unavailable:
                raise ChannelUnavailable("the sandbox channel is unavailable")
            found = self._stores.get(store_id)
            if found is None or found.secret != secret:  # the channel knows the store by its secret
                raise ChannelUnavailable("the sandbox channel does not know this store")
            return ChannelAccount(found.account, found.balance)

    def signed_order(self, store_id: str, order: dict[str, Any], at: int | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and raw body of the order callback the channel sends for `order`."""
        with self._lock:
            found = self._stores.get(store_id)
            if found is None:
                raise KeyError(f"store {store_id} is not connected to the sandbox channel")
            secret = found.secret
        raw = json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode()
        signature = sign_channel_body(secret, raw, int(time.time()) if at is None else at)
        return {"Content-Type": "application/json", "Channel-Signature": signature}, raw
