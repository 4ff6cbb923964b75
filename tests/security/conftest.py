"""One fake Key Vault (HTTPS, throwaway CA) per session; each test gets it emptied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyvault_server import TENANT_ID, FakeKeyVault, StaticTokenCredential, make_tls_files


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
