"""Local identity provider: signs Cognito-like ID tokens and verifies them as API Gateway would.

The HTTP API's JWT authorizer checks the signature against the issuer's JWKS, ``exp`` (and ``nbf``,
``iat`` when present), ``iss`` exactly, and that ``aud`` (or ``client_id`` for access tokens) is one
of the configured audiences. Locally the issuer is ``http://<host>:<port>/_local`` and the key is a
fresh RSA key per start, so tokens die with the process.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROLES = ("admin", "support", "warehouse", "finance", "merchant", "customer")
GROUPS_CLAIM = "cognito:groups"
STORES_CLAIM = "custom:stores"  # merchant staff's stores (comma-separated), the user pool's custom attribute
CUSTOM_ROLE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")  # admin-defined staff roles (oms.domain.roles)


class TokenError(Exception):
    """Why a token was rejected (the message is safe to show to the caller)."""


class TokenIssuer:
    def __init__(self, issuer: str, audience: str | Iterable[str]) -> None:
        self.issuer = issuer
        self.audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not self.audiences:
            raise ValueError("at least one audience is needed")
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex

    def mint(
        self,
        sub: str,
        roles: Iterable[str],
        *,
        expires_in: int = 86400,
        email: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        custom_roles: Iterable[str] = (),
        stores: Iterable[str] = (),
    ) -> str:
        """A signed ID token for ``sub`` whose ``cognito:groups`` are ``roles`` and ``custom_roles`` (groups
        named after custom staff roles), with the ``custom:stores`` claim when ``stores`` are given."""
        roles = list(roles)
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are {', '.join(ROLES)}")
        custom = list(custom_roles)
        malformed = sorted(name for name in custom if not CUSTOM_ROLE.fullmatch(name) or name in ROLES)
        if malformed:
            raise ValueError(f"custom role names {malformed} are not 2-32 lower-case letters, digits and dashes")
        roles += custom
        stores = [store for store in stores if store]
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "iss": self.issuer,
            "aud": self.audiences[0],
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            "cognito:username": sub,
            GROUPS_CLAIM: roles,
        }
        if stores:
            claims[STORES_CLAIM] = ",".join(stores)
        if email is not None:
            claims["email"] = email
            claims["email_verified"] = True
        claims.update(extra_claims or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or TokenError with the reason it was rejected."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("the token is not a well-formed JWT") from None
        if header.get("kid") != self.key_id:
            raise TokenError("the token was not signed by a key of this issuer")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.InvalidIssuerError:
            raise TokenError("the token's issuer is not accepted") from None
        except jwt.InvalidSignatureError:
            raise TokenError("the token's signature is invalid") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is invalid: {exc}") from None
        # API Gateway checks aud, or client_id when the token has no aud (Cognito access tokens).
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if not any(item in self.audiences for item in audiences):
            raise TokenError("the token's audience is not accepted")
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key set, as served at ``/_local/.well-known/jwks.json``."""
        key = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        key.update({"kid": self.key_id, "use": "sig", "alg": "RS256"})
        return {"keys": [key]}


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway passes them to a function: every value a string, lists as ``[a b c]``."""

    def render(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return "[" + " ".join(render(item) for item in value) + "]"
        if isinstance(value, dict):
            return "map[" + " ".join(f"{key}:{render(item)}" for key, item in value.items()) + "]"
        return str(value)

    return {key: render(value) for key, value in claims.items()}
