"""Read a SAM template the way the local stack needs it.

We do not run the SAM transform: we read the SAM resource types we use (functions with their
events, HTTP APIs, state machines) and the plain CloudFormation ones (tables, buckets, buses, rules),
resolve intrinsic functions against parameters and pseudo parameters, and name every resource as the
local stack will create it (the resource's own name property when given, else
``<stack>-<logical id in lower case>``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfnlint.decode

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

_NO_VALUE = object()  # what Ref AWS::NoValue resolves to: dropped from the enclosing dict or list
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SAM_FUNCTION = ("AWS::Serverless::Function",)
_STATE_MACHINES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
# Created in moto so the local stack has them, though nothing locally acts on them (no alarm evaluates,
# no access log is written, bucket policies are not enforced).
_SUPPORTING = (
    "AWS::SNS::Topic",
    "AWS::Logs::LogGroup",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudWatch::Alarm",
)
_CREATED = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::SQS::Queue",
        *_SAM_FUNCTION,
        *_STATE_MACHINES,
        *_SUPPORTING,
    }
)
# Not created, on purpose: the local runtime itself plays them.
_STOOD_IN_FOR = frozenset(
    {
        "AWS::Serverless::HttpApi",  # the local API gateway
        "AWS::Serverless::LayerVersion",  # the installed oms package
        "AWS::Cognito::UserPool",  # the local token issuer
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
        "AWS::Cognito::UserPoolDomain",  # hosted sign-in: locally the console signs in at /_local/token
        "AWS::Lambda::Permission",  # functions are invoked in process (a trigger by the local sign-up)
        "AWS::IAM::Policy",  # nothing is authorized locally
        "AWS::CloudFront::Distribution",  # the gateway serves a bucket's files under /_local (e.g. images)
        "AWS::CloudFront::OriginAccessControl",
    }
)
_ARNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("AWS::Serverless::Function", "AWS::Lambda::Function"), "arn:aws:lambda:{region}:{account}:function:{name}"),
    (_STATE_MACHINES, "arn:aws:states:{region}:{account}:stateMachine:{name}"),
    (("AWS::DynamoDB::Table",), "arn:aws:dynamodb:{region}:{account}:table/{name}"),
    (("AWS::S3::Bucket",), "arn:aws:s3:::{name}"),
    (("AWS::Events::EventBus",), "arn:aws:events:{region}:{account}:event-bus/{name}"),
    (("AWS::Events::Rule",), "arn:aws:events:{region}:{account}:rule/{name}"),
    (("AWS::IAM::Role",), "arn:aws:iam::{account}:role/{name}"),
    (("AWS::SQS::Queue",), "arn:aws:sqs:{region}:{account}:{name}"),
    (("AWS::SNS::Topic",), "arn:aws:sns:{region}:{account}:{name}"),
    (("AWS::Logs::LogGroup",), "arn:aws:logs:{region}:{account}:log-group:{name}:*"),
    (("AWS::CloudWatch::Alarm",), "arn:aws:cloudwatch:{region}:{account}:alarm:{name}"),
)
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "FifoQueue",
    "ContentBasedDeduplication",
)


class TemplateError(Exception):
    """The template cannot be read, or uses something the local stack does not support."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    # Asynchronous invokes (EventBridge, schedules): Lambda retries a failed invoke this often, then sends
    # the event to the dead-letter queue (SAM `DeadLetterQueue` + `EventInvokeConfig`; AWS defaults: 2, none).
    async_retry_attempts: int = 2
    dead_letter_arn: str | None = None

    @property
    def module_file(self) -> Path:
        """The file that defines the handler: ``app.handler`` → ``<code_dir>/app.py``."""
        module = self.handler.rsplit(".", 1)[0]
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    name: str
    identity_source: str
    issuer: str
    audience: tuple[str, ...]


@dataclass(frozen=True)
class RouteSpec:
    method: str  # upper case, or ANY
    path: str  # /orders/{orderId}, /files/{proxy+}
    function_id: str
    event_id: str
    api_id: str
    authorizer: JwtAuthorizerSpec | None  # None: the route is public

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return self.authorizer is None


@dataclass(frozen=True)
class CorsSpec:
    allow_origins: tuple[str, ...] = ("*",)
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("*",)
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class HttpApiSpec:
    logical_id: str
    api_id: str
    default_authorizer: str | None
    authorizers: dict[str, JwtAuthorizerSpec]
    cors: CorsSpec | None


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    arn: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    versioned: bool


