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
from .template import ACCOUNT_ID, REGION, RuleSpec, StackTemplate, SupportingResourceSpec, TableSpec

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
    sqs: Any
    sns: Any
    logs: Any
    cloudwatch: Any

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
            sqs=cls.client(endpoint_url, "sqs"),
            sns=cls.client(endpoint_url, "sns"),
            logs=cls.client(endpoint_url, "logs"),
            cloudwatch=cls.client(endpoint_url, "cloudwatch"),
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


_ALARM_KEYS = {
    # CloudFormation property → (PutMetricAlarm parameter, conversion)
    "AlarmDescription": str,
    "ActionsEnabled": bool,
    "AlarmActions": list,
    "OKActions": list,
    "InsufficientDataActions": list,
    "MetricName": str,
    "Namespace": str,
    "Statistic": str,
    "ExtendedStatistic": str,
    "Dimensions": list,
    "Period": int,
    "Unit": str,
    "EvaluationPeriods": int,
    "DatapointsToAlarm": int,
    "Threshold": float,
    "ComparisonOperator": str,
    "TreatMissingData": str,
    "EvaluateLowSampleCountPercentile": str,
    "ThresholdMetricId": str,
}


def _metric_queries(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    converted = []
    for query in queries:
        item = dict(query)
        if "ReturnData" in item:
            item["ReturnData"] = str(item["ReturnData"]).lower() == "true"
        if "Period" in item:
            item["Period"] = int(item["Period"])
        if "MetricStat" in item:
            stat = dict(item["MetricStat"])
            stat["Period"] = int(stat["Period"])
            item["MetricStat"] = stat
        converted.append(item)
    return converted


def _create_supporting(clients: Clients, resource: SupportingResourceSpec) -> None:
    """An SNS topic, log group, bucket policy or alarm, created as CloudFormation would (nothing acts on it)."""
    props = resource.properties
    if resource.kind == "AWS::SNS::Topic":
        attributes = {key: str(props[key]) for key in ("DisplayName", "KmsMasterKeyId") if key in props}
        clients.sns.create_topic(Name=resource.name, Attributes=attributes)
    elif resource.kind == "AWS::Logs::LogGroup":
        clients.logs.create_log_group(logGroupName=resource.name)
        if "RetentionInDays" in props:
            clients.logs.put_retention_policy(logGroupName=resource.name, retentionInDays=int(props["RetentionInDays"]))
    elif resource.kind == "AWS::S3::BucketPolicy":
        clients.s3.put_bucket_policy(Bucket=str(props["Bucket"]), Policy=json.dumps(props["PolicyDocument"]))
    elif resource.kind == "AWS::SQS::QueuePolicy":
        for queue_url in props.get("Queues", []):
            clients.sqs.set_queue_attributes(
                QueueUrl=str(queue_url), Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
    elif resource.kind == "AWS::CloudWatch::Alarm":
        request: dict[str, Any] = {"AlarmName": resource.name}
        for key, kind in _ALARM_KEYS.items():
            if key in props:
                value = props[key]
                request[key] = (str(value).lower() == "true") if kind is bool else kind(value)
        if "Metrics" in props:
            request["Metrics"] = _metric_queries(props["Metrics"])
        clients.cloudwatch.put_metric_alarm(**request)


def _delete_supporting(clients: Clients, resource: SupportingResourceSpec) -> None:
    if resource.kind == "AWS::SNS::Topic":
        clients.sns.delete_topic(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{resource.name}")
    elif resource.kind == "AWS::Logs::LogGroup":
        clients.logs.delete_log_group(logGroupName=resource.name)
    elif resource.kind == "AWS::S3::BucketPolicy":
        clients.s3.delete_bucket_policy(Bucket=str(resource.properties["Bucket"]))
    elif resource.kind == "AWS::SQS::QueuePolicy":
        pass  # deleted with its queues
    elif resource.kind == "AWS::CloudWatch::Alarm":
        clients.cloudwatch.delete_alarms(AlarmNames=[resource.name])


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
    for queue in template.queues.values():
        clients.sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    for resource in template.supporting:
        try:
            _create_supporting(clients, resource)
        except Exception as exc:  # nothing locally depends on them: say so and go on
            log.warning("%s (%s) was not created locally: %s", resource.logical_id, resource.kind, exc)
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
            **({"DeadLetterConfig": {"TargetArn": function.dead_letter_arn}} if function.dead_letter_arn else {}),
        )
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for notification in template.bucket_notifications:  # S3 events: delivered asynchronously (moto_patches (i))
        function = template.functions[notification.function_id]
        by_bucket.setdefault(template.buckets[notification.bucket_id].name, []).append(
            notification.as_api(function.arn)
        )
    for bucket_name, configurations in by_bucket.items():
        clients.s3.put_bucket_notification_configuration(
            Bucket=bucket_name, NotificationConfiguration={"LambdaFunctionConfigurations": configurations}
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
    steps += [(f"{r.kind} {r.name}", partial(_delete_supporting, clients, r)) for r in reversed(template.supporting)]
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
    steps += [(f"queue {q.name}", partial(clients.sqs.delete_queue, QueueUrl=q.url)) for q in template.queues.values()]
    steps += [
        (f"table {t.name}", partial(clients.dynamodb.delete_table, TableName=t.name)) for t in template.tables.values()
    ]
    for what, step in steps:
        try:
            step()
        except Exception as exc:  # keep deleting the rest; a leftover only matters on a name clash
            log.warning("could not delete %s: %s", what, exc)
