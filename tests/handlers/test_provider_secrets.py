"""On AWS the providers' keys come from one Secrets Manager secret, read at first use."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from oms import wiring
from oms.adapters import payment_providers
from oms.adapters.providers.credentials import CredentialsError
from oms.adapters.providers.sandbox import Sandbox
from oms.domain.payment import PaymentMethod


@pytest.fixture
def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ALIPAY", "WECHAT", "CARD", "CRYPTO", "BANK_TRANSFER"):
        monkeypatch.delenv(f"OMS_PROVIDER_{name}", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(payment_providers, "_secrets_loaded", False)
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