@dataclass(frozen=True)
class BucketNotificationSpec:
    """A function's `Type: S3` event: objects created (or removed) in a template bucket invoke it
    asynchronously, filtered by key prefix and suffix (SAM's S3 event source)."""

    logical_id: str
    function_id: str
    bucket_id: str
    events: tuple[str, ...]  # s3:ObjectCreated:* ...
    prefix: str = ""
    suffix: str = ""

    def as_api(self, function_arn: str) -> dict[str, Any]:
        """The bucket's LambdaFunctionConfiguration for it."""
        rules = [{"Name": n, "Value": v} for n, v in (("prefix", self.prefix), ("suffix", self.suffix)) if v]
        config: dict[str, Any] = {"Id": self.logical_id, "LambdaFunctionArn": function_arn, "Events": list(self.events)}
        if rules:
            config["Filter"] = {"Key": {"FilterRules": rules}}
        return config


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    url: str  # what Ref gives: the AWS-style URL (moto accepts it from any client pointed at it)
    arn: str
    attributes: dict[str, str]  # as CreateQueue takes them


@dataclass(frozen=True)
class SupportingResourceSpec:
    """A resource created in moto only so the local stack has what the template has (alarm topics, log
    groups, bucket policies, alarms); nothing locally acts on it."""

    logical_id: str
    kind: str
    name: str
    properties: dict[str, Any]  # intrinsics resolved


@dataclass(frozen=True)
class EventBusSpec:
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class TargetSpec:
    id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    # EventBridge's own delivery failures (the target could not be invoked): retries, then this queue.
    dead_letter_arn: str | None = None
    retry_attempts: int | None = None

    def as_api(self) -> dict[str, Any]:
        """The target as ``events.put_targets`` takes it."""
        target: dict[str, Any] = {"Id": self.id, "Arn": self.arn}
        if self.dead_letter_arn is not None:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        if self.retry_attempts is not None:
            target["RetryPolicy"] = {"MaximumRetryAttempts": self.retry_attempts}
        if self.input is not None:
            target["Input"] = self.input
        if self.input_path is not None:
            target["InputPath"] = self.input_path
        if self.input_transformer is not None:
            target["InputTransformer"] = self.input_transformer
        return target


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    name: str
    event_bus_name: str
    event_pattern: dict[str, Any] | None
    schedule: str | None
    enabled: bool
    targets: tuple[TargetSpec, ...]


@dataclass(frozen=True)
class StreamSubscriptionSpec:
    """A function reading a DynamoDB table's stream (SAM event ``Type: DynamoDB``)."""

    logical_id: str
    function_id: str
    table_id: str
    starting_position: str
    batch_size: int
    enabled: bool
    filters: tuple[str, ...] = ()  # FilterCriteria patterns: a record is delivered if any matches
    report_batch_item_failures: bool = False  # FunctionResponseTypes: [ReportBatchItemFailures]
    bisect_on_error: bool = False  # BisectBatchOnFunctionError
    maximum_retry_attempts: int = -1  # -1: until the record expires
    maximum_record_age_seconds: int = -1  # -1: until the record expires
    on_failure_destination: str | None = None  # DestinationConfig.OnFailure.Destination (an SQS or SNS ARN)


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    type: str
    definition: str  # JSON text with DefinitionSubstitutions applied


@dataclass(frozen=True)
class StackTemplate:
    path: Path
    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, str]
    functions: dict[str, FunctionSpec]
    http_apis: dict[str, HttpApiSpec]
    routes: list[RouteSpec]
    tables: dict[str, TableSpec]
    buckets: dict[str, BucketSpec]
    event_buses: dict[str, EventBusSpec]
    rules: list[RuleSpec]
    streams: list[StreamSubscriptionSpec]
    state_machines: dict[str, StateMachineSpec]
    outputs: dict[str, Any]
    physical_ids: dict[str, str]  # what Ref gives for each resource
    warnings: list[str] = field(default_factory=list)
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    supporting: list[SupportingResourceSpec] = field(default_factory=list)
    bucket_notifications: list[BucketNotificationSpec] = field(default_factory=list)

    @property
    def cors(self) -> CorsSpec | None:
        """One server serves every API locally: the first API's CORS settings apply."""
        return next((api.cors for api in self.http_apis.values() if api.cors), None)

    def environment(self) -> dict[str, str]:
        """The union of every function's variables (the functions share one process locally)."""
        merged: dict[str, str] = {}
        for function in self.functions.values():
            for key, value in function.environment.items():
                if key in merged and merged[key] != value:
                    raise TemplateError(
                        f"environment variable {key} has different values across functions "
                        f"({merged[key]!r} vs {value!r}); locally all functions share one process"
                    )
                merged[key] = value
        if "AUTO_CONFIRM_DAYS" in merged:
            # Locally a "day" of AutoConfirmDays is a second, so delivered orders complete while you watch.
            merged["AUTO_CONFIRM_SECONDS"] = merged["AUTO_CONFIRM_DAYS"]
        return merged


