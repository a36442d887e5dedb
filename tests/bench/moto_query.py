"""moto Query cost with and without the local stack's patch (k), by table size. One command:

    python -m tests.bench.moto_query [--items 2000 20000] [--repeat 20]

A table with one GSI gets `items` items in 500 partitions (50 index partitions) in moto's in-process mock;
each row then times a base-table Query of one partition and an index Query (a range condition, Limit 10),
averaged over `repeat` calls, with moto's own Query and with patch (k). What is left with the patch is
proportional to the partition read and the items answered (moto serializes each one), not to the table.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table
from oms_local.core import moto_patches

TABLE = "bench-query"


def _fill(client: Any, items: int) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "G1PK", "G1SK")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "G1PK", "KeyType": "HASH"},
                    {"AttributeName": "G1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(items):
        client.put_item(
            TableName=TABLE,
            Item={
                "PK": {"S": f"P#{n % 500}"},
                "SK": {"S": f"S#{n}"},
                "G1PK": {"S": f"G#{n % 50}"},
                "G1SK": {"S": f"{n:08d}"},
            },
        )


def _timed(repeat: int, call: Any) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat * 1000


def measure(items: int, repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    with mock_aws():
        client = boto3.client("dynamodb")
        _fill(client, items)

        def base() -> Any:
            return client.query(
                TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "P#7"}}
            )

        def index() -> Any:
            return client.query(
                TableName=TABLE,
                IndexName="GSI1",
                KeyConditionExpression="G1PK = :p AND G1SK > :s",
                ExpressionAttributeValues={":p": {"S": "G#7"}, ":s": {"S": "00001000"}},
                Limit=10,
            )

        for label, query, all_items in (
            ("moto", moto_patches._original_query, moto_patches._original_all_items),
            ("patch (k)", moto_patches._query, moto_patches._all_items),
        ):
            Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]
            rows.append((label, _timed(repeat, base), _timed(repeat, index)))
        Table.query, Table.all_items = moto_patches._original_query, moto_patches._original_all_items  # type: ignore[method-assign]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for name, value in (
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
    ):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    print("| items | Query of | base table, one partition (ms) | index, Limit 10 (ms) |")
    print("| ---: | --- | ---: | ---: |")
    for items in args.items:
        for label, base_ms, index_ms in measure(items, args.repeat):
            print(f"| {items:,} | {label} | {base_ms:.1f} | {index_ms:.1f} |")


if __name__ == "__main__":
    main()
