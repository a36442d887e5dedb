"""Secrets Manager reads go through powertools' parameter cache: one fetch per max_age, errors named by
their AWS code (never a value) and still recognisable as transient."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError
from moto import mock_aws
from oms.adapters import secrets
from oms.faults import is_transient


def test_a_secret_is_fetched_once_per_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="oms/cached", SecretString="one")["ARN"]
        assert secrets.read_secret_string(arn) == "one"
        client.put_secret_value(SecretId=arn, SecretString="two")
        assert secrets.read_secret_string(arn) == "one"  # cached
        assert secrets.read_secret_string(arn, max_age=0) == "one"  # the age is the cached entry's
        secrets.clear_cache()
        assert secrets.read_secret_string(arn) == "two"


class Throttled:
    def get(self, name: str, **_: Any) -> str:
        try:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetSecretValue")
        except ClientError as error:
            raise GetParameterError(str(error))  # noqa: B904 - what powertools does


def test_a_throttled_read_names_the_code_and_stays_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_provider", Throttled)

    with pytest.raises(secrets.SecretUnreadable, match=r"^ThrottlingException$") as raised:
        secrets.read_secret_string("arn:aws:secretsmanager:us-east-1:1:secret:x")
    assert is_transient(raised.value)


@pytest.mark.parametrize(("value", "expected"), [(None, 300), ("60", 60), ("-5", 0), ("soon", 300)])
def test_the_max_age_is_powertools_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int) -> None:
    if value is None:
        monkeypatch.delenv(secrets.MAX_AGE_ENV, raising=False)
    else:
        monkeypatch.setenv(secrets.MAX_AGE_ENV, value)
    assert secrets.max_age_seconds() == expected
