"""The SQLite store: the only module that writes devhost's database.

Everything durable lives in one WAL-mode file: orchestration instances and their histories, the
work queue (orchestration messages, activity and entity requests, timers as messages with a due
time, Event Grid deliveries), entity state and dead letters. Every unit of work commits its
result and its follow-up work in one transaction (`Batch`), so a host killed at any point
resumes from the last commit: a message is deleted only together with the effects it caused.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.partitions import ONE_PROCESS, STATEFUL_KINDS, Partitions
from devhost.private import open_private, private_dir, tighten
from devhost.records import Batch, Instance, WorkItem
from devhost.storage.checkpoints import Checkpointer
from devhost.storage.faults import DataFolderError, Fault, StoreDamaged, fault_of
from devhost.storage.locks import Busy, WriteLocks

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    parent TEXT,
    engine TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_at);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    due REAL NOT NULL,
    tag TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS work_due ON work(kind, due);
CREATE INDEX IF NOT EXISTS work_target ON work(target, kind);
CREATE INDEX IF NOT EXISTS work_kind_target ON work(kind, target, id);
CREATE INDEX IF NOT EXISTS work_tag ON work(tag) WHERE tag IS NOT NULL;
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT,
    last_op REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deadletters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    event TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    at REAL NOT NULL
);
"""

WORK_KINDS = ("ctrl", "orch", "activity", "entity", "eventgrid")
HISTORY_CACHE_SIZE = 2000
LOCK_RETRY_SECONDS = 0.0005  # the host, while a worker commits (the loop rounds up to 1 ms)
SLOW_COMMIT_MS = 200
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside the database
log = logging.getLogger("devhost.store")


@dataclass
class _Rows:
    """A batch with its JSON encoded ahead of the transaction, since other processes wait while
    the write lock is held."""

    batch: Batch
    instances: list[tuple[Any, ...]]
    history: list[tuple[str, int, str]]
    work: list[tuple[str, str, str, float, str | None, float]]
    deadletters: list[tuple[str, str, str, int, float]]


def _encode(batch: Batch) -> _Rows:
    return _Rows(
        batch,
        [(i.instance_id, i.name, i.execution_id, i.status, i.input, i.output, i.custom_status,
          i.created_at, i.updated_at, json.dumps(i.parent) if i.parent else None,
          json.dumps(i.engine)) for i in batch.instances],
        [(i, seq, json.dumps(e)) for i, seq, e in batch.history],
        [(w.kind, w.target, json.dumps(w.payload), w.due, w.tag, w.due) for w in batch.work],
        [(fn, json.dumps(event), reason, attempts, at)
         for fn, event, reason, attempts, at in batch.deadletters])


def _apply(db: sqlite3.Connection, rows: _Rows) -> list[int]:
    batch = rows.batch
    new_ids: list[int] = []
    for iid in batch.purges:
        db.execute("DELETE FROM instances WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
        db.execute("DELETE FROM work WHERE target=? AND kind IN ('orch','activity','ctrl')",
                   (iid,))
    for iid in batch.history_resets:
        db.execute("DELETE FROM history WHERE instance_id=?", (iid,))
    if rows.instances:
        db.executemany("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       rows.instances)
    if rows.history:
        db.executemany("INSERT OR REPLACE INTO history VALUES (?,?,?)", rows.history)
    if batch.done:
        db.executemany("DELETE FROM work WHERE id=?", [(i,) for i in batch.done])
    for tag in batch.cancel_tags:
        db.execute("DELETE FROM work WHERE tag=?", (tag,))
    for prefix in batch.cancel_prefixes:
        db.execute("DELETE FROM work WHERE tag IS NOT NULL AND substr(tag, 1, ?)=?",
                   (len(prefix), prefix))
    for work in rows.work:
        cur = db.execute("INSERT INTO work (kind, target, payload, due, tag, created) "
                         "VALUES (?,?,?,?,?,?)", work)
        new_ids.append(int(cur.lastrowid or 0))
    for eid in batch.entity_deletes:
        db.execute("DELETE FROM entities WHERE entity_id=?", (eid,))
    if batch.entities:
        db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?)", batch.entities)
    if rows.deadletters:
        db.executemany("INSERT INTO deadletters (function, event, reason, attempts, at) "
                       "VALUES (?,?,?,?,?)", rows.deadletters)
    if batch.deliveries:
        db.executemany("INSERT INTO deliveries (function, event_id, attempt, outcome, at) "
                       "VALUES (?,?,?,?,?)", batch.deliveries)
    for k, v in batch.meta.items():
        db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (k, v))
    return new_ids


@contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection while holding the write lock: other processes wait on it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _instance(row: sqlite3.Row) -> Instance:
    return Instance(
        instance_id=row["instance_id"], name=row["name"], execution_id=row["execution_id"],
        status=row["status"], input=row["input"], output=row["output"],
        custom_status=row["custom_status"], created_at=row["created_at"],
        updated_at=row["updated_at"],
        parent=json.loads(row["parent"]) if row["parent"] else None,
        engine=json.loads(row["engine"]),
    )


def _work(row: sqlite3.Row) -> WorkItem:
    return WorkItem(id=row["id"], kind=row["kind"], target=row["target"],
                    payload=json.loads(row["payload"]), due=row["due"], tag=row["tag"])


class Store:
    """SQLite behind two connections: a writer and a reader (WAL lets them run side by side).

    `submit` queues a batch; once per loop pass, whatever has queued up commits in one
    transaction (group commit). One process doing everything commits on a writer thread while
    its loop goes on (sqlite releases the GIL while it writes); a worker commits on its loop;
    the host beside workers commits on its loop once the write lock is free (`_commit_blocked`).
    `commit` writes synchronously (the CLI, and rare admin writes).
    """

    def __init__(self, path: Path, partitions: Partitions = ONE_PROCESS,
                 max_bytes: int | None = None) -> None:
        # Private to the user, like the keys: the store holds every input, output and state.
        # SQLite creates the -wal and -shm files with the database file's mode, so the database
        # is made 0600 first (an empty file is an empty database); older, looser files tighten.
        self.path = path
        self.partitions = partitions
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
        self._queue: queue.SimpleQueue[list[tuple[Batch, asyncio.Future[list[int]]]] | None] = \
            queue.SimpleQueue()
        self._pending: list[tuple[Batch, asyncio.Future[list[int]]]] = []
        self._blocked: list[tuple[Batch, asyncio.Future[list[int]]]] = []  # host: lock busy
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
        db.row_factory = sqlite3.Row
        # NORMAL in WAL mode never corrupts; a power cut may lose the last commits but a killed
        # process loses nothing, which is the failure a local host has to survive.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        # No checkpoint inside a commit: one thread in the host process checkpoints, and keeps
        # the WAL bounded (`devhost.storage.checkpoints`).
        db.execute("PRAGMA wal_autocheckpoint=0")
        return db

    def start_writer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self._worker:
            return  # commits on the loop: see `_flush`
        self._checkpointer = Checkpointer(self.path, self._connect)
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
        with self._lock, nullcontext() if held else self._file_lock(), _no_collection():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._rlock:
            return self._rdb.execute(sql, tuple(args)).fetchall()

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, batch: Batch) -> list[int]:
        """Apply a batch atomically, now; returns the ids of the new work items."""
        rows = _encode(batch)
        try:
            with self._tx() as db:
                ids = _apply(db, rows)
        except Exception as exc:
            self._noticed(exc)
            raise
        self._update_history_cache(batch)
        return ids

    def _noticed(self, exc: BaseException) -> None:
        fault = fault_of(exc)
        if fault is not None:
            self.last_fault = (time.monotonic(), fault)

    def submit(self, batch: Batch) -> asyncio.Future[list[int]]:
        """Queue a batch for the writer thread; the future resolves once it is committed."""
        assert self._loop is not None, "start_writer() first"
        fut: asyncio.Future[list[int]] = self._loop.create_future()
        if not self._pending:
            # One hand-off per loop iteration: waking the writer per batch costs more GIL
            # switches than the writes themselves.
            self._loop.call_soon(self._flush)
        self._pending.append((batch, fut))
        return fut

    def _flush(self) -> None:
        items, self._pending = self._pending, []
        if self._worker:
            # A worker process serves no HTTP, so its loop can wait for the commit. On a writer
            # thread, each statement handed the GIL back and forth with the loop's replays while
            # holding the write lock that the host was waiting for (p99 ~30 ms per host write).
            self._resolve(items, self._write_group([b for b, _ in items]))
            return
        if self._writes_first:
            waiting = bool(self._blocked)
            self._blocked += items
            if not waiting:
                self._commit_blocked()
            return
        self._queue.put(items)

    def _commit_blocked(self) -> None:
        """The host's batches, committed on its loop as soon as no worker is in a transaction.

        A host that only serves HTTP writes small batches (a start, a raised event): committing
        them takes ~0.3 ms, less than the hand-off to a writer thread and back did, which also
        traded the GIL with a loop serving requests (the wait was p50 2.3 ms). While a worker
        holds the write lock, the host keeps the priority lock, so that worker commits after
        the batch it is applying, and tries again each millisecond while its loop goes on.
        Batches commit in the order they were submitted."""
        self._retry = None
        items = self._blocked
        try:
            with self._file_lock(wait=False):
                self._blocked = []
                results = self._write_group([b for b, _ in items], held=True)
        except Busy:
            assert self._loop is not None
            self._retry = self._loop.call_later(LOCK_RETRY_SECONDS, self._commit_blocked)
            return
        except OSError as exc:  # the lock files failed: fail the callers, never stall them
            self._blocked = []
            results = [exc] * len(items)
        self._resolve(items, results)

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = list(first)
            while len(items) < 500:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                items.extend(nxt)
            results = self._write_group([b for b, _ in items])
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._resolve, items, results)

    def _write_group(self, batches: list[Batch],
                     held: bool = False) -> list[list[int] | BaseException]:
        """Commit the group; a batch that fails fails only its own caller. Never raises: an
        exception would end the writer thread and stall the host.

        A worker commits what it has applied as soon as the host waits for the write lock (the
        host's writes answer HTTP requests) and goes on with the rest after the host's turn."""
        started = time.perf_counter()
        results: list[list[int] | BaseException] = []
        pending: list[tuple[int, _Rows]] = []
        for index, batch in enumerate(batches):
            try:
                pending.append((index, _encode(batch)))
                results.append([])
            except Exception as exc:
                results.append(exc)
        while pending:
            applied, failing = 0, None
            try:
                with self._tx(held) as db:
                    for index, rows in pending:
                        failing = applied
                        results[index] = _apply(db, rows)
                        failing, applied = None, applied + 1
                        if self._host_waiting():
                            break
                pending = pending[applied:]
            except Exception as exc:
                if failing is None:
                    # BEGIN or COMMIT failed: nothing of this transaction was written.
                    chunk = pending[:applied] or pending
                    for index, _ in chunk:
                        results[index] = exc
                    pending = pending[len(chunk):]
                    continue
                # Rolled back: the batch that raised is tried alone (it may only clash with
                # another batch of the group); the ones before it are applied again.
                index, rows = pending.pop(failing)
                results[index] = exc if len(batches) == 1 else self._alone(rows, held)
        took = (time.perf_counter() - started) * 1000
        if took > SLOW_COMMIT_MS:
            log.warning("committing %d batch(es) took %.0f ms", len(batches), took)
        return results

    def _alone(self, rows: _Rows, held: bool) -> list[int] | BaseException:
        try:
            with self._tx(held) as db:
                return _apply(db, rows)
        except Exception as exc:
            return exc

    def _host_waiting(self) -> bool:
        """Whether the host process waits for the write lock (it holds the priority lock)."""
        return self._worker and self._locks.first_waiting()

    def _resolve(self, items: list[tuple[Batch, asyncio.Future[list[int]]]],
                 results: list[list[int] | BaseException]) -> None:
        for (batch, fut), result in zip(items, results, strict=True):
            if isinstance(result, BaseException):
                self._noticed(result)
                if not fut.done():
                    fut.set_exception(result)
                continue
            self._update_history_cache(batch)
            if not fut.done():
                fut.set_result(result)

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

    def delete_deadletter(self, dl_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM deadletters WHERE id=?", (dl_id,))

    def trim_deliveries(self, keep: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ?",
                       (keep,))

    # -- reads ----------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0]["value"] if rows else None

    def instance(self, instance_id: str) -> Instance | None:
        rows = self._query("SELECT * FROM instances WHERE instance_id=?", (instance_id,))
        return _instance(rows[0]) if rows else None

    def instance_state(self, instance_id: str) -> tuple[str, str] | None:
        """(status, execution id): all an activity needs to know before it runs."""
        rows = self._query("SELECT status, execution_id FROM instances WHERE instance_id=?",
                           (instance_id,))
        return (rows[0]["status"], rows[0]["execution_id"]) if rows else None

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

    def query_instances(self, where: str, args: list[Any], limit: int,
                        offset: int) -> list[Instance]:
        sql = (f"SELECT * FROM instances {where} ORDER BY created_at, instance_id "
               "LIMIT ? OFFSET ?")
        return [_instance(r) for r in self._query(sql, [*args, limit, offset])]

    def count_instances(self, where: str, args: list[Any]) -> list[sqlite3.Row]:
        return self._query(f"SELECT status, COUNT(*) AS n FROM instances {where} "
                           "GROUP BY status", args)

    def due_targets(self, kind: str, now: float, busy: set[str], limit: int) -> list[str]:
        """Targets with due work of a kind, oldest first, skipping those being worked on."""
        rows = self._query(
            "SELECT target, MIN(id) AS first FROM work WHERE kind=? AND due<=? "
            f"{self._owned('target')} GROUP BY target ORDER BY first LIMIT ?",
            (kind, now, limit + len(busy)))
        return [r["target"] for r in rows if r["target"] not in busy][:limit]

    def due_orchestrations(self, now: float, busy: set[str], limit: int) -> list[str]:
        """Instances with due control messages, or due events unless they are suspended."""
        rows = self._query(
            "SELECT target, MIN(id) AS first FROM work w WHERE due<=? AND (kind='ctrl' OR "
            "(kind='orch' AND NOT EXISTS (SELECT 1 FROM instances i WHERE "
            "i.instance_id=w.target AND i.status='Suspended'))) "
            f"{self._owned('target')} GROUP BY target ORDER BY first LIMIT ?",
            (now, limit + len(busy)))
        return [r["target"] for r in rows if r["target"] not in busy][:limit]

    def due_work(self, kind: str, now: float, exclude: set[int], limit: int) -> list[WorkItem]:
        rows = self._query(f"SELECT * FROM work WHERE kind=? AND due<=? {self._owned('id')} "
                           "ORDER BY id LIMIT ?", (kind, now, limit + len(exclude)))
        return [w for w in map(_work, rows) if w.id not in exclude][:limit]

    def work_for(self, kind: str, target: str, now: float, limit: int = 1000) -> list[WorkItem]:
        rows = self._query("SELECT * FROM work INDEXED BY work_kind_target WHERE kind=? AND "
                           "target=? AND due<=? ORDER BY id LIMIT ?", (kind, target, now, limit))
        return [_work(r) for r in rows]

    def orchestration_work(self, target: str, now: float, limit: int) -> list[WorkItem]:
        """Due control messages and events of one instance, oldest first."""
        rows = self._query("SELECT * FROM work INDEXED BY work_target WHERE target=? AND "
                           "kind IN ('ctrl','orch') "
                           "AND due<=? ORDER BY id LIMIT ?", (target, now, limit))
        return [_work(r) for r in rows]

    def outstanding_activities(self, target: str) -> int:
        rows = self._query("SELECT COUNT(*) AS n FROM work INDEXED BY work_kind_target "
                           "WHERE kind='activity' AND target=?", (target,))
        return int(rows[0]["n"])

    def pending_work(self, target: str) -> list[WorkItem]:
        """All queued work for a target, due or not (the monitor's 'why is it waiting')."""
        return [_work(r) for r in self._query(
            "SELECT * FROM work WHERE target=? ORDER BY due, id", (target,))]

    def next_due(self) -> float | None:
        """When this process's next piece of work falls due."""
        # Per kind, in due order, the (kind, due) index finds it at once; MIN over the table
        # would scan all of it, and every order's fulfilment timer sits there for days.
        rows = self._query("SELECT MIN(d) AS d FROM (" + " UNION ALL ".join(
            f"SELECT * FROM (SELECT due AS d FROM work WHERE kind='{kind}' "
            f"{self._owned('target' if kind in STATEFUL_KINDS else 'id')} "
            "ORDER BY due LIMIT 1)" for kind in WORK_KINDS) + ")")
        return rows[0]["d"] if rows and rows[0]["d"] is not None else None

    def _owned(self, column: str) -> str:
        """The SQL condition for work this process owns (nothing to add for a single one)."""
        p = self.partitions
        if p.single:
            return ""
        if not p.runs_work:
            return "AND 0"
        if column == "id":
            return f"AND 1 + id % {p.workers} = {p.index}"
        return f"AND devhost_owner({column}) = {p.index}"

    def work_counts(self, now: float) -> dict[str, dict[str, int]]:
        rows = self._query("SELECT kind, SUM(due<=?) AS ready, SUM(due>?) AS waiting "
                           "FROM work GROUP BY kind", (now, now))
        return {r["kind"]: {"ready": r["ready"] or 0, "waiting": r["waiting"] or 0}
                for r in rows}

    def entity(self, entity_id: str) -> sqlite3.Row | None:
        rows = self._query("SELECT * FROM entities WHERE entity_id=?", (entity_id,))
        return rows[0] if rows else None

    def entities(self, name: str | None, limit: int, offset: int) -> list[sqlite3.Row]:
        if name is None:
            return self._query("SELECT * FROM entities ORDER BY entity_id LIMIT ? OFFSET ?",
                               (limit, offset))
        return self._query("SELECT * FROM entities WHERE name=? ORDER BY entity_id "
                           "LIMIT ? OFFSET ?", (name, limit, offset))

    def deadletters(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deadletters ORDER BY id")

    def deliveries(self, limit: int) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deliveries ORDER BY id DESC LIMIT ?", (limit,))
