"""One Cosmos DB client per process, and the database and containers the read side uses.

The client is thread-safe and pools connections, so it is built once. ``COSMOS_VERIFY_TLS=false``
exists for the local emulators, whose certificates are self-signed; in Azure it stays on.

Databases and containers are created on first use, idempotently. The SDK's ``*_if_not_exists``
reads and then creates, so two workers starting at once can both read "not found" and one of
them gets ``409 Conflict`` from its create: the resource it wanted exists, which is success.
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
    from azure.cosmos import exceptions as cosmos_errors

    client = _client(endpoint, key, verify_tls)
    try:
        return client.create_database_if_not_exists(id=database)
    except cosmos_errors.CosmosResourceExistsError:  # a concurrent creator won the race
        return client.get_database_client(database)


def ensure_container(database: Any, name: str, partition_key_path: str) -> Any:
    """The ``ContainerProxy`` for ``name``, created with that partition key if missing."""
    from azure.cosmos import PartitionKey
    from azure.cosmos import exceptions as cosmos_errors

    try:
        return database.create_container_if_not_exists(
            id=name, partition_key=PartitionKey(path=partition_key_path))
    except cosmos_errors.CosmosResourceExistsError:  # a concurrent creator won the race
        return database.get_container_client(name)


def cosmos_database(settings: AppSettings) -> Any:
    return connect(str(settings.cosmos_endpoint), settings.cosmos_key,
                   settings.cosmos_database, verify_tls=settings.cosmos_verify_tls)
