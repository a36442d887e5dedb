"""Sales channels (seed 004's 电商渠道): channel stores (create, edit, enable/disable, sort, list with the
total balance), "sync channel info" through the channel gateway with findings, and the orders channels send
— signed callbacks and imported order files — placed through the one order core as the store's ordering
user, paid from its balance, deduplicated by channel order number.

A channel order is `OrderService.place` with a `ChannelPlacement`: the channel order number's row (taken
only once per store) and the store's count of placed orders (conditional on the store being enabled) ride
in the order's own transaction, so a callback and an import of the same order, or two deliveries of one
callback, place one order. Its idempotency record is keyed by the channel order number under the store
(`channel:<storeId>`), with the order's content as fingerprint: the same order again answers the first
placement; the same number with other lines is 409 `channel-order-conflict`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from oms.adapters.channels import ChannelCallbackRejected, ChannelGateway, ChannelUnavailable, verify_channel_callback
from oms.adapters.sealing import sealer
from oms.domain.channels import (
    MAX_IMPORT_ORDERS,
    ChannelBalanceInsufficient,
    ChannelLine,
    ChannelOrder,
    ChannelOrderConflict,
    ChannelStoreDisabled,
    ChannelStoreStatus,
    ChannelType,
    StoreHasUnsettledOrders,
    check_channel_order_no,
    check_domain,
    check_name,
    check_order,
    compare_balances,
)
from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound, PreconditionFailed
from oms.domain.ids import new_id
from oms.domain.money import SUPPORTED_CURRENCIES, Money
from oms.domain.order import OrderStatus
from oms.domain.order_pricing import PricedOrder
from oms.domain.permissions import Actor, Permission
from oms.domain.pricing import CartLine, PricingRequest
from oms.services.batches import problem_of
from oms.services.idempotency import IdempotencyKeyReused
from oms.services.virtual_goods import add_channel_summary
from oms.store import channels as store
from oms.store.audit import add_audit
from oms.store.channels import ChannelStore
from oms.store.pages import Page, clamp_limit
from oms.store.records import OrderRecord
from oms.store.transactions import Part, Transaction, TransactionCancelled

log = logging.getLogger(__name__)
SETTLED = frozenset({OrderStatus.COMPLETED, OrderStatus.CLOSED, OrderStatus.CANCELLED})


class ServiceUnavailable(DomainError):
    slug = "service-unavailable"
    title = "Service temporarily unavailable"
    status = 503


def store_view(item: ChannelStore, balance: Money) -> dict[str, Any]:
    view: dict[str, Any] = {
        "storeId": item.storeId,
        "name": item.name,
        "channelType": item.channelType,
        "orderingUserId": item.orderingUserId,
        "redemptionDomain": item.redemptionDomain,
        "connectedAccount": item.connectedAccount,
        "currency": item.currency,
        "status": item.status,
        "sortOrder": item.sortOrder,
        "balance": balance.to_dict(),
        "orders": item.placed,
        "version": item.version,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }
    if item.lastSync:
        view["lastSync"] = dict(item.lastSync)
    return view


def _search_text(name: str, domain: str, user: str) -> str:
    return f"{name}|{domain}|{user}".lower()


class ChannelPlacement:
    """What a channel order adds to the placing path (oms.services.orders.PlaceExtra)."""

    deadline_seconds: int | None = None

    def __init__(self, store_item: ChannelStore, order: ChannelOrder, via: str) -> None:
        self.store = store_item
        self.order = order
        self.via = via
        self.charged: Money | None = None

    def check(self, priced: PricedOrder) -> None:
        if not priced.total.is_zero():
            raise ChannelBalanceInsufficient(
                f"the channel's balance is short of the order by {priced.total.amount} minor units",
                shortfall=priced.total.to_dict(),
            )
        self.charged = priced.balance

    def prepare(self, record: OrderRecord, now: str) -> Callable[[Transaction], None]:
        store_id = self.store.storeId
        row = store.ChannelOrder(
            store_id, self.order.channel_order_no, record.header.orderId, self.order.fingerprint(), self.via, now
        )

        def more(tx: Transaction) -> None:
            store.add_placement(tx, row)
            add_channel_summary(tx, record, store_id, self.order.channel_order_no, now)

        return more

    def events(self, record: OrderRecord) -> list[Any]:
        return []


class ChannelService:
    def __init__(
        self,
        orders: Any,  # oms.services.orders.OrderService
        gateway: Callable[[], ChannelGateway],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.gateway = gateway
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    def _store(self, store_id: str) -> ChannelStore:
        item = store.get_store(store_id)
        if item is None:
            raise NotFound(f"channel store {store_id} not found")
        return item

    def _view(self, item: ChannelStore) -> dict[str, Any]:
        return store_view(item, store.balance_of(item.orderingUserId, item.currency))

    # ---------------------------------------------------------------- stores
    def create(self, actor: Actor, fields: Mapping[str, Any]) -> dict[str, Any]:
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins configure channel stores")
        if store.store_count() >= store.MAX_STORES:
            raise Conflict(f"at most {store.MAX_STORES} channel stores")
        name = check_name(str(fields["name"]))
        domain = check_domain(str(fields["redemptionDomain"]))
        if str(fields.get("currency") or "CNY") not in SUPPORTED_CURRENCIES:
            raise InvalidRequest("the currency is one the platform prices in", field="currency")
        store_id = new_id()
        secret = secrets.token_urlsafe(32)
        now = self._now()
        sort_order = int(fields.get("sortOrder") or 0)
        user = str(fields["orderingUserId"])
        item = ChannelStore(
            storeId=store_id,
            name=name,
            channelType=ChannelType(fields["channelType"]).value,
            orderingUserId=user,
            redemptionDomain=domain,
            connectedAccount=fields.get("connectedAccount"),
            currency=str(fields.get("currency") or "CNY"),
            status=(ChannelStoreStatus.ENABLED if fields.get("enabled", True) else ChannelStoreStatus.DISABLED).value,
            sortOrder=sort_order,
            searchText=_search_text(name, domain, user),
            secret=sealer().seal(secret, store_id),
            placed=0,
            version=1,
            createdAt=now,
            updatedAt=now,
        )
        tx = Transaction()
        store.add_new_store(tx, item)
        after = {k: v for k, v in store_view(item, Money.zero(item.currency)).items() if k != "balance"}
        add_audit(
            tx,
            f"CHANNELSTORE#{store_id}",
            "channel.create",
            actor=actor,
            now=now,
            before=None,
            after=after,
            reason=None,
        )
        tx.commit()
        return {**self._view(item), "callbackSecret": secret}

    def get(self, actor: Actor, store_id: str) -> dict[str, Any]:
        if not actor.can(Permission.CHANNEL_READ):
            raise Forbidden("staff read channel stores")
        return self._view(self._store(store_id))

    def update(self, actor: Actor, store_id: str, changes: Mapping[str, Any], if_match: int | None) -> dict[str, Any]:
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins configure channel stores")
        kept = sorted(k for k, v in changes.items() if v is None and k != "connectedAccount")
        if kept:
            raise InvalidRequest(f"{', '.join(kept)} cannot be removed", field=kept[0])
        current = self._store(store_id)
        if if_match is not None and int(current.version) != if_match:
            raise PreconditionFailed("the channel store has changed since you read it (If-Match)")
        values = {
            "name": check_name(str(changes["name"])) if "name" in changes else str(current.name),
            "redemptionDomain": check_domain(str(changes["redemptionDomain"]))
            if "redemptionDomain" in changes
            else str(current.redemptionDomain),
            "orderingUserId": str(changes.get("orderingUserId") or current.orderingUserId),
        }
        user_changes = "orderingUserId" in changes and changes["orderingUserId"] != current.orderingUserId
        if user_changes and store.unsettled(store_id, 1):
            raise StoreHasUnsettledOrders(
                "the ordering user (and so the balance) changes only when no order is unsettled"
            )
        now = self._now()
        fields: dict[str, Any] = {"updatedAt": now, **values}
        if changes.get("channelType") is not None:
            fields["channelType"] = ChannelType(changes["channelType"]).value
        if "connectedAccount" in changes:
            fields["connectedAccount"] = changes["connectedAccount"]
        sort_order = current.sortOrder
        if changes.get("sortOrder") is not None:
            sort_order = fields["sortOrder"] = int(changes["sortOrder"])
        fields["searchText"] = _search_text(values["name"], values["redemptionDomain"], values["orderingUserId"])
        before = self._audit_fields(current)
        tx = Transaction()
        store.add_store_update(tx, store_id, fields, current.version)
        after = {**before, **{k: v for k, v in changes.items() if v is not None}, **values, "sortOrder": sort_order}
        add_audit(
            tx,
            f"CHANNELSTORE#{store_id}",
            "channel.update",
            actor=actor,
            now=now,
            before=before,
            after=after,
            reason=None,
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CHANNEL):
                raise PreconditionFailed("the channel store was changed concurrently; read it again") from cancelled
            raise
        return self._view(self._store(store_id))

    @staticmethod
    def _audit_fields(item: ChannelStore) -> dict[str, Any]:
        return {
            "name": item.name,
            "channelType": item.channelType,
            "orderingUserId": item.orderingUserId,
            "redemptionDomain": item.redemptionDomain,
            "connectedAccount": item.connectedAccount,
            "sortOrder": item.sortOrder,
            "status": item.status,
        }

    def set_enabled(self, actor: Actor, store_id: str, enabled: bool, reason: str) -> dict[str, Any]:
        """Enable or disable a store. Disabling is refused while any of its orders is unsettled (not
        completed, closed or cancelled) — with the reason and the first of them — and is conditional on no
        order arriving between that check and the switch."""
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins configure channel stores")
        current = self._store(store_id)
        target = ChannelStoreStatus.ENABLED if enabled else ChannelStoreStatus.DISABLED
        if current.status == target.value:
            return self._view(current)
        if not enabled:
            open_orders = store.unsettled(store_id, 20)
            if open_orders:
                raise StoreHasUnsettledOrders(
                    f"{len(open_orders)}{'+' if len(open_orders) == 20 else ''} orders of the store are not settled "
                    "(completed, closed or cancelled): settle them first",
                    unsettled=[{"channelOrderNo": number, "orderId": order_id} for number, order_id in open_orders],
                )
        now = self._now()
        tx = Transaction()
        changes = {"status": target.value, "updatedAt": now}
        store.add_store_update(tx, store_id, changes, current.version, placed=current.placed)
        add_audit(
            tx,
            f"CHANNELSTORE#{store_id}",
            "channel.enable" if enabled else "channel.disable",
            actor=actor,
            now=now,
            before={"status": current.status},
            after={"status": target.value},
            reason=reason,
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CHANNEL):
                raise Conflict("the store changed or received an order meanwhile; try again") from cancelled
            raise
        return self._view(self._store(store_id))

    def list(
        self,
        actor: Actor,
        *,
        q: str | None,
        channel_type: ChannelType | None,
        limit: int | None,
        cursor: str | None,
    ) -> dict[str, Any]:
        """Stores in sort order, searched by name, redemption domain or ordering user id (`q`) and filtered
        by channel type; `totals`: the balance of every store matched, per currency (not just the page)."""
        if not actor.can(Permission.CHANNEL_READ):
            raise Forbidden("staff read channel stores")
        needle = (q or "").strip().lower()
        items = [
            i
            for i in store.all_stores()
            if (not needle or needle in str(i.searchText))
            and (channel_type is None or i.channelType == channel_type.value)
        ]
        balances = store.balances_of([i.orderingUserId for i in items])
        totals: dict[str, int] = {}
        views = []
        for item in items:
            currency = item.currency
            amount = balances.get(item.orderingUserId, {}).get(currency, 0)
            totals[currency] = totals.get(currency, 0) + amount
            views.append(store_view(item, Money(amount, currency)))
        size = clamp_limit(limit)
        start = _offset(cursor)
        page = views[start : start + size]
        more = start + size < len(views)
        return {
            "items": page,
            "next_cursor": str(start + size) if more else None,
            "totals": [{"amount": a, "currency": c} for c, a in sorted(totals.items())],
        }

    # ---------------------------------------------------------------- sync
    def sync(self, actor: Actor, store_id: str) -> dict[str, Any]:
        """Ask the channel for the store's account and balance: the account is refreshed; a balance that
        differs from the ledger's, or an account that changed, is recorded as a finding. Audited."""
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins sync channel stores")
        current = self._store(store_id)
        secret = sealer().open(current.secret, store_id)
        try:
            remote = self.gateway().account(store_id, current.channelType, current.connectedAccount, secret)
        except ChannelUnavailable as error:
            raise ServiceUnavailable(f"the channel did not answer: {error}", retryAfter=30) from None
        ours = store.balance_of(current.orderingUserId, current.currency)
        comparison = compare_balances(ours, remote.balance)
        now = self._now()
        found: list[str] = []
        tx = Transaction()
        if not comparison.matches:
            finding_id = new_id()
            details = {
                "ours": ours.to_dict(),
                "theirs": remote.balance.to_dict(),
                "difference": comparison.difference.to_dict(),
            }
            store.add_finding(tx, store_id, finding_id, "balance", details, now)
            found.append("balance")
        if current.connectedAccount and current.connectedAccount != remote.account:
            store.add_finding(
                tx, store_id, new_id(), "account", {"before": current.connectedAccount, "after": remote.account}, now
            )
            found.append("account")
        last = {
            "at": now,
            "account": remote.account,
            "channelBalance": remote.balance.to_dict(),
            "ourBalance": ours.to_dict(),
            "difference": comparison.difference.to_dict(),
            "findings": found,
        }
        store.add_sync(tx, store_id, last, remote.account)
        add_audit(
            tx, f"CHANNELSTORE#{store_id}", "channel.sync", actor=actor, now=now, before=None, after=last, reason=None
        )
        tx.commit()
        return self._view(self._store(store_id))

    def findings(
        self, actor: Actor, store_id: str | None, limit: int | None, cursor: str | None
    ) -> Page[dict[str, Any]]:
        if not actor.can(Permission.CHANNEL_READ):
            raise Forbidden("staff read channel findings")
        return store.findings(store_id, limit, cursor)

    # ---------------------------------------------------------------- channel orders
    def receive(self, store_id: str, headers: Mapping[str, str], raw_body: bytes) -> tuple[int, dict[str, Any]]:
        """A channel's order callback: (HTTP status, the channel's answer). Verified before anything is read;
        a replay answers the first placement (`duplicate: true`)."""
        current = store.get_store(store_id)
        if current is None:
            return 404, {"code": "UNKNOWN_STORE"}
        secret = sealer().open(current.secret, store_id)
        try:
            verify_channel_callback(secret, headers, raw_body, self.clock())
        except ChannelCallbackRejected as error:
            log.warning("channel callback rejected", extra={"storeId": store_id, "reason": str(error)})
            return 401, {"code": "BAD_SIGNATURE"}
        try:
            order = _channel_order(json.loads(raw_body))
        except (ValueError, KeyError, TypeError, InvalidRequest) as error:
            return 422, {"code": "INVALID_ORDER", "message": str(error)[:200]}
        try:
            result = self.place(current, order, "callback")
        except DomainError as error:
            return error.status, {"code": error.slug.upper().replace("-", "_"), "message": error.detail}
        return 200, {"code": "OK", **result}

    def place(self, current: ChannelStore, order: ChannelOrder, via: str) -> dict[str, Any]:
        """Place one channel order (or answer the one it already is): {channelOrderNo, status, orderId, …}."""
        store_id = current.storeId
        existing = store.channel_order(store_id, order.channel_order_no)
        if existing is not None:
            return self._duplicate(existing, order)
        if current.status != ChannelStoreStatus.ENABLED.value:
            raise ChannelStoreDisabled(f"channel store {store_id} is disabled")
        fingerprint = hashlib.sha256(order.fingerprint().encode()).hexdigest()
        actor = Actor.system(f"channel:{store_id}")
        placement = ChannelPlacement(current, order, via)
        try:
            result = self.orders.place(
                actor,
                current.orderingUserId,
                [CartLine(line.sku_id, line.quantity) for line in order.lines],
                shipping_address=None,
                note=order.note,
                idempotency_key=order.channel_order_no,
                fingerprint=fingerprint,
                request=PricingRequest(balance="max"),
                extra=placement,
            )
        except IdempotencyKeyReused as error:
            raise ChannelOrderConflict(
                f"channel order {order.channel_order_no} was placed with other lines",
                channelOrderNo=order.channel_order_no,
            ) from error
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.CHANNEL_ORDER):
                again = store.channel_order(store_id, order.channel_order_no)
                if again is not None:
                    return self._duplicate(again, order)
            if cancelled.failed(Part.CHANNEL):
                raise ChannelStoreDisabled(f"channel store {store_id} was disabled") from cancelled
            if cancelled.failed(Part.BALANCE):
                raise ChannelBalanceInsufficient(
                    "the channel's balance changed: it no longer covers the order"
                ) from cancelled
            raise
        body = result.body
        answer = {
            "channelOrderNo": order.channel_order_no,
            "status": "duplicate" if result.replayed else "created",
            "orderId": body["orderId"],
            "orderNumber": body["orderNumber"],
        }
        if not result.replayed and placement.charged is not None:
            answer["charged"] = placement.charged.to_dict()  # what the channel's own ledger books
        return answer

    @staticmethod
    def _duplicate(existing: store.ChannelOrder, order: ChannelOrder) -> dict[str, Any]:
        fingerprint = order.fingerprint()
        if existing.fingerprint != fingerprint:
            raise ChannelOrderConflict(
                f"channel order {order.channel_order_no} was placed with other lines",
                channelOrderNo=order.channel_order_no,
                orderId=existing.orderId,
            )
        from oms.store.virtual_goods import ecom_order

        row = ecom_order(existing.orderId)
        return {
            "channelOrderNo": order.channel_order_no,
            "status": "duplicate",
            "orderId": existing.orderId,
            "orderNumber": row.orderNumber if row is not None else None,
        }

    def import_orders(self, actor: Actor, store_id: str, text: str) -> dict[str, Any]:
        """A channel's order file (CSV `channelOrderNo,skuId,quantity[,buyer]`, lines of one order together or
        not): each order placed or answered as a duplicate, with a result per order; one order's failure
        never stops the others."""
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins import channel orders")
        current = self._store(store_id)
        orders, failures = parse_order_file(text)
        results: list[dict[str, Any]] = list(failures)
        for order in orders:
            try:
                results.append(self.place(current, order, "import"))
            except DomainError as error:
                results.append(
                    {"channelOrderNo": order.channel_order_no, "status": "failed", "problem": problem_of(error)}
                )

        def count(status: str) -> int:
            return sum(1 for r in results if r["status"] == status)

        return {
            "storeId": store_id,
            "created": count("created"),
            "duplicates": count("duplicate"),
            "failed": count("failed"),
            "results": results,
        }

    # ---------------------------------------------------------------- daily checks
    def daily_checks(self, actor: Actor) -> dict[str, Any]:
        """Seed 004's daily checklist, as of now: each store's balance against the channel's figure at its
        latest sync (a store not synced for 24 h is `stale`), disabled stores, frozen and rejected orders,
        orders waiting more than 24 h for delivery, redemption, verification or an after-sales answer, and
        the findings of the last 24 h. Reads one partition per list (oldest first, at most 100 each)."""
        if not actor.can(Permission.CHANNEL_READ):
            raise Forbidden("staff read the daily checks")
        from oms.services.virtual_goods import ecom_view
        from oms.store.virtual_goods import waiting_since

        now_dt = self.clock()
        now = to_rfc3339(now_dt)
        day_ago = to_rfc3339(now_dt - timedelta(hours=24))
        stores = store.all_stores()
        balances = store.balances_of([s.orderingUserId for s in stores])
        channel_rows = []
        for item in stores:
            ours = balances.get(item.orderingUserId, {}).get(item.currency, 0)
            last = item.lastSync or {}
            theirs = (last.get("channelBalance") or {}).get("amount")
            channel_rows.append(
                {
                    "storeId": item.storeId,
                    "name": item.name,
                    "status": item.status,
                    "balance": {"amount": ours, "currency": item.currency},
                    "channelBalance": last.get("channelBalance"),
                    "difference": None if theirs is None else {"amount": int(theirs) - ours, "currency": item.currency},
                    "syncedAt": last.get("at"),
                    "matches": None if theirs is None else int(theirs) == ours,
                    "stale": not last.get("at") or str(last["at"]) < day_ago,
                }
            )
        lists = {
            "frozen": waiting_since("FROZEN", None, 100),
            "rejected": waiting_since("REJECTED", None, 100),
            "pendingDelivery": waiting_since("PENDING_DELIVERY", day_ago, 100),
            "pendingRedemption": waiting_since("PENDING_REDEMPTION", day_ago, 100),
            "pendingVerification": waiting_since("PENDING_VERIFICATION", day_ago, 100),
            "pendingAfterSales": waiting_since("PENDING_AFTER_SALES", day_ago, 100),
        }
        attention = {name: [ecom_view(r) for r in rows] for name, rows in lists.items()}
        attention["findings"] = store.findings_since(day_ago)
        counts = {name: len(rows) for name, rows in attention.items()}
        counts["storesMismatched"] = sum(1 for r in channel_rows if r["matches"] is False)
        counts["storesStale"] = sum(1 for r in channel_rows if r["stale"])
        counts["storesDisabled"] = sum(1 for r in channel_rows if r["status"] != ChannelStoreStatus.ENABLED.value)
        return {"at": now, "channelBalances": channel_rows, "attention": attention, "counts": counts}

    # ---------------------------------------------------------------- settlement
    def settle(self, order_id: str, status: str) -> bool:
        """An order reached a final state: take it off its store's unsettled list (from the order's events)."""
        if OrderStatus(status) not in SETTLED:
            return False
        from oms.store.virtual_goods import ecom_order

        row = ecom_order(order_id)
        if row is None or not row.channelStoreId or not row.channelOrderNo:
            return False
        return store.mark_settled(row.channelStoreId, row.channelOrderNo, self._now())


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise InvalidRequest("cursor is not valid", field="cursor")
    return int(cursor)