def _lower_name(stack_name: str, logical_id: str) -> str:
    return f"{stack_name}-{logical_id}".lower()


def _api_id(stack_name: str, logical_id: str) -> str:
    return hashlib.sha1(f"{stack_name}/{logical_id}".encode()).hexdigest()[:10]


def _plain(node: Any) -> Any:
    """cfn-lint's node classes → plain dict/list/str."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


class _Resolver:
    """Resolves intrinsic functions against parameters, pseudo parameters and resource names."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any], stack_name: str) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.mappings: dict[str, Any] = template.get("Mappings", {})
        self.condition_defs: dict[str, Any] = template.get("Conditions", {})
        self.conditions: dict[str, bool] = {}
        self.stack_name = stack_name
        self.pseudo: dict[str, Any] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/local",
            "AWS::NotificationARNs": [],
        }
        self.parameters = parameters

    # -- names -------------------------------------------------------------------------------

    def _property(self, logical_id: str, *names: str) -> str | None:
        properties = self.resources[logical_id].get("Properties", {})
        for name in names:
            if name in properties:
                return str(self.resolve(properties[name]))
        return None

    def name_of(self, logical_id: str) -> str:
        """The physical name the local stack gives a resource."""
        kind = self.resources[logical_id].get("Type", "")
        given = {
            "AWS::DynamoDB::Table": ("TableName",),
            "AWS::S3::Bucket": ("BucketName",),
            "AWS::Events::EventBus": ("Name",),
            "AWS::Events::Rule": ("Name",),
            "AWS::Serverless::Function": ("FunctionName",),
            "AWS::Lambda::Function": ("FunctionName",),
            "AWS::Serverless::StateMachine": ("Name",),
            "AWS::StepFunctions::StateMachine": ("StateMachineName",),
            "AWS::Cognito::UserPool": ("UserPoolName",),
            "AWS::Cognito::UserPoolGroup": ("GroupName",),
            "AWS::Serverless::LayerVersion": ("LayerName",),
            "AWS::IAM::Role": ("RoleName",),
            "AWS::SQS::Queue": ("QueueName",),
            "AWS::SNS::Topic": ("TopicName",),
            "AWS::Logs::LogGroup": ("LogGroupName",),
            "AWS::CloudWatch::Alarm": ("AlarmName",),
        }.get(kind, ())
        name = self._property(logical_id, *given)
        return name if name is not None else _lower_name(self.stack_name, logical_id)

    def arn_of(self, logical_id: str) -> str:
        kind = self.resources[logical_id].get("Type", "")
        if kind == "AWS::Cognito::UserPool":
            return f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{self.ref(logical_id)}"
        shape = next((arn for kinds, arn in _ARNS if kind in kinds), None)
        if shape is None:
            raise TemplateError(f"Fn::GetAtt {logical_id}.Arn: resource type {kind} is not supported locally")
        return shape.format(region=REGION, account=ACCOUNT_ID, name=self.name_of(logical_id))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise TemplateError(f"Ref to unknown parameter or resource {name!r}")
        kind = self.resources[name].get("Type", "")
        if kind in _STATE_MACHINES:
            return self.arn_of(name)
        if kind == "AWS::Cognito::UserPool":
            return f"{REGION}_local"
        if kind == "AWS::Cognito::UserPoolClient":
            return self.stack_name  # the local app client id is the stack name: tokens' audience
        if kind == "AWS::Serverless::HttpApi":
            return _api_id(self.stack_name, name)
        if kind == "AWS::Serverless::LayerVersion":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{self.name_of(name)}:1"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT_ID}/{self.name_of(name)}"
        if kind == "AWS::SNS::Topic":
            return self.arn_of(name)
        return self.name_of(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            raise TemplateError(f"Fn::GetAtt to unknown resource {logical_id!r}")
        kind = self.resources[logical_id].get("Type", "")
        if attribute == "Arn":
            return self.arn_of(logical_id)
        if attribute == "StreamArn" and kind == "AWS::DynamoDB::Table":
            # The real label is a creation timestamp; nothing locally depends on its value.
            return f"{self.arn_of(logical_id)}/stream/local"
        if attribute in ("Name", "StateMachineName") and kind in (*_STATE_MACHINES, "AWS::Events::EventBus"):
            return self.name_of(logical_id)
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return self.name_of(logical_id)
        if attribute == "QueueUrl" and kind == "AWS::SQS::Queue":
            return self.ref(logical_id)
        if attribute == "TopicName" and kind == "AWS::SNS::Topic":
            return self.name_of(logical_id)
        if attribute == "DomainName" and kind == "AWS::CloudFront::Distribution":
            return f"{self.name_of(logical_id)}.cloudfront.net"  # what a distribution's URL looks like
        if attribute == "RegionalDomainName" and kind == "AWS::S3::Bucket":
            return f"{self.name_of(logical_id)}.s3.{REGION}.{URL_SUFFIX}"
        if attribute == "ApiEndpoint" and kind == "AWS::Serverless::HttpApi":
            return f"https://{self.ref(logical_id)}.execute-api.{REGION}.{URL_SUFFIX}"
        if attribute == "ProviderURL" and kind == "AWS::Cognito::UserPool":
            return f"cognito-idp.{REGION}.{URL_SUFFIX}/{self.ref(logical_id)}"
        raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} is not supported locally")

    # -- intrinsic functions ------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            if name not in self.condition_defs:
                raise TemplateError(f"unknown condition {name!r}")
            self.conditions[name] = bool(self.resolve(self.condition_defs[name]))
        return self.conditions[name]

    def sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and not expression.startswith("AWS::"):
                logical_id, attribute = expression.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(expression))

        return _SUB_VARIABLE.sub(replace, str(text))

    def intrinsic(self, function: str, argument: Any) -> Any:
        if function == "Ref":
            return self.ref(str(argument))
        if function == "Fn::Sub":
            return self.sub(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.get_att(str(logical_id), str(self.resolve(attribute)))
        if function == "Fn::Join":
            delimiter, values = argument
            return str(delimiter).join(str(value) for value in self.resolve(values))
        if function == "Fn::Select":
            index, values = self.resolve(argument)
            return values[int(index)]
        if function == "Fn::Split":
            delimiter, text = self.resolve(argument)
            return str(text).split(delimiter)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false)
        if function == "Fn::Equals":
            left, right = self.resolve(argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self.resolve(argument[0])
        if function == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if function == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if function == "Condition":
            return self.condition(str(argument))
        if function == "Fn::FindInMap":
            map_name, first, second = self.resolve(argument)
            return self.mappings[map_name][first][second]
        if function == "Fn::Base64":
            import base64

            return base64.b64encode(str(self.resolve(argument)).encode()).decode()
        raise TemplateError(f"intrinsic function {function} is not supported locally")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, Mapping):
            if len(node) == 1:
                ((key, argument),) = node.items()
                if key == "Ref" or key == "Condition" or str(key).startswith("Fn::"):
                    return self.intrinsic(str(key), argument)
            resolved = {str(key): self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not _NO_VALUE]
        if isinstance(node, str):
            return str(node)
        return node


