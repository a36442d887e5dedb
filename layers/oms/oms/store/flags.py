"""Order flags (oms.domain.flags): one row per flag set on an order, in the order's partition, indexed
sparsely by flag (GSI2 `ORDERFLAG#<flag>`, by the order's creation time) so "every special order" or "every
order in risk review" is one key range. Set and cleared inside the transaction of the change that sets or
clears it."""

from __future__ import annotations

from oms.domain.flags import OrderFlag
from oms.store import keys
from oms.store.models import OrderFlagItem
from oms.store.transactions import Part, Transaction


def add_flag(
    tx: Transaction,
    order_id: str,
    order_created_at: str,
    flag: OrderFlag,
    *,
    by: str,
    at: str,
    reason: str | None,
) -> None:
    """Set `flag` on the order (a flag already set is overwritten with who set it now)."""
    tx.put(
        Part.FLAG,
        OrderFlagItem(
            keys.order_pk(order_id),
            keys.order_flag_sk(flag.value),
            orderId=order_id,
            flag=flag.value,
            orderCreatedAt=order_created_at,
            setAt=at,
            setBy=by,
            reason=reason,
            GSI2PK=keys.order_flag_gsi2(flag.value),
            GSI2SK=keys.created_sort_key(order_created_at, order_id),
        ),
    )


def remove_flag(tx: Transaction, order_id: str, flag: OrderFlag) -> None:
    """Clear `flag` (nothing happens when it is not set)."""
    tx.delete(Part.FLAG, OrderFlagItem(keys.order_pk(order_id), keys.order_flag_sk(flag.value)))
