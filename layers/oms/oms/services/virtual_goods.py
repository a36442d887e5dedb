"""Virtual goods (seed 004's 电商发货, seed 000's activation): code pools, delivery of an order's virtual
units as vouchers, redemption of links, verification of codes, service activation (immediate, manual, or
at a set time by the timer sweeper), staff reveal (audited), and revocation when a unit is refunded.

Every change is one conditional transaction: a delivery takes its codes with conditions on each code
(AVAILABLE) and on the pool's counter (available >= n), so a code is never given twice whatever the
concurrency — a delivery that lost a race for a code reads the pool again and picks others. The order's
virtual child order moves to DELIVERED in the transaction that writes its last voucher (auto-confirm then
completes the order as for parcels), and the order's row in the e-commerce order list is rewritten in the
transaction of every voucher change."""

from __future__ import annotations

import logging
import os
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from oms.adapters.sealing import sealer
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound
from oms.domain.events import OutboxEvent, code_pool_low
from oms.domain.fulfilment import ChildStatus
from oms.domain.ids import new_id
from oms.domain.order import OrderStatus
from oms.domain.permissions import Actor, Permission
from oms.domain.splitting import HandlingClass
from oms.domain.virtual_goods import (
    DELIVERY_CHUNK,
    MAX_UNITS_PER_DELIVERY,
    Activation,
    CodePoolEmpty,
    DeliveryKind,
    NothingToDeliver,
    RedemptionStatus,
    VerificationStatus,
    VirtualSpec,
    VoucherNotFound,
    VoucherState,
    mask_code,
    order_stage,
    parse_code_file,
    redemption_status,
    redemption_url,
    verification_refusal,
    verification_status,
)
from oms.services.access import in_scope, store_scope
from oms.store import virtual_goods as store
from oms.store.audit import add_audit, put_audit
from oms.store.orders import add_event
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.records import OrderRecord, child_quantities
from oms.store.transactions import Part, Transaction, TransactionCancelled
from oms.store.virtual_goods import EcomOrder, PoolCode, VirtualSku, Voucher

log = logging.getLogger(__name__)

DELIVERABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED})
ASSIGN_ATTEMPTS = 12
REDEMPTION_DOMAIN_ENV = "REDEMPTION_DOMAIN"
DEFAULT_REDEMPTION_DOMAIN = "redeem.example.com"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
REDEEM_PER_MINUTE = 20  # per client address
REVOKE_ORDER = (
    VoucherState.PENDING_REDEMPTION,
    VoucherState.PENDING_ACTIVATION,
    VoucherState.PENDING_VERIFICATION,
    VoucherState.PENDING_AFTER_SALES,
    VoucherState.FROZEN,
    VoucherState.REJECTED,
    VoucherState.ACTIVE,
)
_jitter = random.Random()


class OrderNotDeliverable(Conflict):
    slug = "order-not-deliverable"
    title = "The order cannot be delivered now"


class OrderNotDeletable(Conflict):
    slug = "order-not-deletable"
    title = "Only cancelled or closed orders are deleted"


class LinkNotFound(NotFound):
    slug = "link-not-found"
    title = "No such redemption link"


class RedemptionRateLimited(DomainError):
    slug = "rate-limited"
    title = "Too many redemptions from this address"
    status = 429


class ChildDelivery:
    """What the fulfilment side does when a virtual child order's last unit is delivered (in the same
    transaction): the child becomes DELIVERED and the parent follows (oms.services.fulfilment)."""

    def __init__(self, add: Callable[[Transaction, OrderRecord, Any, Actor, str], OrderStatus]) -> None:
        self.add = add


def voucher_view(item: Voucher) -> dict[str, Any]:
    kind, state = DeliveryKind(str(item.kind)), VoucherState(str(item.state))
    redemption = redemption_status(kind, state, item.redeemedAt)
    verification = verification_status(state)
    view: dict[str, Any] = {
        "voucherId": item.voucherId,
        "lineNo": item.lineNo,
        "skuId": item.skuId,
        "kind": kind.value,
        "state": state.value,
        "deliveredAt": item.deliveredAt,
    }
    optional = {
        "redemptionStatus": None if redemption is None else redemption.value,
        "verificationStatus": None if verification is None else verification.value,
        "masked": item.masked,
        "url": item.url,
        "validUntil": item.validUntil,
        "activateAt": item.activateAt,
        "activatedAt": item.activatedAt,
        "redeemedAt": item.redeemedAt,
        "verifiedAt": item.verifiedAt,
        "reason": item.reason,
    }
    view.update({k: v for k, v in optional.items() if v is not None})
    return view


def ecom_view(item: EcomOrder) -> dict[str, Any]:
    view: dict[str, Any] = {
        "orderId": item.orderId,
        "orderNumber": item.orderNumber,
        "source": item.source,
        "customerId": item.customerId,
        "products": item.products,
        "units": item.units,
        "delivered": item.delivered,
        "stage": item.stage,
        "stageSince": item.stageSince,
        "states": item.states,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
    }
    optional = {
        "channelStoreId": item.channelStoreId,
        "channelOrderNo": item.channelOrderNo,
        "redemptionStatus": item.redemption,
        "verificationStatus": item.verification,
        "afterSalesStatus": item.afterSales,
        "link": item.link,
        "reason": item.reason,
        "redeemedAt": item.redeemedAt,
        "deletedAt": item.deletedAt,
    }
    view.update({k: v for k, v in optional.items() if v is not None})
    return view


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_voucher_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


