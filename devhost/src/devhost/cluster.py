"""A host process and N worker processes over one data folder (`FUNCTIONS_WORKER_PROCESS_COUNT`).

Python runs one thread at a time per process, so one process uses one core, and HTTP requests
queue behind whatever replay or entity batch holds the loop. With the setting above one, devhost
runs like the Functions host with its language workers: the process `devhost start` made (the
host) serves HTTP, the durable APIs and the monitor, and starts N workers that take the queued
work `devhost.partitions` gives each. They meet only in the store (SQLite, one writer at a time,
the host first) and wake each other with a datagram when they commit work for another.

The host holds the data folder's lock (workers inherit it, so a new host cannot start until every
process of the old one is gone), restarts a worker that dies, and stops them all on SIGTERM.
Workers hold the read end of a pipe whose write end only the host has: if the host is killed,
they see the pipe close and exit at once, like a killed host.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from devhost.partitions import Partitions
from devhost.private import open_private, private_dir
from devhost.records import Batch, NewWork
from devhost.storage.faults import DataFolderError
from devhost.store import Store

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("devhost.cluster")
SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_PROCESSES = 10  # Azure's limit for the setting
LOCK_WAIT_SECONDS = 5.0
PORT_REFRESH_SECONDS = 2.0
WORK, CLOCK = b"w", b"c"
WORKER_NICENESS = 10


class ClusterError(Exception):
    """The setting is unusable, or the data folder belongs to another running host."""


def worker_count() -> int:
    """Worker processes to start: none (one process does everything) unless the setting is >1."""
    raw = os.environ.get(SETTING, "").strip() or "1"
    try:
        count = int(raw)
    except ValueError:
        raise ClusterError(f"{SETTING} must be a whole number, not {raw!r}") from None
    if not 1 <= count <= MAX_PROCESSES:
        raise ClusterError(f"{SETTING} must be between 1 and {MAX_PROCESSES}, not {count}")
    if count > 1 and fcntl is None:
        log.warning("%s=%d needs POSIX file locks; running one process", SETTING, count)
        return 0
    return count if count > 1 else 0


def lock_data_folder(data: Path) -> int:
    """Hold the folder's lock for the host's lifetime; returns the descriptor to pass on."""
    try:
        private_dir(data)
        fd = open_private(data / "host.lock")
    except OSError as exc:
        raise DataFolderError(exc.filename or data, exc) from exc
    if fcntl is None:
        return fd
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            # The processes of a host that was just stopped or killed may still be exiting.
            if time.monotonic() > deadline:
                os.close(fd)
                raise ClusterError(f"another devhost is serving the data folder {data}; "
                                   "stop it or pass another --data") from None
            time.sleep(0.05)


class Peers(asyncio.DatagramProtocol):
    """Datagrams between the processes: 'work for you was committed', 'the clock moved'."""

    def __init__(self, store: Store, partitions: Partitions, on_work: Callable[[], None],
                 on_clock: Callable[[], None]) -> None:
        self.store = store
        self.partitions = partitions
        self.on_work = on_work
        self.on_clock = on_clock
        self._transport: asyncio.DatagramTransport | None = None
        self._ports: dict[int, int] = {}
        self._ports_read = 0.0
        self._woken: set[int] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self,
                                                           local_addr=("127.0.0.1", 0))
        self._transport = transport
        port = transport.get_extra_info("sockname")[1]
        self.store.commit(Batch(meta={f"peer.{self.partitions.index}": str(port)}))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if data == CLOCK:
            self.on_clock()
        self.on_work()

    def work_committed(self, work: list[NewWork], ids: list[int]) -> None:
        """Wake the owners of new work: one datagram each per loop pass, however many commits."""
        p = self.partitions
        if not self._woken:
            asyncio.get_running_loop().call_soon(self._wake_owners)
        self._woken.update(p.item_owner(w.kind, w.target, i) for w, i in zip(work, ids,
                                                                               strict=True))

    def _wake_owners(self) -> None:
        owners, self._woken = self._woken - {self.partitions.index}, set()
        for owner in owners:
            self._send(owner, WORK)

    def clock_moved(self) -> None:
        for owner in range(self.partitions.count):
            if owner != self.partitions.index:
                self._send(owner, CLOCK)

    def _send(self, owner: int, message: bytes) -> None:
        if self._transport is None:
            return
        now = time.monotonic()
        if owner not in self._ports or now - self._ports_read > PORT_REFRESH_SECONDS:
            self._ports_read = now  # a restarted sibling listens on a new port
            for index in range(self.partitions.count):
                stored = self.store.meta(f"peer.{index}")
                if stored is not None:
                    self._ports[index] = int(stored)
        port = self._ports.get(owner)
        if port is not None:
            # A lost datagram costs at most the dispatcher's one-second poll.
            self._transport.sendto(message, ("127.0.0.1", port))


class Children:
    """The host's view of its workers: start, watch, restart, stop."""

    def __init__(self, command: Callable[[int], list[str]], count: int, lock_fd: int) -> None:
        self.command = command
        self.count = count
        self.lock_fd = lock_fd
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lifeline_r, self._lifeline_w = os.pipe()
        self._stopping = False

    def start(self, timeout: float = 60.0) -> None:
        ready_r, ready_w = os.pipe()
        try:
            for index in range(1, self.count):
                self._spawn(index, ready_w)
            os.close(ready_w)
            ready_w = -1
            deadline = time.monotonic() + timeout
            waiting = self.count - 1
            while waiting:
                if time.monotonic() > deadline:
                    raise ClusterError("devhost's worker processes did not become ready")
                failed = [i for i, p in self.procs.items() if p.poll() is not None]
                if failed:
                    raise ClusterError(f"devhost worker {failed[0]} exited while starting "
                                       f"(code {self.procs[failed[0]].returncode})")
                readable, _, _ = select.select([ready_r], [], [], 0.1)
                if readable:
                    waiting -= len(os.read(ready_r, waiting))
        finally:
            os.close(ready_r)
            if ready_w >= 0:
                os.close(ready_w)

    def _spawn(self, index: int, ready_fd: int | None) -> None:
        fds = [self._lifeline_r, self.lock_fd, *([ready_fd] if ready_fd is not None else [])]
        args = [*self.command(index), "--lifeline-fd", str(self._lifeline_r)]
        if ready_fd is not None:
            args += ["--ready-fd", str(ready_fd)]
        # devhost is installed in this interpreter, so its workers find it wherever they start.
        self.procs[index] = subprocess.Popen(args, pass_fds=fds)

    async def watch(self) -> None:
        """Restart a worker that died, as the Functions host restarts a crashed worker."""
        backoff: dict[int, float] = {}
        while not self._stopping:
            await asyncio.sleep(0.5)
            for index, proc in list(self.procs.items()):
                if proc.poll() is None or self._stopping:
                    continue
                delay = min(30.0, backoff.get(index, 0.5) * 2)
                backoff[index] = delay
                log.error("devhost worker %d exited with code %s; restarting it in %.0f s",
                          index, proc.returncode, delay)
                await asyncio.sleep(delay)
                if not self._stopping:
                    self._spawn(index, None)

    def stop(self, timeout: float = 20.0) -> None:
        self._stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        os.close(self._lifeline_w)
        os.close(self._lifeline_r)


def watch_lifeline(fd: int) -> None:
    """In a worker: exit at once when the host is gone (its end of the pipe closes)."""

    def readable() -> None:
        if not os.read(fd, 1):
            os._exit(70)

    asyncio.get_running_loop().add_reader(fd, readable)


def yield_to_host() -> None:
    """In a worker: a lower CPU priority, so that on a busy machine the host answers HTTP first.

    Workers are throughput and the host is latency: with every core busy, a request otherwise
    waits its turn behind replays (measured on two cores: 202 p50 ~70 ms at normal priority,
    ~15 ms with workers at +10)."""
    os.nice(WORKER_NICENESS)


def report_ready(fd: int) -> None:
    os.write(fd, b".")
    os.close(fd)
