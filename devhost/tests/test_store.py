"""The store's own guarantees that no HTTP test shows directly."""

import asyncio
import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devhost.partitions import Partitions
from devhost.records import Batch, Instance, NewWork
from devhost.store import Store
from devhost.testing import DevhostProcess

SAMPLE = Path(__file__).parent / "apps" / "sample"
STORE_FILES = {"devhost.db", "devhost.db-wal", "devhost.db-shm", "devhost.db.lock",
               "devhost.db.priority"}
HOST_FILES = STORE_FILES | {"host.lock", "keys.json", "token-signing.key"}


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common umask 022, under which a file made without care is readable by everyone."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """The folder's own mode (under ".") and every entry's."""
    found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    return {".": stat.S_IMODE(folder.stat().st_mode), **found}


def loosen(folder: Path) -> None:
    """What an older devhost left behind: everything readable by everyone."""
    for p in folder.iterdir():
        p.chmod(0o644)
    folder.chmod(0o755)


def assert_private(folder: Path, expected: set[str]) -> None:
    found = modes(folder)
    assert expected <= set(found), f"missing: {expected - set(found)}"
    assert found == {name: 0o700 if name == "." else 0o600 for name in found}


def test_the_store_folder_and_files_are_private_whatever_the_umask(
        tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    store = Store(data / "devhost.db")
    try:
        store.commit(Batch(meta={"k": "v"}))  # SQLite has made its -wal and -shm files now
        assert_private(data, STORE_FILES)
    finally:
        store.close()


def test_looser_store_files_are_tightened_when_it_opens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Store(data / "devhost.db")
    try:
        first.commit(Batch(meta={"k": "v"}))
        loosen(data)  # -wal and -shm included: the first store still has them open
        second = Store(data / "devhost.db")
        try:
            assert_private(data, STORE_FILES)
            assert second.meta("k") == "v"
        finally:
            second.close()
    finally:
        first.close()


def test_a_hosts_data_folder_is_private_and_a_loose_one_is_tightened_at_start(
        tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "d"
    host = DevhostProcess(SAMPLE, data).start()
    try:
        assert_private(data, HOST_FILES)
    finally:
        host.stop()
    loosen(data)
    host.start()
    try:
        assert_private(data, HOST_FILES)
    finally:
        host.stop()


def test_the_delivery_log_keeps_only_the_newest(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    store.commit(Batch(deliveries=[("f", str(i), 1, "delivered", 0.0) for i in range(25)]))
    store.trim_deliveries(keep=10)
    assert [r["event_id"] for r in store.deliveries(100)] == [str(i) for i in range(24, 14, -1)]


def test_a_batch_is_all_or_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    inst = Instance("i", "o", "e", "Pending", None, 1.0, 1.0)
    [first] = store.commit(Batch(instances=[inst], work=[NewWork("orch", "i", {}, 1.0)]))
    bad = Batch(done=[first], work=[NewWork("orch", "i", {"x": object()}, 1.0)])
    with pytest.raises(TypeError):  # the payload cannot be encoded
        store.commit(bad)
    assert [w.id for w in store.work_for("orch", "i", 2.0)] == [first]


def test_cached_history_follows_appends_and_resets(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    inst = Instance("i", "o", "e1", "Running", None, 1.0, 1.0)
    ev = {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": "t"}
    store.commit(Batch(history=[("i", 0, ev)]))
    assert len(store.history(inst)) == 1  # now cached
    store.commit(Batch(history=[("i", 1, ev)]))
    assert len(store.history(inst)) == 2
    store.commit(Batch(history_resets=["i"]))
    assert store.history(inst) == []
    reopened = Store(tmp_path / "d.db")
    assert reopened.history(inst) == []


def test_an_ended_instance_leaves_the_history_cache(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    ev = {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": "t"}
    running = [Instance(f"i{n}", "o", "e", "Running", None, 1.0, 1.0) for n in range(50)]
    store.commit(Batch(history=[(i.instance_id, 0, ev) for i in running]))
    for inst in running:
        store.history(inst)
    assert len(store._histories) == 50
    for inst in running[:40]:
        inst.status = "Completed"
    store.commit(Batch(instances=running[:40], history=[(i.instance_id, 1, ev) for i in running]))
    assert set(store._histories) == {i.instance_id for i in running[40:]}
    assert len(store.history(running[0])) == 2  # still readable, from the database


def test_a_new_execution_written_by_another_process_is_not_served_from_cache(
        tmp_path: Path) -> None:
    """Another process may purge an instance and start it again; the new execution id tells."""
    owner, other = Store(tmp_path / "d.db"), Store(tmp_path / "d.db")
    ev = {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": "t"}
    owner.commit(Batch(history=[("i", 0, ev), ("i", 1, ev)]))
    assert len(owner.history(Instance("i", "o", "e1", "Running", None, 1.0, 1.0))) == 2
    other.commit(Batch(history_resets=["i"], history=[("i", 0, ev)]))
    assert len(owner.history(Instance("i", "o", "e2", "Running", None, 1.0, 1.0))) == 1


def test_a_bad_batch_fails_only_its_own_caller(tmp_path: Path) -> None:
    import asyncio

    async def scenario() -> None:
        store = Store(tmp_path / "d.db")
        store.start_writer(asyncio.get_running_loop())
        bad = store.submit(Batch(work=[NewWork("orch", "i", {"x": object()}, 1.0)]))
        good = store.submit(Batch(work=[NewWork("orch", "i", {"ok": True}, 1.0)]))
        with pytest.raises(TypeError):
            await asyncio.wait_for(bad, 10)
        assert len(await asyncio.wait_for(good, 10)) == 1
        later = store.submit(Batch(work=[NewWork("orch", "i", {"ok": 2}, 1.0)]))
        assert len(await asyncio.wait_for(later, 10)) == 1  # the writer thread is still alive
        store.close()

    asyncio.run(scenario())


def test_a_worker_lets_a_waiting_host_in_between_its_batches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's group of batches is committed in parts while the host waits for the lock;
    every batch still lands once, and a batch the database refuses fails alone."""
    from devhost.partitions import Partitions

    worker = Store(tmp_path / "d.db", Partitions(1, 2))
    transactions = []
    real_tx = worker._tx

    def counted_tx(held=False):  # type: ignore[no-untyped-def]
        transactions.append(1)
        return real_tx(held)

    monkeypatch.setattr(worker, "_tx", counted_tx)
    monkeypatch.setattr(worker, "_host_waiting", lambda: True)
    refused = Batch(work=[NewWork("orch", None, {}, 1.0)])  # type: ignore[arg-type]
    batches = [Batch(work=[NewWork("orch", f"i{n}", {"n": n}, 1.0)]) for n in range(3)]
    results = worker._write_group([batches[0], refused, batches[1], batches[2]])
    assert isinstance(results[1], Exception)
    assert all(isinstance(r, list) and len(r) == 1 for r in results[:1] + results[2:])
    assert len(transactions) >= 4  # one per batch: the host got in between each
    landed = [w.payload["n"] for n in range(3) for w in worker.work_for("orch", f"i{n}", 2.0)]
    assert landed == [0, 1, 2]


