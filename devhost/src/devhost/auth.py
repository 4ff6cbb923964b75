"""A local stand-in for App Service Authentication ("Easy Auth").

In Azure the platform validates the caller's token and injects ``x-ms-client-principal*`` headers;
the app trusts them because external requests cannot set them. Locally, devhost plays that part:
it verifies bearer tokens it minted itself (HS256, a secret in ``<data_dir>/token-signing.key``),
strips any principal header the client sent, and injects its own.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt

from devhost.keys import load_or_create_secret_file

__all__ = [
    "AUTH_TYPE",
    "ISSUER",
    "NAMEIDENTIFIER_CLAIM",
    "NAME_CLAIM",
    "ROLE_CLAIM",
    "SIGNING_KEY_FILE",
    "Claims",
    "InvalidToken",
    "TokenIssuer",
    "bearer_token",
    "principal_headers",
    "strip_principal_headers",
]

ISSUER = "devhost"
AUTH_TYPE = "devhost"
SIGNING_KEY_FILE = "token-signing.key"
NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
ROLE_CLAIM = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
NAMEIDENTIFIER_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
_ALGORITHM = "HS256"
# Header names App Service reserves: client-sent values are dropped before the app sees them.
_RESERVED_PREFIXES = ("x-ms-client-principal", "x-ms-token-")
# Claim values end up in header values: no control characters (no header injection).
_SAFE_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")


class InvalidToken(Exception):
    """A bearer token was rejected; ``reason`` is safe to show the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    """The verified identity a token carries."""

    sub: str
    name: str | None
    roles: tuple[str, ...]
    expires_at: datetime


def _safe(value: object) -> bool:
    return isinstance(value, str) and _SAFE_TEXT.fullmatch(value) is not None


_VERIFIED_CACHE = 4096


class TokenIssuer:
    """Mints and verifies devhost bearer tokens with a per-data-dir signing secret."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        secret = load_or_create_secret_file(
            data_dir / SIGNING_KEY_FILE, lambda: secrets.token_urlsafe(48)
        )
        self._secret = secret.strip().encode("utf-8")
        self._clock = clock
        # A token's signature and claims never change, so a verified token is remembered (its
        # expiry is still checked on every use): clients send the same token on every request.
        self._verified: OrderedDict[str, Claims] = OrderedDict()

    def __repr__(self) -> str:
        return "TokenIssuer(secret=***)"

    def mint(self, sub: str, roles: Sequence[str], name: str | None = None, ttl: int = 3600) -> str:
        """A signed token for ``sub`` with ``roles``, valid for ``ttl`` seconds."""
        if isinstance(roles, str):
            raise TypeError("roles must be a sequence of role names, not a string")
        if not _safe(sub):
            raise ValueError("sub must be a non-empty string without control characters")
        if name is not None and not _safe(name):
            raise ValueError("name must be a non-empty string without control characters")
        if not all(_safe(role) for role in roles):
            raise ValueError("roles must be non-empty strings without control characters")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        now = int(self._clock())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "sub": sub,
            "roles": list(roles),
            "iat": now,
            "exp": now + ttl,
        }
        if name is not None:
            payload["name"] = name
        return jwt.encode(payload, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Claims:
        """The claims of a valid token, or ``InvalidToken`` saying why not."""
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at.timestamp() <= self._clock():
                del self._verified[token]
                raise InvalidToken("token expired")
            self._verified.move_to_end(token)
            return known
        claims = self._decode(token)
        self._verified[token] = claims
        if len(self._verified) > _VERIFIED_CACHE:
            self._verified.popitem(last=False)
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=ISSUER,
                # Time is checked below against the injectable clock.
                options={
                    "require": ["iss", "sub", "exp", "iat"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"missing {exc.claim}") from None
        except jwt.exceptions.InvalidSubjectError:
            raise InvalidToken("missing sub") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("wrong issuer") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("bad signature") from None
        except jwt.InvalidAlgorithmError:
            raise InvalidToken("unsupported algorithm") from None
        except jwt.DecodeError:
            raise InvalidToken("malformed token") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("invalid token") from None
        return self._claims(payload)

    def _claims(self, payload: dict[str, Any]) -> Claims:
        exp = payload["exp"]
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise InvalidToken("malformed token")
        if exp <= self._clock():
            raise InvalidToken("token expired")
        sub, name, roles = payload["sub"], payload.get("name"), payload.get("roles", [])
        if not _safe(sub):
            raise InvalidToken("missing sub")
        if name is not None and not _safe(name):
            raise InvalidToken("malformed token")
        if not isinstance(roles, list) or not all(_safe(role) for role in roles):
            raise InvalidToken("malformed token")
        return Claims(sub, name, tuple(roles), datetime.fromtimestamp(exp, UTC))


def principal_headers(claims: Claims) -> dict[str, str]:
    """The headers App Service injects for an authenticated caller.

    ``x-ms-client-principal`` is base64 of ``{"auth_typ", "claims": [{"typ", "val"}...],
    "name_typ", "role_typ"}`` (App Service docs, "Work with user identities in Azure App Service
    authentication" -> "Decoding the client principal header").
    """
    display_name = claims.name or claims.sub
    principal = {
        "auth_typ": AUTH_TYPE,
        "claims": [
            {"typ": NAMEIDENTIFIER_CLAIM, "val": claims.sub},
            {"typ": NAME_CLAIM, "val": display_name},
            *({"typ": ROLE_CLAIM, "val": role} for role in claims.roles),
            {"typ": "sub", "val": claims.sub},
        ],
        "name_typ": NAME_CLAIM,
        "role_typ": ROLE_CLAIM,
    }
    encoded = base64.b64encode(json.dumps(principal).encode("utf-8")).decode("ascii")
    return {
        "x-ms-client-principal": encoded,
        "x-ms-client-principal-id": claims.sub,
        "x-ms-client-principal-name": display_name,
        "x-ms-client-principal-idp": AUTH_TYPE,
    }


def strip_principal_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop identity headers only the platform may set (``x-ms-client-principal*``, and the
    provider-token headers ``x-ms-token-*``), so a client cannot forge an identity."""
    return [
        (name, value) for name, value in headers if not name.lower().startswith(_RESERVED_PREFIXES)
    ]


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` value (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None
