"""Reading one Secrets Manager secret's string, for adapters configured by a secret ARN.

Through powertools' parameters utility (`SecretsProvider.get(name, max_age=...)`, what
`parameters.get_secret` does, with our client's call budget): a value is kept for `max_age` seconds, then
read again, so a rotated secret is picked up by running functions without a cold start, and a function
restored from a SnapStart snapshot refetches a value older than that by itself. The age is
`POWERTOOLS_PARAMETERS_MAX_AGE` (seconds, powertools' own setting), else 300.
"""

from __future__ import annotations

import os
import threading
from typing import Any

DEFAULT_MAX_AGE_SECONDS = 300
MAX_AGE_ENV = "POWERTOOLS_PARAMETERS_MAX_AGE"

_lock = threading.Lock()
_providers: dict[tuple[str, str], Any] = {}  # (endpoint, region) → SecretsProvider (and its cache)


class SecretUnreadable(Exception):
    """The secret could not be read; the message names the cause (an AWS error code), never a value."""


def max_age_seconds() -> int:
    value = os.environ.get(MAX_AGE_ENV, "")
    try:
        return max(0, int(value)) if value else DEFAULT_MAX_AGE_SECONDS
    except ValueError:
        return DEFAULT_MAX_AGE_SECONDS


def _provider() -> Any:
    """One SecretsProvider per endpoint and region (the local stack and tests change them)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from oms.faults import aws_client  # lazily: only deployed functions read secrets

    key = (
        os.environ.get("AWS_ENDPOINT_URL", ""),
        os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "")),
    )
    with _lock:
        if key not in _providers:
            _providers[key] = SecretsProvider(boto3_client=aws_client("secretsmanager"))
        return _providers[key]


def read_secret_string(arn: str, max_age: int | None = None) -> str:
    """The secret's string, from the cache while younger than `max_age` (default `max_age_seconds()`)."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        text = _provider().get(arn, max_age=max_age if max_age is not None else max_age_seconds())
    except GetParameterError as error:
        cause = error.__cause__ or error.__context__
        if isinstance(cause, ClientError):
            # Chained to botocore's error (no value in it), so `oms.faults.is_transient` sees a throttle.
            raise SecretUnreadable(str(cause.response.get("Error", {}).get("Code", "error"))) from cause
        if isinstance(cause, BotoCoreError):
            raise SecretUnreadable(type(cause).__name__) from cause
        raise SecretUnreadable("error") from None
    if not isinstance(text, str) or not text:
        raise SecretUnreadable("no string value")
    return text


def clear_cache() -> None:
    """Forget every cached secret value (the next read fetches)."""
    with _lock:
        for provider in _providers.values():
            provider.clear_cache()
