"""Group commit: batches queued during one loop pass commit in one transaction.

One process doing everything commits on a writer thread while its loop goes on (sqlite releases
the GIL while it writes); a worker commits on its loop; the host beside workers commits on its
loop once the write lock is free (`_commit_blocked`). A batch that fails fails only its caller.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from contextlib import AbstractContextManager

from devhost.records import Batch
from devhost.storage.locks import Busy, WriteLocks
from devhost.storage.rows import Rows, apply, encode

LOCK_RETRY_SECONDS = 0.0005  # the host, while a worker commits (the loop rounds up to 1 ms)
SLOW_COMMIT_MS = 200
log = logging.getLogger("devhost.store")
Pending = list[tuple[Batch, asyncio.Future[list[int]]]]


class GroupCommit:
    """The write side of `devhost.store.Store` (a mixin: the store holds the state)."""

    _loop: asyncio.AbstractEventLoop | None
    _locks: WriteLocks
    _worker: bool
    _writes_first: bool
    _queue: queue.SimpleQueue[Pending | None]
    _pending: Pending
    _blocked: Pending
    _retry: asyncio.TimerHandle | None
    _writer: threading.Thread | None

    def _file_lock(self, wait: bool = True) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _tx(self, held: bool = False) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _noticed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def _update_history_cache(self, batch: Batch) -> None:
        raise NotImplementedError

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
        pending: list[tuple[int, Rows]] = []
        for index, batch in enumerate(batches):
            try:
                pending.append((index, encode(batch)))
                results.append([])
            except Exception as exc:
                results.append(exc)
        while pending:
            applied, failing = 0, None
            try:
                with self._tx(held) as db:
                    for index, rows in pending:
                        failing = applied
                        results[index] = apply(db, rows)
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

    def _alone(self, rows: Rows, held: bool) -> list[int] | BaseException:
        try:
            with self._tx(held) as db:
                return apply(db, rows)
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
