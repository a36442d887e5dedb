"""Canaries for the local runtime (oms_local) on the small template in fixtures/canary.

Each moto patch in oms_local.moto_patches has a test here that goes through the public AWS or HTTP
API, so a moto upgrade that breaks a patch fails a named test: Lambda routing (with Retry and Catch on
error names), EventBridge delivery to Lambda and Step Functions targets, scheduled rules, the
DynamoDB lock (no oversell under concurrency), real Wait states, the DynamoDB stream poller. The
rest pins the API Gateway emulation: payload 2.0 events, JWT rejection, result shapes, limits.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from oms_local.core import moto_patches
from oms_local.core.functions import FunctionLoadError
from oms_local.core.gateway import Router, result_response
from oms_local.core.schedules import ScheduleTimers, rate_seconds
from oms_local.core.template import RouteSpec, TemplateError, load_template
from oms_local.core.tokens import TokenError, TokenIssuer, gateway_claims
from oms_local.stack import LocalStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CANARY = Path(__file__).resolve().parent / "fixtures" / "canary" / "template.yaml"

Eventually = Callable[..., Any]


def seen(stack: LocalStack, kind: str) -> list[Any]:
    """What the canary worker recorded under ``kind`` (it writes SEEN#<kind> items)."""
    table = stack.resources["Table"]
    items = stack.boto3_client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SEEN#{kind}"}},
    )["Items"]
    return [json.loads(item["body"]["S"]) for item in items]


def echo_invocations(stack: LocalStack) -> list[str]:
    return list(stack.functions["EchoFunction"].module.invocations)


# ----------------------------------------------------------------------------- patch points


def test_moto_patch_points_still_match_the_pinned_moto(fixture_stack: LocalStack) -> None:
    assert moto_patches.check_patch_points() == []
    assert moto_patches.is_applied()
    moto_patches.apply()  # idempotent
    assert moto_patches.is_applied()


# ----------------------------------------------------------------------------- HTTP API events


def test_public_route_gets_a_payload_v2_event(fixture_stack: LocalStack, fixture_http: Any) -> None:
    response = fixture_http.get(
        "/public/echo?a=1&a=2&b=",
        headers={"X-Trace": "t1", "Cookie": "session=abc; theme=dark", "User-Agent": "canary/1"},
    )
    assert response.status == 200
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /public/echo"
    assert event["rawPath"] == "/public/echo"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-trace"] == "t1"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert "pathParameters" not in event and "body" not in event
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/public/echo",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "canary/1",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "ANY /public/echo"
    assert context["accountId"] == "123456789012"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    assert "authorizer" not in context
    lambda_context = response.json()["context"]
    assert lambda_context["function_name"] == "oms-canary-echo"
    assert lambda_context["invoked_function_arn"].endswith(":function:oms-canary-echo")
    assert lambda_context["memory_limit_in_mb"] == 256
    assert 0 < lambda_context["remaining_ms"] <= 10_000


def test_environment_comes_from_the_template(fixture_http: Any) -> None:
    env = fixture_http.get("/public/echo").json()["env"]
    assert env == {
        "CANARY_TABLE": "oms-canary-table",
        "CANARY_BUS": "oms-canary-bus",
        "CANARY_WORKFLOW_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:oms-canary-workflow",
        "CANARY_FLAKY_ATTEMPTS": "3",
        "CANARY_IS_LOCAL": "yes",  # Fn::If on a condition over the local Stage default
    }


def test_protected_route_gets_claims_as_api_gateway_renders_them(fixture_stack: LocalStack, fixture_http: Any) -> None:
    token = fixture_stack.mint_token("user-1", ["admin", "customer"], claims={"custom:store_id": "demo"})
    response = fixture_http.post("/private/echo/a%20b", token=token, json={"x": 1})
    assert response.status == 200
    event = response.json()["event"]
    assert event["routeKey"] == "POST /private/echo/{itemId}"
    assert event["pathParameters"] == {"itemId": "a b"}
    assert json.loads(event["body"]) == {"x": 1}
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert event["requestContext"]["authorizer"]["jwt"]["scopes"] is None
    assert claims["sub"] == "user-1"
    assert claims["cognito:groups"] == "[admin customer]"
    assert claims["custom:store_id"] == "demo"
    assert claims["token_use"] == "id"
    assert claims["aud"] == "oms-canary"  # the template's audience: !Ref of the app client
    assert claims["iss"] == f"{fixture_stack.base_url}/_local"
    assert all(isinstance(value, str) for value in claims.values())