def _channel_order(data: Any) -> ChannelOrder:
    from oms.api.virtual_schemas import ChannelOrderIn

    body = ChannelOrderIn.model_validate(data)
    return check_order(
        ChannelOrder(
            channel_order_no=check_channel_order_no(body.channelOrderNo),
            lines=tuple(ChannelLine(line.skuId, line.quantity) for line in body.lines),
            buyer=body.buyer,
            note=body.note,
        )
    )


def parse_order_file(text: str) -> tuple[list[ChannelOrder], list[dict[str, Any]]]:
    """Orders of an import file, and a failed result for each order whose lines are malformed."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise InvalidRequest("the file is empty", field="body")
    header = [c.strip() for c in rows[0]]
    if header[:3] != ["channelOrderNo", "skuId", "quantity"] or not set(header[3:]) <= {"buyer"}:
        raise InvalidRequest("the header is channelOrderNo,skuId,quantity[,buyer]", field="body")
    grouped: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        grouped.setdefault(row[0].strip(), []).append(row)
    if len(grouped) > MAX_IMPORT_ORDERS:
        raise InvalidRequest(f"one file holds at most {MAX_IMPORT_ORDERS} orders", field="body")
    orders: list[ChannelOrder] = []
    failures: list[dict[str, Any]] = []
    for number, lines in grouped.items():
        try:
            if not all(len(r) > 2 and r[2].strip().isdigit() for r in lines):
                raise InvalidRequest("a quantity is a whole number", field="quantity")
            data = {
                "channelOrderNo": number,
                "lines": [{"skuId": r[1].strip(), "quantity": int(r[2])} for r in lines],
                **(
                    {"buyer": lines[0][3].strip()}
                    if len(header) > 3 and len(lines[0]) > 3 and lines[0][3].strip()
                    else {}
                ),
            }
            orders.append(_channel_order(data))
        except (ValueError, IndexError, InvalidRequest) as error:
            problem = {
                "type": "urn:oms:problem:validation-failed",
                "title": "The request is not valid",
                "status": 422,
                "detail": str(error).splitlines()[0][:200],
            }
            failures.append({"channelOrderNo": number, "status": "failed", "problem": problem})
    return orders, failures
