"""The provider factory the payment functions use: adapters built once per container and configuration,
with keys from configuration — `OMS_PROVIDER_<NAME>` (JSON) / `OMS_PROVIDER_<NAME>_FILE` locally, or one
Secrets Manager secret on AWS (`OMS_PROVIDER_SECRET_ARN`, a JSON object keyed by provider) read through
powertools' cache at first use and again once older than max_age: an adapter is rebuilt when its
section changes, so a rotation needs no cold start."""

from __future__ import annotations

import threading
from collections.abc import Callable

from oms.adapters.providers import provider_for
from oms.adapters.providers.base import PaymentProvider
from oms.adapters.providers.credentials import configured_environment, env_var
from oms.domain.payment import PaymentMethod

_lock = threading.Lock()


def provider_factory() -> Callable[[PaymentMethod], PaymentProvider]:
    cache: dict[PaymentMethod, tuple[tuple[str | None, str | None], PaymentProvider]] = {}

    def get(method: PaymentMethod) -> PaymentProvider:
        with _lock:
            environ = configured_environment()
            name = env_var(method)
            configured = (environ.get(name), environ.get(name + "_FILE"))
            if method not in cache or cache[method][0] != configured:
                cache[method] = (configured, provider_for(method, environ=environ))
            return cache[method][1]

    return get
