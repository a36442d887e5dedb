"""template.yaml keeps its deployment safeguards, for every resource of a kind (a queue, bucket or state
machine added later is held to the same rules): the table cannot be deleted, buckets refuse plain HTTP,
exports are versioned, the API is throttled and access-logged, and every dead-letter queue, state
machine and the API's 5xx rate have an alarm that notifies someone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, problems = decode(str(ROOT / "template.yaml"))
    assert decoded is not None, problems
    return json.loads(json.dumps(decoded, default=str))


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v.get("Properties", {}) for k, v in template["Resources"].items() if v["Type"] == kind}


def alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return list(of_type(template, "AWS::CloudWatch::Alarm").values())


def dimension_values(alarm: dict[str, Any]) -> list[Any]:
    dimensions = list(alarm.get("Dimensions", []))
    for query in alarm.get("Metrics", []):
        dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return [d["Value"] for d in dimensions]


ALARM_TARGET = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}


def test_the_table_has_deletion_protection(template: dict[str, Any]) -> None:
    for props in of_type(template, "AWS::DynamoDB::Table").values():
        assert props["DeletionProtectionEnabled"] is True


def test_every_bucket_denies_requests_without_tls(template: dict[str, Any]) -> None:
    policies = of_type(template, "AWS::S3::BucketPolicy").values()
    for bucket in of_type(template, "AWS::S3::Bucket"):
        [policy] = [p for p in policies if p["Bucket"] == {"Ref": bucket}]
        [statement] = [s for s in policy["PolicyDocument"]["Statement"] if s.get("Effect") == "Deny"]
        assert (statement["Principal"], statement["Action"]) == ("*", "s3:*")
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [
            {"Fn::GetAtt": [bucket, "Arn"]},
            {"Fn::Sub": f"${{{bucket}.Arn}}/*"},
        ]


def test_exports_are_versioned_and_old_versions_expire(template: dict[str, Any]) -> None:
    exports = template["Resources"]["ExportsBucket"]["Properties"]
    assert exports["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all("NoncurrentVersionExpiration" in rule for rule in exports["LifecycleConfiguration"]["Rules"])


def test_the_api_is_throttled_and_access_logged_as_json(template: dict[str, Any]) -> None:
    api = template["Resources"]["HttpApi"]["Properties"]
    assert api["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
    }
    logs = api["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(logs["Format"])
    assert {
        "requestId": "$context.requestId",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "latency": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
    }.items() <= fields.items()
    group = template["Resources"]["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}


def test_every_queue_has_a_depth_alarm(template: dict[str, Any]) -> None:
    queues = of_type(template, "AWS::SQS::Queue")
    assert queues
    for queue in queues:
        [alarm] = [a for a in alarms(template) if {"Fn::GetAtt": [queue, "QueueName"]} in dimension_values(a)]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [ALARM_TARGET]


def test_every_state_machine_has_a_failed_executions_alarm(template: dict[str, Any]) -> None:
    machines = of_type(template, "AWS::Serverless::StateMachine") | of_type(
        template, "AWS::StepFunctions::StateMachine"
    )
    assert len(machines) >= 2
    for machine in machines:
        [alarm] = [a for a in alarms(template) if {"Ref": machine} in dimension_values(a)]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [ALARM_TARGET]


def test_the_api_5xx_rate_has_an_alarm(template: dict[str, Any]) -> None:
    [alarm] = [a for a in alarms(template) if {"Ref": "HttpApi"} in dimension_values(a)]
    metrics = {q["Id"]: q for q in alarm["Metrics"]}
    assert metrics["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert metrics["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert "errors / requests" in metrics["rate"]["Expression"] and metrics["rate"]["ReturnData"] is True
    assert alarm["Threshold"] == {"Ref": "Api5xxAlarmPercent"}
    assert alarm["AlarmActions"] == [ALARM_TARGET]


def test_cognito_threat_protection_is_a_parameter(template: dict[str, Any]) -> None:
    assert template["Parameters"]["CognitoThreatProtection"]["AllowedValues"] == ["OFF", "AUDIT", "ENFORCED"]
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["UserPoolAddOns"]["Fn::If"][1] == {"AdvancedSecurityMode": {"Ref": "CognitoThreatProtection"}}
    assert pool["UserPoolTier"]["Fn::If"][1] == "PLUS"  # threat protection needs the Plus feature plan


def test_item10_every_alarm_of_the_template_is_in_the_operations_runbook() -> None:
    """docs/operations.md's alarm table is the runbook ("what to do"); it lists the outbox DLQ, both state
    machines and the 5xx rate, but not `<stack>-after-commit-dlq-not-empty`, whose own description points
    to docs/operations.md. And nothing there says how to redrive AfterCommitDeadLetterQueue (it receives
    batch metadata only; `oms-outbox-dlq redrive` would *publish* those rows to the bus, not re-run the
    after-commit actions): DESIGN §6 asks for the failed records themselves and a documented redrive."""
    from cfnlint.decode import decode

    from tests.handlers.conftest import ROOT

    template, _ = decode(str(ROOT / "template.yaml"))
    runbook = (ROOT / "docs" / "operations.md").read_text()
    names = []
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            name = resource["Properties"]["AlarmName"]
            text = name.get("Fn::Sub", "") if isinstance(name, dict) else str(name)
            names.append(text.replace("${AWS::StackName}", "<stack>"))
    missing = [n for n in names if n not in runbook]
    assert not missing, f"alarms without a runbook entry in docs/operations.md: {missing}"
    assert "AfterCommitDeadLetterQueue" in runbook, "no redrive documented for the after-commit dead-letter queue"
