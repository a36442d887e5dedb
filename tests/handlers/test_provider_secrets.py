"""On AWS the providers' keys come from one Secrets Manager secret, read at first use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import base as parameters_base
from moto import mock_aws
from oms import wiring
from oms.adapters import payment_providers
from oms.adapters.providers.base import CallbackRejected
from oms.adapters.providers.credentials import CredentialsError
from oms.adapters.secrets import DEFAULT_MAX_AGE_SECONDS
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import Sandbox


@pytest.fixture
def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ALIPAY", "WECHAT", "CARD", "CRYPTO", "BANK_TRANSFER"):
        monkeypatch.delenv(f"OMS_PROVIDER_{name}", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(wiring, "_adapters", wiring.Adapters())  # nothing configured
    yield


def test_adapters_are_built_from_the_secret(fresh_loader: None, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = Sandbox(seed=7)
    sections = {
        name.removeprefix("OMS_PROVIDER_").lower(): json.loads(value)
        for name, value in sandbox.credentials_env().items()
    }
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="oms/providers", SecretString=json.dumps(sections))[
            "ARN"
        ]
        monkeypatch.setenv("OMS_PROVIDER_SECRET_ARN", arn)
        get = payment_providers.provider_factory()
        alipay = get(PaymentMethod.ALIPAY)
        assert alipay.method is PaymentMethod.ALIPAY
        assert get(PaymentMethod.ALIPAY) is alipay  # built once per container
    # The adapter holds the secret's keys: a callback the sandbox signs with them verifies.
    payment_id = "01" + "A" * 24 + "01"
    callback = sandbox.pay("alipay", payment_id, amount=100)
    notice = alipay.verify_callback(callback.headers, callback.body)
    assert (notice.payment_id, notice.amount.amount) == (payment_id, 100)


def test_without_a_secret_or_configuration_the_adapter_refuses_to_start(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_PROVIDER_SECRET_ARN", raising=False)
    with pytest.raises(CredentialsError, match="OMS_PROVIDER_ALIPAY"):
        payment_providers.provider_factory()(PaymentMethod.ALIPAY)


def test_a_rotated_secret_reaches_the_running_container_once_its_cached_value_expires(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Sandbox(seed=7), Sandbox(seed=8)

    def sections(sandbox: Sandbox) -> str:
        env = sandbox.credentials_env()
        return json.dumps({name.removeprefix("OMS_PROVIDER_").lower(): json.loads(v) for name, v in env.items()})

    payment_id = "01" + "A" * 24 + "02"
    with mock_aws():
        client = boto3.client("secretsmanager")
        arn = client.create_secret(Name="oms/providers-rotating", SecretString=sections(old))["ARN"]
        monkeypatch.setenv("OMS_PROVIDER_SECRET_ARN", arn)
        get = payment_providers.provider_factory()
        before = get(PaymentMethod.CARD)
        client.put_secret_value(SecretId=arn, SecretString=sections(new))
        assert get(PaymentMethod.CARD) is before  # within max_age the cached value serves
        later = datetime.now() + timedelta(seconds=DEFAULT_MAX_AGE_SECONDS + 1)  # powertools' cache clock

        class Later(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> Later:
                return cls.fromtimestamp(later.timestamp(), tz)

        monkeypatch.setattr(parameters_base, "datetime", Later)
        after = get(PaymentMethod.CARD)
    assert after is not before
    callback = new.pay("card", payment_id, amount=100)
    assert after.verify_callback(callback.headers, callback.body).payment_id == payment_id
    with pytest.raises(CallbackRejected):
        before.verify_callback(callback.headers, callback.body)


def test_an_unreadable_secret_is_a_configuration_error_naming_the_cause(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_aws():
        monkeypatch.setenv("OMS_PROVIDER_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:none")
        with pytest.raises(CredentialsError, match="ResourceNotFoundException"):
            payment_providers.provider_factory()(PaymentMethod.ALIPAY)
