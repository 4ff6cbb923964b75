"""The embedded ``QueryCache``: Table storage's model (partition, row, properties) in SQLite.

Entities are encoded by ``readmodels.query_cache`` exactly as for Azure, so the same size and
batch limits apply here and a value that Azure would refuse is refused locally too.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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
from readmodels.sqlite_file import open_database

_SCHEMA = """CREATE TABLE IF NOT EXISTS cache (
    pk TEXT NOT NULL, rk TEXT NOT NULL, props TEXT NOT NULL, PRIMARY KEY (pk, rk))"""


class SqliteQueryCache:
    def __init__(self, path: str | Path, ttl_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = str(path)
        self._ttl = ttl_seconds
        self._clock = clock
        self._db = open_database(self._path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteQueryCache({self._path!r})"

    def close(self) -> None:
        self._db.close()

    def lookup(self, scope: str, key: str) -> CacheLookup:
        pk, rk = cache_keys(scope, key)
        with self._lock:
            rows = self._db.execute("SELECT rk, props FROM cache WHERE pk = ? AND rk IN (?, ?)",
                                    (pk, rk, MARKER_ROW)).fetchall()
        found = {row_key: json.loads(props) for row_key, props in rows}
        return resolve_lookup(found, rk, self._clock())

    def store(self, scope: str, key: str, value: dict[str, Any], generation: str) -> bool:
        pk, rk = cache_keys(scope, key)
        try:
            props = encode_entry(pk, rk, value, generation, self._clock() + self._ttl)
        except CacheEntryTooLarge:
            return False
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                             (pk, rk, json.dumps(props)))
        return True

    def invalidate(self, scopes: Iterable[str]) -> None:
        for scope in scopes:
            pk = check_table_key(table_key(scope))
            generation = uuid.uuid4().hex
            with self._lock, self._db:
                self._db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                                 (pk, MARKER_ROW, json.dumps({"gen": generation})))
                stale = [row[0] for row in self._db.execute(
                    "SELECT rk FROM cache WHERE pk = ? AND rk != ?", (pk, MARKER_ROW))]
                for batch in batches(stale):
                    self._db.executemany("DELETE FROM cache WHERE pk = ? AND rk = ?",
                                         [(pk, rk) for rk in batch])
