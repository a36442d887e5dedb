"""Sealing secrets at rest: virtual goods' codes and channel stores' callback secrets are stored under
AES-256-GCM (a random 96-bit nonce per value, the owner's id as associated data, so a sealed value copied
onto another item does not open), and looked up by a keyed hash (HMAC-SHA256), never by the value.

The master key is 32 random bytes, base64: a Secrets Manager secret on AWS (`SEALING_KEY_SECRET_ARN`),
`SEALING_KEY` in the environment locally and in tests (the local stack generates one per state directory).
Two keys are derived from it with HKDF (one to encrypt, one to hash). Without a key nothing is sealed:
the features that need one answer 503 (`SealingUnavailable`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from functools import cached_property

from oms.adapters.secrets import SecretUnreadable, read_secret_string
from oms.domain.errors import DomainError

KEY_ENV = "SEALING_KEY"
KEY_SECRET_ENV = "SEALING_KEY_SECRET_ARN"
NONCE_BYTES = 12
_lock = threading.Lock()


class SealingUnavailable(DomainError):
    slug = "service-unavailable"
    title = "Service temporarily unavailable"
    status = 503


class Sealer:
    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise ValueError("the sealing key is 32 bytes")
        self._master = master

    def _derive(self, purpose: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"oms-sealing:" + purpose).derive(
            self._master
        )

    @cached_property
    def _aead(self) -> object:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._derive(b"aes-gcm"))

    @cached_property
    def _mac_key(self) -> bytes:
        return self._derive(b"digest")

    def seal(self, value: str, owner: str) -> str:
        """`v1.<base64 nonce‖ciphertext‖tag>`; `owner` (a SKU or store id) is authenticated with it."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), owner.encode())  # type: ignore[attr-defined]
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, owner: str) -> str:
        version, _, body = sealed.partition(".")
        if version != "v1":
            raise ValueError("unknown sealing version")
        raw = base64.urlsafe_b64decode(body)
        opened = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode())  # type: ignore[attr-defined]
        return bytes(opened).decode()

    def digest(self, value: str) -> str:
        """A keyed hash of `value`: equal values have equal digests; nobody without the key can compute one."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()[:40]


_cached: tuple[str, Sealer] | None = None


def sealer() -> Sealer:
    """The configured sealer (cached per key); 503 when no key is configured or the secret is unreadable."""
    global _cached
    source = os.environ.get(KEY_ENV) or ""
    if not source and os.environ.get(KEY_SECRET_ENV):
        try:
            source = read_secret_string(os.environ[KEY_SECRET_ENV])
        except SecretUnreadable as error:
            raise SealingUnavailable(f"the sealing key could not be read ({error})") from None
    if not source:
        raise SealingUnavailable("no sealing key is configured (SEALING_KEY or SEALING_KEY_SECRET_ARN)")
    with _lock:
        if _cached is None or _cached[0] != source:
            try:
                _cached = (source, Sealer(base64.b64decode(source.strip())))
            except (ValueError, TypeError):
                raise SealingUnavailable("the sealing key is not 32 base64 bytes") from None
        return _cached[1]


def new_key() -> str:
    """A fresh master key, base64 (the local stack's and the tests')."""
    return base64.b64encode(secrets.token_bytes(32)).decode()
