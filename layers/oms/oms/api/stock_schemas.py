"""Request bodies of the stock operations (batch adjustments, stocktakes) and the CSV form of a batch.

A batch is checked whole before any line runs: a line of the wrong shape (a missing SKU id, a delta that
is not a whole number, an unknown reason) is a 422 naming its field (`lines.<n>.<field>`, from 0), and
nothing is applied. Lines of the right shape that the stock rules refuse get their own `refused` result.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

from pydantic import Field

from oms.api.catalog_schemas import ByValue
from oms.api.problems import HttpProblem
from oms.api.schemas import Id, Note, Strict
from oms.domain.catalog import StockAdjustmentReason
from oms.domain.stock_ops import CSV_COLUMNS, MAX_LINES

MAX_UNITS = 10_000_000
_INTEGER = re.compile(r"^[+-]?[0-9]{1,9}$")


class AdjustmentLineIn(Strict):
    skuId: Id
    delta: int = Field(ge=-MAX_UNITS, le=MAX_UNITS, description="Units to add (negative: to take away); not 0.")
    reason: Annotated[StockAdjustmentReason, ByValue]
    note: Note | None = None


class StockBatchIn(Strict):
    """Up to 200 adjustments, applied in order, each on its own (JSON, or a CSV upload: `text/csv` with the
    header `skuId,delta,reason,note`, at most 64 KB)."""

    lines: list[AdjustmentLineIn] = Field(min_length=1, max_length=MAX_LINES)


class CountLineIn(Strict):
    skuId: Id
    counted: int = Field(ge=0, le=MAX_UNITS, description="Sellable units on the shelf that no order holds.")


class StocktakeIn(Strict):
    """A count of some of a store's SKUs (each at most once)."""

    storeId: Id
    lines: list[CountLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: Note | None = None


def _invalid(detail: str, errors: list[dict[str, str]]) -> HttpProblem:
    return HttpProblem(422, "validation-failed", "The request is not valid", detail, errors=errors)


def batch_from_csv(text: str) -> dict[str, Any]:
    """The JSON body of a CSV batch (`StockBatchIn`'s shape; the model then checks each cell): the header
    names the columns (skuId, delta and reason required, note optional, in any order), blank rows are
    skipped, a whole-number delta becomes a number (anything else stays text, for the model to refuse)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise _invalid("the CSV has no header", [{"field": "(body)", "message": "empty CSV", "code": "csv"}])
    header = [name.strip() for name in rows[0]]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in CSV_COLUMNS[:3] if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise _invalid(
            f"the CSV header must name the columns {','.join(CSV_COLUMNS)} (note optional)",
            [{"field": "(header)", "message": f"unknown {unknown}, missing {missing}", "code": "csv-header"}],
        )
    if len(rows) - 1 > MAX_LINES:
        raise _invalid(
            f"at most {MAX_LINES} lines per batch",
            [{"field": "lines", "message": f"{len(rows) - 1} lines", "code": "too_long"}],
        )
    lines: list[dict[str, Any]] = []
    for n, row in enumerate(rows[1:]):
        if len(row) > len(header) or len(row) < len(header) - ("note" in header):
            raise _invalid(
                f"line {n + 1} has {len(row)} cells, the header {len(header)}",
                [{"field": f"lines.{n}", "message": "wrong number of cells", "code": "csv-row"}],
            )
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        line: dict[str, Any] = {"skuId": cells["skuId"], "reason": cells["reason"]}
        delta = cells["delta"]
        line["delta"] = int(delta) if _INTEGER.match(delta) else delta
        if cells.get("note"):
            line["note"] = cells["note"]
        lines.append(line)
    return {"lines": lines}
