"""Every provider refuses an authentic notice whose own timestamp is outside the freshness window
(Alipay notify_time, WeChat create_time, the card and crypto events' creation time): a signed notice
never expires by itself, so a captured one could otherwise pay an order years later. The window is
CALLBACK_FRESHNESS_SECONDS (template parameter CallbackFreshnessSeconds, default 4 days: the providers
retry for up to 3 days); a notice more than 5 minutes in the future is refused too. Card and WeChat
also keep their per-delivery signature tolerance (5 minutes), which a retry re-signs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from oms.adapters.providers import DEFAULT_FRESHNESS_SECONDS, callback_freshness_seconds
from oms.adapters.providers.base import CallbackRejected, CallbackStale, NoticeStatus, PaymentProvider
from oms.domain.ids import new_id
from oms_local.oms.payment_sandbox import Sandbox, SandboxCallback

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
METHODS = ["alipay", "wechat", "card", "crypto"]
CURRENCY = {"alipay": "CNY", "wechat": "CNY", "card": "USD", "crypto": "USD"}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=61, clock=lambda: NOW)


def provider(sandbox: Sandbox, method: str, **kwargs: Any) -> PaymentProvider:
    return sandbox.provider(method, clock=lambda: NOW, **kwargs)


def notice_aged(sandbox: Sandbox, method: str, age: timedelta) -> SandboxCallback:
    """A notice whose provider timestamp is `age` old, delivered now as the provider would: Alipay's
    notify_time is the sending time; the other providers re-send the same event, signed again now."""
    then = NOW - age
    delivered = then if method == "alipay" else NOW
    return sandbox.pay(
        method, new_id(), amount=10800, currency=CURRENCY[method], timestamp=then, delivered_at=delivered
    )


def verify(sandbox: Sandbox, method: str, callback: SandboxCallback, **kwargs: Any) -> NoticeStatus:
    return provider(sandbox, method, **kwargs).verify_callback(callback.headers, callback.body).status


@pytest.mark.parametrize("method", METHODS)
def test_a_notice_730_days_old_is_rejected_as_stale(sandbox: Sandbox, method: str) -> None:
    callback = notice_aged(sandbox, method, timedelta(days=730))
    with pytest.raises(CallbackStale, match="730 days old, outside the 4 days window"):
        verify(sandbox, method, callback)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=25), timedelta(days=3), timedelta(days=4)])
def test_a_notice_inside_the_window_is_accepted(sandbox: Sandbox, method: str, age: timedelta) -> None:
    assert verify(sandbox, method, notice_aged(sandbox, method, age)) is NoticeStatus.SUCCEEDED


@pytest.mark.parametrize("method", METHODS)
def test_one_second_past_the_window_is_rejected(sandbox: Sandbox, method: str) -> None:
    callback = notice_aged(sandbox, method, timedelta(seconds=DEFAULT_FRESHNESS_SECONDS + 1))
    with pytest.raises(CallbackStale):
        verify(sandbox, method, callback)


@pytest.mark.parametrize("method", METHODS)
def test_a_notice_from_the_future_beyond_a_small_skew_is_rejected(sandbox: Sandbox, method: str) -> None:
    assert verify(sandbox, method, notice_aged(sandbox, method, -timedelta(minutes=4))) is NoticeStatus.SUCCEEDED
    with pytest.raises(CallbackStale, match="in the future"):
        verify(sandbox, method, notice_aged(sandbox, method, -timedelta(minutes=10)))


@pytest.mark.parametrize("method", METHODS)
def test_the_window_comes_from_the_environment(sandbox: Sandbox, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLBACK_FRESHNESS_SECONDS", "3600")
    assert verify(sandbox, method, notice_aged(sandbox, method, timedelta(minutes=30))) is NoticeStatus.SUCCEEDED
    with pytest.raises(CallbackStale, match="2 hours old, outside the 3600 s window"):
        verify(sandbox, method, notice_aged(sandbox, method, timedelta(hours=2)))
    # An explicit window wins over the environment.
    assert verify(sandbox, method, notice_aged(sandbox, method, timedelta(hours=2)), freshness_seconds=86400) is (
        NoticeStatus.SUCCEEDED
    )


@pytest.mark.parametrize("value", ["", "0", "-5", "soon"])
def test_a_bad_window_setting_is_refused(value: str) -> None:
    if value == "":
        assert callback_freshness_seconds({"CALLBACK_FRESHNESS_SECONDS": value}) == DEFAULT_FRESHNESS_SECONDS
        return
    with pytest.raises(ValueError, match="CALLBACK_FRESHNESS_SECONDS"):
        callback_freshness_seconds({"CALLBACK_FRESHNESS_SECONDS": value})


@pytest.mark.parametrize("notify_time", [None, "", "2026-11-22T10:00:00Z", "yesterday"])
def test_an_alipay_notice_without_a_usable_notify_time_is_rejected(sandbox: Sandbox, notify_time: str | None) -> None:
    callback = sandbox.pay("alipay", new_id(), amount=10800, overrides={"notify_time": notify_time})
    with pytest.raises(CallbackRejected, match="notify_time"):
        verify(sandbox, "alipay", callback)
