"""Opening the embedded stores' SQLite files: WAL, and checkpoints off the write path.

SQLite checkpoints (copies the write-ahead log back into the database and fsyncs it) inside
whichever commit crosses the log's size limit; on a slow disk that one commit then takes hundreds
of milliseconds, which showed as projection-lag spikes. Each file gets a daemon thread that
checkpoints in the background instead. synchronous=NORMAL in WAL mode loses nothing when the
process dies (the failure a local run has to survive); the Azure adapters are the durable ones.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

CHECKPOINT_SECONDS = 1.0
WAL_KEEP_BYTES = 0


_paths: set[str] = set()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def open_database(path: str) -> sqlite3.Connection:
    """A connection shared by the adapter's threads under the adapter's own lock."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    if path != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        # Erasure: a replaced or deleted row leaves no copy behind, neither in the file's free
        # space (zeroed) nor in old log frames (the log is cut back once checkpointed).
        db.execute("PRAGMA secure_delete=ON")
        db.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
        _watch(path)
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _watch(path: str) -> None:
    global _thread
    with _lock:
        _paths.add(path)
        if _thread is None:
            _thread = threading.Thread(target=_checkpoint_forever, name="sqlite-checkpoints",
                                       daemon=True)
            _thread.start()


def _checkpoint_forever() -> None:
    """One thread for every file: files that disappear (a test's folder) drop out."""
    stop = threading.Event()
    while not stop.wait(CHECKPOINT_SECONDS):
        with _lock:
            paths = list(_paths)
        for path in paths:
            if not Path(path).exists():
                with _lock:
                    _paths.discard(path)
                continue
            try:
                with contextlib.closing(sqlite3.connect(path, timeout=1)) as db:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                continue  # busy or gone: the next round tries again