def test_routes_pick_the_most_specific_match(fixture_stack: LocalStack, fixture_http: Any) -> None:
    token = fixture_stack.mint_token("user-1", ["customer"])
    special = fixture_http.post("/private/echo/special", token=token).json()["event"]
    assert special["routeKey"] == "POST /private/echo/special"
    assert "pathParameters" not in special
    greedy = fixture_http.get("/files/a/b/c.txt").json()["event"]
    assert greedy["routeKey"] == "GET /files/{proxy+}"
    assert greedy["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_binary_request_body_is_base64_encoded(fixture_http: Any) -> None:
    event = fixture_http.post("/public/echo", body=b"\xff\x00\xfe").json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\xfe"


def test_unknown_route_and_wrong_method_are_404_problems(fixture_http: Any) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/private/echo/1")):
        response = fixture_http.request(method, path)
        assert response.status == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:oms:problem:route-not-found"


# ----------------------------------------------------------------------------- JWT authorizer


def _forged_token(fixture_stack: LocalStack, **overrides: Any) -> str:
    """Right kid and claims, signed by a key the stack does not have."""
    kid = fixture_stack.jwks()["keys"][0]["kid"]
    now = int(time.time())
    claims = {
        "sub": "mallory",
        "iss": fixture_stack.issuer_url,
        "aud": "oms-canary",
        "iat": now,
        "exp": now + 600,
        "cognito:groups": ["admin"],
    }
    claims.update(overrides)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": kid})


@pytest.mark.parametrize(
    "case", ["missing", "not-bearer-jwt", "bad-signature", "expired", "wrong-audience", "wrong-issuer", "hs256"]
)
def test_protected_route_rejects_bad_tokens_without_calling_the_function(
    fixture_stack: LocalStack, fixture_http: Any, case: str
) -> None:
    tokens = {
        "missing": None,
        "not-bearer-jwt": "not-a-jwt",
        "bad-signature": _forged_token(fixture_stack),
        "expired": fixture_stack.mint_token("user-1", ["customer"], expires_in=-5),
        "wrong-audience": fixture_stack.mint_token("user-1", ["customer"], claims={"aud": "someone-else"}),
        "wrong-issuer": fixture_stack.mint_token("user-1", ["customer"], claims={"iss": "https://evil.example"}),
        "hs256": jwt.encode(
            {"sub": "x", "iss": fixture_stack.issuer_url, "aud": "oms-canary", "exp": int(time.time()) + 60},
            "a-shared-secret-of-at-least-32-bytes!!",
            algorithm="HS256",
            headers={"kid": fixture_stack.jwks()["keys"][0]["kid"]},
        ),
    }
    before = echo_invocations(fixture_stack)
    response = fixture_http.post("/private/echo/1", token=tokens[case])
    assert response.status == 401, response
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:oms:problem:unauthorized"
    assert body["status"] == 401 and body["message"] == "Unauthorized"
    assert echo_invocations(fixture_stack) == before


def test_jwks_verifies_minted_tokens(fixture_stack: LocalStack, fixture_http: Any) -> None:
    jwks = fixture_http.get("/_local/.well-known/jwks.json").json()
    token = fixture_http.post("/_local/token", json={"sub": "s", "roles": ["finance"]}).json()["token"]
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="oms-canary", issuer=fixture_stack.issuer_url)
    assert claims["cognito:groups"] == ["finance"]
    discovery = fixture_http.get("/_local/.well-known/openid-configuration").json()
    assert discovery["jwks_uri"] == f"{fixture_stack.issuer_url}/.well-known/jwks.json"


