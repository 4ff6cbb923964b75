"""`devhost start`: wire the store, runtime, durable API and HTTP listeners, run until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shlex
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from devhost.auth import TokenIssuer
from devhost.cluster import (
    SETTING,
    Children,
    ClusterError,
    Peers,
    lock_data_folder,
    report_ready,
    watch_lifeline,
    worker_count,
    yield_to_host,
)
from devhost.durable.api import DurableApi
from devhost.durable.client import DurableClientOps
from devhost.durable.clock import Clock
from devhost.durable.inproc import InProcessClient
from devhost.durable.runtime import Runtime
from devhost.eventgrid import Chaos, EventGrid, RetryPolicy, Subscriptions
from devhost.invoker import Invoker
from devhost.keys import load_or_create_keys
from devhost.loader import LoadedApp
from devhost.logs import MaskingFormatter as MaskingFormatter  # where it used to live
from devhost.logs import hide_in_logs
from devhost.partitions import ONE_PROCESS, Partitions
from devhost.problems import ProblemRunner
from devhost.records import Batch
from devhost.server import Server, describe_routes
from devhost.storage.faults import DataFolderError
from devhost.store import Store
from devhost.timers import Timers, describe

log = logging.getLogger("devhost")
HOST_SWITCH_INTERVAL = 0.0005
HTTP_SHUTDOWN_GRACE = 5.0
WORKER_GEN0_THRESHOLD = 10_000
SYSTEM_KEY = "durabletask_extension"  # the system key of the durable management API
STORE_CAP_SETTING = "DEVHOST_STORE_MAX_MB"
WAL_LIMIT_SETTING = "DEVHOST_WAL_LIMIT_MB"
DATA_DIR_SETTING = "DEVHOST_DATA_DIR"  # set for the app: the data folder of this run


@dataclass
class StartOptions:
    app_dir: Path
    port: int | None
    host: str
    data_dir: Path | None
    chaos: Chaos | None = None
    eventgrid_attempts: int = 6
    eventgrid_first_delay: float = 1.0
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    # Set for the worker processes the host starts (FUNCTIONS_WORKER_PROCESS_COUNT > 1).
    partitions: Partitions = ONE_PROCESS
    lifeline_fd: int | None = None
    ready_fd: int | None = None

    @property
    def first(self) -> bool:
        """The process `devhost start` made: the only one, or the host of the workers."""
        return self.partitions.index == 0


class ListenError(Exception):
    """The public port cannot be listened on (in use, or the address is not this machine's)."""


def megabytes(setting: str) -> int | None:
    """A size setting in megabytes, in bytes (None when unset): `DEVHOST_STORE_MAX_MB`, the
    largest the store may grow (at the cap writes are refused as on a full disk: 503 with
    Retry-After); `DEVHOST_WAL_LIMIT_MB`, the WAL's size at which it is restarted (64)."""
    raw = os.environ.get(setting, "").strip()
    if not raw:
        return None
    try:
        mb = float(raw)
    except ValueError:
        mb = 0.0
    if not mb > 0:
        raise ClusterError(f"{setting} must be a positive number of megabytes, not {raw!r}")
    return int(mb * 1024 * 1024)


def data_dir_for(opts: StartOptions) -> Path:
    return (opts.data_dir or opts.app_dir / ".devhost").resolve()


async def serve(app: LoadedApp, opts: StartOptions) -> None:
    """Start, serve until SIGTERM (or Ctrl-C), stop. Each piece, once started, is on one exit
    stack, so stopping, and a start that fails half-way (a port in use, a damaged store, a
    worker that does not come up), stop what was started, in reverse order: no process,
    socket, thread or lock is left behind."""
    async with contextlib.AsyncExitStack() as stack:
        stop = _stop_on_signals(opts, stack)  # SIGTERM while starting: stop once started
        await _start(app, opts, stack)
        await stop.wait()
        if opts.first:
            print("devhost stopping: finishing in-flight work", flush=True)
    if opts.first:
        print("devhost stopped", flush=True)


async def _start(app: LoadedApp, opts: StartOptions, stack: contextlib.AsyncExitStack) -> None:
    """Each step puts what it started on the stack; the stack's order is the order of
    stopping: timers and the workers' watch, HTTP, the workers, work in flight and the
    dispatcher, the RPC listener, the peers' socket, the invoker's threads, the store, the
    data folder's lock."""
    data, parts, lock_fd = _claim_data_folder(opts, stack)
    store = _open_store(data, parts, opts, stack)
    runtime = _runtime(app, opts, store, stack)
    await _join_peers(runtime, parts, stack)
    server = _server(app, runtime, data)
    await _listen_rpc(server, parts, stack)
    dispatcher = _Background()  # starts last, stops after HTTP and the workers
    stack.callback(dispatcher.cancel)
    stack.push_async_callback(runtime.stop, 10.0)
    children = _workers(parts, lock_fd, stack)
    port = await _listen_public(server, app, opts, stack)
    await _start_workers(opts, children, port, parts)
    if parts.runs_work:
        dispatcher.tasks.append(asyncio.create_task(runtime.run()))
    _run_last(app, opts, server, children, stack)
    if opts.first:
        _announce(server, data, parts.workers, opts.subscriptions)


class _Background:
    """Tasks put on the stack before they start, so that they stop at their place."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()


def _claim_data_folder(opts: StartOptions,
                       stack: contextlib.AsyncExitStack) -> tuple[Path, Partitions, int | None]:
    """The data folder, locked by the host for its lifetime (workers inherit the lock): the
    folder, this process's share of the work, the lock's descriptor."""
    data = data_dir_for(opts)
    if not opts.first:
        return data, opts.partitions, None
    parts = Partitions(0, worker_count())
    lock_fd = lock_data_folder(data)
    stack.callback(os.close, lock_fd)
    if parts.workers:
        # The host answers HTTP on its loop; its other threads (the checkpointer, sync
        # functions) trade the GIL with it without 5 ms waits (202 p99 ~70 ms instead of
        # ~95 on two cores, when a writer thread still committed the host's writes).
        sys.setswitchinterval(HOST_SWITCH_INTERVAL)
    return data, parts, lock_fd


def _open_store(data: Path, parts: Partitions, opts: StartOptions,
                stack: contextlib.AsyncExitStack) -> Store:
    store = Store(data / "devhost.db", parts, megabytes(STORE_CAP_SETTING),
                  megabytes(WAL_LIMIT_SETTING))
    stack.callback(store.close)
    if opts.first:
        store.check()
    store.start_writer(asyncio.get_running_loop())
    return store


def _runtime(app: LoadedApp, opts: StartOptions, store: Store,
             stack: contextlib.AsyncExitStack) -> Runtime:
    invoker = Invoker(asyncio.get_running_loop(), str(app.root),
                      threads=max(4, min(32, app.config.max_activities + 4)))
    stack.callback(invoker.shutdown)
    eventgrid = EventGrid(app, invoker, RetryPolicy(opts.eventgrid_attempts,
                                                    opts.eventgrid_first_delay), opts.chaos,
                          opts.subscriptions)
    return Runtime(app, store, invoker, Clock(store), eventgrid)


async def _join_peers(runtime: Runtime, parts: Partitions,
                      stack: contextlib.AsyncExitStack) -> None:
    """The datagram socket the processes wake each other with (several processes only)."""
    if parts.single:
        return
    peers = Peers(runtime.store, parts, runtime.wake, runtime.clock.refresh)
    stack.callback(peers.close)
    await peers.start()
    runtime.peers = peers
    runtime.clock.on_advance = peers.clock_moved


def _server(app: LoadedApp, runtime: Runtime, data: Path) -> Server:
    try:
        keys = load_or_create_keys(data)
        issuer = TokenIssuer(data)
    except OSError as exc:
        raise DataFolderError(exc.filename or data, exc) from exc
    hide_in_logs(keys)
    api = DurableApi(DurableClientOps(runtime), app.config.hub_name,
                     keys.system_keys[SYSTEM_KEY])
    server = Server(app, runtime, api, keys, issuer)
    _mount_extras(server)
    return server


async def _listen_rpc(server: Server, parts: Partitions,
                      stack: contextlib.AsyncExitStack) -> None:
    """The durable client's RPC listener on a loopback port, and the in-process shortcut."""
    rpc_runner = ProblemRunner(server.rpc_app(), access_log=None)
    stack.push_async_callback(rpc_runner.cleanup)
    await rpc_runner.setup()
    rpc_site = web.TCPSite(rpc_runner, "127.0.0.1", 0)
    await rpc_site.start()
    server.rpc_url = f"http://127.0.0.1:{_bound_port(rpc_site)}"
    if not parts.single:
        server.rt.store.commit(Batch(meta={f"rpc.{parts.index}": server.rpc_url}))
    if os.environ.get("DEVHOST_DURABLE_CLIENT", "inproc") != "http":
        api = server.api
        client = InProcessClient(f"{server.rpc_url}/durabletask/",
                                 lambda request, tail: api.handle(request, tail,
                                                                  server.durable_base),
                                 asyncio.get_running_loop())
        client.install()
        stack.callback(client.uninstall)


async def _listen_public(server: Server, app: LoadedApp, opts: StartOptions,
                         stack: contextlib.AsyncExitStack) -> int:
    """The public listener (the host's only; workers hand out its address). Its port."""
    # Requests still running at shutdown (a long poll, say) get a few seconds, then are cut off,
    # so that stopping devhost never waits out a client's wait.
    public_runner = ProblemRunner(server.public_app(), access_log=None,
                                  shutdown_timeout=HTTP_SHUTDOWN_GRACE)
    stack.push_async_callback(public_runner.cleanup)
    await public_runner.setup()
    port = opts.port if opts.port is not None else (app.http_port or 7071)
    shown = "127.0.0.1" if opts.host in ("0.0.0.0", "") else opts.host
    if opts.first:
        site = web.TCPSite(public_runner, opts.host, port)
        try:
            await site.start()
        except OSError as exc:
            raise ListenError(f"{opts.host}:{port}: {exc.strerror or exc}") from exc
        port = _bound_port(site)
    server.public_url = f"http://{shown}:{port}"  # workers hand out the host's links
    return port


def _workers(parts: Partitions, lock_fd: int | None,
             stack: contextlib.AsyncExitStack) -> Children | None:
    """The host's worker processes (FUNCTIONS_WORKER_PROCESS_COUNT > 1), not started yet."""
    if lock_fd is None or parts.single:
        return None
    children = Children(lambda index: [], parts.count, lock_fd)

    async def stop() -> None:
        await asyncio.get_running_loop().run_in_executor(None, children.stop)

    stack.push_async_callback(stop)
    return children


async def _start_workers(opts: StartOptions, children: Children | None, port: int,
                         parts: Partitions) -> None:
    """Start the workers and wait until each is ready; in a worker, defer to the host."""
    if children is not None:
        children.command = lambda index: _worker_command(opts, port, index, parts.workers)
        await asyncio.get_running_loop().run_in_executor(None, children.start)
    if opts.lifeline_fd is not None:
        watch_lifeline(opts.lifeline_fd)
        yield_to_host()
        # Replays leave reference cycles behind (~38,000 objects per collection at a threshold
        # of 50,000): each collection took ~90 ms. Smaller, more frequent ones cost less in all
        # (orders bench: ~+10% orders/s at 10,000) and never stall a worker for long.
        gc.set_threshold(WORKER_GEN0_THRESHOLD, 20, 100)


def _run_last(app: LoadedApp, opts: StartOptions, server: Server, children: Children | None,
              stack: contextlib.AsyncExitStack) -> None:
    """The watch over the workers and the timers; then the host is ready."""
    if children is not None:
        stack.callback(asyncio.create_task(children.watch()).cancel)
    if opts.ready_fd is not None:
        report_ready(opts.ready_fd)
    if opts.first and app.by_kind("timerTrigger"):
        # One process runs the timers, as one instance holds a timer's lock in Azure.
        runtime = server.rt
        server.timers = Timers(app.by_kind("timerTrigger"), runtime.invoker, runtime.clock,
                               runtime.store)
        stack.callback(asyncio.create_task(server.timers.run()).cancel)


def _stop_on_signals(opts: StartOptions, stack: contextlib.AsyncExitStack) -> asyncio.Event:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    stack.callback(loop.remove_signal_handler, signal.SIGTERM)
    if opts.first:
        loop.add_signal_handler(signal.SIGINT, stop.set)
        stack.callback(loop.remove_signal_handler, signal.SIGINT)
    else:
        # Ctrl+C reaches the whole process group; the host stops its workers itself, in order.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return stop


def _worker_command(opts: StartOptions, port: int, index: int, workers: int) -> list[str]:
    """The command line of worker `index`: the host's options and port, and its share."""
    cmd = [sys.executable, "-m", "devhost", "start", "--app", str(opts.app_dir),
           "--data", str(data_dir_for(opts)), "--port", str(port), "--host", opts.host,
           "--eventgrid-attempts", str(opts.eventgrid_attempts),
           "--eventgrid-retry-delay", str(opts.eventgrid_first_delay),
           "--process", f"{index}/{workers}"]
    if opts.subscriptions.source is not None:
        # Workers deliver and fan out too; they read the file the host read, however named.
        cmd += ["--eventgrid-subscriptions", str(opts.subscriptions.source)]
    if opts.chaos is not None:
        cmd += ["--chaos-eventgrid", "--chaos-max-delay", str(opts.chaos.max_delay)]
        if opts.chaos.seed is not None:
            cmd += ["--chaos-seed", str(opts.chaos.seed + index)]
    return cmd


def _mount_extras(server: Server) -> None:
    """Optional parts (the monitor) register their routes if they are installed."""
    try:
        from devhost.monitor import mount
    except ImportError:
        return
    mount(server)


def _bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes the socket only through the asyncio server
    assert isinstance(server, asyncio.Server) and server.sockets
    return int(server.sockets[0].getsockname()[1])


def _announce(server: Server, data: Path, workers: int, subscriptions: Subscriptions) -> None:
    lines = ["devhost: functions served"]
    lines += describe_routes(server) or ["  (no HTTP triggers)"]
    others = [f for f in server.app.functions if f.trigger_type != "httpTrigger"]
    for f in sorted(others, key=lambda f: (f.trigger_type, f.name)):
        filtered = f.name.lower() in subscriptions.included
        lines.append(f"  {f.name}: "
                     + (describe(f) if f.trigger_type == "timerTrigger" else f.trigger_type)
                     + (f" '{f.durable_name}'" if f.durable_name else "")
                     + (f" (event types filtered by {subscriptions.source})" if filtered
                        else ""))
    lines.append(f"  data: {data}")
    if workers:
        lines.append(f"  worker processes: {workers} ({SETTING})")
    # No key in the output: it ends up in terminals, CI logs and bug reports.
    lines.append(f"  management API: {server.durable_base}/instances?code=<system key>")
    if server.monitor is not None:
        lines.append(f"  monitor: {server.durable_base}/monitor?code=<system key>")
    lines.append(f"  keys: devhost keys --data {shlex.quote(str(data))} "
                 f"(system key: systemKeys.{SYSTEM_KEY})")
    print("\n".join(lines), flush=True)
    # One write, short enough to be atomic on a pipe: workers share this output and log while
    # the host starts, and a line they split would hide the address from whoever waits for it.
    os.write(sys.stdout.fileno(), f"devhost ready on {server.public_url}\n".encode())
