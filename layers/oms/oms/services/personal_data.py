"""Personal data use cases: an order's contact details masked or shown (and the unmasked read logged),
support's reveal on request, a customer's erasure, the data-retention setting and its scheduled job.

Reads that show contact details unmasked to staff write their log entry (`personal-data.view`, one
PutItem) before they answer: a read whose entry cannot be written fails (503, retried by the client)
rather than showing a person's details unlogged — seed 001 asks to know, reliably, who saw which
member's data. The shopper's own reads are not logged (their own data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Conflict, NotFound, PreconditionFailed
from oms.domain.permissions import Actor
from oms.domain.personal_data import (
    CLOSED_STATUSES,
    DEFAULT_RETENTION_DAYS,
    ContactAccess,
    ContactField,
    contact_access,
    mask_shipping_address,
)
from oms.services.access import may_see_order
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.store import personal_data as store
from oms.store.audit import put_audit
from oms.store.orders import stored_response
from oms.store.records import HeaderRecord, OrderRecord
from oms.store.transactions import TransactionCancelled

VIEW = "personal-data.view"
REVEAL = "personal-data.reveal"
ALL_FIELDS = [f.value for f in ContactField]
# The most orders one retention run pseudonymises (the next run goes on from where it stopped).
RETENTION_BATCH = 200


def _now(clock: Callable[[], datetime]) -> str:
    return to_rfc3339(clock())


def access_of(actor: Actor, header: HeaderRecord) -> ContactAccess:
    return contact_access(actor, customer_id=header.customerId, store_ids=header.storeIds, status=header.status)


class PersonalDataService:
    def __init__(self, get_order: Callable[[str], OrderRecord | None], clock: Callable[[], datetime] = utcnow) -> None:
        self.get_order = get_order
        self.clock = clock

    # ---------------------------------------------------------------- reads
    def shown(self, actor: Actor, header: HeaderRecord, view: dict[str, Any]) -> dict[str, Any]:
        """An order's view as this actor may see it: contact details masked, or shown and the read logged."""
        access = access_of(actor, header)
        if access is ContactAccess.MASKED:
            return {**view, "shippingAddress": mask_shipping_address(view.get("shippingAddress"))}
        if access is ContactAccess.FULL and header.shippingAddress and not header.erasedAt:
            put_audit(f"ORDER#{header.orderId}", VIEW, actor=actor, now=_now(self.clock), after={"fields": ALL_FIELDS})
        return view

    @staticmethod
    def masked(actor: Actor, view: dict[str, Any]) -> dict[str, Any]:
        """An order view a write answers (a cancel, a review) with its contact details masked for roles
        that do not need them; nothing is logged (the answer shows what the actor's own write changed)."""
        access = contact_access(
            actor,
            customer_id=str(view.get("customerId")),
            store_ids=view.get("storeIds") or [],
            status=str(view.get("status")),
        )
        if access is ContactAccess.MASKED and "shippingAddress" in view:
            return {**view, "shippingAddress": mask_shipping_address(view["shippingAddress"])}
        return view

    def _visible(self, actor: Actor, order_id: str) -> OrderRecord:
        record = self.get_order(order_id)
        if record is None or not may_see_order(actor, record.header.customerId, record.header.storeIds):
            raise NotFound(f"order {order_id} not found")
        return record

    def reveal(self, actor: Actor, order_id: str, fields: Sequence[ContactField], reason: str) -> dict[str, Any]:
        """Support's look at one order's contact details (the fields asked for), with a reason: an audit
        entry `personal-data.reveal` on the order, written before the answer."""
        header = self._visible(actor, order_id).header
        wanted = sorted(set(fields), key=ALL_FIELDS.index)
        if header.erasedAt:
            raise Conflict(
                f"order {order_id}'s personal data was erased at {header.erasedAt}", erasedAt=header.erasedAt
            )
        put_audit(
            f"ORDER#{order_id}",
            REVEAL,
            actor=actor,
            now=_now(self.clock),
            after={"fields": [f.value for f in wanted]},
            reason=reason,
        )
        return {
            "orderId": order_id,
            "revealed": [f.value for f in wanted],
            "shippingAddress": mask_shipping_address(header.shippingAddress, keep=wanted),
        }

    # ---------------------------------------------------------------- erasure
    def erase_customer(
        self, actor: Actor, customer_id: str, reason: str, *, idempotency_key: str, fingerprint: str
    ) -> tuple[int, dict[str, Any], bool]:
        """Pseudonymise the personal data of a customer's closed orders (completed, cancelled, closed), each
        order its own conditional transaction with its audit entry; the financial records stay. Open
        orders are left as they are and listed (erase again once they close, or the retention job will).
        404 for a customer without orders; erasing again erases nothing more (an answer with nothing
        erased, not an error)."""
        stored = replay(stored_response(actor.subject, idempotency_key), fingerprint)
        if stored is not None:
            return stored
        headers = list(store.customer_orders(customer_id))
        if not headers:
            raise NotFound(f"customer {customer_id} has no orders")
        now = _now(self.clock)
        erased, already, still_open = [], [], []
        for header in headers:
            if header.erasedAt:
                already.append(header.orderId)
            elif header.status not in CLOSED_STATUSES:
                still_open.append(header.orderId)
            elif self._erase(header.orderId, actor, now, reason):
                erased.append(header.orderId)
            else:
                still_open.append(header.orderId)  # it moved on meanwhile (re-opened by a late payment...)
        body = {
            "customerId": customer_id,
            "erased": erased,
            "alreadyErased": already,
            "open": still_open,
            "erasedAt": now,
        }
        summary = {**body, "reason": reason}
        try:
            store.record_erasure(
                customer_id,
                actor=actor,
                now=now,
                summary=summary,
                idempotency=(actor.subject, idempotency_key, fingerprint),
                body=body,
            )
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            raise
        return 200, body, False

    def _erase(self, order_id: str, actor: Actor, now: str, reason: str) -> bool:
        """One order's pseudonymisation (re-read, conditional); False when it is no longer closed."""
        for _ in range(3):
            record = self.get_order(order_id)
            if record is None or record.header.erasedAt:
                return record is not None
            if record.header.status not in CLOSED_STATUSES:
                return False
            try:
                store.erase_order(record, actor=actor, now=now, reason=reason)
                return True
            except TransactionCancelled:
                continue  # changed between the read and the write: read it again
        return False

    # ---------------------------------------------------------------- the retention setting
    def retention(self) -> dict[str, Any]:
        current = store.retention(DEFAULT_RETENTION_DAYS)
        return _retention_view(current)

    def put_retention(
        self, actor: Actor, *, enabled: bool, closed_days: int, reason: str | None, if_match: int | None
    ) -> dict[str, Any]:
        current = store.retention(DEFAULT_RETENTION_DAYS)
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed("the data-retention setting changed since you read it (If-Match)")
        now = _now(self.clock)
        try:
            version = store.put_retention(
                enabled=enabled, closed_days=closed_days, current=current, actor=actor, reason=reason, now=now
            )
        except TransactionCancelled as cancelled:
            raise Conflict("the data-retention setting was changed concurrently; read it again") from cancelled
        return _retention_view(store.Retention(enabled, closed_days, current.progress, version, now, actor.subject))

    # ---------------------------------------------------------------- the scheduled job
    def run_retention(self) -> dict[str, Any]:
        """Pseudonymise closed orders whose last change is older than the retention period: for each closed
        status, one bounded range of its index (orders created since the job's last position and before the
        cutoff), at most `RETENTION_BATCH` orders a run. An order created before the cutoff but changed
        since (closed recently) stops the walk of its status there: the next runs start again from it."""
        setting = store.retention(DEFAULT_RETENTION_DAYS)
        if not setting.enabled:
            return {"enabled": False, "erased": 0}
        now = self.clock()
        cutoff = to_rfc3339(now - timedelta(days=setting.closed_days))
        system = Actor.system("data-retention")
        progress = dict(setting.progress)
        erased = 0
        for status in sorted(CLOSED_STATUSES):
            position = progress.get(status, store.WALK_START)
            for header in store.closed_orders(status, position, cutoff, RETENTION_BATCH - erased):
                if parse_rfc3339(header.updatedAt) > parse_rfc3339(cutoff):
                    break  # closed within the period: wait for it
                if not header.erasedAt and self._erase(header.orderId, system, to_rfc3339(now), "retention period"):
                    erased += 1
                position = f"{header.createdAt}#{header.orderId}"
            progress[status] = position
            if erased >= RETENTION_BATCH:
                break
        # Kept only while the setting is the version read (an admin's change in between wins: the next run
        # walks again from the position saved before, and finds those orders already erased).
        saved = progress == setting.progress or store.save_progress(progress, setting.version)
        return {"enabled": True, "erased": erased, "cutoff": cutoff, "progress": progress, "saved": saved}


def _retention_view(current: store.Retention) -> dict[str, Any]:
    return {
        "enabled": current.enabled,
        "closedDays": current.closed_days,
        "version": current.version,
        "updatedAt": current.updated_at,
        "updatedBy": current.updated_by,
    }
