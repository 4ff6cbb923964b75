"""The embedded ``EventArchive``: one SQLite file (WAL), safe for threads and processes.

``INSERT OR IGNORE`` on the event id gives idempotent appends; the rowid is the archive order a
rebuild replays in. One connection per archive, used under a lock (activities run on a thread
pool): opening and closing one per call made SQLite checkpoint and fsync on every close, which
put hundreds of milliseconds into the publish step on a slow disk (see ``sqlite_file``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from readmodels.sqlite_file import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL
)
"""
# One stream's events (an order's history) without scanning the archive.
_BY_SUBJECT = "CREATE INDEX IF NOT EXISTS events_by_subject ON events (subject)"


class SqliteEventArchive:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._db = open_database(str(self._path))
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(_SCHEMA)
            db.execute(_BY_SUBJECT)

    def __repr__(self) -> str:
        return f"SqliteEventArchive({str(self._path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, events: Iterable[dict[str, Any]]) -> int:
        rows = [
            (e["id"], e["subject"], e["eventType"], json.dumps(e, sort_keys=True))
            for e in events
        ]
        with self._connect() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO events (event_id, subject, event_type, body)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
            return db.total_changes - before

    def read_all(self, after: int = 0, limit: int = 1000) -> Iterator[tuple[int, dict[str, Any]]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT position, body FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (after, limit),
            ).fetchall()
        for position, body in rows:
            yield position, json.loads(body)

    def stream(self, subject: str, *, after_version: int = 0,
               limit: int = 1000) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT body FROM events WHERE subject = ?1 "
                "AND json_extract(body, '$.data.version') > ?2 "
                "ORDER BY json_extract(body, '$.data.version') LIMIT ?3",
                (subject, after_version, limit),
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
