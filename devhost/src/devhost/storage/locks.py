"""The write lock between devhost's processes, and the priority lock that lets the host go first.

Every process's writer takes the write lock (a file lock beside the database) around its
transactions: a waiting writer wakes the moment the lock is free, where SQLite's busy handler
would sleep and retry. The host process's writes answer HTTP requests (a start, a raised
event) and go first: it holds the priority lock exclusively while it waits for and holds the
write lock, and a worker passes through the priority lock (shared) before each transaction, so
it waits while the host does.

`flock` locks belong to an open file, not to a thread: two holders in one process each need
descriptors of their own (the checkpointer has its own `WriteLocks`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devhost.private import open_private

try:
    import fcntl
except ImportError:  # Windows: one process only, SQLite's own locking suffices
    fcntl = None  # type: ignore[assignment]


class Busy(Exception):
    """Another process holds the write lock (a transaction that would not wait for it)."""


class WriteLocks:
    """The two lock files of one database, opened for one holder."""

    def __init__(self, db_path: Path, first: bool) -> None:
        self.first = first  # the host: its writes go before the workers'
        self._write_fd = open_private(f"{db_path}.lock")
        try:
            self._priority_fd = open_private(f"{db_path}.priority")
        except BaseException:
            os.close(self._write_fd)
            raise

    @contextmanager
    def hold(self, wait: bool = True) -> Iterator[None]:
        """The write lock; `wait=False` raises `Busy` instead of waiting.

        When `wait=False` finds a worker in a transaction, the host keeps the priority lock:
        that worker commits after the batch it is applying, and none starts another, until
        the host's next attempt has taken the write lock (the priority lock it already holds
        is taken again at once, and released with the write lock)."""
        if fcntl is None:
            yield
            return
        now = 0 if wait else fcntl.LOCK_NB
        try:
            fcntl.flock(self._priority_fd, (fcntl.LOCK_EX if self.first else fcntl.LOCK_SH) | now)
        except BlockingIOError:
            raise Busy from None
        if not self.first:
            fcntl.flock(self._priority_fd, fcntl.LOCK_UN)
        try:
            fcntl.flock(self._write_fd, fcntl.LOCK_EX | now)
        except BlockingIOError:
            raise Busy from None
        try:
            yield
        finally:
            fcntl.flock(self._write_fd, fcntl.LOCK_UN)
            if self.first:
                fcntl.flock(self._priority_fd, fcntl.LOCK_UN)

    def first_waiting(self) -> bool:
        """Whether a first holder (the host, its checkpointer) waits for or holds the lock."""
        if fcntl is None:
            return False
        try:
            fcntl.flock(self._priority_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._priority_fd, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        os.close(self._write_fd)
        os.close(self._priority_fd)
