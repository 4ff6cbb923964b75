"""The WAL stays bounded however long the writes go on (`devhost.storage.checkpoints`)."""

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devhost.records import Batch, Instance, InstanceFilter
from devhost.storage import checkpoints
from devhost.storage.checkpoints import Checkpointer
from devhost.storage.locks import WriteLocks
from devhost.store import Store

LIMIT = 1024 * 1024
WRITES = 3000
EVENT = {"EventType": 4, "EventId": 0, "IsPlayed": False, "Name": "x" * 2000}


def wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def one_write(n: int) -> Batch:
    """An instance row and a 2 KB history event (~16 KB through the WAL, as in a replay)."""
    iid = f"i{n % 500:03d}-{n}"
    return Batch(instances=[Instance(iid, "o", "e", "Running", None, n, n)],
                 history=[(iid, 0, EVENT)])


@contextmanager
def reading_all_along(db: Path) -> Iterator[None]:
    """Another connection querying without pause, as the monitor and status polls do."""
    reader, stop = Store(db), threading.Event()

    def read() -> None:
        while not stop.is_set():
            reader.query_instances(InstanceFilter(), 50, 0)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        reader.close()


def test_the_wal_stays_under_the_limit_plus_one_passes_writes_after_thousands_of_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 commits (~50 MB through the WAL) with a checkpoint pass every 100 commits and a
    reader busy all along: the WAL file never exceeds the limit plus 100 commits' worth (with
    passive checkpoints only it reached 19 MB here, and gigabytes under a host's concurrent
    writers), and after a pass with no writes it is empty."""
    monkeypatch.setattr(checkpoints, "WAL_LIMIT_BYTES", LIMIT)
    db = tmp_path / "devhost.db"
    store = Store(db)
    checkpointer, conn, locks = Checkpointer(db, Store._connect), Store._connect(db), \
        WriteLocks(db, first=True)
    largest = 0
    with reading_all_along(db):
        for n in range(WRITES):
            store.commit(one_write(n))
            largest = max(largest, wal_size(db))
            if n % 100 == 99:
                checkpointer.checkpoint(conn, locks)
        for _ in range(2):  # the first sees the last writes, the second sees none since
            checkpointer.checkpoint(conn, locks)
    assert largest <= LIMIT + 3 * 1024 * 1024, f"the WAL reached {largest} bytes"
    assert checkpointer.restarts >= 10
    assert wal_size(db) == 0
    assert len(store.query_instances(InstanceFilter(), 10_000, 0)) == WRITES  # none lost
    conn.close()
    locks.close()
    store.close()


def test_the_hosts_checkpoint_thread_empties_the_wal_when_writes_pause(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "WAL_LIMIT_BYTES", LIMIT)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_SECONDS", 0.05)
    db = tmp_path / "devhost.db"
    store = Store(db)

    async def scenario() -> None:
        store.start_writer(asyncio.get_running_loop())
        for n in range(1000):
            await store.submit(one_write(n))
        deadline = time.monotonic() + 10
        while wal_size(db) > 0:
            assert time.monotonic() < deadline, f"the WAL stayed at {wal_size(db)} bytes"
            await asyncio.sleep(0.01)
        store.close()

    with reading_all_along(db):
        asyncio.run(scenario())
