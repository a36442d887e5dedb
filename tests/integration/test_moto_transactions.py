"""Canary for moto patch (g): a cancelled TransactWriteItems leaves the table and its stream exactly as
before (item-level rollback instead of moto's whole-table deep copy), and no longer copies the table."""

from __future__ import annotations

from typing import Any

import moto.dynamodb.models as dynamodb_models
import pytest
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration


def _table_state(client: Any, table: str) -> list[dict[str, Any]]:
    items = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def _stream_length(stack: LocalStack, table: str) -> int:
    streams = stack.boto3_client("dynamodbstreams")
    arn = stack.boto3_client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"])


def test_cancelled_transaction_restores_every_touched_item(fixture_stack: LocalStack) -> None:
    client = fixture_stack.boto3_client("dynamodb")
    table = fixture_stack.resources["Table"]
    client.put_item(TableName=table, Item={"PK": {"S": "tx"}, "SK": {"S": "existing"}, "n": {"N": "1"}})
    client.put_item(TableName=table, Item={"PK": {"S": "tx"}, "SK": {"S": "gate"}, "open": {"BOOL": False}})
    before, stream_before = _table_state(client, table), _stream_length(fixture_stack, table)

    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": "tx"}, "SK": {"S": "new"}}}},
                {"Delete": {"TableName": table, "Key": {"PK": {"S": "tx"}, "SK": {"S": "existing"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "tx"}, "SK": {"S": "other"}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "5"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"PK": {"S": "tx"}, "SK": {"S": "gate"}},
                        "ConditionExpression": "#o = :t",
                        "ExpressionAttributeNames": {"#o": "open"},
                        "ExpressionAttributeValues": {":t": {"BOOL": True}},
                    }
                },
            ]
        )
    codes = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert codes == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _table_state(client, table) == before
    assert _stream_length(fixture_stack, table) == stream_before


def test_successful_transaction_applies_all_and_tables_are_not_copied(fixture_stack: LocalStack) -> None:
    client = fixture_stack.boto3_client("dynamodb")
    table = fixture_stack.resources["Table"]
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"PK": {"S": "tx2"}, "SK": {"S": str(i)}}}} for i in range(5)
        ]
    )
    assert (
        len(
            client.query(
                TableName=table, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "tx2"}}
            )["Items"]
        )
        == 5
    )
    # moto's own backup now returns the live table instead of a deep copy of it.
    backend_table = next(iter(dynamodb_models.dynamodb_backends.values()))["us-east-1"].tables[table]
    assert dynamodb_models.copy.deepcopy(backend_table) is backend_table  # type: ignore[attr-defined]
