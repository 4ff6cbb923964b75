"""The local Easy Auth stand-in: tokens, principal headers, header hygiene."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from devhost.auth import (
    Claims,
    InvalidToken,
    TokenIssuer,
    bearer_token,
    principal_headers,
    strip_principal_headers,
)

NOW = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(tmp_path: Path, clock: Clock) -> TokenIssuer:
    return TokenIssuer(tmp_path, clock=clock)


def secret(tmp_path: Path) -> bytes:
    return (tmp_path / "token-signing.key").read_text().strip().encode()


def reason(issuer: TokenIssuer, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        issuer.verify(token)
    return info.value.reason


class TestSigningKey:
    def test_created_with_mode_0600_and_reused(self, tmp_path: Path, clock: Clock) -> None:
        token = TokenIssuer(tmp_path / "data", clock=clock).mint("alice", ["customer"])
        path = tmp_path / "data" / "token-signing.key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert TokenIssuer(tmp_path / "data", clock=clock).verify(token).sub == "alice"

    def test_repr_hides_the_secret(self, issuer: TokenIssuer, tmp_path: Path) -> None:
        assert secret(tmp_path).decode() not in repr(issuer)


class TestMintAndVerify:
    def test_round_trip(self, issuer: TokenIssuer) -> None:
        claims = issuer.verify(issuer.mint("alice", ["customer", "support"], name="Alice"))
        assert claims == Claims(
            sub="alice",
            name="Alice",
            roles=("customer", "support"),
            expires_at=datetime.fromtimestamp(NOW + 3600, UTC),
        )

    def test_payload_is_a_standard_hs256_jwt(self, issuer: TokenIssuer, tmp_path: Path) -> None:
        token = issuer.mint("bob", ["admin"], ttl=60)
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        payload = jwt.decode(
            token, secret(tmp_path), algorithms=["HS256"], options={"verify_exp": False}
        )
        assert payload == {
            "iss": "devhost",
            "sub": "bob",
            "roles": ["admin"],
            "iat": int(NOW),
            "exp": int(NOW) + 60,
        }

    def test_name_is_optional(self, issuer: TokenIssuer) -> None:
        assert issuer.verify(issuer.mint("carol", [])).name is None

    def test_expired_token_rejected(self, issuer: TokenIssuer, clock: Clock) -> None:
        token = issuer.mint("alice", ["customer"], ttl=10)
        clock.now += 9
        assert issuer.verify(token).sub == "alice"
        clock.now += 1
        assert reason(issuer, token) == "token expired"

    def test_tampered_payload_rejected(self, issuer: TokenIssuer) -> None:
        header, payload, signature = issuer.mint("alice", ["customer"]).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["roles"] = ["admin"]
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert reason(issuer, f"{header}.{forged}.{signature}") == "bad signature"

    def test_token_from_another_data_dir_rejected(self, tmp_path: Path, clock: Clock) -> None:
        other = TokenIssuer(tmp_path / "other", clock=clock).mint("alice", [])
        assert reason(TokenIssuer(tmp_path / "mine", clock=clock), other) == "bad signature"

    def test_wrong_issuer_rejected(self, issuer: TokenIssuer, tmp_path: Path) -> None:
        token = jwt.encode(
            {"iss": "someone", "sub": "a", "iat": int(NOW), "exp": int(NOW) + 60},
            secret(tmp_path),
            algorithm="HS256",
        )
        assert reason(issuer, token) == "wrong issuer"

    @pytest.mark.parametrize("payload", [{}, {"sub": ""}, {"sub": 5}])
    def test_missing_or_bad_sub_rejected(
        self, issuer: TokenIssuer, tmp_path: Path, payload: dict[str, object]
    ) -> None:
        full = {"iss": "devhost", "iat": int(NOW), "exp": int(NOW) + 60, **payload}
        token = jwt.encode(full, secret(tmp_path), algorithm="HS256")
        assert reason(issuer, token) == "missing sub"

    def test_missing_exp_rejected(self, issuer: TokenIssuer, tmp_path: Path) -> None:
        token = jwt.encode(
            {"iss": "devhost", "sub": "a", "iat": int(NOW)}, secret(tmp_path), algorithm="HS256"
        )
        assert reason(issuer, token) == "missing exp"

    def test_unsigned_token_rejected(self, issuer: TokenIssuer) -> None:
        token = jwt.encode(
            {"iss": "devhost", "sub": "a", "iat": int(NOW), "exp": int(NOW) + 60},
            "",
            algorithm="none",
        )
        assert reason(issuer, token) == "unsupported algorithm"

    def test_roles_must_be_strings(self, issuer: TokenIssuer, tmp_path: Path) -> None:
        token = jwt.encode(
            {"iss": "devhost", "sub": "a", "roles": [1], "iat": int(NOW), "exp": int(NOW) + 9},
            secret(tmp_path),
            algorithm="HS256",
        )
        assert reason(issuer, token) == "malformed token"

    @pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x"])
    def test_malformed_rejected_without_echoing_input(
        self, issuer: TokenIssuer, token: str
    ) -> None:
        assert reason(issuer, token) == "malformed token"

    def test_reasons_never_contain_the_token(self, issuer: TokenIssuer, clock: Clock) -> None:
        token = issuer.mint("alice", [], ttl=1)
        clock.now += 5
        with pytest.raises(InvalidToken) as info:
            issuer.verify(token)
        assert token not in str(info.value)

    def test_mint_rejects_a_bare_string_for_roles(self, issuer: TokenIssuer) -> None:
        with pytest.raises(TypeError):
            issuer.mint("alice", "admin")

    @pytest.mark.parametrize(
        ("sub", "name", "roles", "ttl"),
        [
            ("", None, [], 60),
            ("a\r\nx-evil: 1", None, [], 60),
            ("a", "", [], 60),
            ("a", None, ["ok", "\n"], 60),
            ("a", None, [], 0),
        ],
    )
    def test_mint_rejects_unsafe_values(
        self, issuer: TokenIssuer, sub: str, name: str | None, roles: list[str], ttl: int
    ) -> None:
        with pytest.raises(ValueError):
            issuer.mint(sub, roles, name=name, ttl=ttl)


def decode_principal(headers: dict[str, str]) -> object:
    return json.loads(base64.b64decode(headers["x-ms-client-principal"], validate=True))


class TestPrincipalHeaders:
    def test_documented_shape(self) -> None:
        expires = datetime.fromtimestamp(NOW, UTC)
        headers = principal_headers(Claims("alice", "Alice", ("customer", "support"), expires))
        name_typ = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
        role_typ = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
        assert decode_principal(headers) == {
            "auth_typ": "devhost",
            "name_typ": name_typ,
            "role_typ": role_typ,
            "claims": [
                {
                    "typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
                    "val": "alice",
                },
                {"typ": name_typ, "val": "Alice"},
                {"typ": role_typ, "val": "customer"},
                {"typ": role_typ, "val": "support"},
                {"typ": "sub", "val": "alice"},
            ],
        }
        assert headers["x-ms-client-principal-id"] == "alice"
        assert headers["x-ms-client-principal-name"] == "Alice"
        assert headers["x-ms-client-principal-idp"] == "devhost"

    def test_name_falls_back_to_sub(self) -> None:
        headers = principal_headers(Claims("bob", None, (), datetime.fromtimestamp(NOW, UTC)))
        assert headers["x-ms-client-principal-name"] == "bob"
        principal = decode_principal(headers)
        assert isinstance(principal, dict)
        name_claims = [c["val"] for c in principal["claims"] if c["typ"] == principal["name_typ"]]
        assert name_claims == ["bob"]

    def test_header_values_are_ascii(self) -> None:
        claims = Claims("zoë", None, ("rôle",), datetime.fromtimestamp(NOW, UTC))
        assert principal_headers(claims)["x-ms-client-principal"].isascii()

    def test_what_a_python_app_reads_back(self, issuer: TokenIssuer) -> None:
        claims = issuer.verify(issuer.mint("alice", ["customer"], name="Alice"))
        principal = decode_principal(principal_headers(claims))
        assert isinstance(principal, dict)
        roles = [c["val"] for c in principal["claims"] if c["typ"] == principal["role_typ"]]
        assert roles == ["customer"]


class TestHeaderHygiene:
    def test_forged_principal_headers_are_stripped(self) -> None:
        headers = [
            ("X-MS-CLIENT-PRINCIPAL", "forged"),
            ("x-ms-client-principal-id", "admin"),
            ("X-Ms-Client-Principal-Name", "root"),
            ("x-ms-client-principal-idp", "aad"),
            ("X-MS-TOKEN-AAD-ACCESS-TOKEN", "t"),
            ("Content-Type", "application/json"),
            ("x-ms-other", "kept"),
            ("Authorization", "Bearer abc"),
        ]
        assert strip_principal_headers(headers) == [
            ("Content-Type", "application/json"),
            ("x-ms-other", "kept"),
            ("Authorization", "Bearer abc"),
        ]

    @pytest.mark.parametrize(
        ("value", "token"),
        [
            ("Bearer abc.def.ghi", "abc.def.ghi"),
            ("bearer abc", "abc"),
            ("BEARER   abc  ", "abc"),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("", None),
            (None, None),
        ],
    )
    def test_bearer_token(self, value: str | None, token: str | None) -> None:
        assert bearer_token(value) == token


def test_a_remembered_token_still_expires(tmp_path: Path) -> None:
    now = [1_000_000.0]
    issuer = TokenIssuer(tmp_path, clock=lambda: now[0])
    token = issuer.mint("alice", ["customer"], ttl=60)
    assert issuer.verify(token).sub == "alice"
    assert issuer.verify(token).sub == "alice"  # served from the cache of verified tokens
    now[0] += 61
    with pytest.raises(InvalidToken, match="token expired"):
        issuer.verify(token)
