"""The Azure ``QueryCache``: Table storage, table ``QueryCache``.

PartitionKey is the scope, RowKey the normalized query; the scope's generation marker sits in
the same partition so one single-partition query answers a lookup. Filters are OData with bound
``@parameters`` (the SDK escapes them); entities are encoded and size-checked by
``readmodels.query_cache`` because Azurite accepts entities Azure would refuse; deletions go in
batches of at most 100 operations, one partition per batch, as Table storage requires.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import (
    TableClient,
    TableServiceClient,
    TableTransactionError,
    UpdateMode,
)

from readmodels.query_cache import (
    MARKER_ROW,
    CacheEntryTooLarge,
    CacheLookup,
    batches,
    cache_keys,
    check_table_key,
    encode_entry,
    resolve_lookup,
    table_key,
)

TABLE_NAME = "QueryCache"
# The SDK finds @names between spaces, so parentheses get spaces of their own.
_LOOKUP = "PartitionKey eq @pk and ( RowKey eq @rk or RowKey eq @marker )"


class TableQueryCache:
    def __init__(self, table: TableClient, ttl_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._ttl = ttl_seconds
        self._clock = clock
        with contextlib.suppress(ResourceExistsError):
            table.create_table()

    @classmethod
    def from_connection_string(cls, connection_string: str, ttl_seconds: float,
                               table_name: str = TABLE_NAME) -> TableQueryCache:
        service = TableServiceClient.from_connection_string(connection_string)
        return cls(service.get_table_client(table_name), ttl_seconds)

    @classmethod
    def from_endpoint(cls, endpoint: str, credential: Any, ttl_seconds: float,
                      table_name: str = TABLE_NAME) -> TableQueryCache:
        """Token credential (managed identity) instead of a shared key."""
        service = TableServiceClient(endpoint=endpoint, credential=credential)
        return cls(service.get_table_client(table_name), ttl_seconds)

    def __repr__(self) -> str:
        return f"TableQueryCache({self._table.table_name!r})"

    def lookup(self, scope: str, key: str) -> CacheLookup:
        pk, rk = cache_keys(scope, key)
        found: dict[str, dict[str, Any]] = {}
        for entity in self._table.query_entities(
                _LOOKUP, parameters={"pk": pk, "rk": rk, "marker": MARKER_ROW}):
            found[str(entity["RowKey"])] = dict(entity)
        return resolve_lookup(found, rk, self._clock())

    def store(self, scope: str, key: str, value: dict[str, Any], generation: str) -> bool:
        pk, rk = cache_keys(scope, key)
        try:
            props = encode_entry(pk, rk, value, generation, self._clock() + self._ttl)
        except CacheEntryTooLarge:
            return False
        self._table.upsert_entity({"PartitionKey": pk, "RowKey": rk, **props},
                                  mode=UpdateMode.REPLACE)
        return True

    def invalidate(self, scopes: Iterable[str]) -> None:
        for scope in scopes:
            pk = check_table_key(table_key(scope))
            generation = uuid.uuid4().hex
            self._table.upsert_entity({"PartitionKey": pk, "RowKey": MARKER_ROW,
                                       "gen": generation}, mode=UpdateMode.REPLACE)
            stale = [str(e["RowKey"]) for e in self._table.query_entities(
                "PartitionKey eq @pk and RowKey ne @marker",
                parameters={"pk": pk, "marker": MARKER_ROW}, select=["RowKey", "gen"])
                if e.get("gen") != generation]
            for batch in batches(stale):
                # Another invalidation may have deleted some first; the marker already decided.
                with contextlib.suppress(TableTransactionError):
                    self._table.submit_transaction(
                        [("delete", {"PartitionKey": pk, "RowKey": rk}) for rk in batch])