@contextmanager
def worker_in_a_transaction(worker: Store) -> Iterator[threading.Event]:
    """A worker holding the write lock on a thread of its own until the event is set (or, so
    that a host that blocked its loop fails the test instead of hanging it, for 10 s)."""
    held, release = threading.Event(), threading.Event()

    def transaction() -> None:
        with worker._file_lock():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=transaction)
    thread.start()
    assert held.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join()


async def until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.001)


async def host_write_behind(host: Store, worker: Store, n: int) -> asyncio.Future[list[int]]:
    """A host write submitted while `worker` holds the write lock, once the host waits for it;
    that this returns at all shows the loop ran meanwhile: the host did not block on the lock."""
    host.start_writer(asyncio.get_running_loop())
    write = host.submit(Batch(work=[NewWork("orch", "h", {"n": n}, 1.0)]))
    await until(worker._host_waiting)
    return write


def host_and_worker(tmp_path: Path) -> tuple[Store, Store]:
    return Store(tmp_path / "d.db", Partitions(0, 2)), Store(tmp_path / "d.db", Partitions(1, 2))


def test_a_host_write_waits_for_a_workers_transaction_without_stopping_its_loop(
        tmp_path: Path) -> None:
    """The host commits on its loop; while a worker holds the write lock the loop goes on, the
    worker is told to let the host in, and the host's batches land, in order, once it has."""
    host, worker = host_and_worker(tmp_path)

    async def scenario() -> None:
        with worker_in_a_transaction(worker) as release:
            first = await host_write_behind(host, worker, 1)
            second = host.submit(Batch(work=[NewWork("orch", "h", {"n": 2}, 1.0)]))
            await asyncio.sleep(0.01)
            assert not first.done() and not second.done()
            release.set()
            ids = [await asyncio.wait_for(f, 5) for f in (first, second)]
        assert ids[0][0] < ids[1][0]
        assert [w.payload["n"] for w in host.work_for("orch", "h", 2.0)] == [1, 2]
        assert not worker._host_waiting()  # the host let go of the priority lock
        host.close()

    asyncio.run(scenario())


def test_a_host_write_still_waiting_for_the_lock_lands_when_the_host_stops(
        tmp_path: Path) -> None:
    host, worker = host_and_worker(tmp_path)

    async def scenario() -> None:
        with worker_in_a_transaction(worker) as release:
            waiting = await host_write_behind(host, worker, 1)
            release.set()
            host.close()  # on the loop: the host's retry cannot run first
        assert waiting.done() and len(waiting.result()) == 1
        assert [w.payload["n"] for w in worker.work_for("orch", "h", 2.0)] == [1]

    asyncio.run(scenario())


def test_a_host_write_submitted_in_the_loop_pass_the_host_stops_in_lands(
        tmp_path: Path) -> None:
    host, worker = host_and_worker(tmp_path)

    async def scenario() -> None:
        host.start_writer(asyncio.get_running_loop())
        write = host.submit(Batch(work=[NewWork("orch", "h", {"n": 1}, 1.0)]))
        host.close()  # before the loop's next pass would have committed it
        assert write.done() and len(write.result()) == 1
        assert [w.payload["n"] for w in worker.work_for("orch", "h", 2.0)] == [1]

    asyncio.run(scenario())


def test_a_host_write_the_lock_files_refuse_fails_its_caller_and_the_next_one_lands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Store(tmp_path / "d.db", Partitions(0, 2))
    real_lock = host._file_lock

    def broken(wait: bool = True):  # type: ignore[no-untyped-def]
        raise OSError("flock failed")

    async def scenario() -> None:
        host.start_writer(asyncio.get_running_loop())
        monkeypatch.setattr(host, "_file_lock", broken)
        with pytest.raises(OSError):
            await asyncio.wait_for(host.submit(Batch(work=[NewWork("orch", "h", {}, 1.0)])), 5)
        monkeypatch.setattr(host, "_file_lock", real_lock)
        assert len(await asyncio.wait_for(
            host.submit(Batch(work=[NewWork("orch", "h", {"n": 2}, 1.0)])), 5)) == 1
        host.close()

    asyncio.run(scenario())
