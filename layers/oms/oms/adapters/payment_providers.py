"""The provider factory the payment functions use: adapters built once per container, with keys from
configuration — `OMS_PROVIDER_<NAME>` (JSON) / `OMS_PROVIDER_<NAME>_FILE` locally, or one Secrets
Manager secret on AWS (`OMS_PROVIDER_SECRET_ARN`, a JSON object keyed by provider) read at first use."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable

from oms.adapters.providers import provider_for
from oms.adapters.providers.base import PaymentProvider
from oms.domain.payment import PaymentMethod

_lock = threading.Lock()
_secrets_loaded = False


def load_secret_into_environment(secret_arn: str) -> None:
    """Copy each provider's section of the secret into `OMS_PROVIDER_<NAME>` unless already set."""
    from oms.faults import aws_client  # lazily: only deployed functions with a secret need it

    secret = aws_client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    for name, section in json.loads(secret).items():
        os.environ.setdefault(f"OMS_PROVIDER_{name.upper()}", json.dumps(section))


def provider_factory() -> Callable[[PaymentMethod], PaymentProvider]:
    cache: dict[PaymentMethod, PaymentProvider] = {}

    def get(method: PaymentMethod) -> PaymentProvider:
        global _secrets_loaded
        with _lock:
            if not _secrets_loaded:
                arn = os.environ.get("OMS_PROVIDER_SECRET_ARN")
                if arn:
                    load_secret_into_environment(arn)
                _secrets_loaded = True
            if method not in cache:
                cache[method] = provider_for(method)
            return cache[method]

    return get
