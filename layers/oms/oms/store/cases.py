"""After-sales case writes and reads. A case lives in its order's partition (`CASE#<caseId>`), so the
order's one Query reads its cases with the children they claim from; a pointer row `CASE#<caseId>` finds
the order of a case id. Every move is conditioned on the case's version and step; opening a case bumps
the child's version (so two cases racing for the same units serialize) and the order's open-case count
(auto-confirm waits while a case is open).

Lists: the shopper's cases (GSI1 in the customer's partition), staff's by status (GSI2) and by store
(GSI3), newest first with a created-date range; type and reason narrow a page (a filter on the key
query). Cases waiting on a step with a deadline carry a GSI4 entry `DUE#CASE#<shard>` at the deadline
(the staff queue of what is due and overdue)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from oms.domain.after_sales import DEADLINES, CaseStatus, CaseStep
from oms.domain.clock import parse_rfc3339, to_rfc3339
from oms.domain.stock import MovementKind, StockMove
from oms.store import keys
from oms.store.models import (
    CaseCountItem,
    CaseItem,
    CasePointerItem,
    ChildOrderItem,
    EvidenceQuotaItem,
    Item,
    OrderItem,
    OrderLineItem,
    StockItem,
    TrackingItem,
)
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.records import CaseRecord, ChildRecord, HeaderRecord, LineRecord
from oms.store.rows import case_record, item_of
from oms.store.stock import add_stock_update
from oms.store.transactions import Part, Transaction, TransactionCancelled


def _sort_key(case: CaseRecord) -> str:
    return f"{case.createdAt}#{case.caseId}"


def _due(step: str, deadline: str | None, order_id: str, case_id: str) -> tuple[str, str] | None:
    if deadline is None or CaseStep(step) not in DEADLINES:
        return None
    return keys.CASES_DUE_GSI4, keys.case_due_sort_key(to_rfc3339(parse_rfc3339(deadline)), order_id, case_id)


def add_case_opened(tx: Transaction, case: CaseRecord, child: ChildRecord, header: HeaderRecord, now: str) -> None:
    """The new case, its pointer, the child's version bump (claims on it serialize) and the order's
    open-case count."""
    due = _due(case.step, case.deadline, case.orderId, case.caseId)
    item = item_of(
        CaseItem,
        case,
        keys.order_pk(case.orderId),
        keys.case_sk(case.caseId),
        GSI1PK=keys.customer_orders_gsi1(case.customerId),
        GSI1SK=keys.customer_cases_sort_key(case.createdAt, case.caseId),
        GSI2PK=keys.cases_by_status_gsi2(case.status),
        GSI2SK=_sort_key(case),
        GSI3PK=keys.store_cases_gsi3(case.storeId),
        GSI3SK=_sort_key(case),
        GSI4PK=due[0] if due else None,
        GSI4SK=due[1] if due else None,
    )
    tx.put(Part.CASE, item, CaseItem.PK.does_not_exist())
    tx.put(
        Part.CASE_POINTER,
        CasePointerItem(*keys.case_pointer(case.caseId), caseId=case.caseId, orderId=case.orderId),
        CasePointerItem.PK.does_not_exist(),
    )
    version = int(child.version)
    tx.update(
        (Part.CHILD, int(child.childNo)),
        ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
        [ChildOrderItem.version.set(version + 1), ChildOrderItem.updatedAt.set(now)],
        (ChildOrderItem.version == version) & (ChildOrderItem.status == child.status),
    )
    add_open_cases(tx, header, 1, now)
    day = case.createdAt[:10]
    tx.update(
        Part.STATS,
        CaseCountItem(*keys.case_count(day, case.reason, case.caseType)),
        [
            CaseCountItem.type.set(CaseCountItem),  # the discriminator: the item may be new
            CaseCountItem.opened.add(1),
            CaseCountItem.day.set(day),
            CaseCountItem.reason.set(case.reason),
            CaseCountItem.caseType.set(case.caseType),
        ],
    )


def add_open_cases(tx: Transaction, header: HeaderRecord, delta: int, now: str) -> None:
    tx.update(
        Part.ORDER,
        OrderItem(keys.order_pk(header.orderId), keys.ORDER_META),
        [OrderItem.openCases.add(delta), OrderItem.updatedAt.set(now)],
        OrderItem.PK.exists(),
    )


def add_case_move(
    tx: Transaction,
    case: CaseRecord,
    now: str,
    *,
    status: CaseStatus,
    step: CaseStep,
    deadline: str | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Move the case (conditional on its version and the step it waited for): its status and lists, the
    step it waits for and until when, and any of its other attributes (`changes`). The flow's token is
    kept: the flow is resumed with it after the commit (`add_flow_token_cleared`)."""
    version = int(case.version)
    actions: list[Action] = [
        CaseItem.status.set(status.value),
        CaseItem.step.set(step.value),
        CaseItem.updatedAt.set(now),
        CaseItem.version.set(version + 1),
        CaseItem.GSI2PK.set(keys.cases_by_status_gsi2(status.value)),
    ]
    actions.append(CaseItem.deadline.set(deadline) if deadline else CaseItem.deadline.remove())
    due = _due(step.value, deadline, case.orderId, case.caseId)
    if due:
        actions += [CaseItem.GSI4PK.set(due[0]), CaseItem.GSI4SK.set(due[1])]
    else:
        actions += [CaseItem.GSI4PK.remove(), CaseItem.GSI4SK.remove()]
    for name, value in (changes or {}).items():
        attribute = getattr(CaseItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    tx.update(Part.CASE, _key(case), actions, (CaseItem.version == version) & (CaseItem.step == case.step))


def add_case_note(tx: Transaction, case: CaseRecord, now: str, changes: dict[str, Any]) -> None:
    """Change attributes of a case without moving it (conditional on its version)."""
    version = int(case.version)
    actions: list[Action] = [CaseItem.updatedAt.set(now), CaseItem.version.set(version + 1)]
    for name, value in changes.items():
        attribute = getattr(CaseItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    tx.update(Part.CASE, _key(case), actions, CaseItem.version == version)


def _key(case: CaseRecord) -> CaseItem:
    return CaseItem(keys.order_pk(case.orderId), keys.case_sk(case.caseId))


def add_restock(tx: Transaction, sku_units: dict[str, tuple[int, int]], now: str, *, case: CaseRecord, by: str) -> None:
    """Returned units back into stock: (restockable, damaged) per SKU. Both leave `sold`; restockable units
    become `available` again, damaged ones are counted apart, so available + reserved + sold + damaged
    stays what the SKU received and was adjusted by. One movement per SKU: a return, or damaged when no
    unit of it could go back on sale."""
    ref = {"caseId": case.caseId, "orderId": case.orderId}
    for sku_id, (restockable, damaged) in sorted(sku_units.items()):
        units = restockable + damaged
        if units <= 0:
            continue
        actions: list[Action] = [StockItem.sold.add(-units)]
        if restockable:
            actions.append(StockItem.available.add(restockable))
        if damaged:
            actions.append(StockItem.damaged.add(damaged))
        kind = MovementKind.RETURN if restockable else MovementKind.DAMAGED
        reason = f"returned: {restockable} back on sale, {damaged} damaged" if restockable and damaged else "returned"
        add_stock_update(tx, sku_id, actions, StockItem.sold >= units, StockMove(kind, by, ref, reason), now)


RETURN_PARCEL = "RETURN#"  # a tracking reservation's shipment id for a case's return parcel: RETURN#<caseId>


def add_return_tracking(tx: Transaction, case: CaseRecord, carrier: str, tracking_number: str) -> None:
    """Reserve the return parcel's tracking number for the case, so the carrier's callbacks reach it (a
    number already reserved, for any parcel, fails `Part.TRACKING`)."""
    tx.put(
        Part.TRACKING,
        TrackingItem(
            *keys.tracking(carrier, tracking_number),
            carrier=carrier,
            trackingNumber=tracking_number,
            orderId=case.orderId,
            childId=case.childId,
            shipmentId=f"{RETURN_PARCEL}{case.caseId}",
        ),
        TrackingItem.PK.does_not_exist(),
    )


# ---------------------------------------------------------------- the flow's token
def set_flow_token(case: CaseRecord, step: CaseStep, token: str) -> bool:
    """The flow waits on `step` with `token`: kept on the case while it still waits for that step. False
    when the case has moved on already (the caller resumes the flow at once)."""
    from pynamodb.exceptions import UpdateError

    try:
        _key(case).update(
            actions=[CaseItem.flowToken.set(token), CaseItem.flowStep.set(step.value)],
            condition=(CaseItem.step == step.value) & CaseItem.PK.exists(),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def clear_flow_token(case: CaseRecord, token: str) -> None:
    """The flow was resumed with `token`: forget it (unless a newer wait replaced it meanwhile)."""
    from pynamodb.exceptions import UpdateError

    try:
        _key(case).update(
            actions=[CaseItem.flowToken.remove(), CaseItem.flowStep.remove()],
            condition=CaseItem.flowToken == token,
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


# ---------------------------------------------------------------- reads
def case_of(case_id: str) -> CaseRecord | None:
    """A case by its id: its pointer, then its row (both consistent)."""
    try:
        pointer = CasePointerItem.get(*keys.case_pointer(case_id), consistent_read=True)
    except DoesNotExist:
        return None
    try:
        item = CaseItem.get(keys.order_pk(pointer.orderId), keys.case_sk(case_id), consistent_read=True)
    except DoesNotExist:
        return None
    return case_record(item)


def order_of_case(case_id: str) -> str | None:
    try:
        return str(CasePointerItem.get(*keys.case_pointer(case_id), consistent_read=True).orderId)
    except DoesNotExist:
        return None


def _filter(case_type: str | None, reason: str | None, status: str | None) -> Condition | None:
    condition: Condition | None = None
    for attribute, value in ((CaseItem.caseType, case_type), (CaseItem.reason, reason), (CaseItem.status, status)):
        if value is None:
            continue
        term = attribute == value
        condition = term if condition is None else condition & term
    return condition


def _range(partition_attr: Any, sort_attr: Any, prefix: str, since: str | None, until: str | None) -> Any:
    if since and until:
        return sort_attr.between(f"{prefix}{since}", f"{prefix}{until}~")
    if since:
        return sort_attr >= f"{prefix}{since}"
    if until:
        return sort_attr <= f"{prefix}{until}~"
    return sort_attr.startswith(prefix) if prefix else None


def list_cases(
    *,
    customer_id: str | None = None,
    status: str | None = None,
    store_id: str | None = None,
    case_type: str | None = None,
    reason: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None,
    cursor: str | None,
) -> Page[CaseRecord]:
    """Cases newest first, from the narrowest key: a shopper's own (GSI1), a store's (GSI3, status as a
    filter), or one status (GSI2); type, reason (and status within a store) narrow each page."""
    index: Any
    if customer_id is not None:
        index, pk_attr, sk_attr = Item.gsi1, "GSI1PK", Item.GSI1SK
        partition, prefix = keys.customer_orders_gsi1(customer_id), "CASE#"
        filters = _filter(case_type, reason, status)
    elif store_id is not None:
        index, pk_attr, sk_attr = Item.gsi3, "GSI3PK", Item.GSI3SK
        partition, prefix = keys.store_cases_gsi3(store_id), ""
        filters = _filter(case_type, reason, status)
    elif status is not None:
        index, pk_attr, sk_attr = Item.gsi2, "GSI2PK", Item.GSI2SK
        partition, prefix = keys.cases_by_status_gsi2(status), ""
        filters = _filter(case_type, reason, None)
    else:
        raise ValueError("a case list needs a customer, a store or a status")
    results = index.query(
        partition,
        _range(pk_attr, sk_attr, prefix, since, until),
        filter_condition=filters,
        scan_index_forward=False,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr=pk_attr, partition_value=partition),
    )
    items = [case_record(i) for i in results if isinstance(i, CaseItem)]
    return Page(items, encode_cursor(results.last_evaluated_key))


def cases_due(until: str, step: str | None, limit: int | None, cursor: str | None) -> Page[CaseRecord]:
    """Cases whose step waits with a deadline up to `until`, earliest deadline first (the GSI4 entries
    hold only keys: the page's cases are then read with one BatchGetItem)."""
    partition = keys.CASES_DUE_GSI4
    results = Item.gsi4.query(
        partition,
        f"{until}#~" >= Item.GSI4SK,
        limit=clamp_limit(limit),
        last_evaluated_key=decode_cursor(cursor, partition_attr="GSI4PK", partition_value=partition),
    )
    page_keys = [(str(i.PK), str(i.SK)) for i in results]
    found = {(i.PK, i.SK): i for i in CaseItem.batch_get(page_keys, consistent_read=True)} if page_keys else {}
    cases = [case_record(found[k]) for k in page_keys if k in found]
    if step is not None:
        cases = [c for c in cases if c.step == step]
    return Page(cases, encode_cursor(results.last_evaluated_key))


def cases_of_order(order_id: str) -> Sequence[CaseRecord]:
    return [
        case_record(i)
        for i in CaseItem.query(keys.order_pk(order_id), CaseItem.SK.startswith("CASE#"), consistent_read=True)
        if isinstance(i, CaseItem)
    ]


def case_counts(since: str, until: str) -> list[tuple[str, str, str, int]]:
    """(day, reason, type, opened) for the days from `since` to `until` (YYYY-MM-DD, inclusive)."""
    partition = keys.case_count("", "", "")[0]
    return [
        (str(i.day), str(i.reason), str(i.caseType), int(i.opened))
        for i in CaseCountItem.query(partition, CaseCountItem.SK.between(f"{since}#", f"{until}#~"))
        if isinstance(i, CaseCountItem)
    ]


def take_evidence_upload(customer_id: str, day: str, limit: int, expires_at: datetime) -> bool:
    """Count one evidence upload of the shopper's day, unless `limit` are counted already (False)."""
    tx = Transaction()
    tx.update(
        Part.QUOTA,
        EvidenceQuotaItem(*keys.evidence_quota(customer_id, day)),
        [
            EvidenceQuotaItem.type.set(EvidenceQuotaItem),  # the discriminator: the item may be new
            EvidenceQuotaItem.uploads.add(1),
            EvidenceQuotaItem.expiresAt.set(expires_at),
        ],
        EvidenceQuotaItem.uploads.does_not_exist() | (EvidenceQuotaItem.uploads < limit),
    )
    try:
        tx.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed(Part.QUOTA):
            return False
        raise
    return True


# ---------------------------------------------------------------- exchanges
def add_replacement(
    tx: Transaction,
    lines: Sequence[LineRecord],
    child: ChildRecord,
    stock: dict[str, int],
    now: str,
    *,
    case_id: str,
    by: str,
) -> None:
    """An exchange's replacement: its order lines and child order (new keys: a concurrent replacement on the
    same order fails `Part.LINE` / `Part.CHILD`), and the SKUs' stock taken as sold (`available >= units`, so
    it is never oversold: a short SKU fails `(Part.STOCK, sku)`)."""
    for line in lines:
        tx.put(
            (Part.LINE, f"replacement-{int(line.lineNo)}"),
            item_of(OrderLineItem, line, keys.order_pk(line.orderId), keys.order_line_sk(int(line.lineNo))),
            OrderLineItem.PK.does_not_exist(),
        )
    tx.put((Part.CHILD, int(child.childNo)), _replacement_child_item(child), ChildOrderItem.PK.does_not_exist())
    move = StockMove(MovementKind.SALE, by, {"caseId": case_id, "orderId": child.orderId}, "exchange replacement")
    for sku_id, units in sorted(stock.items()):
        add_stock_update(
            tx,
            sku_id,
            [StockItem.available.add(-units), StockItem.sold.add(units)],
            StockItem.available >= units,
            move,
            now,
        )


def _replacement_child_item(child: ChildRecord) -> ChildOrderItem:
    return item_of(
        ChildOrderItem,
        child,
        keys.order_pk(child.orderId),
        keys.child_sk(int(child.childNo)),
        GSI1PK=keys.warehouse_children_gsi1(child.warehouseId) if child.queued else None,
        GSI1SK=f"{child.createdAt}#{child.childId}" if child.queued else None,
    )


def add_replacement_released(tx: Transaction, child: ChildRecord, now: str) -> None:
    """The price difference was paid: the held replacement can ship (it enters its warehouse's list)."""
    version = int(child.version)
    tx.update(
        (Part.CHILD, int(child.childNo)),
        ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
        [
            ChildOrderItem.heldFor.remove(),
            ChildOrderItem.GSI1PK.set(keys.warehouse_children_gsi1(child.warehouseId)),
            ChildOrderItem.GSI1SK.set(f"{now}#{child.childId}"),
            ChildOrderItem.updatedAt.set(now),
            ChildOrderItem.version.set(version + 1),
        ],
        (ChildOrderItem.version == version) & ChildOrderItem.heldFor.exists(),
    )


def add_replacement_dropped(
    tx: Transaction, child: ChildRecord, stock: dict[str, int], why: str, now: str, *, case_id: str, by: str
) -> None:
    """The difference was not paid: the held replacement is cancelled and its stock is available again."""
    version = int(child.version)
    tx.update(
        (Part.CHILD, int(child.childNo)),
        ChildOrderItem(keys.order_pk(child.orderId), keys.child_sk(int(child.childNo))),
        [
            ChildOrderItem.status.set("CANCELLED"),
            ChildOrderItem.cancellation.set({"reason": "difference_not_paid", "note": why, "at": now}),
            ChildOrderItem.updatedAt.set(now),
            ChildOrderItem.version.set(version + 1),
        ],
        (ChildOrderItem.version == version) & ChildOrderItem.heldFor.exists(),
    )
    move = StockMove(
        MovementKind.RELEASE,
        by,
        {"caseId": case_id, "orderId": child.orderId},
        "replacement dropped: difference not paid",
    )
    for sku_id, units in sorted(stock.items()):
        add_stock_update(
            tx, sku_id, [StockItem.available.add(units), StockItem.sold.add(-units)], StockItem.sold >= units, move, now
        )
