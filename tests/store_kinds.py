"""The two store kinds the app runs on in tests, and what a test may look at in each.

``embedded``: SQLite files under ``ORDERS_DATA_DIR``. ``azure``: Cosmos DB (views, event archive)
on cosmosdb-server and Table storage (query cache) on Azurite, as ``ORDERS_STORE=azure`` uses
them in Azure. ``AppStores`` opens the same stores the host's settings name, through the same
factory, so a test checks what the app really wrote, whichever kind it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from emulators import COSMOS_KEY

from app_settings import AppSettings, load_settings
from projections.fold import NameOpener
from readmodels.event_archive import EventArchive
from readmodels.query_cache import QueryCache
from readmodels.views import ViewStore

STORE_KINDS = ("embedded", "azure")
ARCHIVE_CONTAINER = "order_events"
_FILES = {"archive": ("event-archive.db",), "views": ("views.db",),
          "cache": ("query-cache.db",)}


def azure_env(tables_connection: str, cosmos_endpoint: str, database: str) -> dict[str, str]:
    """App settings for ``ORDERS_STORE=azure`` on the emulators (their published development
    keys, not secrets; TLS unverified because cosmosdb-server's certificate is self-signed)."""
    return {"ORDERS_STORE": "azure", "COSMOS_ENDPOINT": cosmos_endpoint,
            "COSMOS_KEY": COSMOS_KEY, "COSMOS_DATABASE": database, "COSMOS_VERIFY_TLS": "false",
            "TABLES_CONNECTION_STRING": tables_connection}


class AppStores:
    """The event archive, views and cache of a host started with ``env``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.settings: AppSettings = load_settings(env)
        self.kind = self.settings.orders_store

    @cached_property
    def archive(self) -> EventArchive:
        from readmodels.factory import build_event_archive

        return build_event_archive(self.settings)

    @cached_property
    def views(self) -> ViewStore:
        """Reads the generation pointer afresh each time (the app caches it for 2 s), so a
        test sees a rebuild's switch at once."""
        if self.kind == "embedded":
            from readmodels.factory import build_view_store

            return build_view_store(self.settings)
        from readmodels.cosmos_views import CosmosViewStore

        return CosmosViewStore(self._database, catalog_ttl=0.0)

    @cached_property
    def cache(self) -> QueryCache:
        from readmodels.factory import build_query_cache

        return build_query_cache(self.settings)

    @cached_property
    def open_name(self) -> NameOpener:
        """Opens the sealed customer names in archived events, as the host's projector does
        (a replay of the archive needs it to give the host's search names)."""
        from projections.projector import name_opener
        from security.providers import build_key_provider

        return name_opener(build_key_provider(self.settings))

    def stream(self, subject: str) -> list[str]:
        """The ids of a stream's archived events, in version order."""
        return [str(event["id"]) for event in self.archive.stream(subject, limit=10_000)]

    def at_rest(self, *parts: str) -> bytes:
        """Everything ``parts`` ("archive", "views", "cache") hold at rest, as bytes to search:
        the SQLite files (with their WAL), or every Cosmos document and Table entity."""
        if self.kind == "embedded":
            folder = self.settings.orders_data_dir
            return b"".join(path.read_bytes() for part in parts for stem in _FILES[part]
                            for path in sorted(folder.glob(stem + "*")) if path.is_file())
        found: list[bytes] = []
        for container in self._database.list_containers():
            name = str(container["id"])
            if ("archive" if name == ARCHIVE_CONTAINER else "views") in parts:
                found.extend(_json(item) for item in
                             self._database.get_container_client(name).read_all_items())
        if "cache" in parts:
            found.extend(self._table_entities())
        return b"\n".join(found)

    @cached_property
    def _database(self) -> Any:
        from readmodels.cosmos_client import cosmos_database

        return cosmos_database(self.settings)

    def _table_entities(self) -> Iterable[bytes]:
        from azure.data.tables import TableServiceClient

        service = TableServiceClient.from_connection_string(
            str(self.settings.tables_connection_string))
        for table in service.list_tables():
            for entity in service.get_table_client(table.name).list_entities():
                chunks = sorted((key for key in entity if key[1:].isdigit() and key[0] == "v"),
                                key=lambda key: int(key[1:]))
                # A cached value is split over properties v0, v1, ...: search it whole too.
                yield _json(dict(entity)) + b"".join(str(entity[k]).encode() for k in chunks)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()