# ----------------------------------------------------------------------------- results and limits


def test_function_results_become_http_responses(fixture_http: Any) -> None:
    bare = fixture_http.get("/shapes/bare-dict")
    assert (bare.status, bare.headers["content-type"], bare.json()) == (200, "application/json", {"shape": "bare-dict"})
    binary = fixture_http.get("/shapes/binary")
    assert binary.status == 200 and binary.content == bytes(range(256))
    assert binary.headers["content-type"] == "application/octet-stream"
    cookies = fixture_http.get("/shapes/cookies")
    assert cookies.status == 204 and cookies.headers["x-count"] == "2"
    assert cookies.headers["set-cookie"] == "a=1; Path=/, b=2; HttpOnly"


def test_failing_function_is_a_500_without_details(fixture_http: Any) -> None:
    response = fixture_http.get("/shapes/boom")
    assert response.status == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_body_over_ten_megabytes_is_rejected(fixture_stack: LocalStack) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fixture_stack.port, timeout=10)
    connection.putrequest("POST", "/public/echo")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["type"] == "urn:oms:problem:payload-too-large"
    connection.close()


def test_cors_preflight_and_headers_follow_the_template(fixture_http: Any) -> None:
    preflight = fixture_http.request(
        "OPTIONS",
        "/private/echo/1",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-max-age"] == "600"
    plain = fixture_http.get("/public/echo", headers={"Origin": "https://shop.example"})
    assert plain.headers["access-control-allow-origin"] == "*"
    assert plain.headers["access-control-expose-headers"] == "ETag"


# ----------------------------------------------------------------------------- /_local endpoints


def test_health_lists_the_stack(fixture_stack: LocalStack, fixture_http: Any) -> None:
    health = fixture_http.get("/_local/health").json()
    assert health["status"] == "ok"
    assert health["endpoints"]["api"] == fixture_stack.base_url
    assert health["endpoints"]["aws"] == fixture_stack.aws_endpoint_url
    assert health["functions"] == ["oms-canary-echo", "oms-canary-worker"]
    assert {"routeKey": "POST /private/echo/{itemId}", "function": "EchoFunction", "public": False} in health["routes"]
    assert fixture_stack.outputs["ApiUrl"] == fixture_stack.base_url


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"roles": ["customer"]}).encode(),
        json.dumps({"sub": "x", "roles": ["root"]}).encode(),
        json.dumps({"sub": "x", "roles": "admin"}).encode(),
        json.dumps({"sub": "x", "expiresIn": "soon"}).encode(),
        json.dumps({"sub": "x", "claims": ["a"]}).encode(),
    ],
)
def test_token_endpoint_rejects_bad_requests(fixture_http: Any, body: bytes) -> None:
    response = fixture_http.post("/_local/token", body=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_token_endpoint_mints_a_token_the_api_accepts(fixture_http: Any) -> None:
    minted = fixture_http.post(
        "/_local/token",
        json={"sub": "shopper-9", "roles": ["customer"], "expiresIn": 60, "claims": {"email": "s@example.com"}},
    )
    assert minted.status == 200
    event = fixture_http.post("/private/echo/1", token=minted.json()["token"]).json()["event"]
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert (claims["sub"], claims["cognito:groups"], claims["email"]) == ("shopper-9", "[customer]", "s@example.com")


# ----------------------------------------------------------------------------- Lambda + Step Functions


def test_boto3_lambda_invoke_runs_the_in_process_handler(fixture_stack: LocalStack) -> None:
    client = fixture_stack.boto3_client("lambda")
    ok = client.invoke(FunctionName="oms-canary-worker", Payload=json.dumps({"kind": "direct"}))
    assert json.loads(ok["Payload"].read()) == {"echo": {"kind": "direct"}}
    assert "FunctionError" not in ok
    failed = client.invoke(FunctionName="oms-canary-worker", Payload=json.dumps({"task": "fail"}))
    assert "FunctionError" in failed
    error = json.loads(failed["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("PermanentError", "this task always fails")


def _run_workflow(stack: LocalStack, payload: dict[str, Any]) -> dict[str, Any]:
    client = stack.boto3_client("stepfunctions")
    arn = stack.resources["Workflow"]
    execution = client.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(payload))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        description: dict[str, Any] = client.describe_execution(executionArn=execution["executionArn"])
        if description["status"] != "RUNNING":
            return description
        time.sleep(0.1)
    raise AssertionError("the execution did not finish in 30 s")


@pytest.fixture(params=["machine", "UTC-08", "UTC+05"])
def time_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The machine's zone, then one east and one west of UTC (moto compared Wait timestamps with
    the local clock: east of UTC a wait ended hours early, west of UTC hours late)."""
    if request.param == "machine":
        yield request.param
        return
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_state_machine_waits_retries_and_catches_by_error_name(fixture_stack: LocalStack, time_zone: str) -> None:
    key = uuid.uuid4().hex
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    description = _run_workflow(fixture_stack, {"key": key, "deadline": deadline.isoformat().replace("+00:00", "Z")})
    assert description["status"] == "SUCCEEDED", description
    output = json.loads(description["output"])
    # Two TransientErrors were retried, then the third attempt succeeded; PermanentError was caught.
    assert output["recorded"] == {"task": "record", "key": key, "caught": "PermanentError", "attempts": 3}
    # The Wait lasted until the deadline, then two 1-second retry intervals passed.
    assert time.time() >= deadline.timestamp() + 2


def test_wait_timestamps_accept_offsets(fixture_stack: LocalStack) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    deadline = dt.datetime.now(shanghai) + dt.timedelta(seconds=1)
    description = _run_workflow(fixture_stack, {"key": uuid.uuid4().hex, "deadline": deadline.isoformat()})
    assert description["status"] == "SUCCEEDED", description
    assert time.time() >= deadline.timestamp()


def test_eventbridge_delivers_to_lambda_and_step_functions_targets(
    fixture_stack: LocalStack, eventually: Eventually
) -> None:
    key = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    events = fixture_stack.boto3_client("events")
    result = events.put_events(
        Entries=[
            {
                "Source": "canary",
                "DetailType": "Thing Happened",
                "Detail": json.dumps({"key": key, "deadline": now}),
                "EventBusName": "oms-canary-bus",
            }
        ]
    )
    assert result["FailedEntryCount"] == 0
    # Lambda target: the whole event, with an ISO-8601 time as AWS sends it.
    delivered = eventually(lambda: [e for e in seen(fixture_stack, "Thing Happened") if e["detail"]["key"] == key])
    assert delivered[0]["source"] == "canary"
    assert dt.datetime.fromisoformat(delivered[0]["time"].replace("Z", "+00:00"))
    # Step Functions target with InputPath $.detail: the workflow ran with the detail as its input.
    recorded = eventually(lambda: [e for e in seen(fixture_stack, "workflow") if e["key"] == key], timeout=30)
    assert recorded[0]["caught"] == "PermanentError"


def test_sam_eventbridge_rule_applies_input_path_and_skips_disabled_rules(
    fixture_stack: LocalStack, eventually: Eventually
) -> None:
    key = uuid.uuid4().hex
    events = fixture_stack.boto3_client("events")
    events.put_events(
        Entries=[
            {
                "Source": "canary",
                "DetailType": "Other Thing",
                "Detail": json.dumps({"kind": "other-thing", "key": key}),
                "EventBusName": "oms-canary-bus",
            }
        ]
    )
    eventually(lambda: [e for e in seen(fixture_stack, "other-thing") if e["key"] == key])
    assert moto_patches.wait_for_event_deliveries(timeout=10)
    # The DISABLED rule matches every canary event; moto alone would have delivered it.
    assert seen(fixture_stack, "disabled-rule") == []


def test_scheduled_rule_fires_on_demand(fixture_stack: LocalStack, fixture_http: Any, eventually: Eventually) -> None:
    before = len(seen(fixture_stack, "Scheduled Event"))
    fired = fixture_http.post("/_local/schedules/oms-canary-nightly/fire")
    assert fired.status == 200
    event_id = fired.json()["eventId"]
    events = eventually(lambda: [e for e in seen(fixture_stack, "Scheduled Event") if e["id"] == event_id])
    assert events[0]["source"] == "aws.events"
    assert events[0]["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/oms-canary-nightly"]
    assert len(seen(fixture_stack, "Scheduled Event")) == before + 1
    assert fixture_http.post("/_local/schedules/no-such-rule/fire").status == 404


def test_a_scheduled_rule_fired_by_its_short_name_merges_the_body_into_its_input(
    fixture_stack: LocalStack, fixture_http: Any, eventually: Eventually
) -> None:
    fired = fixture_http.post("/_local/schedules/nightly", json={"period": "2026-12-01"})
    assert fired.status == 200 and fired.json()["rule"] == "oms-canary-nightly"
    event_id = fired.json()["eventId"]
    [event] = eventually(lambda: [e for e in seen(fixture_stack, "Scheduled Event") if e["id"] == event_id])
    assert event["period"] == "2026-12-01" and event["source"] == "aws.events"
    assert fixture_http.post("/_local/schedules/oms-canary-nightly", body=b"[1]").status == 400


def test_a_tls_only_bucket_policy_lets_the_local_stack_in_and_other_statements_still_apply(
    fixture_stack: LocalStack,
) -> None:
    s3 = fixture_stack.boto3_client("s3")
    bucket = f"canary-tls-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    closed = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{arn}/closed/*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only, closed]}))
    s3.put_object(Bucket=bucket, Key="open/a.txt", Body=b"a")  # the TLS-only Deny does not apply locally
    assert s3.get_object(Bucket=bucket, Key="open/a.txt")["Body"].read() == b"a"
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="closed/b.txt", Body=b"b")  # an unconditional Deny still does


def test_rate_schedules_fire_on_a_timer() -> None:
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 3 * * ? *)") is None  # cron rules have their own timers (test_local_cron)
    fired = threading.Semaphore(0)
    timers = ScheduleTimers(lambda name: fired.release())
    timers.add("fast", 0.05)
    try:
        assert all(fired.acquire(timeout=5) for _ in range(3))
    finally:
        timers.stop()


def test_table_stream_reaches_the_subscribed_function(fixture_stack: LocalStack, eventually: Eventually) -> None:
    key = f"WATCH#{uuid.uuid4().hex}"
    fixture_stack.boto3_client("dynamodb").put_item(
        TableName="oms-canary-table", Item={"PK": {"S": key}, "SK": {"S": "-"}}
    )
    records = eventually(lambda: [r for r in seen(fixture_stack, "stream") if r["key"] == key])
    assert records[0]["eventName"] == "INSERT"
    assert ":table/oms-canary-table/stream/" in records[0]["source"]


# ----------------------------------------------------------------------------- DynamoDB lock


def test_forty_concurrent_conditional_decrements_never_oversell(fixture_http: Any) -> None:
    """40 clients x 5 conditional decrements on stock 100 through the API.

    Switching threads very often makes the race likely: without the DynamoDB lock, moto's server lets
    several ``n >= 1`` conditions pass on the same value (oversell seen on every run with 1 µs).
    """
    sku = uuid.uuid4().hex
    stock, racers, takes = 100, 40, 5
    assert fixture_http.put(f"/stock/{sku}", json={"stock": stock}).status == 200
    barrier = threading.Barrier(racers)

    def take(_: int) -> list[int]:
        barrier.wait()
        return [fixture_http.post(f"/stock/{sku}/take").status for _ in range(takes)]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=racers) as pool:
            statuses = [status for batch in pool.map(take, range(racers)) for status in batch]
    finally:
        sys.setswitchinterval(interval)
    assert statuses.count(200) == stock, f"{statuses.count(200)} sold of {stock}"
    assert statuses.count(409) == racers * takes - stock


# ----------------------------------------------------------------------------- stacks side by side


def test_a_conflicting_second_stack_fails_cleanly_and_the_first_keeps_serving(
    fixture_stack: LocalStack, fixture_http: Any
) -> None:
    # Same functions, other stack name: CANARY_TABLE would differ in the one shared process.
    second = LocalStack(CANARY, port=0, stack_name="oms-canary-2", seed=False)
    with pytest.raises(FunctionLoadError, match="CANARY_TABLE"):
        second.start()
    assert fixture_http.get("/public/echo").status == 200
    tables = fixture_stack.boto3_client("dynamodb").list_tables()["TableNames"]
    assert "oms-canary-2-table" not in tables and "oms-canary-table" in tables
    # The same stack name twice would mean the same resources: refused before anything is created.
    with pytest.raises(RuntimeError, match="already running"):
        LocalStack(CANARY, port=0, stack_name="oms-canary", seed=False).start()
    assert fixture_http.get("/public/echo").status == 200


# ----------------------------------------------------------------------------- units of the adapter


def test_real_template_reads_with_local_parameters() -> None:
    template = load_template(ROOT / "template.yaml", {"PaymentTimeoutSeconds": "7"}, local_defaults={"Stage": "local"})
    assert template.parameters["PaymentTimeoutSeconds"] == "7"
    assert template.parameters["Stage"] == "local"
    assert {"CatalogFunction", "OrdersFunction", "PaymentTimeoutFunction"} <= set(template.functions)
    environment = template.environment()
    assert environment["PAYMENT_TIMEOUT_SECONDS"] == "7"
    assert environment["TABLE_NAME"] == template.tables["Table"].name
    arn = environment["PAYMENT_TIMEOUT_STATE_MACHINE_ARN"]
    assert arn in {machine.arn for machine in template.state_machines.values()}
    for machine in template.state_machines.values():
        assert "${" not in machine.definition
    route_keys = {route.route_key for route in template.routes}
    assert "POST /orders" in route_keys
    assert all(route.function_id in template.functions for route in template.routes)
    for function in template.functions.values():
        assert function.module_file.is_file(), function


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NoSuchParameter": "1"}, "undeclared"),
        ({"PaymentTimeoutSeconds": "0"}, "MinValue"),
        ({"PaymentTimeoutSeconds": "soon"}, "not a number"),
        ({"LogLevel": "LOUD"}, "not one of"),
        ({"Stage": "Has Spaces"}, "does not match"),
    ],
)
def test_parameter_overrides_are_validated(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        load_template(ROOT / "template.yaml", overrides)


def test_router_prefers_literals_then_parameters_then_greedy() -> None:
    def route(method: str, path: str) -> RouteSpec:
        return RouteSpec(method, path, "F", path, "Api", None)

    router = Router([route("GET", "/a/{id}"), route("GET", "/a/b"), route("ANY", "/a/{proxy+}"), route("ANY", "/a/b")])

    def matched(method: str, path: str) -> tuple[str, dict[str, str]] | None:
        found = router.match(method, path)
        return (found[0].route_key, found[1]) if found else None

    assert matched("GET", "/a/b") == ("GET /a/b", {})
    assert matched("POST", "/a/b") == ("ANY /a/b", {})
    assert matched("GET", "/a/x%2Fy") == ("GET /a/{id}", {"id": "x/y"})
    assert matched("GET", "/a/x/y") == ("ANY /a/{proxy+}", {"proxy": "x/y"})
    assert matched("GET", "/b") is None


def test_claims_and_results_follow_api_gateway_rules() -> None:
    assert gateway_claims({"a": ["x", "y"], "n": 5, "ok": True, "s": "v"}) == {
        "a": "[x y]",
        "n": "5",
        "ok": "true",
        "s": "v",
    }
    plain = result_response("hello")
    assert (plain.status, plain.body) == (200, b"hello")
    defaulted = result_response({"statusCode": 201, "body": "{}"})
    assert ("content-type", "application/json") in defaulted.headers


def test_token_issuer_checks_audience_and_roles() -> None:
    issuer = TokenIssuer("http://127.0.0.1:1/_local", ["app-a", "app-b"])
    assert issuer.verify(issuer.mint("u", ["customer"]))["aud"] == "app-a"
    assert issuer.verify(issuer.mint("u", ["customer"], extra_claims={"aud": "app-b"}))["sub"] == "u"
    with pytest.raises(TokenError, match="audience"):
        issuer.verify(issuer.mint("u", [], extra_claims={"aud": "app-c"}))
    with pytest.raises(ValueError, match="unknown roles"):
        issuer.mint("u", ["superuser"])


def _flaky(fixture_stack: LocalStack, failures: int) -> str:
    key = uuid.uuid4().hex
    fixture_stack.boto3_client("events").put_events(
        Entries=[
            {
                "Source": "canary",
                "DetailType": "Flaky Thing",
                "Detail": json.dumps({"key": key, "failures": failures, "eventId": key}),
                "EventBusName": "oms-canary-bus",
            }
        ]
    )
    return key


def _dead_letters(fixture_stack: LocalStack) -> list[dict[str, Any]]:
    sqs = fixture_stack.boto3_client("sqs")
    url = sqs.get_queue_url(QueueName="oms-canary-worker-dlq")["QueueUrl"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_a_failing_lambda_target_is_retried_as_lambda_retries_async_invokes(fixture_stack: LocalStack) -> None:
    key = _flaky(fixture_stack, failures=2)  # EventInvokeConfig: two retries
    assert moto_patches.wait_for_event_deliveries(timeout=20)
    assert [e["detail"]["key"] for e in seen(fixture_stack, "Flaky Thing")].count(key) == 1
    assert not [m for m in _dead_letters(fixture_stack) if key in m["Body"]]


def test_a_target_failing_every_retry_lands_in_its_dead_letter_queue_and_redrives(
    fixture_stack: LocalStack, fixture_http: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from oms.consumer_dlq import main as oms_dlq

    key = _flaky(fixture_stack, failures=3)  # the first delivery and both retries fail
    assert moto_patches.wait_for_event_deliveries(timeout=20)
    letters = [m for m in _dead_letters(fixture_stack) if key in m["Body"]]
    assert len(letters) == 1
    assert json.loads(letters[0]["Body"])["detail"]["key"] == key  # the event itself, as delivered
    assert "TransientError" in letters[0]["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert not [e for e in seen(fixture_stack, "Flaky Thing") if e["detail"]["key"] == key]

    health = fixture_http.get("/_local/health").json()
    assert health["deadLetterQueues"] == [
        {"function": "oms-canary-worker", "queueArn": "arn:aws:sqs:us-east-1:123456789012:oms-canary-worker-dlq"}
    ]
    assert oms_dlq(["--local", fixture_stack.base_url, "list", "worker", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["eventId"] for row in listed if row["eventId"] == key] == [key]
    # The fourth run succeeds: the redrive deletes the message and the event is applied once.
    assert oms_dlq(["--local", fixture_stack.base_url, "redrive", "worker", "--event-id", key, "--json"]) == 0
    redriven = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert redriven == [
        {
            "messageId": letters[0]["MessageId"],
            "detailType": "Flaky Thing",
            "eventId": key,
            "error": None,
            "redriven": True,
        }
    ]
    assert [e["detail"]["key"] for e in seen(fixture_stack, "Flaky Thing")].count(key) == 1
    assert not [m for m in _dead_letters(fixture_stack) if key in m["Body"]]


def test_a_tls_only_bucket_policy_lets_local_requests_through_and_other_denials_stand(
    fixture_stack: LocalStack,
) -> None:
    """Patch (h): the local endpoint stands for AWS's HTTPS one, so a TLS-only bucket policy (the template's
    DenyInsecureTransport) does not deny its object requests; any other Deny still does."""
    from botocore.exceptions import ClientError

    s3 = fixture_stack.boto3_client("s3")
    bucket = f"canary-tls-{int(time.time() * 1000)}"
    s3.create_bucket(Bucket=bucket)
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    tls_only = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": resources, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="b")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="b", UploadId=upload)
    deny_puts = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": resources[1]}
    policy = {"Version": "2012-10-17", "Statement": [tls_only, deny_puts]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="c", Body=b"x")
