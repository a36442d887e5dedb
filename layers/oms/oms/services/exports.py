"""Order exports: `POST /exports` records the job (one transaction with its audit entry and the outbox row
that starts it after the commit), its state machine runs it chunk by chunk (statemachines/export_job.asl.json),
`GET /exports/{id}` reports progress and, once done, a presigned link (docs/exports.md).

A CSV job streams: each chunk reads pages of orders from the job's cursor and uploads them as multipart parts
of at least `part_bytes` (5 MiB is S3's minimum), and ends only at a part boundary, so nothing of the file
lives anywhere between chunks but in S3 (the job row keeps the upload id, the parts' ETags, the next page's
cursor). A chunk starts another part only while the Lambda has time left for two more of its slowest part,
so it returns before its timeout and the state machine runs the next chunk. XLSX and PDF files cannot be
appended to across invocations (XlsxWriter zips its temp files at close; a PDF is laid out whole), so they
are written in one chunk under their row caps and then uploaded from /tmp (XLSX, in parts) or at once (PDF)."""

from __future__ import annotations

import builtins
import contextlib
import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oms.domain import events
from oms.domain.clock import parse_rfc3339, to_rfc3339, utcnow
from oms.domain.errors import Forbidden, InvalidRequest, NotFound
from oms.domain.exports import (
    CONTENT_TYPES,
    FIELDS,
    FINAL_STATES,
    PART_BYTES,
    PDF_MAX_ROWS,
    XLSX_MAX_ROWS,
    ExportFormat,
    ExportState,
    Locale,
    headers,
    row,
)
from oms.domain.ids import new_id
from oms.domain.order import OrderStatus
from oms.domain.order_search import SearchParams
from oms.domain.permissions import Actor, Permission
from oms.services.access import store_scope
from oms.services.idempotency import raise_if_key_in_use, replay
from oms.services.order_search import build_query
from oms.store.pages import Page

if TYPE_CHECKING:
    from oms.adapters.export_files import ExportsBucket
    from oms.store.exports import ExportJobRecord, ExportRepository
    from oms.store.records import HeaderRecord

Json = dict[str, Any]
READ_ALL = "end"  # the job's cursor once every page is read (None: not started)
PAGE_SIZE = 500  # orders per query (DynamoDB also stops a page at 1 MB)
SAFETY_MS = 5_000  # what a chunk leaves of its Lambda's time: the progress write and the answer
URL_SECONDS = 900
SCOPE_FILTER = "storeScope"  # the stores a store-scoped actor's export is limited to (in the job's filters)


class ExportTooLarge(InvalidRequest):
    slug = "export-too-large"
    title = "Too many orders for this format"


@dataclass(frozen=True)
class ExportRequest:
    format: ExportFormat
    fields: tuple[str, ...]
    status: OrderStatus | None
    created_from: str | None
    created_to: str | None
    locale: Locale
    search: SearchParams | None = None  # every filter of the order search (status and created range included)


