"""What every adapter shares: decimal amount strings, credentials from configuration, header lookup, the
HTTPS transport and `provider_for`."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms.adapters.providers import (
    UrllibTransport,
    decimal_to_minor,
    header,
    minor_to_decimal,
    provider_for,
)
from oms.adapters.providers.base import ProviderError
from oms.adapters.providers.credentials import (
    AlipayCredentials,
    CardCredentials,
    CredentialsError,
    WechatCredentials,
    env_var,
    load_credentials,
    load_private_key,
)
from oms.domain.payment import PaymentMethod
from oms_local.oms.payment_sandbox import Sandbox, SandboxError

# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("108.00", "CNY", 10800),
        ("0.01", "CNY", 1),
        ("0.10", "CNY", 10),
        ("0", "CNY", 0),
        ("108", "CNY", 10800),
        ("108.5", "CNY", 10850),
        ("1080", "JPY", 1080),
        ("1.234", "KWD", 1234),
        ("99999999.99", "CNY", 9999999999),
    ],
)
def test_decimal_strings_become_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert decimal_to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1e2", "CNY"),
        ("-1.00", "CNY"),
        ("+1.00", "CNY"),
        ("1.001", "CNY"),
        ("1.5", "JPY"),
        ("1.", "CNY"),
        (".5", "CNY"),
        ("01.00", "CNY"),
        (" 1.00", "CNY"),
        ("1.00\n", "CNY"),
        ("１.００", "CNY"),
        ("1_000", "CNY"),
        ("1,000.00", "CNY"),
        ("NaN", "CNY"),
        ("Infinity", "CNY"),
        ("", "CNY"),
        ("9" * 19, "CNY"),
    ],
)
def test_malformed_decimal_strings_are_refused(text: str, currency: str) -> None:
    with pytest.raises(ValueError):
        decimal_to_minor(text, currency)


def test_minor_units_render_with_the_currency_exponent() -> None:
    assert minor_to_decimal(10800, "CNY") == "108.00"
    assert minor_to_decimal(1, "CNY") == "0.01"
    assert minor_to_decimal(0, "CNY") == "0.00"
    assert minor_to_decimal(1080, "JPY") == "1080"
    assert minor_to_decimal(1234, "KWD") == "1.234"
    with pytest.raises(ValueError):
        minor_to_decimal(-1, "CNY")


@given(st.integers(min_value=0, max_value=10**10))
def test_yuan_strings_round_trip_exactly(minor: int) -> None:
    text = minor_to_decimal(minor, "CNY")
    assert decimal_to_minor(text, "CNY") == minor
    assert decimal_to_minor(text.rstrip("0").rstrip("."), "CNY") == minor  # "108.5" and "108" too


@given(st.integers(min_value=0, max_value=10**10), st.sampled_from(["JPY", "KWD", "USD"]))
def test_other_exponents_round_trip_exactly(minor: int, currency: str) -> None:
    assert decimal_to_minor(minor_to_decimal(minor, currency), currency) == minor


# ---------------------------------------------------------------- credentials


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=51)


def test_credentials_load_from_an_env_variable_or_a_file(sandbox: Sandbox, tmp_path: Path) -> None:
    env = sandbox.credentials_env()
    assert set(env) == {
        "OMS_PROVIDER_ALIPAY",
        "OMS_PROVIDER_WECHAT",
        "OMS_PROVIDER_CARD",
        "OMS_PROVIDER_CRYPTO",
        "OMS_PROVIDER_BANK_TRANSFER",
    }
    inline = load_credentials("alipay", env)
    path = tmp_path / "alipay.json"
    path.write_text(env["OMS_PROVIDER_ALIPAY"], encoding="utf-8")

    from_file = load_credentials("alipay", {"OMS_PROVIDER_ALIPAY_FILE": str(path)})

    assert isinstance(inline, AlipayCredentials) and from_file == inline
    assert inline.app_id == sandbox.alipay_app_id


def test_credentials_come_from_the_process_environment_by_default(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_PROVIDER_CARD", sandbox.credentials_env()["OMS_PROVIDER_CARD"])

    card = load_credentials(PaymentMethod.CARD)

    assert isinstance(card, CardCredentials) and card.publishable_key == sandbox.card_publishable_key


SECRET_FIELDS = {
    "alipay": ["app_private_key_pem"],
    "wechat": ["api_v3_key", "merchant_private_key_pem"],
    "card": ["secret_key", "webhook_secrets"],
    "crypto": ["api_key", "webhook_secret"],
}


@pytest.mark.parametrize("method", sorted(SECRET_FIELDS))
def test_reprs_never_show_secrets(sandbox: Sandbox, method: str) -> None:
    config = json.loads(sandbox.credentials_env()[env_var(method)])
    credentials = load_credentials(method, sandbox.credentials_env())
    shown = [repr(credentials), str(credentials), repr(sandbox.provider(method)), repr(sandbox)]

    for name in SECRET_FIELDS[method]:
        values = config[name] if isinstance(config[name], list) else [config[name]]
        for value in values:
            middle = value[len(value) // 2 : len(value) // 2 + 16]
            assert all(middle not in text for text in shown), name
    assert "<redacted>" in repr(credentials)


def test_a_wechat_key_of_the_wrong_length_is_refused_without_echoing_it(sandbox: Sandbox) -> None:
    config = json.loads(sandbox.credentials_env()["OMS_PROVIDER_WECHAT"])
    config["api_v3_key"] = "s3cr3t-but-too-short"

    with pytest.raises(CredentialsError) as refused:
        WechatCredentials.from_mapping(config)

    assert "api_v3_key" in str(refused.value) and "s3cr3t" not in str(refused.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "is not set"),
        ({"OMS_PROVIDER_CARD": "{not json"}, "not valid JSON"),
        ({"OMS_PROVIDER_CARD": "[1, 2]"}, "JSON object"),
        (
            {"OMS_PROVIDER_CARD": '{"secret_key": "sk_live_x", "webhook_secrets": ["w"], "api_base_url": "https://x"}'},
            "publishable_key",
        ),
        ({"OMS_PROVIDER_CARD": "{}", "OMS_PROVIDER_CARD_FILE": "/x"}, "only one"),
        ({"OMS_PROVIDER_CARD_FILE": "/nonexistent/card.json"}, "cannot be read"),
    ],
)
def test_missing_or_malformed_credentials_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(CredentialsError, match=message) as refused:
        load_credentials("card", environ)
    assert "sk_live_x" not in str(refused.value)


def test_card_webhook_secrets_must_be_a_list() -> None:
    config = {"publishable_key": "pk", "secret_key": "sk", "webhook_secrets": "whsec_x", "api_base_url": "https://x"}
    with pytest.raises(CredentialsError, match="webhook_secrets"):
        CardCredentials.from_mapping(config)


def test_a_bad_private_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(CredentialsError) as refused:
        load_private_key("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----")
    assert "c2VjcmV0" not in str(refused.value)


def test_bare_base64_keys_as_alipay_exports_them_are_accepted(sandbox: Sandbox) -> None:
    alipay = load_credentials("alipay", sandbox.credentials_env())
    assert isinstance(alipay, AlipayCredentials)
    bare = "".join(line for line in alipay.app_private_key_pem.splitlines() if "-----" not in line)

    assert load_private_key(bare).key_size == 2048


# ---------------------------------------------------------------- provider_for and headers


@pytest.mark.parametrize("method", ["alipay", "wechat", "card", "crypto", "bank_transfer"])
def test_provider_for_builds_each_adapter_from_configuration(sandbox: Sandbox, method: str) -> None:
    provider = provider_for(method, sandbox, environ=sandbox.credentials_env())
    assert provider.method is PaymentMethod(method)


def test_balance_has_no_provider(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="no external provider"):
        provider_for("balance", environ=sandbox.credentials_env())


def test_headers_are_found_case_insensitively() -> None:
    headers = {"content-type": "a", "Wechatpay-Serial": "b"}

    assert header(headers, "Content-Type") == "a"
    assert header(headers, "wechatpay-serial") == "b"
    assert header(headers, "X-Missing") is None
    with pytest.raises(ValueError):
        header({"X-A": "1", "x-a": "2"}, "X-A")


# ---------------------------------------------------------------- the HTTPS transport


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            return
        self.send_response(400 if self.path == "/refuse" else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"echo": body.decode(), "auth": self.headers.get("Authorization")}).encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_transport_answers_with_status_headers_and_body(local_server: str) -> None:
    transport = UrllibTransport(timeout=5, plain_http_hosts=frozenset({"127.0.0.1"}))

    status, headers, body = transport.send("POST", local_server + "/ok", {"Authorization": "Bearer x"}, b"a=1")
    refused = transport.send("POST", local_server + "/refuse", {}, b"")
    redirected = transport.send("POST", local_server + "/redirect", {"Authorization": "Bearer x"}, b"")

    assert status == 200 and json.loads(body) == {"echo": "a=1", "auth": "Bearer x"}
    assert header(headers, "content-type") == "application/json"
    assert refused[0] == 400  # an answer, not an exception
    assert redirected[0] == 302  # never followed: the Authorization header stays with the provider


def test_the_transport_refuses_plain_http() -> None:
    with pytest.raises(ProviderError, match="https only") as refused:
        UrllibTransport().send("POST", "http://api.example.invalid/v1", {}, b"")
    assert refused.value.retryable is False


def test_an_unreachable_provider_is_a_retryable_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = UrllibTransport(timeout=2, plain_http_hosts=frozenset({"127.0.0.1"}))

    with pytest.raises(ProviderError, match="cannot reach") as failed:
        transport.send("GET", f"http://127.0.0.1:{port}/", {"Authorization": "Bearer sk_live_secret"}, b"")

    assert failed.value.retryable is True and "sk_live_secret" not in str(failed.value)


def test_an_oversized_answer_is_refused(local_server: str) -> None:
    transport = UrllibTransport(timeout=5, max_response_bytes=10, plain_http_hosts=frozenset({"127.0.0.1"}))

    with pytest.raises(ProviderError, match="too large"):
        transport.send("POST", local_server + "/ok", {}, b"a" * 100)


# ---------------------------------------------------------------- the sandbox itself


def test_a_seeded_sandbox_is_deterministic_apart_from_its_rsa_keys() -> None:
    moment = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    first, second = Sandbox(seed=5, clock=lambda: moment), Sandbox(seed=5, clock=lambda: moment)

    assert first.credentials_env() == first.credentials_env()
    assert first.alipay_app_id == second.alipay_app_id
    assert first.card_webhook_secrets == second.card_webhook_secrets
    assert first.wechat_platform_serial != second.wechat_platform_serial  # fresh keys every time
    one, other = first.pay("card", "P-1", amount=100), second.pay("card", "P-1", amount=100)
    assert (one.body, one.headers, one.event_id) == (other.body, other.headers, other.event_id)


def test_bank_transfers_have_no_sandbox_callbacks(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError):
        sandbox.pay("bank_transfer", "P-1", amount=100)


def test_unknown_addresses_are_not_found(sandbox: Sandbox) -> None:
    assert sandbox.send("GET", "https://elsewhere.invalid/", {}, b"")[0] == 404
