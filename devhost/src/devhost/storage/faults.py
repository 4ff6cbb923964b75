"""Storage faults: what the store cannot do now but may later, and what it must refuse to open.

A write the store refuses for a reason that passes (another process holds the database locked,
the disk or the store's size cap is full, the disk failed a write) is answered `503` with
`Retry-After` and a `code`, never `202`: the command was not stored. Work already acknowledged
stays queued and runs once the store takes writes again. A database that is not one, or is
damaged, stops the start with a message naming the file (`StoreDamaged`).
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fault:
    """How to answer a refused write: a problem `code`, a sentence, and when to retry."""

    code: str
    reason: str
    retry_after: int


BUSY = Fault("StoreBusy", "another process holds the store locked", 5)
FULL = Fault("StoreFull", "the disk (or the store's size cap) is full", 30)
FAILING = Fault("StoreUnavailable", "the disk failed a read or write", 30)

_SQLITE = {sqlite3.SQLITE_BUSY: BUSY, sqlite3.SQLITE_LOCKED: BUSY, sqlite3.SQLITE_FULL: FULL,
           sqlite3.SQLITE_IOERR: FAILING, sqlite3.SQLITE_READONLY: FAILING,
           sqlite3.SQLITE_CANTOPEN: FAILING}
_OS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EIO: FAILING, errno.EROFS: FAILING}


def fault_of(exc: BaseException) -> Fault | None:
    """The passing storage fault behind an exception, or None for anything else."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.Error):
            code = getattr(seen, "sqlite_errorcode", None)
            if code is not None and (found := _SQLITE.get(code & 0xFF)):
                return found
        if isinstance(seen, OSError) and (found := _OS.get(seen.errno or 0)):
            return found
        seen = seen.__cause__ or seen.__context__
    return None


class StoreDamaged(Exception):
    """The database file is not a database, or fails SQLite's integrity check."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"the store {path} is damaged ({detail}); move it away to start "
                         "with an empty store, or restore it from a copy")
        self.path = path


class DataFolderError(Exception):
    """The data folder or one of its files cannot be created, opened or locked."""

    def __init__(self, path: Path | str, exc: OSError | sqlite3.Error) -> None:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        super().__init__(f"cannot use {path}: {why}")
        self.path = path