def _parameters(template: dict[str, Any], overrides: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, Any]:
    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameter overrides for undeclared parameters: {', '.join(unknown)}")
    overrides = {**{k: v for k, v in defaults.items() if k in declared}, **overrides}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            value = str(overrides[name])
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default: pass it as an override")
        kind = spec.get("Type", "String")
        if "AllowedValues" in spec and value not in [str(item) for item in spec["AllowedValues"]]:
            raise TemplateError(f"parameter {name}={value!r} is not one of {list(spec['AllowedValues'])}")
        if "AllowedPattern" in spec and not re.fullmatch(str(spec["AllowedPattern"]), value):
            raise TemplateError(f"parameter {name}={value!r} does not match {spec['AllowedPattern']}")
        if kind == "Number":
            try:
                number = float(value)
            except ValueError:
                raise TemplateError(f"parameter {name}={value!r} is not a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise TemplateError(f"parameter {name}={value} is below its MinValue {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise TemplateError(f"parameter {name}={value} is above its MaxValue {spec['MaxValue']}")
        values[name] = value.split(",") if kind == "CommaDelimitedList" else value
    return values


def _flag(value: Any) -> bool:
    """A template boolean: true/false, or the strings a parameter gives ("true", "false")."""
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merge_globals(global_props: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM Globals: the resource's own values win; maps of environment variables merge."""
    merged = {**global_props, **own}
    global_vars = global_props.get("Environment", {}).get("Variables", {})
    own_vars = own.get("Environment", {}).get("Variables", {})
    if global_vars or own_vars:
        merged["Environment"] = {"Variables": {**global_vars, **own_vars}}
    return merged


def _cors(config: Any) -> CorsSpec | None:
    if config is None or config is False:
        return None
    if config is True or isinstance(config, str):
        return CorsSpec(allow_origins=(str(config).strip("'"),) if isinstance(config, str) else ("*",))

    def strings(key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return tuple(str(item) for item in config.get(key, default))

    return CorsSpec(
        allow_origins=strings("AllowOrigins", ("*",)),
        allow_headers=strings("AllowHeaders"),
        allow_methods=strings("AllowMethods", ("*",)),
        expose_headers=strings("ExposeHeaders"),
        max_age=int(config["MaxAge"]) if "MaxAge" in config else None,
        allow_credentials=bool(config.get("AllowCredentials", False)),
    )


class _Reader:
    def __init__(self, path: Path, overrides: Mapping[str, str], defaults: Mapping[str, str], stack_name: str) -> None:
        template, matches = cfnlint.decode.decode(str(path))
        if template is None:
            raise TemplateError(f"cannot read {path}: " + "; ".join(str(match) for match in matches))
        self.path = path
        self.root = path.parent
        self.template: dict[str, Any] = _plain(template)
        self.stack_name = stack_name
        self.parameters = _parameters(self.template, overrides, defaults)
        self.r = _Resolver(self.template, self.parameters, stack_name)
        self.globals: dict[str, Any] = self.template.get("Globals", {})
        self.warnings: list[str] = []
        self.resources = {
            logical_id: resource
            for logical_id, resource in self.template.get("Resources", {}).items()
            if "Condition" not in resource or self.r.condition(resource["Condition"])
        }

    def of_type(self, *kinds: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.resources.items()
            if resource.get("Type") in kinds
        }

    def read(self) -> StackTemplate:
        r = self.r
        apis = self.http_apis()
        functions: dict[str, FunctionSpec] = {}
        routes: list[RouteSpec] = []
        rules: list[RuleSpec] = []
        streams: list[StreamSubscriptionSpec] = []
        notifications: list[BucketNotificationSpec] = []
        for logical_id, own in self.of_type(*_SAM_FUNCTION).items():
            functions[logical_id] = self.function(logical_id, own)
            for event_id, event in own.get("Events", {}).items():
                if event.get("Type") == "S3":
                    notifications.append(self.bucket_notification(logical_id, event_id, event.get("Properties", {})))
                    continue
                self.function_event(logical_id, event_id, event, apis, routes, rules, streams)
        state_machines: dict[str, StateMachineSpec] = {}
        for logical_id, props in self.of_type(*_STATE_MACHINES).items():
            state_machines[logical_id] = self.state_machine(logical_id, props)
            for event_id, event in props.get("Events", {}).items():
                rule = self.rule_event(logical_id, event_id, event, state_machines[logical_id].arn)
                if rule is not None:
                    rules.append(rule)
        for logical_id, props in self.of_type("AWS::Events::Rule").items():
            rules.append(self.events_rule(logical_id, r.resolve(props)))
        queues = {
            logical_id: self.queue(logical_id, props) for logical_id, props in self.of_type("AWS::SQS::Queue").items()
        }
        supporting = [
            SupportingResourceSpec(
                logical_id, str(self.resources[logical_id]["Type"]), r.name_of(logical_id), r.resolve(props)
            )
            for logical_id, props in self.of_type(*_SUPPORTING).items()
        ]
        for logical_id, resource in self.resources.items():
            kind = resource.get("Type", "")
            if kind not in _CREATED and kind not in _STOOD_IN_FOR:
                self.warnings.append(f"{logical_id}: {kind} is not created locally")
        return StackTemplate(
            path=self.path,
            stack_name=self.stack_name,
            region=REGION,
            account_id=ACCOUNT_ID,
            parameters={k: ",".join(v) if isinstance(v, list) else v for k, v in self.parameters.items()},
            functions=functions,
            http_apis=apis,
            routes=routes,
            tables={
                logical_id: TableSpec(logical_id, r.name_of(logical_id), r.arn_of(logical_id), r.resolve(props))
                for logical_id, props in self.of_type("AWS::DynamoDB::Table").items()
            },
            buckets={
                logical_id: BucketSpec(
                    logical_id,
                    r.name_of(logical_id),
                    r.resolve(props.get("VersioningConfiguration", {})).get("Status") == "Enabled",
                )
                for logical_id, props in self.of_type("AWS::S3::Bucket").items()
            },
            event_buses={
                logical_id: EventBusSpec(logical_id, r.name_of(logical_id), r.arn_of(logical_id))
                for logical_id in self.of_type("AWS::Events::EventBus")
            },
            rules=rules,
            streams=streams,
            state_machines=state_machines,
            outputs={
                name: r.resolve(output["Value"])
                for name, output in self.template.get("Outputs", {}).items()
                if "Condition" not in output or r.condition(output["Condition"])
            },
            physical_ids={logical_id: str(r.ref(logical_id)) for logical_id in self.resources},
            warnings=self.warnings,
            queues=queues,
            supporting=supporting,
            bucket_notifications=notifications,
        )

    def bucket_notification(self, logical_id: str, event_id: str, raw: Mapping[str, Any]) -> BucketNotificationSpec:
        bucket = raw.get("Bucket")
        bucket_id = bucket.get("Ref") if isinstance(bucket, Mapping) else None
        if bucket_id not in self.resources or self.resources[bucket_id].get("Type") != "AWS::S3::Bucket":
            raise TemplateError(
                f"{logical_id}.{event_id}: an S3 event's Bucket must be !Ref to a bucket of the template"
            )
        props = self.r.resolve({key: value for key, value in raw.items() if key != "Bucket"})
        events = props.get("Events", [])
        found = {
            str(rule.get("Name", "")).lower(): str(rule.get("Value", ""))
            for rule in ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules", [])
        }
        return BucketNotificationSpec(
            logical_id=f"{logical_id}{event_id}",
            function_id=logical_id,
            bucket_id=str(bucket_id),
            events=tuple(str(e) for e in (events if isinstance(events, list) else [events])),
            prefix=found.get("prefix", ""),
            suffix=found.get("suffix", ""),
        )

    def queue(self, logical_id: str, raw: Mapping[str, Any]) -> QueueSpec:
        props = self.r.resolve(raw)
        attributes: dict[str, str] = {}
        for key in _QUEUE_ATTRIBUTES:
            if key in props:
                value = props[key]
                attributes[key] = json.dumps(value) if isinstance(value, dict) else _env_value(value)
        return QueueSpec(
            logical_id, self.r.name_of(logical_id), str(self.r.ref(logical_id)), self.r.arn_of(logical_id), attributes
        )

    # -- HTTP APIs ---------------------------------------------------------------------------

    def _api_spec(self, logical_id: str, props: Mapping[str, Any]) -> HttpApiSpec:
        props = self.r.resolve(_merge_globals(self.globals.get("HttpApi", {}), props))
        auth = props.get("Auth", {})
        authorizers = {}
        for name, config in auth.get("Authorizers", {}).items():
            jwt = config.get("JwtConfiguration")
            if jwt is None:
                raise TemplateError(f"{logical_id}: authorizer {name} is not a JWT authorizer")
            audience = jwt.get("audience", [])
            authorizers[name] = JwtAuthorizerSpec(
                name=name,
                identity_source=str(config.get("IdentitySource", "$request.header.Authorization")),
                issuer=str(jwt.get("issuer", "")),
                audience=tuple(audience if isinstance(audience, list) else [audience]),
            )
        default = auth.get("DefaultAuthorizer")
        if default is not None and default not in authorizers:
            raise TemplateError(f"{logical_id}: DefaultAuthorizer {default} is not declared")
        return HttpApiSpec(
            logical_id=logical_id,
            api_id=_api_id(self.stack_name, logical_id),
            default_authorizer=default,
            authorizers=authorizers,
            cors=_cors(props.get("CorsConfiguration")),
        )

    def http_apis(self) -> dict[str, HttpApiSpec]:
        apis = {
            logical_id: self._api_spec(logical_id, props)
            for logical_id, props in self.of_type("AWS::Serverless::HttpApi").items()
        }
        # HttpApi events without ApiId go to SAM's implicit API (configured by Globals.HttpApi).
        apis["ServerlessHttpApi"] = self._api_spec("ServerlessHttpApi", {})
        return apis

    # -- functions ---------------------------------------------------------------------------

    def function(self, logical_id: str, own: Mapping[str, Any]) -> FunctionSpec:
        props = self.r.resolve(_merge_globals(self.globals.get("Function", {}), own))
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
        if "Handler" not in props:
            raise TemplateError(f"{logical_id}: no Handler (neither on the function nor in Globals)")
        variables = props.get("Environment", {}).get("Variables", {})
        return FunctionSpec(
            logical_id=logical_id,
            name=self.r.name_of(logical_id),
            arn=self.r.arn_of(logical_id),
            code_dir=(self.root / code_uri).resolve(),
            handler=str(props["Handler"]),
            runtime=str(props.get("Runtime", "python3.11")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment={str(key): _env_value(value) for key, value in variables.items()},
            async_retry_attempts=int((props.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", 2)),
            dead_letter_arn=(props.get("DeadLetterQueue") or {}).get("TargetArn"),
        )

    def function_event(
        self,
        logical_id: str,
        event_id: str,
        event: Mapping[str, Any],
        apis: dict[str, HttpApiSpec],
        routes: list[RouteSpec],
        rules: list[RuleSpec],
        streams: list[StreamSubscriptionSpec],
    ) -> None:
        kind = event.get("Type")
        props = event.get("Properties", {})
        if kind == "HttpApi":
            routes.append(self.route(logical_id, event_id, props, apis))
        elif kind == "DynamoDB":
            stream = props.get("Stream")
            table_id = self._table_of_stream(stream)
            resolved = self.r.resolve({key: value for key, value in props.items() if key != "Stream"})
            destination = (resolved.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
            streams.append(
                StreamSubscriptionSpec(
                    logical_id=f"{logical_id}{event_id}",
                    function_id=logical_id,
                    table_id=table_id,
                    starting_position=str(resolved.get("StartingPosition", "LATEST")),
                    batch_size=int(resolved.get("BatchSize", 100)),
                    enabled=_flag(resolved.get("Enabled", True)),
                    filters=tuple(str(f["Pattern"]) for f in (resolved.get("FilterCriteria") or {}).get("Filters", [])),
                    report_batch_item_failures="ReportBatchItemFailures" in resolved.get("FunctionResponseTypes", []),
                    bisect_on_error=_flag(resolved.get("BisectBatchOnFunctionError", False)),
                    maximum_retry_attempts=int(resolved.get("MaximumRetryAttempts", -1)),
                    maximum_record_age_seconds=int(resolved.get("MaximumRecordAgeInSeconds", -1)),
                    on_failure_destination=str(destination) if destination else None,
                )
            )
        else:
            rule = self.rule_event(logical_id, event_id, event, self.r.arn_of(logical_id))
            if rule is not None:
                rules.append(rule)

    def _table_of_stream(self, stream: Any) -> str:
        if isinstance(stream, Mapping) and "Fn::GetAtt" in stream:
            target = stream["Fn::GetAtt"]
            logical_id = target.split(".", 1)[0] if isinstance(target, str) else target[0]
            if logical_id in self.resources:
                return str(logical_id)
        raise TemplateError(f"DynamoDB event stream must be !GetAtt <Table>.StreamArn, got {stream!r}")

    def route(self, logical_id: str, event_id: str, raw: Mapping[str, Any], apis: dict[str, HttpApiSpec]) -> RouteSpec:
        props = self.r.resolve(raw)
        api_logical_id = "ServerlessHttpApi"
        if "ApiId" in raw:
            ref = raw["ApiId"].get("Ref") if isinstance(raw["ApiId"], Mapping) else None
            if ref not in apis:
                raise TemplateError(f"{logical_id}.{event_id}: ApiId must be !Ref to an HttpApi")
            api_logical_id = str(ref)
        api = apis[api_logical_id]
        if str(props.get("PayloadFormatVersion", "2.0")) != "2.0":
            raise TemplateError(f"{logical_id}.{event_id}: only payload format 2.0 is served locally")
        authorizer_name = props.get("Auth", {}).get("Authorizer", api.default_authorizer)
        authorizer = None
        if authorizer_name not in (None, "NONE"):
            if authorizer_name not in api.authorizers:
                raise TemplateError(f"{logical_id}.{event_id}: unknown authorizer {authorizer_name}")
            authorizer = api.authorizers[authorizer_name]
        method = str(props.get("Method", "ANY")).upper()
        path = str(props.get("Path", "$default"))
        return RouteSpec(method, path, logical_id, event_id, api_logical_id, authorizer)

    # -- rules -------------------------------------------------------------------------------

    def rule_event(self, owner_id: str, event_id: str, event: Mapping[str, Any], target_arn: str) -> RuleSpec | None:
        kind = event.get("Type")
        props = self.r.resolve(event.get("Properties", {}))
        if kind not in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
            self.warnings.append(f"{owner_id}.{event_id}: event type {kind} is not served locally")
            return None
        scheduled = kind in ("Schedule", "ScheduleV2")
        state = props.get("State")
        enabled = state != "DISABLED" if state is not None else bool(props.get("Enabled", True))
        name = props.get("RuleName") or props.get("Name") or f"{self.stack_name}-{owner_id}-{event_id}"
        bus = props.get("EventBusName", "default")
        target_id = props.get("Target", {}).get("Id", f"{owner_id}{event_id}Target")
        input_transformer = props.get("InputTransformer")
        return RuleSpec(
            logical_id=f"{owner_id}{event_id}",
            name=str(name)[:64],
            event_bus_name="default" if scheduled else str(bus).rsplit("/", 1)[-1],
            event_pattern=None if scheduled else props.get("Pattern"),
            schedule=str(props.get("Schedule") or props.get("ScheduleExpression")) if scheduled else None,
            enabled=enabled,
            targets=(
                TargetSpec(
                    id=str(target_id),
                    arn=target_arn,
                    input=props.get("Input"),
                    input_path=props.get("InputPath"),
                    input_transformer=input_transformer,
                    dead_letter_arn=(props.get("DeadLetterConfig") or {}).get("Arn"),
                    retry_attempts=(props.get("RetryPolicy") or {}).get("MaximumRetryAttempts"),
                ),
            ),
        )

    def events_rule(self, logical_id: str, props: Mapping[str, Any]) -> RuleSpec:
        pattern = props.get("EventPattern")
        if isinstance(pattern, str):
            pattern = json.loads(pattern)
        targets = tuple(
            TargetSpec(
                id=str(target["Id"]),
                arn=str(target["Arn"]),
                input=target.get("Input"),
                input_path=target.get("InputPath"),
                input_transformer=target.get("InputTransformer"),
            )
            for target in props.get("Targets", [])
        )
        return RuleSpec(
            logical_id=logical_id,
            name=self.r.name_of(logical_id),
            event_bus_name=str(props.get("EventBusName", "default")).rsplit("/", 1)[-1],
            event_pattern=pattern,
            schedule=props.get("ScheduleExpression"),
            enabled=props.get("State", "ENABLED") == "ENABLED",
            targets=targets,
        )

    # -- state machines ----------------------------------------------------------------------

    def state_machine(self, logical_id: str, raw: Mapping[str, Any]) -> StateMachineSpec:
        props = self.r.resolve({key: value for key, value in raw.items() if key != "Events"})
        if "DefinitionUri" in props:
            uri = props["DefinitionUri"]
            if not isinstance(uri, str):
                raise TemplateError(f"{logical_id}: DefinitionUri must be a local file")
            definition = (self.root / uri).read_text(encoding="utf-8")
        elif "Definition" in props:
            definition = json.dumps(props["Definition"])
        elif "DefinitionString" in props:
            definition = str(props["DefinitionString"])
        else:
            raise TemplateError(f"{logical_id}: no Definition, DefinitionUri or DefinitionString")
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        leftover = sorted(set(_SUB_VARIABLE.findall(definition)))
        if leftover:
            raise TemplateError(f"{logical_id}: definition has unresolved substitutions {leftover}")
        try:
            json.loads(definition)
        except ValueError as exc:
            raise TemplateError(f"{logical_id}: definition is not valid JSON: {exc}") from None
        return StateMachineSpec(
            logical_id=logical_id,
            name=self.r.name_of(logical_id),
            arn=self.r.arn_of(logical_id),
            type=str(props.get("Type", props.get("StateMachineType", "STANDARD"))),
            definition=definition,
        )


def load_template(
    path: str | Path,
    parameter_overrides: Mapping[str, str] | None = None,
    stack_name: str = "oms-local",
    *,
    local_defaults: Mapping[str, str] | None = None,
) -> StackTemplate:
    """Read ``path``; parameter values come from ``parameter_overrides`` (each must be declared),
    else ``local_defaults`` (used only for parameters the template declares), else the template."""
    reader = _Reader(Path(path).resolve(), parameter_overrides or {}, local_defaults or {}, stack_name)
    return reader.read()
