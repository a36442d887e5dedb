"""Direct reads of the table, for assertions ("nothing was written", stock counters)."""

from __future__ import annotations

from typing import Any

import boto3


def table_snapshot() -> list[dict[str, Any]]:
    """Every item in the table, for 'nothing was written' assertions (tests only: a Scan is fine here)."""
    table = boto3.resource("dynamodb").Table("oms-local-oms")
    items = table.scan(ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["PK"], i["SK"]))


def stock_of(sku_id: str) -> dict[str, int]:
    item = (
        boto3.resource("dynamodb").Table("oms-local-oms").get_item(Key={"PK": f"SKU#{sku_id}", "SK": "STOCK"})["Item"]
    )
    return {k: int(item[k]) for k in ("available", "reserved", "sold", "received", "adjusted")}
