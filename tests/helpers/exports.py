"""Orders for export tests and benchmarks, written straight through the store layer (as checkout leaves
their headers: the staff listing's index entries included), and a clock-free time budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms.domain.clock import to_rfc3339
from oms.store.models import OrderItem
from oms.store.orders import _header_item
from oms.store.records import HeaderRecord, MoneyRecord

START = datetime(2026, 11, 1, tzinfo=UTC)
NAMES = ("李雷", "Han Meimei", "王小明", "O'Brien, =cmd")


def header(n: int, *, status: str = "PAID", minutes: int | None = None) -> HeaderRecord:
    """Order `n`: created `n` minutes after START (or `minutes`), two lines, a shipping address."""
    created = to_rfc3339(START + timedelta(minutes=n if minutes is None else minutes))
    order_id = f"01J{n:023d}"
    lines = [
        {"lineNo": 1, "skuId": "TEE-M", "name": "Tee M 短袖", "quantity": 1 + n % 3},
        {"lineNo": 2, "skuId": "MUG", "name": "Mug", "quantity": 1},
    ]
    total = 4900 * (1 + n % 3) + 2550 + 800
    return HeaderRecord(
        orderId=order_id,
        orderNumber=f"N{n:08d}",
        customerId=f"cust-{n % 50}",
        status=status,
        currency="CNY",
        storeIds=["demo"],
        subtotal=MoneyRecord(total - 800, "CNY"),
        shipping=MoneyRecord(800, "CNY"),
        discount=MoneyRecord(0, "CNY"),
        total=MoneyRecord(total, "CNY"),
        shippingAddress={
            "name": NAMES[n % len(NAMES)],
            "phone": f"+86 138 {n % 10000:04d} {n % 7919:04d}",
            "line1": f"{n} Nanjing Rd",
            "city": "Shanghai",
            "country": "CN",
        },
        note=None,
        paymentDeadline=to_rfc3339(START + timedelta(minutes=n + 30)),
        cancellation=None,
        pricing={"lines": lines},
        benefits=None,
        deliveredAt=None,
        autoConfirmAt=None,
        openCases=None,
        createdAt=created,
        updatedAt=created,
        version=1,
    )


def seed_orders(count: int, *, first: int = 0, status: str = "PAID") -> list[HeaderRecord]:
    """`count` order headers in one batch write; newest (the highest n) first, as an export lists them."""
    headers = [header(n, status=status) for n in range(first, first + count)]
    with OrderItem.batch_write() as batch:
        for record in headers:
            batch.save(_header_item(record))
    return sorted(headers, key=lambda h: (h.createdAt, h.orderId), reverse=True)


class Budget:
    """A Lambda's remaining time as `context.get_remaining_time_in_millis` gives it: `ms` for every chunk,
    or a sequence of answers (the last repeated)."""

    def __init__(self, *answers: int) -> None:
        self._answers = list(answers)

    def __call__(self) -> int:
        return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