class ExportService:
    def __init__(
        self,
        repository: ExportRepository,
        bucket: Callable[[], ExportsBucket],
        *,
        clock: Callable[[], Any] = utcnow,
        part_bytes: int = PART_BYTES,
        page_size: int = PAGE_SIZE,
        url_seconds: int = URL_SECONDS,
    ) -> None:
        self.repository = repository
        self.bucket = bucket
        self.clock = clock
        self.part_bytes = part_bytes
        self.page_size = page_size
        self.url_seconds = url_seconds

    # ---------------------------------------------------------------- requests
    def create(
        self, actor: Actor, request: ExportRequest, *, idempotency_key: str | None, fingerprint: str
    ) -> tuple[int, Json, bool]:
        """Record an export job (202 with its view): validated, the PDF cap checked by counting, audited."""
        from oms.store.orders import stored_response
        from oms.store.transactions import TransactionCancelled

        if not actor.can(Permission.EXPORT_CREATE):
            raise Forbidden("exports are for staff who may list orders")
        unknown = [f for f in request.fields if f not in FIELDS]
        if unknown:
            raise InvalidRequest(
                f"unknown export fields: {', '.join(unknown)} (docs/exports.md lists them)", field="fields"
            )
        if len(set(request.fields)) != len(request.fields):
            raise InvalidRequest("each field may be asked for once", field="fields")
        filters = _filters(request) if request.search is None else _search_filters(request.search, actor, self.clock())
        scope = store_scope(actor)
        if scope is not None:
            filters[SCOPE_FILTER] = sorted(scope)  # store-scoped staff export their stores' orders only
        if idempotency_key is not None:
            replayed = replay(stored_response(actor.subject, idempotency_key), fingerprint)
            if replayed is not None:
                return replayed
        if request.format is ExportFormat.PDF:
            matching = self.repository.count_orders(filters, PDF_MAX_ROWS + 1)
            if matching > PDF_MAX_ROWS:
                raise ExportTooLarge(
                    f"more than {PDF_MAX_ROWS} orders match: a PDF holds at most {PDF_MAX_ROWS} rows; narrow the "
                    "filters or export csv or xlsx",
                    field="format",
                    limit=PDF_MAX_ROWS,
                )
        from oms.store.exports import ExportJobRecord

        now = to_rfc3339(self.clock())
        export_id = new_id()
        job = ExportJobRecord(
            exportId=export_id,
            state=ExportState.QUEUED.value,
            format=request.format.value,
            fields=list(request.fields),
            filters=filters,
            locale=request.locale.value,
            masked=not actor.can(Permission.PERSONAL_DATA_READ),
            createdBy=actor.subject,
            role=actor.primary_role,
            createdAt=now,
            updatedAt=now,
            rowsDone=0,
            chunks=0,
            bytesDone=0,
            objectKey=f"exports/{now[:10]}/{export_id}.{request.format.value}",
            cursor=None,
            uploadId=None,
            parts=None,
            finishedAt=None,
            failure=None,
            version=1,
        )
        view = export_view(job, None)
        event = events.export_requested(
            export_id, export_format=job.format, created_by=actor.subject, role=actor.primary_role
        )
        try:
            self.repository.create(
                job, actor, event, (idempotency_key, fingerprint, view) if idempotency_key is not None else None
            )
        except TransactionCancelled as cancelled:
            raise_if_key_in_use(cancelled)
            raise
        return 202, view, False

    def get(self, actor: Actor, export_id: str) -> Json:
        job = self._visible(actor, export_id)
        url = None
        if job.state == ExportState.SUCCEEDED.value:
            url = self.bucket().presigned_get(job.objectKey, self.url_seconds)
        return export_view(job, url, expires_in=self.url_seconds)

    def list(self, actor: Actor, *, mine: bool, limit: int | None, cursor: str | None) -> Page[Json]:
        """The caller's exports, newest first; everybody's for whom may read any (unless `mine`)."""
        if not actor.can(Permission.EXPORT_CREATE) and not actor.can(Permission.EXPORT_READ_ANY):
            raise Forbidden("exports are for staff")
        everybody = actor.can(Permission.EXPORT_READ_ANY) and not mine
        page = self.repository.list(None if everybody else actor.subject, limit, cursor)
        return page.map(lambda job: export_view(job, None))

    def _visible(self, actor: Actor, export_id: str) -> ExportJobRecord:
        job = self.repository.get(export_id)
        if job is None or not (job.createdBy == actor.subject or actor.can(Permission.EXPORT_READ_ANY)):
            raise NotFound(f"export {export_id} not found")  # someone else's export is not there for you
        return job

    # ---------------------------------------------------------------- the job
    def _orders_page(self, filters: Json, cursor: str | None) -> tuple[builtins.list[HeaderRecord], str | None]:
        """A page of the job's orders; a store-scoped job's keeps only orders with a child of its stores
        (the page may hold fewer rows; the cursor goes on all the same)."""
        orders, next_cursor = self.repository.orders_page(filters, cursor, self.page_size)
        if SCOPE_FILTER in filters:
            stores = set(filters[SCOPE_FILTER])
            orders = [order for order in orders if stores.intersection(order.storeIds)]
        return orders, next_cursor

    def run_chunk(self, export_id: str, remaining_ms: Callable[[], int]) -> Json:
        """One iteration of the job's loop: `{"done": bool, "state", "rowsDone"}`."""
        job = self.repository.get(export_id)
        if job is None:
            raise NotFound(f"export {export_id} not found")
        if job.state in FINAL_STATES:
            return _progress(job)
        job = self.repository.update(job, self._now(), state=ExportState.RUNNING.value, chunks=job.chunks + 1)
        kind = ExportFormat(job.format)
        if kind is ExportFormat.CSV:
            return self._csv_chunk(job, remaining_ms)
        return self._whole_file(job, kind, remaining_ms)

    def fail(self, export_id: str, reason: str) -> Json:
        """The state machine's Catch: the job FAILED with `reason` (its upload aborted); no-op once it ended."""
        job = self.repository.get(export_id)
        if job is None:
            raise NotFound(f"export {export_id} not found")
        if job.state in FINAL_STATES:
            return _progress(job)
        return self._failed(job, reason)

    def _failed(self, job: ExportJobRecord, reason: str) -> Json:
        from oms.store.exports import ExportChanged

        if job.uploadId:
            self.bucket().abort(job.objectKey, job.uploadId)
        with contextlib.suppress(ExportChanged):  # ended meanwhile (another run of this chunk): that stands
            self.repository.finish(
                job, ExportState.FAILED, self._now(), failure=reason[:500], uploadId=None, parts=None
            )
        fresh = self.repository.get(job.exportId)
        assert fresh is not None
        return _progress(fresh)

    def _csv_chunk(self, job: ExportJobRecord, remaining_ms: Callable[[], int]) -> Json:
        from oms.adapters.export_files import csv_chunk

        bucket = self.bucket()
        upload_id = job.uploadId
        if upload_id is None:
            upload_id = bucket.start(job.objectKey, CONTENT_TYPES[ExportFormat.CSV], _filename(job))
            job = self.repository.update(job, self._now(), uploadId=upload_id, parts=[])
        parts = list(job.parts or [])
        slowest = 0.0
        while job.cursor != READ_ALL:
            started = time.monotonic()
            part = io.BytesIO()  # one part's bytes, written page by page and uploaded as they are (no copy)
            if not parts:
                part.write(csv_chunk((), header=headers(job.fields, Locale(job.locale))))
            cursor, rows = job.cursor, 0
            while part.tell() < self.part_bytes:
                orders, cursor = self._orders_page(job.filters, cursor)
                part.write(csv_chunk(row(order, job.fields, job.masked) for order in orders))
                rows += len(orders)
                if cursor is None:
                    break
            size = part.tell()
            part.seek(0)
            number = len(parts) + 1
            parts.append({"PartNumber": number, "ETag": bucket.upload_part(job.objectKey, upload_id, number, part)})
            del part
            job = self.repository.update(
                job,
                self._now(),
                rowsDone=job.rowsDone + rows,
                bytesDone=job.bytesDone + size,
                cursor=READ_ALL if cursor is None else cursor,
                parts=parts,
            )
            slowest = max(slowest, (time.monotonic() - started) * 1000)
            if job.cursor != READ_ALL and remaining_ms() < 2 * slowest + SAFETY_MS:
                return _progress(job)  # the next chunk goes on from here
        bucket.complete(job.objectKey, upload_id, parts)
        return self._succeeded(job)

    def _whole_file(self, job: ExportJobRecord, kind: ExportFormat, remaining_ms: Callable[[], int]) -> Json:
        """XLSX or PDF in this one invocation (a retried chunk starts the file again)."""
        cap = XLSX_MAX_ROWS if kind is ExportFormat.XLSX else PDF_MAX_ROWS
        header = headers(job.fields, Locale(job.locale))
        widths = [FIELDS[f].width for f in job.fields]
        rows_done, cursor = 0, None
        with tempfile.TemporaryDirectory(prefix="export-") as tmp:
            path = Path(tmp) / f"{job.exportId}.{kind.value}"
            sink: Any
            if kind is ExportFormat.XLSX:
                from oms.adapters.export_files import XlsxFile

                sink = XlsxFile(path, header, widths)
                write = sink.write
            else:
                table: list[Any] = []
                write = table.append
            truncated = False
            while True:
                if remaining_ms() < SAFETY_MS:
                    return self._failed(
                        job,
                        f"the {kind.value} file could not be written within one invocation ({rows_done} rows written): "
                        "narrow the filters or export csv, which continues across invocations",
                    )
                orders, cursor = self._orders_page(job.filters, cursor)
                for order in orders:
                    if rows_done >= cap:
                        truncated = True
                        break
                    write(row(order, job.fields, job.masked))
                    rows_done += 1
                if truncated and kind is ExportFormat.XLSX:
                    return self._failed(
                        job,
                        f"more than {XLSX_MAX_ROWS} orders match: an xlsx export holds at most {XLSX_MAX_ROWS} rows; "
                        "narrow the filters or export csv",
                    )
                if cursor is None or truncated:
                    break
            bucket = self.bucket()
            if kind is ExportFormat.XLSX:
                size = bucket.upload_file(
                    job.objectKey, sink.close(), CONTENT_TYPES[kind], _filename(job), self.part_bytes
                )
            else:
                from oms.adapters.export_files import pdf_bytes

                note = f" (the first {PDF_MAX_ROWS}: more orders matched than at the request)" if truncated else ""
                subtitle = f"{rows_done} orders{note} · {_filter_text(job.filters)} · {job.createdAt} · {job.createdBy}"
                body = pdf_bytes(f"Orders export {job.exportId}", subtitle, header, widths, table)
                bucket.put(job.objectKey, body, CONTENT_TYPES[kind], _filename(job))
                size = len(body)
        return self._succeeded(replace(job, rowsDone=rows_done, bytesDone=size), written=True)

    def _succeeded(self, job: ExportJobRecord, *, written: bool = False) -> Json:
        from oms.store.exports import ExportChanged

        changes: Json = {"cursor": None, "uploadId": None, "parts": None}
        if written:
            changes |= {"rowsDone": job.rowsDone, "bytesDone": job.bytesDone}
        with contextlib.suppress(ExportChanged):
            self.repository.finish(job, ExportState.SUCCEEDED, self._now(), **changes)
        fresh = self.repository.get(job.exportId)
        assert fresh is not None
        return _progress(fresh)

    def _now(self) -> str:
        return to_rfc3339(self.clock())


