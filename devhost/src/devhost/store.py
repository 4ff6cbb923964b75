"""The SQLite store: the only way into devhost's database (its parts are in `devhost.storage`).

Everything durable lives in one WAL-mode file: orchestration instances and their histories, the
work queue (orchestration messages, activity and entity requests, timers as messages with a due
time, Event Grid deliveries), entity state and dead letters. Every unit of work commits its
result and its follow-up work in one transaction (`Batch`), so a host killed at any point
resumes from the last commit: a message is deleted only together with the effects it caused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from devhost.partitions import ONE_PROCESS, Partitions
from devhost.private import open_private, private_dir, tighten
from devhost.records import Batch, Instance
from devhost.storage.checkpoints import Checkpointer
from devhost.storage.faults import DataFolderError, Fault, StoreDamaged, fault_of
from devhost.storage.group_commit import GroupCommit, Pending
from devhost.storage.locks import WriteLocks
from devhost.storage.reads import Reads
from devhost.storage.rows import SCHEMA, apply, encode, no_collection

HISTORY_CACHE_SIZE = 2000
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside the database
log = logging.getLogger("devhost.store")


class Store(Reads, GroupCommit):
    """SQLite behind two connections: a writer and a reader (WAL lets them run side by side).

    `submit` queues a batch; once per loop pass, whatever has queued up commits in one
    transaction (group commit). One process doing everything commits on a writer thread while
    its loop goes on (sqlite releases the GIL while it writes); a worker commits on its loop;
    the host beside workers commits on its loop once the write lock is free (`_commit_blocked`).
    `commit` writes synchronously (the CLI, and rare admin writes).
    """

    def __init__(self, path: Path, partitions: Partitions = ONE_PROCESS,
                 max_bytes: int | None = None, wal_limit: int | None = None) -> None:
        # Private to the user, like the keys: the store holds every input, output and state.
        # SQLite creates the -wal and -shm files with the database file's mode, so the database
        # is made 0600 first (an empty file is an empty database); older, looser files tighten.
        self.path = path
        self.partitions = partitions
        self._wal_limit = wal_limit
        # The host process's writes answer HTTP requests and go first (`devhost.storage.locks`).
        self._writes_first = not partitions.runs_work
        self._worker = not partitions.single and partitions.runs_work
        try:
            private_dir(path.parent)
            os.close(open_private(path))
            for suffix in SQLITE_SIDE_FILES:
                tighten(f"{path}{suffix}")
            self._locks = WriteLocks(path, first=self._writes_first)
        except OSError as exc:
            raise DataFolderError(exc.filename or path, exc) from exc
        self._db, self._rdb = self._open(path, max_bytes)
        self._rdb.create_function("devhost_owner", 1, partitions.target_owner,
                                  deterministic=True)
        self._lock = threading.RLock()
        self._rlock = threading.Lock()
        # Histories are append-only, and only the process that owns an instance appends to it;
        # a cache of the decoded events, keyed by execution (a restart or a purge and start
        # elsewhere makes a new one), stays exact and saves decoding the history every episode.
        self._histories: OrderedDict[str, tuple[str, list[dict[str, Any]]]] = OrderedDict()
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._pending: Pending = []
        self._blocked: Pending = []  # host: lock busy
        self._retry: asyncio.TimerHandle | None = None
        self._writer: threading.Thread | None = None
        self._checkpointer: Checkpointer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # When a write last failed for a passing reason (`devhost.storage.faults`): a function
        # that failed since then answers 503, as its own write may be what the store refused.
        self.last_fault: tuple[float, Fault] | None = None

    def _open(self, path: Path,
              max_bytes: int | None) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        """The writer's and the reader's connections; a file SQLite cannot use stops here."""
        opened: list[sqlite3.Connection] = []
        try:
            opened.append(self._connect(path))
            with self._file_lock():
                opened[0].execute("PRAGMA journal_mode=WAL")
                opened[0].executescript(SCHEMA)
            opened.append(self._connect(path))
        except sqlite3.DatabaseError as exc:
            for db in opened:
                db.close()
            self._locks.close()
            if fault_of(exc) is not None or isinstance(exc, sqlite3.OperationalError):
                raise DataFolderError(path, exc) from exc  # unwritable, locked, no space
            raise StoreDamaged(path, str(exc)) from exc  # not a database, or malformed
        if max_bytes is not None:
            # Writes past it fail as on a full disk (SQLITE_FULL): `DEVHOST_STORE_MAX_MB`.
            page = int(opened[0].execute("PRAGMA page_size").fetchone()[0])
            opened[0].execute(f"PRAGMA max_page_count={max(1, max_bytes // page)}")
        opened[1].create_function("devhost_owner", 1, self.partitions.target_owner,
                                  deterministic=True)
        return opened[0], opened[1]

    def check(self) -> None:
        """SQLite's quick integrity check (seconds for a store of a few GB), at the host's start:
        a damaged store stops the start, instead of failing requests and stalling work later."""
        try:
            rows = self._query("PRAGMA quick_check(5)")
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(self.path, str(exc)) from exc
        problems = [str(r[0]) for r in rows if r[0] != "ok"]
        if problems:
            raise StoreDamaged(self.path, "; ".join(problems))

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            # NORMAL in WAL mode never corrupts; a power cut may lose the last commits but a
            # killed process loses nothing, which is the failure a local host has to survive.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            # No checkpoint inside a commit: one thread in the host process checkpoints, and
            # keeps the WAL bounded (`devhost.storage.checkpoints`).
            db.execute("PRAGMA wal_autocheckpoint=0")
        except BaseException:
            db.close()  # a file that is no database fails here: not left open until collected
            raise
        return db

    def start_writer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self._worker:
            return  # commits on the loop: see `_flush`
        self._checkpointer = Checkpointer(self.path, self._connect, self._wal_limit)
        self._checkpointer.start()
        if self._writes_first:
            return  # commits on the loop: see `_commit_blocked`
        self._writer = threading.Thread(target=self._write_loop, name="devhost-db-writer",
                                        daemon=True)
        self._writer.start()

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        if self._writer is None and (self._blocked or self._pending):  # commits on the loop
            items, self._blocked, self._pending = self._blocked + self._pending, [], []
            self._resolve(items, self._write_group([b for b, _ in items]))  # waits for the lock
        if self._writer is not None:
            self._flush()
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
            with self._lock, self._file_lock():
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with self._lock:
            self._db.close()
        with self._rlock:
            self._rdb.close()
        self._locks.close()

    def _file_lock(self, wait: bool = True) -> AbstractContextManager[None]:
        """The write lock between processes (`WriteLocks.hold`)."""
        return self._locks.hold(wait)

    @contextmanager
    def _tx(self, held: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction; `held`: the caller already holds the file lock."""
        with self._lock, nullcontext() if held else self._file_lock(), no_collection():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, batch: Batch) -> list[int]:
        """Apply a batch atomically, now; returns the ids of the new work items."""
        rows = encode(batch)
        try:
            with self._tx() as db:
                ids = apply(db, rows)
        except Exception as exc:
            self._noticed(exc)
            raise
        self._update_history_cache(batch)
        return ids

    def _noticed(self, exc: BaseException) -> None:
        fault = fault_of(exc)
        if fault is not None:
            self.last_fault = (time.monotonic(), fault)

    def _update_history_cache(self, batch: Batch) -> None:
        for iid in (*batch.purges, *batch.history_resets):
            self._histories.pop(iid, None)
        for iid, seq, ev in batch.history:
            cached = self._histories.get(iid)
            if cached is not None:
                if seq == len(cached[1]):
                    cached[1].append(ev)
                else:
                    self._histories.pop(iid)
        # An ended instance runs no more episodes (a rewind or a late message reads it again):
        # its events held a cache slot until 2,000 newer instances pushed them out.
        for inst in batch.instances:
            if inst.terminal:
                self._histories.pop(inst.instance_id, None)

    def delete_deadletter(self, dl_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM deadletters WHERE id=?", (dl_id,))

    def trim_deliveries(self, keep: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ?",
                       (keep,))

    # -- reads ----------------------------------------------------------------------------------

    def history(self, inst: Instance) -> list[dict[str, Any]]:
        """The instance's events; a fresh list (callers may extend it) of shared dicts."""
        if not self.partitions.owns_target(inst.instance_id):
            return self._read_history(inst.instance_id)  # another process appends to it
        cached = self._histories.get(inst.instance_id)
        if cached is None or cached[0] != inst.execution_id:
            cached = (inst.execution_id, self._read_history(inst.instance_id))
            self._histories[inst.instance_id] = cached
            if len(self._histories) > HISTORY_CACHE_SIZE:
                self._histories.popitem(last=False)
        else:
            self._histories.move_to_end(inst.instance_id)
        return list(cached[1])

    def _read_history(self, instance_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT event FROM history WHERE instance_id=? ORDER BY seq",
                           (instance_id,))
        return [json.loads(r["event"]) for r in rows]
