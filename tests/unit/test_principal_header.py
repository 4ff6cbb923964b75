"""Parsing App Service Authentication's ``x-ms-client-principal`` header."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from security.principal import (
    FULFILMENT_DEADLINE_PRINCIPAL,
    NAME_IDENTIFIER_CLAIM,
    Principal,
    PrincipalError,
    Role,
    parse_client_principal,
)

ROLE_TYP = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
NAME_TYP = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def header(document: Any, *, urlsafe: bool = False, pad: bool = True) -> str:
    raw = json.dumps(document).encode()
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return encoded if pad else encoded.rstrip("=")


def easy_auth(*claims: tuple[str, str]) -> dict[str, Any]:
    return {
        "auth_typ": "aad",
        "name_typ": NAME_TYP,
        "role_typ": ROLE_TYP,
        "claims": [{"typ": typ, "val": val} for typ, val in claims],
    }


def test_an_easy_auth_principal_is_read() -> None:
    principal = parse_client_principal(
        header(
            easy_auth(
                (NAME_IDENTIFIER_CLAIM, "alice-123"),
                (NAME_TYP, "Alice"),
                (ROLE_TYP, "customer"),
                (ROLE_TYP, "support"),
            )
        )
    )
    assert principal == Principal(
        user_id="alice-123",
        name="Alice",
        roles=frozenset({"customer", "support"}),
        auth_type="aad",
    )
    assert principal.has_role(Role.SUPPORT) and not principal.has_role(Role.ADMIN)


def test_sub_and_roles_claims_work_without_role_typ() -> None:
    document = {
        "auth_typ": "devhost",
        "claims": [
            {"typ": "sub", "val": "bob"},
            {"typ": "roles", "val": "fulfilment"},
            {"typ": "name", "val": "Bob"},
        ],
    }
    principal = parse_client_principal(header(document))
    assert (principal.user_id, principal.name, principal.roles) == (
        "bob",
        "Bob",
        frozenset({"fulfilment"}),
    )


def test_nameidentifier_wins_over_sub_and_the_name_falls_back_to_the_id() -> None:
    principal = parse_client_principal(
        header(easy_auth(("sub", "from-sub"), (NAME_IDENTIFIER_CLAIM, "from-nameid")))
    )
    assert principal.user_id == "from-nameid" and principal.name == "from-nameid"
    assert principal.roles == frozenset()


@pytest.mark.parametrize(("urlsafe", "pad"), [(True, True), (True, False), (False, False)])
def test_base64_variants_are_accepted(urlsafe: bool, pad: bool) -> None:
    document = easy_auth(("sub", "ä-user?>>"), (ROLE_TYP, "admin"))
    assert parse_client_principal(header(document, urlsafe=urlsafe, pad=pad)).user_id


def test_no_token_can_grant_the_system_role() -> None:
    principal = parse_client_principal(header(easy_auth(("sub", "eve"), (ROLE_TYP, "system"))))
    assert not principal.is_system and principal.roles == frozenset()


MALFORMED: list[tuple[str | None, str]] = [
    (None, "missing"),
    ("", "missing"),
    ("   ", "missing"),
    ("!!!not base64!!!", "base64"),
    (base64.b64encode(b"\xff\xfe").decode(), "JSON"),
    (base64.b64encode(b"{not json").decode(), "JSON"),
    (header(["a", "list"]), "object"),
    (header({"auth_typ": "aad"}), "claims"),
    (header({"claims": "nope"}), "claims"),
    (header({"claims": ["nope"]}), "claim"),
    (header({"claims": [{"typ": "sub"}]}), "claim"),
    (header({"claims": [{"typ": "sub", "val": 7}]}), "claim"),
    (header(easy_auth((ROLE_TYP, "admin"))), "user id"),
    (header({"claims": [{"typ": "sub", "val": "x"}], "role_typ": 5}), "role_typ"),
    (header(easy_auth(("sub", "x" * 300))), "user id"),
    ("A" * 20_000, "too large"),
]


@pytest.mark.parametrize(
    ("value", "reason"), MALFORMED, ids=[f"{i}-{reason}" for i, (_, reason) in enumerate(MALFORMED)]
)
def test_malformed_headers_are_rejected_clearly(value: str | None, reason: str) -> None:
    with pytest.raises(PrincipalError, match=reason):
        parse_client_principal(value)


def test_errors_never_echo_the_header() -> None:
    secret_looking = header({"claims": [{"typ": "email", "val": "alice@example.com"}]})
    with pytest.raises(PrincipalError) as caught:
        parse_client_principal(secret_looking)
    assert "alice@example.com" not in str(caught.value)
    assert secret_looking not in str(caught.value)


def test_a_principal_travels_as_a_plain_dict() -> None:
    alice = Principal("alice", "Alice", frozenset({"customer"}), "aad")
    wire = json.loads(json.dumps(alice.to_dict()))
    assert wire == {"userId": "alice", "name": "Alice", "roles": ["customer"], "authType": "aad"}
    assert Principal.from_dict(wire) == alice
    with pytest.raises(PrincipalError):
        Principal.from_dict({"roles": []})
    with pytest.raises(PrincipalError):
        Principal.from_dict({"userId": "x", "roles": "admin"})


def test_the_deadline_runs_as_a_system_principal() -> None:
    assert FULFILMENT_DEADLINE_PRINCIPAL.is_system
    assert FULFILMENT_DEADLINE_PRINCIPAL.user_id == "system:fulfilment-deadline"
    assert Principal.from_dict(FULFILMENT_DEADLINE_PRINCIPAL.to_dict()).is_system
