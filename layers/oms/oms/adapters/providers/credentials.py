"""Provider credentials, loaded from configuration (never code), and the key operations on them.

Each provider's credentials are one JSON object in `OMS_PROVIDER_<NAME>` or in the file named by
`OMS_PROVIDER_<NAME>_FILE`, or (on AWS) a section of the Secrets Manager secret named by
`OMS_PROVIDER_SECRET_ARN` (a JSON object keyed alipay, wechat, card, crypto, bank_transfer; a variable
set explicitly wins over the secret's section). Names: OMS_PROVIDER_ALIPAY, OMS_PROVIDER_WECHAT,
OMS_PROVIDER_CARD, OMS_PROVIDER_CRYPTO, OMS_PROVIDER_BANK_TRANSFER. The secret is read through powertools'
parameter cache (`oms.adapters.secrets`: max_age, 300 s by default), so a rotation reaches running
functions without a cold start (`configured_environment`).

Secrets never appear in reprs or error messages: errors name the variable and the field, not the value.
`cryptography` is imported inside the key functions, so merely loading credentials stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from oms.domain.payment import PaymentMethod

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ENV_PREFIX = "OMS_PROVIDER_"
SECRET_ARN_ENV = "OMS_PROVIDER_SECRET_ARN"


class CredentialsError(Exception):
    """Credentials are missing or malformed. The message names variables and fields, never values."""


def env_var(method: PaymentMethod | str) -> str:
    """`OMS_PROVIDER_ALIPAY`, … (add `_FILE` for the file form)."""
    return ENV_PREFIX + PaymentMethod(method).value.upper()


def configured_environment(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """`environ` (default: the process environment) with the sections of the secret named by
    OMS_PROVIDER_SECRET_ARN as OMS_PROVIDER_<NAME> variables (explicit variables win). Each call consults
    the secrets cache, so a rotated secret shows here once its cached value is older than max_age.
    CredentialsError when the secret cannot be read or is not a JSON object of objects."""
    from oms.adapters.secrets import SecretUnreadable, read_secret_string

    env = os.environ if environ is None else environ
    arn = env.get(SECRET_ARN_ENV, "").strip()
    if not arn:
        return env
    try:
        text = read_secret_string(arn)
    except SecretUnreadable as error:
        raise CredentialsError(f"cannot read the secret named by {SECRET_ARN_ENV}: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CredentialsError(f"the secret named by {SECRET_ARN_ENV} is not valid JSON") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in data.items()):
        raise CredentialsError(f"the secret named by {SECRET_ARN_ENV} must map provider names to JSON objects")
    sections = {ENV_PREFIX + name.upper(): json.dumps(section, sort_keys=True) for name, section in data.items()}
    return {**sections, **env}


def read_config(method: PaymentMethod | str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON object configured for `method`: inline in OMS_PROVIDER_<NAME> or in OMS_PROVIDER_<NAME>_FILE."""
    env = os.environ if environ is None else environ
    name = env_var(method)
    inline, path = env.get(name), env.get(name + "_FILE")
    if inline and path:
        raise CredentialsError(f"set only one of {name} and {name}_FILE")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            raise CredentialsError(f"{name}_FILE names a file that cannot be read") from None
        source = f"{name}_FILE"
    elif inline:
        text, source = inline, name
    else:
        raise CredentialsError(f"{name} (or {name}_FILE) is not set")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CredentialsError(f"{source} is not valid JSON") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{source} must hold a JSON object")
    return data


