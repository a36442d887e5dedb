"""A cancelled transaction names the parts whose condition failed (oms.store.transactions.Part)."""

from __future__ import annotations

from oms.store.transactions import Failure, Part, TransactionCancelled

FAILED = "ConditionalCheckFailed"


def test_failures_are_matched_by_part_with_or_without_a_key() -> None:
    cancelled = TransactionCancelled(
        [
            Failure(Part.ORDER, FAILED, None),
            Failure((Part.STOCK, "sku-1"), FAILED, {"available": {"N": "2"}}),
            Failure((Part.CHILD, 2), "None", None),  # this action's condition held
        ]
    )
    assert [f.key for f in cancelled.failed(Part.STOCK)] == ["sku-1"]
    assert [f.part for f in cancelled.failed(Part.ORDER, Part.CHILD)] == [Part.ORDER]
    assert cancelled.failed(Part.CHILD) == []
    assert cancelled.failed(Part.ORDER)[0].key == ""
    assert str(cancelled) == f"order: {FAILED}, stock:sku-1: {FAILED}, child:2: None"


def test_a_plain_string_label_is_the_part_of_that_name() -> None:
    cancelled = TransactionCancelled([Failure(("coupon-use", "T1"), FAILED, None)])
    assert cancelled.failed(Part.COUPON_USE)[0].key == "T1"
    assert cancelled.failed(Part.COUPON) == []
