"""Who is calling: the ``Principal`` and the parsing of App Service's ``x-ms-client-principal``.

The header is only trustworthy when the platform (Easy Auth, or devhost locally) set it; the HTTP
layer decides that. Parse errors never echo the header, which may carry tokens or personal data.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CLIENT_PRINCIPAL_HEADER = "x-ms-client-principal"
NAME_IDENTIFIER_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
SUBJECT_CLAIM = "sub"
ROLES_CLAIM = "roles"
NAME_CLAIM = "name"
MAX_HEADER_LENGTH = 16 * 1024
MAX_USER_ID_LENGTH = 256


class Role(StrEnum):
    CUSTOMER = "customer"
    FULFILMENT = "fulfilment"
    SUPPORT = "support"
    ADMIN = "admin"
    # Only the system principal carries this; no token can grant it (see parse_client_principal).
    SYSTEM = "system"


class PrincipalError(ValueError):
    """The principal header is missing or malformed (the API answers 401)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; ``user_id`` is the customer id for customers."""

    user_id: str
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    auth_type: str = ""

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_system(self) -> bool:
        return Role.SYSTEM in self.roles

    def to_dict(self) -> dict[str, Any]:
        """The form that travels with commands through orchestration history."""
        return {
            "userId": self.user_id,
            "name": self.name,
            "roles": sorted(self.roles),
            "authType": self.auth_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Principal:
        user_id = data.get("userId")
        roles = data.get("roles", [])
        if not isinstance(user_id, str) or not user_id:
            raise PrincipalError("a principal needs a non-empty 'userId'")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise PrincipalError("a principal's 'roles' must be a list of strings")
        return cls(
            user_id=user_id,
            name=str(data.get("name", "")),
            roles=frozenset(roles),
            auth_type=str(data.get("authType", "")),
        )


def system_principal(purpose: str) -> Principal:
    """The principal a background workflow acts as, e.g. the fulfilment deadline."""
    return Principal(
        user_id=f"system:{purpose}",
        name=purpose,
        roles=frozenset({Role.SYSTEM}),
        auth_type="system",
    )


FULFILMENT_DEADLINE_PRINCIPAL = system_principal("fulfilment-deadline")


def parse_client_principal(header_value: str | None) -> Principal:
    """Decode ``x-ms-client-principal`` (base64 JSON with ``claims``) into a ``Principal``."""
    document = _decode_header(header_value)
    claims = _claims(document)
    role_type = _optional_str(document, "role_typ")
    name_type = _optional_str(document, "name_typ")
    user_id = _first_claim(claims, (NAME_IDENTIFIER_CLAIM, SUBJECT_CLAIM))
    if user_id is None:
        raise PrincipalError("the client principal has no user id (nameidentifier or sub claim)")
    if len(user_id) > MAX_USER_ID_LENGTH or not user_id.isprintable():
        raise PrincipalError("the client principal's user id is not acceptable")
    role_types = {ROLES_CLAIM} | ({role_type} if role_type else set())
    roles = frozenset(
        value for typ, value in claims if typ in role_types and value and value != Role.SYSTEM
    )
    name_types = tuple(t for t in (name_type, NAME_CLAIM) if t)
    name = _first_claim(claims, name_types) or user_id
    return Principal(
        user_id=user_id,
        name=name,
        roles=roles,
        auth_type=_optional_str(document, "auth_typ") or "",
    )


def _decode_header(header_value: str | None) -> Mapping[str, Any]:
    if not header_value or not header_value.strip():
        raise PrincipalError("the x-ms-client-principal header is missing")
    if len(header_value) > MAX_HEADER_LENGTH:
        raise PrincipalError("the x-ms-client-principal header is too large")
    text = "".join(header_value.split())
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in padded or "_" in padded:
            raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        else:
            raw = base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise PrincipalError("the x-ms-client-principal header is not valid base64") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PrincipalError("the x-ms-client-principal header is not valid JSON") from None
    if not isinstance(document, dict):
        raise PrincipalError("the x-ms-client-principal header is not a JSON object")
    return document


def _claims(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw_claims = document.get("claims")
    if not isinstance(raw_claims, list):
        raise PrincipalError("the client principal has no 'claims' list")
    claims: list[tuple[str, str]] = []
    for claim in raw_claims:
        if not isinstance(claim, dict):
            raise PrincipalError("a client principal claim is not an object")
        typ, val = claim.get("typ"), claim.get("val")
        if not isinstance(typ, str) or not isinstance(val, str):
            raise PrincipalError("a client principal claim needs string 'typ' and 'val'")
        claims.append((typ, val))
    return claims


def _first_claim(claims: Iterable[tuple[str, str]], types: tuple[str, ...]) -> str | None:
    by_type: dict[str, str] = {}
    for typ, value in claims:
        if value:
            by_type.setdefault(typ, value)
    return next((by_type[t] for t in types if t in by_type), None)


def _optional_str(document: Mapping[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PrincipalError(f"the client principal's '{key}' must be a string")
    return value
