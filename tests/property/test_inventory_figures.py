"""The inventory report's figures (oms.domain.stock_ops.sku_figures) against a replay of the same history:
whatever the movements, the closing counters are the counters as they stood at the period's end, the
opening ones as they stood at its start, the average available lies between the lowest and the highest level
the period saw, and the counts only count the period's movements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from oms.domain.stock import COUNTERS
from oms.domain.stock_ops import Movement, StockNow, sku_figures

START = datetime(2026, 11, 30, tzinfo=UTC)
END = START + timedelta(days=1)
CHANGES = st.sampled_from(
    [
        ("reservation", {"available": -1, "reserved": 1}),
        ("release", {"available": 1, "reserved": -1}),
        ("sale", {"reserved": -1, "sold": 1}),
        ("return", {"sold": -1, "available": 1}),
        ("adjustment", {"available": 3, "received": 3}),
        ("stocktake", {"available": -2, "adjusted": -2}),
    ]
)
MOVES = st.lists(st.tuples(st.integers(min_value=-3 * 86400, max_value=3 * 86400), CHANGES), max_size=30)


@settings(max_examples=200, deadline=None)
@given(MOVES)
def test_figures_match_a_replay_of_the_history(raw: list[tuple[int, tuple[str, dict[str, int]]]]) -> None:
    opening = {name: 0 for name in COUNTERS} | {"available": 50, "received": 50}
    moves = sorted(
        (Movement("S", "demo", kind, changes, START + timedelta(seconds=offset)) for offset, (kind, changes) in raw),
        key=lambda m: m.at,
    )
    counters = dict(opening)
    at_start = at_end = None
    levels = []
    for move in moves:
        if at_start is None and move.at >= START:
            at_start = dict(counters)
        if at_end is None and move.at >= END:
            at_end = dict(counters)
        for name, delta in move.changes.items():
            counters[name] += delta
        if START <= move.at < END:
            levels.append(counters["available"])
    at_start = at_start or dict(counters)
    at_end = at_end or dict(counters)
    since_start = [m for m in moves if m.at >= START]  # what the report reads: from the period's first day
    figures = sku_figures(StockNow("demo", "S", counters, None), since_start, START, END, None)
    assert figures.closing == at_end
    assert figures.opening == at_start
    seen = [at_start["available"], *levels]
    assert min(seen) - 1e-9 <= figures.average_available <= max(seen) + 1e-9
    in_period = [m for m in moves if START <= m.at < END]
    assert figures.movements == len(in_period)
    assert figures.units_sold == sum(1 for m in in_period if m.kind == "sale")