def _filters(request: ExportRequest) -> Json:
    filters: Json = {}
    if request.status is not None:
        filters["status"] = request.status.value
    for name, value in (("createdFrom", request.created_from), ("createdTo", request.created_to)):
        if value is not None:
            try:
                filters[name] = to_rfc3339(parse_rfc3339(value))
            except ValueError as error:
                raise InvalidRequest(f"{name} must be an RFC 3339 timestamp", field=f"filters.{name}") from error
    if "createdFrom" in filters and "createdTo" in filters and filters["createdFrom"] > filters["createdTo"]:
        raise InvalidRequest("createdFrom must not be after createdTo", field="filters.createdFrom")
    return filters


def _search_filters(search: SearchParams, actor: Actor, now: Any) -> Json:
    """The order search's query for the job (what `GET /orders` would answer this caller, store scope
    included), recorded as JSON: ranges resolved now, contacts as their hashes only."""
    from oms.store.order_search import contact_secret

    return build_query(search, actor, now, contact_secret()).to_json()


def _filter_text(filters: Json) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(filters.items())) or "all orders"


def _filename(job: ExportJobRecord) -> str:
    return f"orders-{job.createdAt[:10]}-{job.exportId}.{job.format}"


def _progress(job: ExportJobRecord) -> Json:
    return {
        "exportId": job.exportId,
        "state": job.state,
        "done": job.state in FINAL_STATES,
        "rowsDone": job.rowsDone,
        "chunks": job.chunks,
    }


def export_view(job: ExportJobRecord, url: str | None, *, expires_in: int = URL_SECONDS) -> Json:
    view: Json = {
        "exportId": job.exportId,
        "state": job.state,
        "format": job.format,
        "fields": job.fields,
        "filters": job.filters,
        "locale": job.locale,
        "masked": job.masked,
        "rowsDone": job.rowsDone,
        "bytes": job.bytesDone,
        "chunks": job.chunks,
        "createdBy": job.createdBy,
        "createdAt": job.createdAt,
        "updatedAt": job.updatedAt,
    }
    if job.finishedAt:
        view["finishedAt"] = job.finishedAt
    if job.failure:
        view["failure"] = job.failure
    if url is not None:
        view["download"] = {"url": url, "expiresInSeconds": expires_in}
    return view