class VirtualGoodsService:
    def __init__(
        self,
        orders: Any,  # oms.store.orders.OrderRepository: get_order
        child_delivery: ChildDelivery,
        channel_domain: Callable[[str], str | None],  # channel store id -> its redemption domain
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.orders = orders
        self.child_delivery = child_delivery
        self.channel_domain = channel_domain
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- SKUs
    @staticmethod
    def _skus(sku_ids: Sequence[str]) -> dict[str, VirtualSku]:
        return store.skus_by_id(sku_ids)

    def _virtual_sku(self, actor: Actor, sku_id: str) -> tuple[VirtualSku, VirtualSpec]:
        sku = self._skus([sku_id]).get(sku_id)
        if sku is None or not in_scope(actor, sku.store_id):
            raise NotFound(f"SKU {sku_id} not found")
        if sku.virtual is None:
            raise InvalidRequest(f"SKU {sku_id} is not a virtual good", field="skuId")
        return sku, VirtualSpec.from_json(sku.virtual)

    # ---------------------------------------------------------------- code pools
    def upload_codes(self, actor: Actor, sku_id: str, text: str) -> dict[str, Any]:
        """Add a file of codes to the SKU's pool (sealed at rest; each code once in every pool); the SKU's
        stock rises by the codes added."""
        if not actor.can(Permission.VIRTUAL_CODES):
            raise Forbidden("merchant staff and admins manage code pools")
        sku, spec = self._virtual_sku(actor, sku_id)
        if spec.kind is not DeliveryKind.CODE:
            raise InvalidRequest(f"SKU {sku_id} is delivered as {spec.kind.value}, not from a code pool", field="skuId")
        parsed = parse_code_file(text, self.clock())
        seal = sealer()
        digests = {c.code: seal.digest(c.code) for c in parsed.codes}
        known = store.known_digests(list(digests.values()))
        now = self._now()
        duplicates: list[dict[str, Any]] = []
        fresh: list[PoolCode] = []
        for index, code in enumerate(parsed.codes):
            digest = digests[code.code]
            if digest in known:
                duplicates.append({"index": index, "masked": mask_code(code.code)})
                continue
            fresh.append(
                PoolCode(
                    sku_id=sku_id,
                    code_id=new_id(),
                    sealed=seal.seal(code.code, sku_id),
                    digest=digest,
                    masked=mask_code(code.code),
                    expires_at=code.expires_at,
                    uploaded_at=now,
                    uploaded_by=actor.subject,
                )
            )
        added = 0
        for start in range(0, len(fresh), 45):  # 2 items a code + the pool + the stock: within 100 actions
            chunk = fresh[start : start + 45]
            tx = Transaction()
            store.add_codes(tx, sku_id, sku.store_id, chunk, now)
            if start == 0:
                after = {"skuId": sku_id, "codes": len(fresh), "duplicates": len(duplicates)}
                add_audit(
                    tx,
                    f"SKU#{sku_id}",
                    "virtual.codes.upload",
                    actor=actor,
                    now=now,
                    before=None,
                    after=after,
                    reason=None,
                )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if not cancelled.failed(Part.CODE):
                    raise
                # A concurrent upload took some of these codes: add the rest, one by one.
                for fresh_code in chunk:
                    one = Transaction()
                    store.add_codes(one, sku_id, sku.store_id, [fresh_code], now)
                    try:
                        one.commit()
                        added += 1
                    except TransactionCancelled as again:
                        if not again.failed(Part.CODE):
                            raise
                        duplicates.append({"masked": fresh_code.masked})
                continue
            added += len(chunk)
        return {
            "skuId": sku_id,
            "added": added,
            "duplicates": duplicates,
            "rejected": list(parsed.rejected),
            "available": store.pool(sku_id).available,
        }

    def pool(self, actor: Actor, sku_id: str, limit: int | None, cursor: str | None) -> dict[str, Any]:
        """The pool's counters and its codes, masked, newest first."""
        if not actor.can(Permission.VIRTUAL_CODES):
            raise Forbidden("merchant staff and admins manage code pools")
        sku, spec = self._virtual_sku(actor, sku_id)
        partition = f"CODEPOOL#{sku_id}"
        start = decode_cursor(cursor, partition_attr="PK", partition_value=partition)
        items, last = store.codes_page(sku_id, clamp_limit(limit), start)
        pool = store.pool(sku_id)
        codes = [
            {
                "codeId": i.code_id,
                "masked": i.masked,
                "status": i.status,
                "uploadedAt": i.uploaded_at,
                **({"expiresAt": i.expires_at} if i.expires_at else {}),
                **({"orderId": i.order_id} if i.order_id else {}),
            }
            for i in items
        ]
        return {
            "skuId": sku_id,
            "storeId": sku.store_id,
            "available": pool.available,
            "assigned": pool.assigned,
            "uploaded": pool.uploaded,
            "lowPoolThreshold": spec.low_pool_threshold,
            "low": pool.available <= spec.low_pool_threshold,
            "codes": {"items": codes, "next_cursor": encode_cursor(last)},
        }

    # ---------------------------------------------------------------- delivery (电商发货)
    def _order(self, actor: Actor, order_id: str) -> OrderRecord:
        record: OrderRecord | None = self.orders.get_order(order_id)
        if record is None:
            raise NotFound(f"order {order_id} not found")
        scope = store_scope(actor)
        if scope is not None and scope.isdisjoint(record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        return record

    def deliver(self, actor: Actor, order_id: str, activate_at: str | None = None) -> dict[str, Any]:
        """Deliver every virtual unit of the order not delivered yet (codes, links, services); a no-op
        answer when they all were. 409 `code-pool-empty` when a pool holds too few codes (nothing given)."""
        if not actor.can(Permission.VIRTUAL_DELIVER):
            raise Forbidden("support, merchant staff and admins deliver virtual goods")
        at = None
        if activate_at is not None:
            try:
                moment = parse_rfc3339(activate_at)
            except ValueError:
                raise InvalidRequest("activateAt is an RFC 3339 time", field="activateAt") from None
            if moment <= self.clock():
                raise InvalidRequest("activateAt is in the future", field="activateAt")
            at = to_rfc3339(moment)
        delivered = 0
        for _attempt in range(ASSIGN_ATTEMPTS):
            record = self._order(actor, order_id)
            plan = self._plan(record)
            if not plan.units:
                break
            try:
                delivered += self._deliver_chunk(actor, record, plan, at)
            except _LostRace:
                time.sleep(_jitter.uniform(0.005, 0.05))
                continue
            if len(plan.units) <= DELIVERY_CHUNK:
                break
        else:
            raise Conflict("the order's codes kept being taken by other deliveries; try again")
        record = self._order(actor, order_id)
        vouchers = store.vouchers_of(order_id)
        if delivered == 0 and not vouchers:
            raise NothingToDeliver(f"order {order_id} has no virtual goods waiting for delivery")
        return {
            "orderId": order_id,
            "delivered": delivered,
            "vouchers": [voucher_view(v) for v in sorted(vouchers, key=lambda v: str(v.voucherId))],
            "orderStatus": record.header.status,
        }

    def _plan(self, record: OrderRecord) -> _Plan:
        status = record.status
        virtual_children = [
            c
            for c in record.children
            if c.handling == HandlingClass.VIRTUAL.value and c.status == ChildStatus.AWAITING_SHIPMENT.value
        ]
        existing = {str(v.voucherId): v for v in store.vouchers_of(record.header.orderId)}
        units: list[tuple[Any, int, int]] = []  # (child, lineNo, unit)
        for child in virtual_children:
            refunded = {int(k): int(v) for k, v in ((child.refunded or {}).get("units") or {}).items()}
            for line_no, quantity in child_quantities(child).items():
                for unit in range(1, quantity - refunded.get(line_no, 0) + 1):
                    if f"{line_no:03d}-{unit:03d}" not in existing:
                        units.append((child, line_no, unit))
        if units and status not in DELIVERABLE:
            raise OrderNotDeliverable(f"the order is {status.value}", orderStatus=status.value)
        if len(units) > MAX_UNITS_PER_DELIVERY:
            raise InvalidRequest(f"an order delivers at most {MAX_UNITS_PER_DELIVERY} virtual units", field="orderId")
        return _Plan(units, existing, virtual_children)

    def _deliver_chunk(self, actor: Actor, record: OrderRecord, plan: _Plan, activate_at: str | None) -> int:
        header = record.header
        order_id = header.orderId
        chunk = plan.units[:DELIVERY_CHUNK]
        lines = {line.lineNo: line for line in record.lines}
        skus = self._skus([lines[line_no].skuId for _c, line_no, _u in chunk])
        specs = {sku_id: VirtualSpec.from_json(s.virtual) for sku_id, s in skus.items() if s.virtual is not None}
        now_dt = self.clock()
        now = to_rfc3339(now_dt)
        tx = Transaction()
        # Codes: how many each SKU needs, and which free ones to try (a random pick among the first free
        # codes, so racing deliveries seldom reach for the same ones).
        need = Counter(
            lines[line_no].skuId for _c, line_no, _u in chunk if specs[lines[line_no].skuId].kind is DeliveryKind.CODE
        )
        picked: dict[str, list[PoolCode]] = {}
        low_events: list[OutboxEvent] = []
        for sku_id, n in need.items():
            available = store.pool(sku_id).available
            if available < n:
                raise CodePoolEmpty(
                    f"the code pool of SKU {sku_id} holds {available} codes, the order needs {n}",
                    skuId=sku_id,
                    available=available,
                    needed=n,
                )
            free = store.free_codes(sku_id, n * 4 + 8)
            if len(free) < n:
                raise _LostRace()
            picked[sku_id] = store.pool_codes(sku_id, _jitter.sample(free, n))
            if len(picked[sku_id]) < n:
                raise _LostRace()
            store.add_pool_take(tx, sku_id, n, now)
            threshold = specs[sku_id].low_pool_threshold
            if available - n <= threshold < available:
                low_events.append(
                    code_pool_low(
                        sku_id,
                        skus[sku_id].store_id,
                        name=skus[sku_id].name,
                        available=available - n,
                        threshold=threshold,
                    )
                )
        new_items: list[Voucher] = []
        current = store.ecom_order(order_id)
        domain = self._domain(current)
        for _child, line_no, unit in chunk:
            line = lines[line_no]
            spec = specs[line.skuId]
            voucher_id = f"{line_no:03d}-{unit:03d}"
            valid_until = to_rfc3339(now_dt + timedelta(days=spec.valid_days)) if spec.valid_days is not None else None
            base = Voucher(
                voucherId=voucher_id,
                orderId=order_id,
                lineNo=line_no,
                skuId=line.skuId,
                storeId=line.storeId,
                kind=spec.kind.value,
                state=VoucherState.PENDING_VERIFICATION.value,
                deliveredAt=now,
                updatedAt=now,
                validUntil=valid_until,
            )
            if spec.kind is DeliveryKind.CODE:
                code = picked[line.skuId].pop()
                expires = code.expires_at
                sooner = expires if expires and (valid_until is None or expires < valid_until) else valid_until
                item = replace(
                    base,
                    validUntil=sooner,
                    state=VoucherState.PENDING_VERIFICATION.value,
                    codeId=code.code_id,
                    sealed=code.sealed,
                    masked=code.masked,
                    digest=code.digest,
                )
                store.add_assignment(tx, code, order_id, voucher_id, now)
            elif spec.kind is DeliveryKind.LINK:
                token = new_token()
                item = replace(
                    base, state=VoucherState.PENDING_REDEMPTION.value, token=token, url=redemption_url(domain, token)
                )
                store.add_link(tx, token, order_id, voucher_id)
            elif spec.activation is Activation.IMMEDIATE:
                item = replace(base, state=VoucherState.ACTIVE.value, activatedAt=now)
            else:
                when = None
                if spec.activation is Activation.DELAYED:
                    when = activate_at or to_rfc3339(now_dt + timedelta(seconds=spec.delay_seconds))
                item = replace(base, state=VoucherState.PENDING_ACTIVATION.value, activateAt=when)
            store.add_new_voucher(tx, item)
            new_items.append(item)
        vouchers = [*plan.existing.values(), *new_items]
        last = len(plan.units) <= DELIVERY_CHUNK
        if last:
            for child in plan.children:
                self.child_delivery.add(tx, record, child, actor, now)
        self._add_summary(tx, record, vouchers, now, current)
        after = {"vouchers": [v.voucherId for v in new_items], "kinds": sorted({str(v.kind) for v in new_items})}
        add_audit(
            tx, f"ORDER#{order_id}", "virtual.deliver", actor=actor, now=now, before=None, after=after, reason=None
        )
        for event in low_events:
            add_event(tx, order_id, event, now, key=str(event.detail["skuId"]))
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.POOL):
                raise _LostRace() from cancelled  # the pool emptied meanwhile: the next plan says so
            if cancelled.failed(Part.CODE, Part.VOUCHER, Part.ECOM, Part.ORDER, Part.CHILD):
                raise _LostRace() from cancelled
            raise
        return len(new_items)

    def _domain(self, summary: EcomOrder | None) -> str:
        """Where the order's links live: its channel store's redemption domain, else the platform's."""
        if summary is not None and summary.channelStoreId:
            domain = self.channel_domain(str(summary.channelStoreId))
            if domain:
                return domain
        return os.environ.get(REDEMPTION_DOMAIN_ENV) or DEFAULT_REDEMPTION_DOMAIN

    # ---------------------------------------------------------------- the order's list row
    def _add_summary(
        self,
        tx: Transaction,
        record: OrderRecord,
        vouchers: Sequence[Voucher],
        now: str,
        current: EcomOrder | Literal["read"] | None = "read",
    ) -> None:
        """The order's list row rewritten from its vouchers (`current`: the row as read, if it was)."""
        if current == "read":
            current = store.ecom_order(record.header.orderId)
        row = summary_row(record, vouchers, now, current)
        store.add_ecom_put(tx, row, None if current is None else current.version)

    # ---------------------------------------------------------------- reading and revealing
    def vouchers(self, actor: Actor, order_id: str) -> dict[str, Any]:
        record = self._order_for_read(actor, order_id)
        items = store.vouchers_of(order_id)
        return {
            "orderId": order_id,
            "delivered": 0,
            "vouchers": [voucher_view(v) for v in sorted(items, key=lambda v: str(v.voucherId))],
            "orderStatus": record.header.status,
        }

    def _order_for_read(self, actor: Actor, order_id: str) -> OrderRecord:
        from oms.services.access import may_see_order

        record: OrderRecord | None = self.orders.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId, record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        return record

    def reveal(self, actor: Actor, order_id: str, reason: str) -> dict[str, Any]:
        """The order's codes and links in clear, for support (复制卡密 / 复制链接): audited."""
        if not actor.can(Permission.VIRTUAL_REVEAL):
            raise Forbidden("support and admins copy codes")
        self._order(actor, order_id)
        items = sorted(store.vouchers_of(order_id), key=lambda v: str(v.voucherId))
        seal = sealer() if any(v.sealed for v in items) else None
        revealed = []
        for v in items:
            entry: dict[str, Any] = {"voucherId": v.voucherId, "kind": v.kind, "state": v.state}
            if v.sealed and seal is not None:
                entry["code"] = seal.open(str(v.sealed), str(v.skuId))
            if v.url:
                entry["url"] = v.url
            revealed.append(entry)
        put_audit(
            f"ORDER#{order_id}",
            "virtual.reveal",
            actor=actor,
            now=self._now(),
            after={"vouchers": [v.voucherId for v in items]},
            reason=reason,
        )
        return {"orderId": order_id, "vouchers": revealed}

    # ---------------------------------------------------------------- moves of vouchers
    def _move(
        self,
        actor: Actor,
        order_id: str,
        changes: Callable[[Voucher], dict[str, Any] | None],
        *,
        action: str,
        reason: str | None = None,
    ) -> list[Voucher]:
        """Apply `changes` (None: leave it) to the order's vouchers in one transaction with the list row."""
        for _attempt in range(5):
            record = self.orders.get_order(order_id)
            if record is None:
                raise NotFound(f"order {order_id} not found")
            items = store.vouchers_of(order_id)
            now = self._now()
            tx = Transaction()
            moved: list[Voucher] = []
            after: list[Voucher] = []
            for item in items:
                change = changes(item)
                if change is None:
                    after.append(item)
                    continue
                moved.append(item)
                after.append(store.add_voucher_update(tx, item, {**change, "updatedAt": now}))
            if not moved:
                return []
            self._add_summary(tx, record, after, now)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                action,
                actor=actor,
                now=now,
                before={"vouchers": {v.voucherId: v.state for v in moved}},
                after={
                    "vouchers": {v.voucherId: v.state for v in after if v.voucherId in {m.voucherId for m in moved}}
                },
                reason=reason,
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.VOUCHER, Part.ECOM):
                    continue
                raise
            return moved
        raise Conflict("the order's vouchers kept changing; try again")

    def _staff_move(
        self,
        actor: Actor,
        order_id: str,
        voucher_ids: Sequence[str],
        decide: Callable[[Voucher, VoucherState], dict[str, Any] | None],
        *,
        action: str,
        reason: str | None = None,
        strict: bool = False,
    ) -> dict[str, Any]:
        """A staff move of the order's vouchers (all of them, or `voucher_ids`): `decide` gives each one's
        change, None to leave it; with `strict`, a voucher named that cannot move is 409."""
        if not actor.can(Permission.VIRTUAL_DELIVER):
            raise Forbidden("support, merchant staff and admins move vouchers")
        self._order(actor, order_id)
        wanted = set(voucher_ids)

        def change(item: Voucher) -> dict[str, Any] | None:
            if wanted and item.voucherId not in wanted:
                return None
            moved = decide(item, VoucherState(item.state))
            if moved is None and strict and wanted:
                raise Conflict(f"voucher {item.voucherId} is {item.state}", voucherId=item.voucherId)
            return moved

        self._move(actor, order_id, change, action=action, reason=reason)
        return self.vouchers(actor, order_id)

    def activate(self, actor: Actor, order_id: str, voucher_ids: Sequence[str]) -> dict[str, Any]:
        """Staff activate services waiting for a manual (or a delayed) activation."""
        now = self._now()

        def decide(_item: Voucher, state: VoucherState) -> dict[str, Any] | None:
            return _activation(now) if state is VoucherState.PENDING_ACTIVATION else None

        return self._staff_move(actor, order_id, voucher_ids, decide, action="virtual.activate", strict=True)

    def activate_due(self, limit: int = 100) -> dict[str, Any]:
        """The sweeper's part: delayed activations whose time has come (the index says which)."""
        now = self._now()
        acted, failed = [], 0
        for order_id, voucher_id in list(store.activations_due(now, limit)):
            try:

                def change(v: Voucher, vid: str = voucher_id) -> dict[str, Any] | None:
                    if v.voucherId != vid or v.state != VoucherState.PENDING_ACTIVATION.value:
                        return None
                    return _activation(now)

                if self._move(Actor.system("timer:activation"), order_id, change, action="virtual.activate"):
                    acted.append(f"{order_id}/{voucher_id}")
            except Exception:
                log.exception("activating %s/%s failed", order_id, voucher_id)
                failed += 1
        return {"acted": acted, "failed": failed}

    def freeze(
        self, actor: Actor, order_id: str, voucher_ids: Sequence[str], reason: str, *, on: bool
    ) -> dict[str, Any]:
        """Freeze open vouchers (they cannot be redeemed, verified or activated) or unfreeze them."""

        def decide(item: Voucher, state: VoucherState) -> dict[str, Any] | None:
            if on:
                if state is VoucherState.FROZEN or VoucherState.FROZEN not in _next(state):
                    return None
                return {"state": VoucherState.FROZEN.value, "before": state.value, "reason": reason}
            if state is not VoucherState.FROZEN:
                return None
            return {"state": str(item.before), "before": None}

        action = "virtual.freeze" if on else "virtual.unfreeze"
        return self._staff_move(actor, order_id, voucher_ids, decide, action=action, reason=reason)

    def reject(self, actor: Actor, order_id: str, voucher_ids: Sequence[str], reason: str) -> dict[str, Any]:
        """Refuse delivered units (a violation, a mistaken order): they stop working, with the reason; the
        refund follows through the refund routes (a refund revokes them for good)."""

        def decide(_item: Voucher, state: VoucherState) -> dict[str, Any] | None:
            if VoucherState.REJECTED not in _next(state):
                return None
            return {"state": VoucherState.REJECTED.value, "reason": reason}

        return self._staff_move(
            actor, order_id, voucher_ids, decide, action="virtual.reject", reason=reason, strict=True
        )

    # ---------------------------------------------------------------- redemption (public) and verification
    def redeem(self, token: str, account: str | None, client: str) -> dict[str, Any]:
        """A shopper opens their link: the first time it gives a voucher code to show at verification; again,
        the same answer (idempotent). Rate-limited per client address."""
        now_dt = self.clock()
        now = to_rfc3339(now_dt)
        if not store.take_rate(f"redeem#{client}", REDEEM_PER_MINUTE, now_dt):
            raise RedemptionRateLimited("too many redemptions from this address; wait a minute", retryAfter=60)
        entry = store.link(token)
        if entry is None:
            raise LinkNotFound("no such redemption link")
        order_id, voucher_id = entry
        for _attempt in range(5):
            item = store.voucher(order_id, voucher_id)
            if item is None:
                raise LinkNotFound("no such redemption link")
            state = VoucherState(str(item.state))
            product = self._product_name(order_id, int(item.lineNo))
            if item.redeemedAt is not None and item.sealed:
                code = sealer().open(str(item.sealed), str(item.skuId))
                return _redemption(product, item, code, already=True)
            if state is not VoucherState.PENDING_REDEMPTION:
                refusal = verification_refusal(state, None, now)
                raise refusal or Conflict(f"the link is {state.value}")
            if item.validUntil and item.validUntil <= now:
                from oms.domain.virtual_goods import CodeExpired

                raise CodeExpired(f"the link expired at {item.validUntil}", expiresAt=item.validUntil)
            code = new_voucher_code()
            seal = sealer()
            digest = seal.digest(code)
            record = self.orders.get_order(order_id)
            tx = Transaction()
            change: dict[str, Any] = {
                "state": VoucherState.PENDING_VERIFICATION.value,
                "redeemedAt": now,
                "sealed": seal.seal(code, str(item.skuId)),
                "masked": mask_code(code),
                "digest": digest,
                "updatedAt": now,
            }
            if account:
                change["redeemedBy"] = account
            after = store.add_voucher_update(tx, item, change)
            store.add_link_digest(tx, digest, item.skuId, order_id, voucher_id)
            others = [v for v in store.vouchers_of(order_id) if v.voucherId != voucher_id]
            self._add_summary(tx, record, [*others, after], now)
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.VOUCHER, Part.ECOM, Part.CODE):
                    continue  # a concurrent redemption of the same link won: answer what it gave
                raise
            return _redemption(product, after, code, already=False)
        raise Conflict("the link is being redeemed; try again")

    def _product_name(self, order_id: str, line_no: int) -> str:
        summary = store.ecom_order(order_id)
        for product in (summary.products if summary else None) or []:
            if int(product.get("lineNo", 0)) == line_no:
                return str(product.get("name"))
        return ""

    def verify(self, actor: Actor, code: str, key: str) -> tuple[dict[str, Any], bool]:
        """A merchant verifies a code on use (核销): (answer, replayed). The same Idempotency-Key again
        answers the first verification; any other verification of a used code is 409
        `code-already-verified`; an expired, refunded, frozen or unknown code is refused."""
        if not actor.can(Permission.VIRTUAL_VERIFY):
            raise Forbidden("merchant staff and admins verify codes")
        digest = sealer().digest(code)
        owner = store.code_owner(digest)
        if owner is None or owner.voucher_id is None or owner.order_id is None:
            raise VoucherNotFound("no such code")
        order_id, voucher_id = owner.order_id, owner.voucher_id
        stamp = f"{actor.subject}:{key}"
        for _attempt in range(5):
            item = store.voucher(order_id, voucher_id)
            if item is None or not in_scope(actor, str(item.storeId)):
                raise VoucherNotFound("no such code")
            if item.state == VoucherState.VERIFIED.value and item.verifiedKey == stamp:
                return self._verification(item), True
            now = self._now()
            refusal = verification_refusal(VoucherState(str(item.state)), item.validUntil, now)
            if refusal is not None:
                raise refusal
            record = self.orders.get_order(order_id)
            change = {
                "state": VoucherState.VERIFIED.value,
                "verifiedAt": now,
                "verifiedBy": actor.subject,
                "verifiedKey": stamp,
                "updatedAt": now,
            }
            tx = Transaction()
            after = store.add_voucher_update(tx, item, change)
            others = [v for v in store.vouchers_of(order_id) if v.voucherId != voucher_id]
            self._add_summary(tx, record, [*others, after], now)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                "virtual.verify",
                actor=actor,
                now=now,
                before=None,
                after={"voucherId": voucher_id, "masked": item.masked},
                reason=None,
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.VOUCHER, Part.ECOM):
                    continue
                raise
            return self._verification(after), False
        raise Conflict("the code is being verified; try again")

    def _verification(self, item: Voucher) -> dict[str, Any]:
        return {
            "orderId": item.orderId,
            "voucherId": item.voucherId,
            "skuId": item.skuId,
            "product": self._product_name(str(item.orderId), int(item.lineNo)),
            "masked": item.masked or "",
            "state": item.state,
            "verifiedAt": item.verifiedAt or "",
            "verifiedBy": item.verifiedBy or "",
        }

    # ---------------------------------------------------------------- soft delete (批量删除)
    def set_deleted(self, actor: Actor, order_id: str, deleted: bool, reason: str) -> dict[str, Any]:
        """Take a cancelled or closed order (a test or invalid order: nothing left to settle) out of the
        e-commerce order list, or bring it back; audited, idempotent. The order itself is untouched."""
        if not actor.can(Permission.CHANNEL_MANAGE):
            raise Forbidden("admins delete and restore e-commerce orders")
        record = self._order(actor, order_id)
        if deleted and record.status not in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
            raise OrderNotDeletable(
                f"only cancelled or closed orders are deleted; this one is {record.status.value}",
                orderStatus=record.status.value,
            )
        for _attempt in range(5):
            row = store.ecom_order(order_id)
            if row is None:
                raise NotFound(f"order {order_id} is not in the e-commerce order list")
            if bool(row.deletedAt) is deleted:
                return ecom_view(row)
            now = self._now()
            after = replace(
                row,
                deletedAt=now if deleted else None,
                deletedBy=actor.subject if deleted else None,
                updatedAt=now,
                version=row.version + 1,
            )
            tx = Transaction()
            store.add_ecom_put(tx, after, row.version)
            add_audit(
                tx,
                f"ORDER#{order_id}",
                "ecom.delete" if deleted else "ecom.restore",
                actor=actor,
                now=now,
                before={"deletedAt": row.deletedAt},
                after={"deletedAt": after.deletedAt},
                reason=reason,
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if cancelled.failed(Part.ECOM):
                    continue
                raise
            return ecom_view(after)
        raise Conflict("the order's row kept changing; try again")

    # ---------------------------------------------------------------- after-sales hold the vouchers
    def follow_cases(self, order_id: str) -> int:
        """Vouchers of lines an open after-sales case covers wait for it (PENDING_AFTER_SALES, remembering
        their state); when no open case covers them any more they return (a refund revokes them instead).
        From the order's committed cases; idempotent. Returns how many moved."""
        record = self.orders.get_order(order_id)
        if record is None or not any(c.handling == HandlingClass.VIRTUAL.value for c in record.children):
            return 0
        ended = {"REJECTED", "RESOLVED", "CANCELLED", "CLOSED"}
        held: set[int] = set()
        for case in record.cases:
            if case.status not in ended:
                held.update(int(line["lineNo"]) for line in (case.lines or []) if "lineNo" in line)
        waiting = VoucherState.PENDING_AFTER_SALES

        def change(item: Voucher) -> dict[str, Any] | None:
            state = VoucherState(item.state)
            if item.lineNo in held and state is not waiting and waiting in _next(state):
                return {"state": waiting.value, "before": state.value}
            if item.lineNo not in held and state is waiting:
                return {"state": item.before or VoucherState.PENDING_VERIFICATION.value, "before": None}
            return None

        return len(self._move(Actor.system("after-sales"), order_id, change, action="virtual.after-sales"))

    # ---------------------------------------------------------------- refunds revoke
    def revoke_refunded(self, order_id: str) -> int:
        """Make the vouchers of refunded units REVOKED (from the committed refunds: the children's refunded
        units per line), preferring units not used yet; a verified code was used and stays VERIFIED.
        Idempotent: it counts what is revoked already. Returns how many it revoked now."""
        record = self.orders.get_order(order_id)
        if record is None or not any(c.handling == HandlingClass.VIRTUAL.value for c in record.children):
            return 0
        refunded: Counter[int] = Counter()
        for child in record.children:
            if child.handling != HandlingClass.VIRTUAL.value:
                continue
            for line_no, units in ((child.refunded or {}).get("units") or {}).items():
                refunded[int(line_no)] += int(units)
        if record.status is OrderStatus.CLOSED:  # everything went back
            for child in record.children:
                if child.handling == HandlingClass.VIRTUAL.value:
                    for line_no, quantity in child_quantities(child).items():
                        refunded[line_no] = max(refunded[line_no], quantity)
        items = store.vouchers_of(order_id)
        chosen: set[str] = set()
        for line_no, units in refunded.items():
            line_items = [v for v in items if int(v.lineNo) == line_no]
            revoked = sum(1 for v in line_items if v.state == VoucherState.REVOKED.value)
            candidates = sorted(
                (v for v in line_items if VoucherState(str(v.state)) in REVOKE_ORDER),
                key=lambda v: (REVOKE_ORDER.index(VoucherState(str(v.state))), str(v.voucherId)),
            )
            chosen.update(str(v.voucherId) for v in candidates[: max(units - revoked, 0)])
        if not chosen:
            return 0

        def change(item: Voucher) -> dict[str, Any] | None:
            if item.voucherId not in chosen or item.state == VoucherState.REVOKED.value:
                return None
            return {"state": VoucherState.REVOKED.value, "reason": "refunded"}

        moved = self._move(Actor.system("refund"), order_id, change, action="virtual.revoke", reason="refunded")
        return len(moved)

    # ---------------------------------------------------------------- the e-commerce order list
    def ecom_orders(
        self,
        actor: Actor,
        *,
        tab: str,
        store_id: str | None,
        stage: str | None,
        channel_order_no: str | None,
        customer_id: str | None,
        created_from: str | None,
        created_to: str | None,
        redeemed_from: str | None,
        redeemed_to: str | None,
        redemption: str | None,
        verification: str | None,
        after_sales: str | None,
        deleted: bool,
        limit: int | None,
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        """Seed 004's e-commerce order list: tabs all / platform / channel, one source key (a channel order
        number, a store, a stage, or the tab's partitions) and the other filters applied to the rows read,
        at most 5 × limit rows a page (the cursor goes on from the last row looked at)."""
        if not actor.can(Permission.CHANNEL_READ):
            raise Forbidden("staff read the e-commerce orders")
        size = clamp_limit(limit)
        budget = size * 5
        before = _decode_position(cursor)
        scope = store_scope(actor)
        source: Iterator[tuple[str, str, EcomOrder]]
        if channel_order_no is not None:
            from oms.store.channels import channel_orders_numbered

            rows = store.ecom_items([c.orderId for c in channel_orders_numbered(channel_order_no)])
            source = iter([("", "", r) for r in sorted(rows, key=lambda r: r.createdAt, reverse=True)])
        elif store_id is not None and not deleted:
            source = store.ecom_entries("store", [store_id], before, budget)
        elif stage is not None and not deleted:
            source = store.ecom_entries("stage", [stage], before, budget)
        else:
            tabs = {"all": ["platform", "channel"], "platform": ["platform"], "channel": ["channel"]}
            source = store.ecom_entries("source", ["deleted"] if deleted else tabs[tab], before, budget)
        items: list[dict[str, Any]] = []
        position: dict[str, str] = dict(before or {})
        more = False
        for read, (partition, sort_key, row) in enumerate(source, start=1):
            if partition:
                position[partition] = sort_key
            if _matches(
                row,
                tab=tab,
                scope=scope,
                customer_id=customer_id,
                created=(created_from, created_to),
                redeemed=(redeemed_from, redeemed_to),
                redemption=redemption,
                verification=verification,
                after_sales=after_sales,
                deleted=deleted,
                store_id=store_id,
                stage=stage,
            ):
                items.append(ecom_view(row))
            if len(items) >= size or read >= budget:
                more = True
                break
        next_cursor = _encode_position(position) if more and channel_order_no is None else None
        return Page(items, next_cursor)


class _LostRace(Exception):
    """A delivery's transaction lost a code (or the list row) to a concurrent one: plan again."""


class _Plan:
    def __init__(self, units: list[tuple[Any, int, int]], existing: dict[str, Voucher], children: list[Any]) -> None:
        self.units = units
        self.existing = existing
        self.children = children


def _next(state: VoucherState) -> frozenset[VoucherState]:
    from oms.domain.virtual_goods import TRANSITIONS

    return TRANSITIONS[state]


def _activation(now: str) -> dict[str, Any]:
    return {"state": VoucherState.ACTIVE.value, "activatedAt": now}


def _redemption(product: str, item: Voucher, code: str, *, already: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "product": product,
        "state": item.state,
        "code": code,
        "redeemedAt": item.redeemedAt,
        "alreadyRedeemed": already,
    }
    if item.validUntil:
        view["validUntil"] = item.validUntil
    return view


def summary_row(record: OrderRecord, vouchers: Sequence[Voucher], now: str, current: EcomOrder | None) -> EcomOrder:
    """The order's row in the e-commerce order list, from its lines and vouchers."""
    header = record.header
    virtual_lines = {
        line_no
        for child in record.children
        if child.handling == HandlingClass.VIRTUAL.value
        for line_no in child_quantities(child)
    }
    refunded: Counter[int] = Counter()
    for child in record.children:
        if child.handling == HandlingClass.VIRTUAL.value:
            for line_no, units in ((child.refunded or {}).get("units") or {}).items():
                refunded[int(line_no)] += int(units)
    kinds = {int(v.lineNo): str(v.kind) for v in vouchers}
    products = [
        {
            "lineNo": line.lineNo,
            "skuId": line.skuId,
            "name": line.name,
            "quantity": line.quantity,
            **({"kind": kinds[line.lineNo]} if line.lineNo in kinds else {}),
        }
        for line in record.lines
        if line.lineNo in virtual_lines
    ]
    units = sum(line.quantity for line in record.lines if line.lineNo in virtual_lines)
    states = [VoucherState(str(v.state)) for v in vouchers]
    undelivered = max(units - len(vouchers) - sum(refunded.values()), 0)
    stage = order_stage(states, undelivered)
    since = current.stageSince if current is not None and current.stage == stage else now
    counts = Counter(s.value for s in states)
    links = [v for v in vouchers if v.kind == DeliveryKind.LINK.value]
    redemption = None
    if links:
        pending = any(v.state == VoucherState.PENDING_REDEMPTION.value for v in links)
        redemption = RedemptionStatus.PENDING.value if pending else RedemptionStatus.REDEEMED.value
    verification = None
    if counts.get(VoucherState.PENDING_VERIFICATION.value):
        verification = VerificationStatus.PENDING.value
    elif counts.get(VoucherState.VERIFIED.value):
        verification = VerificationStatus.VERIFIED.value
    reasons = sorted((str(v.updatedAt), str(v.reason)) for v in vouchers if v.reason)
    redeemed = sorted(str(v.redeemedAt) for v in vouchers if v.redeemedAt)
    source = current.source if current is not None else "platform"
    channel_store = current.channelStoreId if current is not None else None
    deleted = current.deletedAt if current is not None else None
    return EcomOrder(
        orderId=header.orderId,
        orderNumber=header.orderNumber,
        source=source,
        channelStoreId=channel_store,
        channelOrderNo=current.channelOrderNo if current is not None else None,
        storeIds=list(header.storeIds),
        customerId=header.customerId,
        products=products,
        units=units,
        delivered=len(vouchers),
        stage=stage,
        stageSince=since,
        states=dict(counts),
        redemption=redemption,
        verification=verification,
        afterSales="PENDING" if counts.get(VoucherState.PENDING_AFTER_SALES.value) else None,
        link=next((str(v.url) for v in sorted(links, key=lambda v: str(v.voucherId)) if v.url), None),
        reason=reasons[-1][1] if reasons else None,
        redeemedAt=redeemed[-1] if redeemed else None,
        deletedAt=deleted,
        deletedBy=current.deletedBy if current is not None else None,
        createdAt=header.createdAt,
        updatedAt=now,
        version=1 if current is None else current.version + 1,
    )


def _matches(
    row: EcomOrder,
    *,
    tab: str,
    scope: frozenset[str] | None,
    customer_id: str | None,
    created: tuple[str | None, str | None],
    redeemed: tuple[str | None, str | None],
    redemption: str | None,
    verification: str | None,
    after_sales: str | None,
    deleted: bool,
    store_id: str | None,
    stage: str | None,
) -> bool:
    if bool(row.deletedAt) is not deleted:
        return False
    if store_id is not None and store_id != row.channelStoreId and store_id not in row.storeIds:
        return False
    if stage is not None and row.stage != stage:
        return False
    if tab != "all" and row.source != tab:
        return False
    if scope is not None and scope.isdisjoint(row.storeIds or []):
        return False
    if customer_id is not None and row.customerId != customer_id:
        return False
    if (created[0] and str(row.createdAt) < created[0]) or (created[1] and str(row.createdAt) >= created[1]):
        return False
    if redeemed[0] or redeemed[1]:
        at = row.redeemedAt
        if at is None or (redeemed[0] and at < redeemed[0]) or (redeemed[1] and at >= redeemed[1]):
            return False
    if redemption is not None and row.redemption != redemption:
        return False
    if verification is not None and row.verification != verification:
        return False
    return not (after_sales is not None and row.afterSales != after_sales)


def _encode_position(position: dict[str, str]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).decode().rstrip("=")


def _decode_position(cursor: str | None) -> dict[str, str] | None:
    import base64
    import binascii
    import json

    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidRequest("cursor is not valid", field="cursor") from None
    if (
        not isinstance(data, dict)
        or len(data) > 4
        or not all(
            isinstance(k, str) and k.startswith("ECOM") and isinstance(v, str) and len(v) < 200 for k, v in data.items()
        )
    ):
        raise InvalidRequest("cursor is not valid", field="cursor")
    return data


def add_channel_summary(
    tx: Transaction, record: OrderRecord, channel_store_id: str, channel_order_no: str, now: str
) -> None:
    """The list row of a channel order, written when it is placed (PENDING_DELIVERY)."""
    header = record.header
    base = EcomOrder(
        orderId=header.orderId,
        orderNumber=header.orderNumber,
        source="channel",
        customerId=header.customerId,
        storeIds=list(header.storeIds),
        products=[],
        units=0,
        delivered=0,
        stage="",
        stageSince=now,
        states={},
        createdAt=header.createdAt,
        updatedAt=now,
        version=0,
        channelStoreId=channel_store_id,
        channelOrderNo=channel_order_no,
    )
    store.add_ecom_put(tx, replace(summary_row(record, [], now, base), version=1), None)