class _Redacted:
    """A repr that shows identifiers and hides every secret field."""

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = "<redacted>" if item.name in self._secret_fields else repr(getattr(self, item.name))
            shown.append(f"{item.name}={value}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise CredentialsError(f"{where}: field {name!r} is missing or not a non-empty string")
    return value


def _url(data: Mapping[str, Any], name: str, where: str) -> str:
    value = _text(data, name, where)
    if not value.startswith(("https://", "http://")):
        raise CredentialsError(f"{where}: field {name!r} must be an http(s) URL")
    return value.rstrip("/") if name.endswith("base_url") else value


@dataclass(frozen=True, repr=False)
class AlipayCredentials(_Redacted):
    app_id: str
    seller_id: str
    app_private_key_pem: str  # ours: signs requests
    alipay_public_key_pem: str  # Alipay's: verifies notifies and responses
    gateway_url: str
    notify_url: str

    _secret_fields: ClassVar[frozenset[str]] = frozenset({"app_private_key_pem"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "alipay credentials") -> Self:
        return cls(
            app_id=_text(data, "app_id", where),
            seller_id=_text(data, "seller_id", where),
            app_private_key_pem=_text(data, "app_private_key_pem", where),
            alipay_public_key_pem=_text(data, "alipay_public_key_pem", where),
            gateway_url=_url(data, "gateway_url", where),
            notify_url=_url(data, "notify_url", where),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.from_mapping(read_config(PaymentMethod.ALIPAY, environ), env_var(PaymentMethod.ALIPAY))


@dataclass(frozen=True, repr=False)
class WechatCredentials(_Redacted):
    mch_id: str
    app_id: str
    api_v3_key: str  # 32 bytes of text: decrypts notification resources
    merchant_private_key_pem: str  # ours: signs requests
    merchant_serial: str  # serial of our merchant API certificate
    platform_public_keys: Mapping[str, str]  # serial → PEM (public key or certificate); several during rotation
    api_base_url: str
    notify_url: str

    _secret_fields: ClassVar[frozenset[str]] = frozenset({"api_v3_key", "merchant_private_key_pem"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "wechat credentials") -> Self:
        api_v3_key = _text(data, "api_v3_key", where)
        if len(api_v3_key.encode("utf-8")) != 32:
            raise CredentialsError(f"{where}: field 'api_v3_key' must be 32 bytes")
        keys = data.get("platform_public_keys")
        if (
            not isinstance(keys, dict)
            or not keys
            or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in keys.items())
        ):
            raise CredentialsError(f"{where}: field 'platform_public_keys' must map serials to PEM strings")
        return cls(
            mch_id=_text(data, "mch_id", where),
            app_id=_text(data, "app_id", where),
            api_v3_key=api_v3_key,
            merchant_private_key_pem=_text(data, "merchant_private_key_pem", where),
            merchant_serial=_text(data, "merchant_serial", where),
            platform_public_keys=dict(keys),
            api_base_url=_url(data, "api_base_url", where),
            notify_url=_url(data, "notify_url", where),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.from_mapping(read_config(PaymentMethod.WECHAT, environ), env_var(PaymentMethod.WECHAT))


@dataclass(frozen=True, repr=False)
class CardCredentials(_Redacted):
    publishable_key: str
    secret_key: str
    webhook_secrets: tuple[str, ...]  # every secret currently valid (rotation: new and old)
    api_base_url: str

    _secret_fields: ClassVar[frozenset[str]] = frozenset({"secret_key", "webhook_secrets"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "card credentials") -> Self:
        secrets = data.get("webhook_secrets")
        if not isinstance(secrets, list) or not secrets or not all(isinstance(s, str) and s for s in secrets):
            raise CredentialsError(f"{where}: field 'webhook_secrets' must be a non-empty list of strings")
        return cls(
            publishable_key=_text(data, "publishable_key", where),
            secret_key=_text(data, "secret_key", where),
            webhook_secrets=tuple(secrets),
            api_base_url=_url(data, "api_base_url", where),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.from_mapping(read_config(PaymentMethod.CARD, environ), env_var(PaymentMethod.CARD))


@dataclass(frozen=True, repr=False)
class CryptoCredentials(_Redacted):
    api_key: str
    webhook_secret: str
    api_base_url: str

    _secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key", "webhook_secret"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "crypto credentials") -> Self:
        return cls(
            api_key=_text(data, "api_key", where),
            webhook_secret=_text(data, "webhook_secret", where),
            api_base_url=_url(data, "api_base_url", where),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.from_mapping(read_config(PaymentMethod.CRYPTO, environ), env_var(PaymentMethod.CRYPTO))


@dataclass(frozen=True, repr=False)
class BankTransferCredentials(_Redacted):
    beneficiary_name: str
    bank_name: str
    account_number: str
    swift_bic: str
    reference_prefix: str

    _secret_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "bank transfer details") -> Self:
        prefix = _text(data, "reference_prefix", where)
        if not prefix.isascii() or not prefix.isalnum() or len(prefix) > 8:
            raise CredentialsError(f"{where}: field 'reference_prefix' must be 1-8 ASCII letters or digits")
        return cls(
            beneficiary_name=_text(data, "beneficiary_name", where),
            bank_name=_text(data, "bank_name", where),
            account_number=_text(data, "account_number", where),
            swift_bic=_text(data, "swift_bic", where),
            reference_prefix=prefix.upper(),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.from_mapping(read_config(PaymentMethod.BANK_TRANSFER, environ), env_var(PaymentMethod.BANK_TRANSFER))


ProviderCredentials = (
    AlipayCredentials | WechatCredentials | CardCredentials | CryptoCredentials | BankTransferCredentials
)

_CLASSES: dict[PaymentMethod, Any] = {
    PaymentMethod.ALIPAY: AlipayCredentials,
    PaymentMethod.WECHAT: WechatCredentials,
    PaymentMethod.CARD: CardCredentials,
    PaymentMethod.CRYPTO: CryptoCredentials,
    PaymentMethod.BANK_TRANSFER: BankTransferCredentials,
}


def load_credentials(method: PaymentMethod | str, environ: Mapping[str, str] | None = None) -> ProviderCredentials:
    """The credentials of `method` from OMS_PROVIDER_<NAME>[_FILE]; CredentialsError if absent or malformed."""
    chosen = PaymentMethod(method)
    if chosen not in _CLASSES:
        raise CredentialsError(f"payment method {chosen.value!r} has no provider credentials")
    loaded: ProviderCredentials = _CLASSES[chosen].load(environ)
    return loaded


# ---------------------------------------------------------------- key operations


def _pem_body(text: str) -> bytes:
    return text.strip().encode("ascii", errors="strict")


@lru_cache(maxsize=32)
def load_private_key(pem: str) -> RSAPrivateKey:
    """An RSA private key from PEM (PKCS#8 or PKCS#1) or from bare base64 DER, as Alipay's tools export it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    key: object
    try:
        raw = _pem_body(pem)
        if b"-----BEGIN" in raw:
            key = serialization.load_pem_private_key(raw, password=None)
        else:
            key = serialization.load_der_private_key(base64.b64decode(raw, validate=True), password=None)
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise CredentialsError("a configured private key is not a valid unencrypted key") from None
    if not isinstance(key, RSAPrivateKey) or key.key_size < 2048:
        raise CredentialsError("a configured private key is not an RSA key of at least 2048 bits")
    return key


@lru_cache(maxsize=32)
def load_public_key(pem: str) -> RSAPublicKey:
    """An RSA public key from a PEM public key, a PEM X.509 certificate, or bare base64 DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    key: object
    try:
        raw = _pem_body(pem)
        if b"-----BEGIN CERTIFICATE" in raw:
            key = x509.load_pem_x509_certificate(raw).public_key()
        elif b"-----BEGIN" in raw:
            key = serialization.load_pem_public_key(raw)
        else:
            key = serialization.load_der_public_key(base64.b64decode(raw, validate=True))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise CredentialsError("a configured public key is not a valid key or certificate") from None
    if not isinstance(key, RSAPublicKey) or key.key_size < 2048:
        raise CredentialsError("a configured public key is not an RSA key of at least 2048 bits")
    return key


def rsa_sign(private_pem: str, message: bytes) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature: Alipay RSA2 and WeChat Pay v3."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = load_private_key(private_pem).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_pem: str, message: bytes, signature_b64: str) -> bool:
    """True only if `signature_b64` is strict base64 of a valid SHA256withRSA signature over `message`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not signature:
        return False
    try:
        load_public_key(public_pem).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def hex_digest_matches(expected_hex: str, given: str) -> bool:
    """Constant-time comparison of two hex digests (case-insensitive on the given one)."""
    return hmac.compare_digest(expected_hex.encode("ascii"), given.strip().lower().encode("ascii", errors="replace"))


_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_timestamped_signature(value: str, max_signatures: int | None = None) -> tuple[int, list[str]]:
    """(t, [v1, …]) from a Stripe-style `t=…,v1=…[,v1=…]` header (card webhooks, carrier webhooks, the
    warehouse's answers); other schemes (v0) are ignored; ValueError if malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, text = item.strip().partition("=")
        if not sep or not key or not text:
            raise ValueError("malformed signature header")
        if key == "t":
            if timestamp is not None or not (text.isascii() and text.isdigit() and len(text) <= 12):
                raise ValueError("malformed signature timestamp")
            timestamp = int(text)
        elif key == "v1":
            if not _HEX64.fullmatch(text):
                raise ValueError("malformed v1 signature")
            signatures.append(text)
    if timestamp is None or not signatures:
        raise ValueError("signature header lacks t or v1")
    if max_signatures is not None and len(signatures) > max_signatures:
        raise ValueError("too many v1 signatures")
    return timestamp, signatures
