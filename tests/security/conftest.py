"""One fake Key Vault (HTTPS, throwaway CA) per session; each test gets it emptied."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from keyvault_server import FakeKeyVault, make_tls_files

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class StaticTokenCredential:
    """A ``TokenCredential`` that issues one fixed token and records what it was asked for.

    It stands where ``DefaultAzureCredential`` stands in production: the SDK's challenge policy
    asks it for a token for the scope and tenant the vault's 401 challenge named.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[tuple[tuple[str, ...], str | None]] = []

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        self.requests.append((scopes, tenant_id))
        return AccessToken(self.token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "StaticTokenCredential()"


@pytest.fixture(scope="session")
def keyvault_token() -> str:
    return "kv-test-token-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def keyvault_server(tmp_path_factory: pytest.TempPathFactory,
                    keyvault_token: str) -> Iterator[FakeKeyVault]:
    tls = make_tls_files(Path(tmp_path_factory.mktemp("fake-key-vault-tls")))
    server = FakeKeyVault(tls, tenant_id=TENANT_ID, token=keyvault_token).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def vault(keyvault_server: FakeKeyVault) -> FakeKeyVault:
    """An empty vault, and an SDK that has not met it yet (so each test starts with a 401)."""
    from azure.keyvault.secrets._shared import http_challenge_cache

    keyvault_server.reset()
    http_challenge_cache.clear()  # the SDK caches challenges per vault authority, process-wide
    return keyvault_server


@pytest.fixture
def credential(keyvault_token: str) -> StaticTokenCredential:
    return StaticTokenCredential(keyvault_token)
