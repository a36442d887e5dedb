"""Which AWS failures are transient, however they reach us: from any service (DynamoDB, Step Functions,
EventBridge, S3, Secrets Manager), wrapped by pynamodb, chained with `raise ... from`, or translated
with `from None` by an adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from oms import faults
from oms.adapters.secrets import SecretUnreadable
from oms.faults import TransientStoreError, client_config, is_transient, transient_store_errors
from oms.store.models import Item
from oms_local.core.template import load_template
from pynamodb.exceptions import DoesNotExist, GetError, PutError, QueryError, TransactWriteError, UpdateError

ROOT = Path(__file__).resolve().parents[2]


def client_error(code: str, operation: str = "PutItem", status: int = 400, **extra: Any) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra}, operation
    )


def cancelled(*codes: str) -> ClientError:
    reasons = [{"Code": code} for code in codes]
    return client_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons)


TRANSIENT = [
    client_error("ProvisionedThroughputExceededException"),
    client_error("ThrottlingException", "StartExecution"),  # Step Functions
    client_error("RequestLimitExceeded"),
    client_error("InternalServerError", status=500),
    client_error("ServiceUnavailable", "PutObject", 503),  # S3
    client_error("SlowDown", "PutObject", 503),
    client_error("InternalServiceError", "GetSecretValue", 500),  # Secrets Manager: by its status
    client_error("ThrottlingException", "PutEvents"),  # EventBridge
    client_error("TransactionConflictException", "UpdateItem"),
    client_error("TransactionInProgressException", "TransactWriteItems"),
    cancelled("None", "TransactionConflict"),
    cancelled("ThrottlingError", "None"),
    ReadTimeoutError(endpoint_url="https://dynamodb"),
    ConnectTimeoutError(endpoint_url="https://dynamodb"),
    EndpointConnectionError(endpoint_url="https://dynamodb"),
    ConnectionClosedError(endpoint_url="https://dynamodb"),
    TransientStoreError("lost every race"),
]
NOT_TRANSIENT = [
    client_error("ConditionalCheckFailedException"),
    client_error("ValidationException"),
    client_error("ResourceNotFoundException", "GetSecretValue"),
    client_error("AccessDeniedException", "StartExecution"),
    client_error("ExecutionAlreadyExists", "StartExecution"),
    cancelled("ConditionalCheckFailed", "TransactionConflict"),  # a condition failed: sending again cannot help
    cancelled("None", "ValidationError"),
    NoCredentialsError(),
    ParamValidationError(report="bad"),
    ValueError("a bug"),
    DoesNotExist(),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=repr)
def test_transient_faults_are_recognised_bare_and_however_wrapped(error: Exception) -> None:
    assert is_transient(error)
    for wrapper in (PutError, UpdateError, GetError, QueryError, TransactWriteError):
        assert is_transient(wrapper("failed", error))  # pynamodb keeps botocore's error as `cause`
    try:
        try:
            raise error
        except Exception as original:
            raise RuntimeError("while applying a notice") from original
    except RuntimeError as chained:
        assert is_transient(chained)


@pytest.mark.parametrize("error", NOT_TRANSIENT, ids=repr)
def test_bugs_and_refusals_are_not_transient(error: Exception) -> None:
    assert not is_transient(error)
    assert not is_transient(PutError("failed", error))


def test_an_adapter_translation_with_from_none_keeps_the_fault_visible() -> None:
    def read_secret() -> None:
        try:
            raise client_error("ThrottlingException", "GetSecretValue")
        except ClientError:
            raise SecretUnreadable("ThrottlingException") from None

    with pytest.raises(SecretUnreadable) as raised:
        read_secret()
    assert is_transient(raised.value)
    # …while an error merely raised during the handling of a fault is not taken for one
    try:
        try:
            raise ReadTimeoutError(endpoint_url="https://dynamodb")
        except ReadTimeoutError:
            raise KeyError("a bug in the handler")  # noqa: B904 - the point of the test
    except KeyError as bug:
        assert not is_transient(bug)


def test_timer_tasks_turn_only_transient_faults_into_transient_store_error() -> None:
    with pytest.raises(TransientStoreError), transient_store_errors():
        raise QueryError("failed", ReadTimeoutError(endpoint_url="https://dynamodb"))
    with pytest.raises(QueryError), transient_store_errors():
        raise QueryError("failed", client_error("ValidationException", "Query"))


def test_an_aws_call_that_fails_every_attempt_still_ends_inside_the_function_timeout() -> None:
    timeout = {spec.timeout for spec in load_template(ROOT / "template.yaml").functions.values()}
    attempts = faults.DEFAULT_MAX_ATTEMPTS
    waits = faults.DEFAULT_CONNECT_TIMEOUT_SECONDS + faults.DEFAULT_READ_TIMEOUT_SECONDS
    backoff = sum(2**n for n in range(attempts - 1))  # botocore standard mode: ≤ 1 s, then ≤ 2 s, …
    assert attempts * waits + backoff < min(timeout) <= 15
    config = client_config()  # what every boto3 client and pynamodb's get (overridable: tests run local values)
    assert config.retries == {"mode": "standard", "total_max_attempts": faults.MAX_ATTEMPTS}
    assert (config.connect_timeout, config.read_timeout) == (
        faults.CONNECT_TIMEOUT_SECONDS,
        faults.READ_TIMEOUT_SECONDS,
    )
    meta = Item.Meta
    assert (meta.connect_timeout_seconds, meta.read_timeout_seconds, meta.max_retry_attempts + 1) == (
        faults.CONNECT_TIMEOUT_SECONDS,
        faults.READ_TIMEOUT_SECONDS,
        faults.MAX_ATTEMPTS,
    )
