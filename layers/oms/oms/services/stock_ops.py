"""Stock operations (issue 14 item 6): batch adjustments and stocktakes, a result per line.

Batch adjustments (`POST /stock-adjustments/batch`, JSON or CSV): each line is the single route's
adjustment (`CatalogService.adjust_stock`: one conditional, audited transaction, retried when a checkout
moves `available` between its read and write), so a batch is never all-or-nothing. A line the stock rules
refuse (unknown SKU, another store's SKU for store-scoped staff, below zero, a negative restock, a zero
delta) is `refused` with the problem the single route would answer; the others go on.

Stocktakes (`POST /stocktakes`): each counted SKU's `available` is set to the count (what a count means:
oms.domain.stock_ops) in a transaction conditional on none of available, reserved and sold moving since
it was read (a checkout or a payment between: read and count again, a few times); the difference is a
`stocktake` movement on `adjusted`. The stocktake record (who, when, each line's before, counted and
difference) is written when every line has an outcome, with its audit entry.

Both take an Idempotency-Key (required). The key's record is written when the operation starts (with its
id) and replaced by the answer at the end; every line's transaction writes a once-only marker
(oms.store.stock_ops), so a run of the same key again never applies a line twice. A transient AWS fault
on one line makes that line `retry` and the rest continue; the operation then stays open under its key
(the settled lines kept in the key's record): the same key and body run the `retry` lines again — once —
and answer the others as before. A bug (a non-transient error) fails the request with 500, leaving the
key open in the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oms.domain.clock import to_rfc3339, utcnow
from oms.domain.errors import Conflict, DomainError, InvalidRequest, NotFound
from oms.domain.ids import new_id
from oms.domain.permissions import Actor
from oms.domain.stock import MovementKind, StockMove
from oms.domain.stock_ops import MAX_LINES, AdjustmentLine, CountLine, LineOutcome
from oms.faults import is_transient
from oms.services.access import in_scope
from oms.services.batches import UNAVAILABLE, problem_of
from oms.services.catalog import STOCK_ADJUST_ATTEMPTS, CatalogService
from oms.services.idempotency import replay
from oms.store.batches import STARTED, batch_record, finish_batch, start_batch
from oms.store.stock_ops import (
    LineAlreadyDone,
    LineOnce,
    StocktakeRecord,
    count_stock,
    get_stocktake,
    line_done,
    list_stocktakes,
    put_stocktake,
    stock_image,
)

log = logging.getLogger(__name__)
RETRY_LINE = {**UNAVAILABLE, "detail": "the store did not answer in time for this line: send the same request again"}


@dataclass(frozen=True)
class _Run:
    operation_id: str
    at: str
    settled: dict[str, dict[str, Any]]  # line number → its final answer, from an earlier run of the key
    rerun: bool


class StockOperations:
    def __init__(self, catalog: CatalogService, clock: Callable[[], datetime] = utcnow) -> None:
        self.catalog = catalog
        self.clock = clock

    def _now(self) -> str:
        return to_rfc3339(self.clock())

    # ---------------------------------------------------------------- the key's record
    def _open(self, subject: str, key: str, fingerprint: str) -> _Run | tuple[int, dict[str, Any], bool]:
        """The run of this key: new, resumed (started and not finished), or its stored answer."""
        stored = batch_record(subject, key)
        if stored is not None and stored.status_code != STARTED:
            answered = replay(stored, fingerprint)
            assert answered is not None
            return answered
        if stored is not None:
            replay(stored, fingerprint)  # the same body, or 422
            body = stored.body
            return _Run(str(body["operationId"]), str(body["at"]), dict(body.get("settled") or {}), True)
        run = _Run(new_id(), self._now(), {}, False)
        if not start_batch(subject, key, fingerprint, {"operationId": run.operation_id, "at": run.at}, self._now()):
            return self._open(subject, key, fingerprint)  # another request with this key started it first
        return run

    def _keep_open(self, subject: str, key: str, fingerprint: str, run: _Run, results: list[dict[str, Any]]) -> None:
        settled = {str(r["line"]): r for r in results if r["status"] != LineOutcome.RETRY.value}
        body = {"operationId": run.operation_id, "at": run.at, "settled": settled}
        finish_batch(subject, key, fingerprint, STARTED, body, self._now())

    @staticmethod
    def _lines_bound(count: int) -> None:
        if not 1 <= count <= MAX_LINES:
            raise InvalidRequest(f"1 to {MAX_LINES} lines per request", field="lines")

    @staticmethod
    def _tally(results: list[dict[str, Any]]) -> dict[str, int]:
        return {o.value: sum(1 for r in results if r["status"] == o.value) for o in LineOutcome}

    # ---------------------------------------------------------------- batch adjustments
    def adjust_batch(
        self, actor: Actor, lines: list[AdjustmentLine], key: str, fingerprint: str
    ) -> tuple[int, dict[str, Any], bool]:
        """(status, body, replayed): each line's outcome, or the stored answer of a key already answered."""
        self._lines_bound(len(lines))
        subject = f"stock-batch:{actor.subject}"
        run = self._open(subject, key, fingerprint)
        if not isinstance(run, _Run):
            return run
        results = [run.settled.get(str(n)) or self._adjust_line(actor, run, n, line) for n, line in enumerate(lines, 1)]
        tally = self._tally(results)
        body = {"batchId": run.operation_id, "complete": tally["retry"] == 0, **tally, "results": results}
        if tally["retry"]:
            self._keep_open(subject, key, fingerprint, run, results)
        else:
            finish_batch(subject, key, fingerprint, 200, body, self._now())
        return 200, body, False

    def _adjust_line(self, actor: Actor, run: _Run, n: int, line: AdjustmentLine) -> dict[str, Any]:
        base = {"line": n, "skuId": line.sku_id, "delta": line.delta, "reason": line.reason.value}
        try:
            done = line_done(LineOnce(run.operation_id, n, {})) if run.rerun else None
            if done is None:
                sku = self.catalog.repository.sku_for_write(line.sku_id)
                if sku is None or not in_scope(actor, sku.store_id):  # another store's SKU: as if missing
                    raise NotFound(f"SKU {line.sku_id} not found")
                done = self.catalog.adjust_stock(
                    actor,
                    line.sku_id,
                    delta=line.delta,
                    reason=line.reason,
                    note=line.note,
                    line=(run.operation_id, n),
                )
        except LineAlreadyDone as already:
            done = already.result
        except DomainError as error:
            return {**base, "status": LineOutcome.REFUSED.value, "problem": problem_of(error)}
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("stock batch %s: line %d met a transient fault", run.operation_id, n, exc_info=True)
            return {**base, "status": LineOutcome.RETRY.value, "problem": dict(RETRY_LINE)}
        return {**base, "status": LineOutcome.APPLIED.value, "movementId": done["movementId"], "stock": done["stock"]}

    # ---------------------------------------------------------------- stocktakes
    def stocktake(
        self,
        actor: Actor,
        store_id: str,
        lines: list[CountLine],
        note: str | None,
        key: str,
        fingerprint: str,
    ) -> tuple[int, dict[str, Any], bool]:
        """(status, body, replayed): 201 with the record when every line has an outcome, 202 while lines
        answer `retry` (send the same request again), or the stored answer of a key already answered."""
        self._lines_bound(len(lines))
        seen: set[str] = set()
        for n, line in enumerate(lines):
            if line.sku_id in seen:
                raise InvalidRequest(f"SKU {line.sku_id} is counted twice", field=f"lines.{n}.skuId")
            seen.add(line.sku_id)
        if not in_scope(actor, store_id) or self.catalog.repository.get_store(store_id) is None:
            raise NotFound(f"store {store_id} not found")
        subject = f"stocktake:{actor.subject}"
        run = self._open(subject, key, fingerprint)
        if not isinstance(run, _Run):
            return run
        results = [
            run.settled.get(str(n)) or self._count_line(actor, run, store_id, n, line, note)
            for n, line in enumerate(lines, 1)
        ]
        tally = self._tally(results)
        summary = {
            "lines": len(results),
            **tally,
            "unitsUp": sum(max(r.get("difference") or 0, 0) for r in results if r["status"] == "applied"),
            "unitsDown": sum(max(-(r.get("difference") or 0), 0) for r in results if r["status"] == "applied"),
        }
        record = StocktakeRecord(run.operation_id, store_id, actor.subject, run.at, note, results, summary)
        body = {**stocktake_view(record), "status": "recorded" if not tally["retry"] else "incomplete"}
        if tally["retry"]:
            self._keep_open(subject, key, fingerprint, run, results)
            return 202, body, False
        put_stocktake(record, actor)
        finish_batch(subject, key, fingerprint, 201, body, self._now())
        return 201, body, False

    def _count_line(
        self, actor: Actor, run: _Run, store_id: str, n: int, line: CountLine, note: str | None
    ) -> dict[str, Any]:
        base = {"line": n, "skuId": line.sku_id, "counted": line.counted}
        try:
            done = line_done(LineOnce(run.operation_id, n, {})) if run.rerun else None
            return done or self._count(actor, run, store_id, n, line, note, base)
        except LineAlreadyDone as already:
            return already.result
        except DomainError as error:
            return {**base, "status": LineOutcome.REFUSED.value, "problem": problem_of(error)}
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("stocktake %s: line %d met a transient fault", run.operation_id, n, exc_info=True)
            return {**base, "status": LineOutcome.RETRY.value, "problem": dict(RETRY_LINE)}

    def _count(
        self,
        actor: Actor,
        run: _Run,
        store_id: str,
        n: int,
        line: CountLine,
        note: str | None,
        base: dict[str, Any],
    ) -> dict[str, Any]:
        ref = {"stocktakeId": run.operation_id, "line": str(n)}
        move = StockMove(MovementKind.STOCKTAKE, actor.subject, ref, note or "stocktake")
        for _ in range(STOCK_ADJUST_ATTEMPTS):
            image = stock_image(line.sku_id)
            owner = image.store_id if image is not None else None
            if image is not None and owner is None:  # an older stock item: its SKU knows the store
                sku = self.catalog.repository.sku_for_write(line.sku_id)
                owner = sku.store_id if sku is not None else None
            if image is None or owner != store_id:
                raise NotFound(f"SKU {line.sku_id} not found in store {store_id}")
            difference = line.counted - image.available
            move_id = new_id()
            result = {
                **base,
                "status": LineOutcome.APPLIED.value,
                "before": image.available,
                "difference": difference,
                "movementId": move_id if difference else None,
                "stock": {"available": line.counted, "reserved": image.reserved, "sold": image.sold},
            }
            if count_stock(image, line.counted, move, move_id, actor, LineOnce(run.operation_id, n, result), run.at):
                return result
        raise Conflict("stock is changing too fast to count; count this SKU again")

    # ---------------------------------------------------------------- reads
    def get(self, actor: Actor, stocktake_id: str) -> dict[str, Any]:
        record = get_stocktake(stocktake_id)
        if record is None or not in_scope(actor, record.store_id):
            raise NotFound(f"stocktake {stocktake_id} not found")
        return stocktake_view(record)

    def list(self, actor: Actor, store_id: str, limit: int | None, cursor: str | None) -> dict[str, Any]:
        """A store's stocktakes, newest first (without their lines)."""
        if not in_scope(actor, store_id):
            raise NotFound(f"store {store_id} not found")
        page = list_stocktakes(store_id, limit, cursor)
        items = [{k: v for k, v in stocktake_view(r).items() if k != "lines"} for r in page.items]
        return {"items": items, "next_cursor": page.next_cursor}


def stocktake_view(record: StocktakeRecord) -> dict[str, Any]:
    return {
        "stocktakeId": record.stocktake_id,
        "storeId": record.store_id,
        "by": record.by,
        "at": record.at,
        "note": record.note,
        "summary": record.summary,
        "lines": record.lines,
    }
