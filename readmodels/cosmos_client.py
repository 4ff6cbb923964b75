"""One Cosmos DB client per process, and the database the read side uses.

The client is thread-safe and pools connections, so it is built once. ``COSMOS_VERIFY_TLS=false``
exists for the local emulators, whose certificates are self-signed; in Azure it stays on.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app_settings import AppSettings


@lru_cache(maxsize=4)
def _client(endpoint: str, key: str | None, verify_tls: bool) -> Any:
    from azure.cosmos import CosmosClient

    # No key: the app's managed identity (Cosmos DB data-plane RBAC), as infra deploys prod.
    credential: Any = key if key else managed_identity()
    return CosmosClient(endpoint, credential=credential, connection_verify=verify_tls)


@lru_cache(maxsize=1)
def managed_identity() -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def connect(endpoint: str, key: str | None, database: str, *, verify_tls: bool = True) -> Any:
    """The ``DatabaseProxy``; the database is created on first use."""
    client = _client(endpoint, key, verify_tls)
    return client.create_database_if_not_exists(id=database)


def cosmos_database(settings: AppSettings) -> Any:
    return connect(str(settings.cosmos_endpoint), settings.cosmos_key,
                   settings.cosmos_database, verify_tls=settings.cosmos_verify_tls)
