"""Transient AWS faults, in one place: how long and how often a call to AWS may try, which failures are
transient (throttling, timeouts, lost races, the service's own 5xx), and the one error a caller raises
when the store could not take a change just now.

Whoever meets a transient fault answers "retry later": an HTTP route 503 problem+json with
`Retry-After` (`oms.api.http`), a provider or carrier callback a non-2xx failure in the sender's format,
a timer task `TransientStoreError` (its state machine's Retry names it). Anything else is a bug (500).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from botocore.config import Config

RETRY_AFTER_SECONDS = 1


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


# The budget of one AWS call (pynamodb's DynamoDB client and every boto3 client): botocore's standard
# retry mode (throttling and 5xx retried with jittered backoff), 3 attempts, 1 s to connect and 2 s to
# answer each: at most ~12 s for a call that fails every attempt, inside the functions' 15 s and the
# HTTP API's 30 s, so the caller still answers 503 itself. Overridable (the local stack's moto server
# queues DynamoDB requests behind one lock, which is no fault: it sets longer timeouts).
DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT_SECONDS, DEFAULT_MAX_ATTEMPTS = 1.0, 2.0, 3
CONNECT_TIMEOUT_SECONDS = _seconds("OMS_AWS_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_SECONDS)
READ_TIMEOUT_SECONDS = _seconds("OMS_AWS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT_SECONDS)
MAX_ATTEMPTS = int(os.environ.get("OMS_AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)

# Error codes of a refused call that may succeed if sent again a little later (any AWS service).
TRANSIENT_ERROR_CODES = frozenset(
    {
        # throttling
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        # the service itself
        "InternalServerError",
        "InternalServerErrorException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        # DynamoDB transactions: another transaction holds the item, or ours is still being applied
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
# Per-item reasons of a cancelled TransactWriteItems that wrote nothing and may be sent again as is.
TRANSIENT_CANCELLATION_CODES = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
TRANSIENT_HTTP_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransientStoreError(Exception):
    """The store could not take a change just now (throttled, or cancelled by concurrent writes after
    the retries): nothing was written. Timer tasks raise it so their state machine retries them."""


def client_config() -> Config:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )


def aws_client(service_name: str) -> Any:
    """A boto3 client with the call budget above (imported lazily: cold starts of functions that never
    call the service stay cheap)."""
    import boto3

    return boto3.client(service_name, config=client_config())  # type: ignore[call-overload]


# Classified by the classes of botocore and pynamodb without importing them: an error of theirs can only
# exist once their module was imported, so a module not in `sys.modules` has none (and the API functions'
# cold start, which imports neither until a request reaches the store, stays cheap).


def _loaded(module: str, *names: str) -> tuple[type[BaseException], ...]:
    loaded = sys.modules.get(module)
    return () if loaded is None else tuple(cast("type[BaseException]", getattr(loaded, name)) for name in names)


def is_aws_fault(error: BaseException) -> bool:
    """Whether `error` is itself a failure of an AWS call (botocore's, pynamodb's, or `TransientStoreError`),
    transient or not."""
    classes: tuple[type[BaseException], ...] = (
        TransientStoreError,
        *_loaded("botocore.exceptions", "BotoCoreError", "ClientError"),
        *_loaded("pynamodb.exceptions", "PynamoDBException"),
    )
    return isinstance(error, classes)


def is_transient(error: BaseException) -> bool:
    """Whether `error` — or what it wraps (pynamodb's `cause`, `raise ... from`, or a translation made with
    `from None`) — is a transient AWS fault."""
    always: tuple[type[BaseException], ...] = (
        TransientStoreError,
        *_loaded("botocore.exceptions", "ConnectionError", "HTTPClientError"),
    )
    refused = _loaded("botocore.exceptions", "ClientError")
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, always):
            return True
        if refused and isinstance(current, refused) and _transient_response(getattr(current, "response", {})):
            return True
        current = _wrapped(current)
    return False


def _transient_response(response: Any) -> bool:
    code = str(response.get("Error", {}).get("Code", ""))
    if code in TRANSIENT_ERROR_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = [str(r.get("Code")) for r in response.get("CancellationReasons") or []]
        failed = [code for code in reasons if code not in ("None", "")]
        return bool(failed) and all(code in TRANSIENT_CANCELLATION_CODES for code in failed)
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") in TRANSIENT_HTTP_STATUSES


def _wrapped(error: BaseException) -> BaseException | None:
    cause = getattr(error, "cause", None)  # pynamodb keeps botocore's error here
    if isinstance(cause, BaseException):
        return cause
    if error.__cause__ is not None:
        return error.__cause__
    # `raise Translated(...) from None` hides the original on purpose but keeps it as the context.
    return error.__context__ if error.__suppress_context__ else None


@contextmanager
def transient_store_errors() -> Iterator[None]:
    """For timer tasks: a transient fault leaves as `TransientStoreError`, which the state machine retries
    with back-off instead of failing the execution at the first throttle or lost race; a bug leaves as it
    is (retrying it would only repeat it)."""
    try:
        yield
    except TransientStoreError:
        raise
    except Exception as error:
        if is_transient(error):
            raise TransientStoreError(f"{type(error).__name__}: {error}") from error
        raise
