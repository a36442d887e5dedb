"""Export jobs in the table (`EXPORT#<exportId>` / `META`), and the order pages an export reads.

An export reads orders through the staff order search (`oms.store.order_search.DynamoOrderSearch`, the
same filters as `GET /orders`), page by page from a cursor: never a scan. The job row keeps the progress
(rows done, the next page's cursor, the multipart upload's id and its parts' ETags); every change to it is
conditional on its version and on the job not having ended, so a chunk retried after a lost answer, or run
twice, cannot record progress twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from oms.domain.clock import parse_rfc3339
from oms.domain.events import OutboxEvent
from oms.domain.exports import ExportState
from oms.domain.ids import new_id
from oms.domain.order_search import OrderQuery
from oms.domain.permissions import Actor
from oms.store import keys
from oms.store.audit import audit_item
from oms.store.models import ExportJobItem, Item, OutboxItem
from oms.store.order_search import DynamoOrderSearch
from oms.store.orders import OUTBOX_TTL
from oms.store.pages import Page, clamp_limit, decode_cursor, encode_cursor
from oms.store.payments import add_idempotency
from oms.store.records import HeaderRecord
from oms.store.transactions import Part, Transaction, TransactionCancelled

Json = dict[str, Any]
COUNT_READS_FACTOR = 10  # items a PDF's count may read per row it may hold
PAGE_MAX = 500  # orders per counting page


class ExportChanged(Exception):
    """The job row moved since it was read (another run of the same chunk, or it ended)."""


@dataclass(frozen=True, slots=True)
class ExportJobRecord:
    exportId: str
    state: str
    format: str
    fields: list[str]
    filters: Json
    locale: str
    masked: bool
    createdBy: str
    role: str
    createdAt: str
    updatedAt: str
    rowsDone: int
    chunks: int
    bytesDone: int
    objectKey: str
    cursor: str | None
    uploadId: str | None
    parts: list[Json] | None
    finishedAt: str | None
    failure: str | None
    version: int


def export_record(item: ExportJobItem) -> ExportJobRecord:
    return ExportJobRecord(
        exportId=item.exportId,
        state=item.state,
        format=item.format,
        fields=[str(f) for f in item.fields],
        filters=dict(item.filters or {}),
        locale=item.locale,
        masked=bool(item.masked),
        createdBy=item.createdBy,
        role=item.role,
        createdAt=item.createdAt,
        updatedAt=item.updatedAt,
        rowsDone=int(item.rowsDone),
        chunks=int(item.chunks),
        bytesDone=int(item.bytesDone),
        objectKey=item.objectKey,
        cursor=item.cursor,
        uploadId=item.uploadId,
        parts=list(item.parts) if item.parts is not None else None,
        finishedAt=item.finishedAt,
        failure=item.failure,
        version=int(item.version),
    )


def _sort_key(created_at: str, export_id: str) -> str:
    return f"{created_at}#{export_id}"


class ExportRepository:
    # ---------------------------------------------------------------- the orders an export reads
    def orders_page(self, filters: Json, cursor: str | None, page_size: int) -> tuple[list[HeaderRecord], str | None]:
        """One page of the orders matching `filters` (the order search's query, `OrderQuery.to_json`), newest
        first, from `cursor`; the next page's cursor (None: the last page). A page may hold fewer orders than
        `page_size` (the search reads a bounded number of items per page) and still have a cursor."""
        page = DynamoOrderSearch().search(OrderQuery.from_json(filters), page_size, cursor)
        return page.items, page.next_cursor

    def count_orders(self, filters: Json, up_to: int) -> int:
        """How many orders match, counted page by page and stopping at `up_to` (what the PDF cap is checked
        with at POST time), reading at most COUNT_READS_FACTOR × `up_to` items: past that it answers what it
        counted (the job's own cap still holds the file to its rows)."""
        search, query = DynamoOrderSearch(), OrderQuery.from_json(filters)
        counted, read, cursor = 0, 0, None
        while counted < up_to and read < COUNT_READS_FACTOR * up_to:
            page = search.search(query, min(up_to - counted, PAGE_MAX), cursor)
            counted, read, cursor = counted + len(page.items), read + page.items_read, page.next_cursor
            if cursor is None:
                break
        return counted

    # ---------------------------------------------------------------- jobs
    def create(
        self,
        job: ExportJobRecord,
        actor: Actor,
        event: OutboxEvent,
        idempotency: tuple[str, str, Json] | None,
    ) -> None:
        """ONE transaction: the job row, its audit entry (who, filters, fields, format, masked), the outbox
        row that starts its job after the commit, and the idempotency record when a key was given."""
        now = job.createdAt
        tx = Transaction()
        tx.put(Part.EXPORT, _job_item(job), ExportJobItem.PK.does_not_exist())
        subject = f"EXPORT#{job.exportId}"
        request = {"format": job.format, "fields": job.fields, "filters": job.filters, "masked": job.masked}
        tx.put(
            Part.AUDIT,
            audit_item(subject, "export.requested", actor=actor, now=now, before=None, after=request, reason=None),
        )
        event_id = new_id()
        tx.put(
            Part.OUTBOX,
            OutboxItem(
                keys.export_job(job.exportId)[0],
                keys.outbox_sk(event_id),
                eventId=event_id,
                detailType=event.type,
                detail=event.detail,
                createdAt=now,
                expiresAt=parse_rfc3339(now) + OUTBOX_TTL,
            ),
        )
        if idempotency is not None:
            key, fingerprint, body = idempotency
            add_idempotency(tx, actor.subject, key, fingerprint, 202, body, now)
        tx.commit()

    def get(self, export_id: str) -> ExportJobRecord | None:
        try:
            item = ExportJobItem.get(*keys.export_job(export_id), consistent_read=True)
        except DoesNotExist:
            return None
        return export_record(item)

    def list(self, created_by: str | None, limit: int | None, cursor: str | None) -> Page[ExportJobRecord]:
        """Exports newest first: one person's (GSI1), or everybody's (GSI2)."""
        results: Any
        if created_by is None:
            partition, pk_attr = keys.ALL_EXPORTS_GSI2, "GSI2PK"
            results = Item.gsi2.query(
                partition,
                scan_index_forward=False,
                limit=clamp_limit(limit),
                last_evaluated_key=decode_cursor(cursor, partition_attr=pk_attr, partition_value=partition),
            )
        else:
            partition, pk_attr = keys.user_exports_gsi1(created_by), "GSI1PK"
            results = Item.gsi1.query(
                partition,
                scan_index_forward=False,
                limit=clamp_limit(limit),
                last_evaluated_key=decode_cursor(cursor, partition_attr=pk_attr, partition_value=partition),
            )
        items = [export_record(i) for i in results if isinstance(i, ExportJobItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))

    def update(self, job: ExportJobRecord, now: str, **changes: Any) -> ExportJobRecord:
        """Record a chunk's progress (or the job's start): conditional on the version read and on the job
        not having ended; `ExportChanged` otherwise."""
        actions: list[Action] = [ExportJobItem.updatedAt.set(now), ExportJobItem.version.set(job.version + 1)]
        for name, value in changes.items():
            attribute = getattr(ExportJobItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        condition = (ExportJobItem.version == job.version) & ExportJobItem.state.is_in(
            ExportState.QUEUED.value, ExportState.RUNNING.value
        )
        try:
            ExportJobItem(*keys.export_job(job.exportId)).update(actions=actions, condition=condition)
        except UpdateError as error:
            if _condition_failed(error):
                raise ExportChanged(job.exportId) from error
            raise
        fresh = self.get(job.exportId)
        assert fresh is not None
        return fresh

    def finish(
        self, job: ExportJobRecord, state: ExportState, now: str, *, failure: str | None = None, **changes: Any
    ) -> None:
        """ONE transaction: the job's end (SUCCEEDED with its row count and size, or FAILED with why), and its
        audit entry, conditional as `update`."""
        tx = Transaction()
        actions: list[Action] = [
            ExportJobItem.state.set(state.value),
            ExportJobItem.updatedAt.set(now),
            ExportJobItem.finishedAt.set(now),
            ExportJobItem.version.set(job.version + 1),
        ]
        if failure is not None:
            actions.append(ExportJobItem.failure.set(failure))
        for name, value in changes.items():
            attribute = getattr(ExportJobItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        tx.update(
            Part.EXPORT,
            ExportJobItem(*keys.export_job(job.exportId)),
            actions,
            (ExportJobItem.version == job.version)
            & ExportJobItem.state.is_in(ExportState.QUEUED.value, ExportState.RUNNING.value),
        )
        rows = int(changes.get("rowsDone", job.rowsDone))
        outcome = {"state": state.value, "rows": rows, "failure": failure, "objectKey": job.objectKey}
        system = Actor.system("export-job")
        tx.put(
            Part.AUDIT,
            audit_item(
                f"EXPORT#{job.exportId}",
                f"export.{state.value.lower()}",
                actor=system,
                now=now,
                before=None,
                after=outcome,
                reason=failure,
            ),
        )
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(Part.EXPORT):
                raise ExportChanged(job.exportId) from cancelled
            raise


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def _job_item(job: ExportJobRecord) -> ExportJobItem:
    pk, sk = keys.export_job(job.exportId)
    order = _sort_key(job.createdAt, job.exportId)
    return ExportJobItem(
        pk,
        sk,
        GSI1PK=keys.user_exports_gsi1(job.createdBy),
        GSI1SK=order,
        GSI2PK=keys.ALL_EXPORTS_GSI2,
        GSI2SK=order,
        exportId=job.exportId,
        state=job.state,
        format=job.format,
        fields=job.fields,
        filters=job.filters,
        locale=job.locale,
        masked=job.masked,
        createdBy=job.createdBy,
        role=job.role,
        createdAt=job.createdAt,
        updatedAt=job.updatedAt,
        rowsDone=job.rowsDone,
        chunks=job.chunks,
        bytesDone=job.bytesDone,
        objectKey=job.objectKey,
        version=job.version,
    )
