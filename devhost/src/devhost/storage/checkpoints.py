"""WAL checkpoints: the WAL stays bounded at any load, and no commit pays for a checkpoint.

SQLite's automatic checkpoint runs inside whichever commit crosses its limit, fsync included
(one took 740 ms on a slow disk while every caller waited on the writer), so it is off, and one
thread in the host process checkpoints instead, every `CHECKPOINT_SECONDS`:

1. A PASSIVE checkpoint copies the WAL back into the database. It takes no lock and never
   waits, so writers go on meanwhile; this is where almost all the copying and syncing happens.
   Before step 2, more follow while one takes long (writes came in meanwhile), up to
   `CATCH_UP_PASSES`, so that little is left to copy under the lock.
2. Passive checkpoints alone never shrink the WAL under steady writes: SQLite starts the WAL
   over only once all of it is copied back and no reader uses it, and with a commit every few
   milliseconds that moment never comes (the WAL grew ~800 KB per order, to gigabytes). So when
   the WAL holds more than its limit (`WAL_LIMIT_BYTES`, or `DEVHOST_WAL_LIMIT_MB`), the
   checkpointer takes the write lock as the host does (the priority lock first, so workers let
   it in between two batches: it cannot starve)
   and runs a RESTART checkpoint: it copies the frames written since step 1, waits up to
   `CHECKPOINT_BUSY_MS` for readers still reading the old WAL (queries take milliseconds, and
   new readers read the database file and do not hold it up), and the next commit writes the
   WAL from its start again. If a reader outlasts the wait, the next pass tries again.
3. RESTART reuses the file; truncating it (TRUNCATE) frees its blocks, which took ~80 ms for
   100 MB on a disk mounted with `discard`, too long to hold writers. So the file is truncated
   when nothing was written since the previous pass: no writer is waiting then.

So the WAL file never grows past the limit plus what is written during one pass, whatever the
load, and goes back to zero bytes when writes pause. Writers wait only for step 2, once per
limit's worth of writes: the copying takes under a millisecond, the disk's two fsyncs the rest
(16-170 ms on a busy shared VM; logged over `SLOW_MS`). A larger limit makes the waits rarer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from devhost.storage.locks import WriteLocks

CHECKPOINT_SECONDS = 1.0
WAL_LIMIT_BYTES = 64 * 1024 * 1024
CATCH_UP_PASSES = 4
CAUGHT_UP_MS = 10.0  # a passive checkpoint this quick had little to copy: take the lock now
WAL_FRAME_HEADER = 24
CHECKPOINT_BUSY_MS = 200
SLOW_MS = 200
FAILURE_LOG_SECONDS = 60.0
log = logging.getLogger("devhost.store")


class Checkpointer:
    """The checkpoint thread of one database (one per database, in the host process)."""

    def __init__(self, db_path: Path, connect: Callable[[Path], sqlite3.Connection],
                 limit: int | None = None) -> None:
        self.db_path = db_path
        self.limit = limit or WAL_LIMIT_BYTES
        self.wal_path = Path(f"{db_path}-wal")
        self._connect = connect
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_failure = (0.0, "")
        self._frames = -1
        self.restarts = 0
        self.held_ms: deque[float] = deque(maxlen=100)  # the latest holds, for tests and figures

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="devhost-db-checkpoint",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def wal_bytes(self) -> int:
        try:
            return self.wal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def _run(self) -> None:
        db = self._connect(self.db_path)
        db.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
        # Descriptors of its own: flock locks are per open file, and the host's loop takes the
        # store's own while this thread may hold the lock.
        locks = WriteLocks(self.db_path, first=True)
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                self.checkpoint(db, locks)
        finally:
            locks.close()
            db.close()

    def checkpoint(self, db: sqlite3.Connection, locks: WriteLocks) -> None:
        """One pass (steps 1 to 3 above). Never raises: a failed pass (a full disk, say) is
        logged, and the next one tries again."""
        try:
            _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            idle = frames == self._frames  # nothing written since the previous pass
            self._frames = frames
            if idle and self.wal_bytes() > self.limit:
                self._under_lock(db, locks, "TRUNCATE")
            elif not idle and frames * self._frame_bytes(db) > self.limit:
                self._catch_up(db)
                self._under_lock(db, locks, "RESTART")
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)

    def _catch_up(self, db: sqlite3.Connection) -> None:
        """More passive checkpoints, until one is quick: little is left to copy under the lock."""
        for _ in range(CATCH_UP_PASSES):
            started = time.perf_counter()
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if (time.perf_counter() - started) * 1000 < CAUGHT_UP_MS:
                return

    def _under_lock(self, db: sqlite3.Connection, locks: WriteLocks, mode: str) -> None:
        with locks.hold():
            started = time.perf_counter()
            busy, frames, _ = db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            took = (time.perf_counter() - started) * 1000
        self.held_ms.append(took)
        if busy:
            log.debug("WAL of %s not restarted: a reader held it for %d ms", self.db_path,
                      CHECKPOINT_BUSY_MS)
            return
        self._frames = int(frames)
        self.restarts += 1
        if took > SLOW_MS:
            log.warning("restarting the WAL of %s (%s) held writes for %.0f ms", self.db_path,
                        mode, took)

    @staticmethod
    def _frame_bytes(db: sqlite3.Connection) -> int:
        return int(db.execute("PRAGMA page_size").fetchone()[0]) + WAL_FRAME_HEADER

    def _failed(self, exc: Exception) -> None:
        now, text = time.monotonic(), str(exc)
        at, last = self._last_failure
        if text != last or now - at > FAILURE_LOG_SECONDS:
            self._last_failure = (now, text)
            log.warning("checkpointing %s failed (%s); retrying every %.0f s", self.db_path,
                        text, CHECKPOINT_SECONDS)
