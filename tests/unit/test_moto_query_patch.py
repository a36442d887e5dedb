"""Canary for moto patch (k): a Query starts from its partition (base table) or from the items whose index hash
key matches (an index) instead of every item of the table sorted — and answers exactly what moto's own Query
answers: the same items, order, pages and counts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table
from oms_local.core import moto_patches

TABLE = "query-canary"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in (("PK", "S"), ("SK", "S"), ("G1PK", "S"), ("G1SK", "S"), ("G2PK", "S"), ("N", "N"))
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "GSI1",
                    "KeySchema": [
                        {"AttributeName": "G1PK", "KeyType": "HASH"},
                        {"AttributeName": "G1SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "GSI2",
                    "KeySchema": [
                        {"AttributeName": "G2PK", "KeyType": "HASH"},
                        {"AttributeName": "N", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        rng = random.Random(14)
        for n in range(600):
            item: dict[str, Any] = {"PK": {"S": f"P#{n % 7}"}, "SK": {"S": f"S#{rng.randrange(50):03d}#{n}"}}
            if n % 3:  # a sparse index: a third of the items are not in GSI1
                item |= {"G1PK": {"S": f"G#{n % 4}"}, "G1SK": {"S": f"{rng.randrange(30):02d}"}}
            if n % 5 == 0:
                item |= {"G2PK": {"S": "ALL"}, "N": {"N": str(rng.randrange(-20, 20))}}
            item["flag"] = {"BOOL": n % 2 == 0}
            dynamodb.put_item(TableName=TABLE, Item=item)
        yield dynamodb


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#404"}}},
    {
        "KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
        "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":s": {"S": "S#01"}},
        "ScanIndexForward": False,
        "Limit": 4,
    },
    {
        "KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b",
        "FilterExpression": "flag = :t",
        "ExpressionAttributeValues": {
            ":p": {"S": "P#2"},
            ":a": {"S": "S#010"},
            ":b": {"S": "S#030"},
            ":t": {"BOOL": True},
        },
        "Limit": 3,
    },
    {
        "IndexName": "GSI1",
        "KeyConditionExpression": "G1PK = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#1"}},
        "Limit": 7,
    },
    {
        "IndexName": "GSI1",
        "KeyConditionExpression": "G1PK = :g AND G1SK > :s",
        "ExpressionAttributeValues": {":g": {"S": "G#2"}, ":s": {"S": "15"}},
        "ScanIndexForward": False,
        "Limit": 5,
    },
    {"IndexName": "GSI1", "KeyConditionExpression": "G1PK = :g", "ExpressionAttributeValues": {":g": {"S": "none"}}},
    {
        "IndexName": "GSI2",
        "KeyConditionExpression": "G2PK = :g AND N < :n",
        "ExpressionAttributeValues": {":g": {"S": "ALL"}, ":n": {"N": "3"}},
        "Limit": 6,
    },
]


def every_page(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages, start = [], None
    while True:
        page = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("query", QUERIES)
def test_the_patched_query_answers_what_motos_own_answers(
    client: Any, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    monkeypatch.setattr(Table, "query", moto_patches._original_query)
    monkeypatch.setattr(Table, "all_items", moto_patches._original_all_items)
    expected = every_page(client, query)
    monkeypatch.setattr(Table, "query", moto_patches._query)
    monkeypatch.setattr(Table, "all_items", moto_patches._all_items)
    sorted_reads: list[int] = []

    def counted(self: Table) -> list[Any]:
        sorted_reads.append(1)
        return moto_patches._original_all_items(self)

    monkeypatch.setattr(moto_patches, "_original_all_items", counted)
    assert every_page(client, query) == expected
    assert sorted_reads == []  # no query sorted the whole table


def test_a_scan_still_reads_every_item_in_moto_order(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = client.scan(TableName=TABLE, Limit=50)["Items"]
    monkeypatch.setattr(Table, "query", moto_patches._query)
    monkeypatch.setattr(Table, "all_items", moto_patches._all_items)
    assert client.scan(TableName=TABLE, Limit=50)["Items"] == expected
    assert moto_patches.check_patch_points() == []
