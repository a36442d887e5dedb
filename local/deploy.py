"""Create a template's resources in the moto server through the AWS APIs (boto3).

moto's own CloudFormation cannot do it (no HTTP API, no Scheduler, and its state machines would not
execute), so each resource type is created here with the calls ``sam deploy`` would lead to.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import boto3
from botocore.config import Config

from .schedules import moto_schedule_expression
from .template import REGION, RuleSpec, StackTemplate, TableSpec

log = logging.getLogger("local_stack")

_TABLE_API_KEYS = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput", "TableClass")
_INDEX_API_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


def _placeholder_zip() -> bytes:
    """moto needs code to create a function; invokes run the in-process handler instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "oms-local runs this function in-process.\n")
    return buffer.getvalue()


@dataclass
class Clients:
    dynamodb: Any
    s3: Any
    events: Any
    iam: Any
    awslambda: Any
    stepfunctions: Any

    @staticmethod
    def client(endpoint_url: str, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=endpoint_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 2}),
        )

    @classmethod
    def streams_client(cls, endpoint_url: str) -> Any:
        return cls.client(endpoint_url, "dynamodbstreams")

    @classmethod
    def for_endpoint(cls, endpoint_url: str) -> Clients:
        return cls(
            dynamodb=cls.client(endpoint_url, "dynamodb"),
            s3=cls.client(endpoint_url, "s3"),
            events=cls.client(endpoint_url, "events"),
            iam=cls.client(endpoint_url, "iam"),
            awslambda=cls.client(endpoint_url, "lambda"),
            stepfunctions=cls.client(endpoint_url, "stepfunctions"),
        )


def _create_table(clients: Clients, table: TableSpec) -> None:
    props = table.properties
    request: dict[str, Any] = {key: props[key] for key in _TABLE_API_KEYS if key in props}
    request["TableName"] = table.name
    request.setdefault("BillingMode", "PROVISIONED")
    if request["BillingMode"] == "PROVISIONED":
        request.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            request[key] = [{name: index[name] for name in _INDEX_API_KEYS if name in index} for index in props[key]]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    clients.dynamodb.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        # Recorded so DescribeTimeToLive answers as on AWS; moto never deletes expired items.
        clients.dynamodb.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def _role_name(template: StackTemplate) -> str:
    return f"{template.stack_name}-local-execution"


def deploy(clients: Clients, template: StackTemplate) -> None:
    """Create every supported resource of ``template``; raises on the first failure."""
    for table in template.tables.values():
        _create_table(clients, table)
    for bucket in template.buckets.values():
        clients.s3.create_bucket(Bucket=bucket.name)
        if bucket.versioned:
            clients.s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    for bus in template.event_buses.values():
        clients.events.create_event_bus(Name=bus.name)
    role_arn = clients.iam.create_role(
        RoleName=_role_name(template),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = _placeholder_zip()
    for function in template.functions.values():
        clients.awslambda.create_function(
            FunctionName=function.name,
            Runtime=function.runtime,
            Role=role_arn,
            Handler=function.handler,
            Code={"ZipFile": code},
            Timeout=function.timeout,
            MemorySize=function.memory_size,
            Environment={"Variables": function.environment},
        )
    for machine in template.state_machines.values():
        clients.stepfunctions.create_state_machine(
            name=machine.name, definition=machine.definition, roleArn=role_arn, type=machine.type
        )
    for rule in template.rules:
        request: dict[str, Any] = {
            "Name": rule.name,
            "EventBusName": rule.event_bus_name,
            "State": "ENABLED" if rule.enabled else "DISABLED",
        }
        if rule.event_pattern is not None:
            request["EventPattern"] = json.dumps(rule.event_pattern)
        if rule.schedule is not None:
            request["ScheduleExpression"] = moto_schedule_expression(rule.schedule)
        clients.events.put_rule(**request)
        clients.events.put_targets(
            Rule=rule.name,
            EventBusName=rule.event_bus_name,
            Targets=[target.as_api() for target in rule.targets],
        )


def _empty_bucket(clients: Clients, bucket: str) -> None:
    paginator = clients.s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        objects = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            clients.s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})


def undeploy(clients: Clients, template: StackTemplate) -> None:
    """Delete what ``deploy`` created, so other stacks can keep using the shared moto server."""

    def delete_rule(rule: RuleSpec) -> None:
        ids = [target.id for target in rule.targets]
        clients.events.remove_targets(Rule=rule.name, EventBusName=rule.event_bus_name, Ids=ids)
        clients.events.delete_rule(Name=rule.name, EventBusName=rule.event_bus_name)

    def delete_bucket(name: str) -> None:
        _empty_bucket(clients, name)
        clients.s3.delete_bucket(Bucket=name)

    steps: list[tuple[str, Callable[[], object]]] = []
    steps += [(f"rule {r.name}", partial(delete_rule, r)) for r in template.rules]
    steps += [
        (f"state machine {m.name}", partial(clients.stepfunctions.delete_state_machine, stateMachineArn=m.arn))
        for m in template.state_machines.values()
    ]
    steps += [
        (f"function {f.name}", partial(clients.awslambda.delete_function, FunctionName=f.name))
        for f in template.functions.values()
    ]
    steps.append(("execution role", partial(clients.iam.delete_role, RoleName=_role_name(template))))
    steps += [
        (f"bus {b.name}", partial(clients.events.delete_event_bus, Name=b.name)) for b in template.event_buses.values()
    ]
    steps += [(f"bucket {b.name}", partial(delete_bucket, b.name)) for b in template.buckets.values()]
    steps += [
        (f"table {t.name}", partial(clients.dynamodb.delete_table, TableName=t.name)) for t in template.tables.values()
    ]
    for what, step in steps:
        try:
            step()
        except Exception as exc:  # keep deleting the rest; a leftover only matters on a name clash
            log.warning("could not delete %s: %s", what, exc)
