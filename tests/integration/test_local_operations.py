"""The local stack deploys the template's operational resources too — the outbox dead-letter queue, the
alarm topic, the access-log group, TLS-only bucket policies and the alarms — into moto, where nothing acts
on them (no alarm is evaluated, no access log written, no policy enforced); a resource type it does not
know is reported and skipped, never fatal."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration


def test_the_real_template_deploys_every_resource_type_it_uses(stack: LocalStack) -> None:
    assert stack.template.warnings == []
    cloudwatch = stack.boto3_client("cloudwatch")
    names = {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}
    topic = stack.outputs["AlarmTopicArn"]
    dlq = names["oms-local-outbox-dlq-not-empty"]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": "oms-local-outboxdeadletterqueue"}]
    assert (dlq["MetricName"], dlq["Threshold"], dlq["AlarmActions"]) == (
        "ApproximateNumberOfMessagesVisible",
        0.0,
        [topic],
    )
    machines = {d["Value"] for a in names.values() for d in a.get("Dimensions", []) if d["Name"] == "StateMachineArn"}
    outputs = (
        "PaymentTimeoutStateMachineArn",
        "AutoConfirmStateMachineArn",
        "AfterSalesCaseStateMachineArn",
        "ExportJobStateMachineArn",
    )
    assert machines == set(stack.outputs[k] for k in outputs)
    assert [m["Id"] for m in names["oms-local-api-5xx-rate"]["Metrics"]] == ["errors", "requests", "rate"]
    assert topic in [t["TopicArn"] for t in stack.boto3_client("sns").list_topics()["Topics"]]
    [group] = stack.boto3_client("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/oms-local/")[
        "logGroups"
    ]
    assert (group["logGroupName"], group["retentionInDays"]) == (stack.outputs["ApiAccessLogGroupName"], 90)
    s3 = stack.boto3_client("s3")
    for bucket in (stack.resources["ExportsBucket"], stack.resources["ReportsBucket"]):
        [statement] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_an_unknown_resource_type_is_reported_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        textwrap.dedent(
            """
            AWSTemplateFormatVersion: "2010-09-09"
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Queue:
                Type: AWS::SQS::Queue
                Properties: { VisibilityTimeout: 45 }
              Firewall:
                Type: AWS::WAFv2::WebACL
                Properties: { Scope: REGIONAL }
              PolicyOfNoBucket:
                Type: AWS::S3::BucketPolicy
                Properties: { Bucket: no-such-bucket, PolicyDocument: { Statement: [] } }
            Outputs:
              QueueUrl:
                Value: !Ref Queue
            """
        )
    )
    with LocalStack(template, port=0, stack_name="oms-unknown-types", seed=False) as running:
        assert running.template.warnings == ["Firewall: AWS::WAFv2::WebACL is not created locally"]
        sqs: Any = running.boto3_client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=running.outputs["QueueUrl"], AttributeNames=["All"])
        assert attributes["Attributes"]["VisibilityTimeout"] == "45"
    # A supporting resource moto refuses is reported too; the stack still started.
    assert "PolicyOfNoBucket (AWS::S3::BucketPolicy) was not created locally" in caplog.text
