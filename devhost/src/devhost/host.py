"""`devhost start`: wire the store, runtime, durable API and HTTP listeners, run until stopped."""

from __future__ import annotations

import asyncio
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
from devhost.durable.replay import ReplayLogFilter
from devhost.durable.runtime import Runtime
from devhost.eventgrid import Chaos, EventGrid, RetryPolicy, Subscriptions
from devhost.invoker import Invoker
from devhost.keys import HostKeys, load_or_create_keys
from devhost.loader import LoadedApp
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
MASK = "***"
STORE_CAP_SETTING = "DEVHOST_STORE_MAX_MB"
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


class MaskingFormatter(logging.Formatter):
    """The log format, with the host's keys masked wherever a record carries one.

    devhost logs no key of its own accord; this catches the ones it cannot foresee: an app's own
    log line, an exception's text (the durable client binding an app receives holds a key).
    """

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.hidden: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.hidden:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def setup_logging(process: str = "") -> None:
    """Log lines on stderr; a worker's carry its name (`worker-1`), as they share the output."""
    handler = logging.StreamHandler(sys.stderr)
    where = f" {process}" if process else ""
    handler.setFormatter(MaskingFormatter(f"%(asctime)s{where} %(levelname)s %(name)s "
                                          "%(message)s"))
    handler.addFilter(ReplayLogFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level() or "INFO")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def hide_in_logs(keys: HostKeys) -> None:
    """Mask the host's keys, from now on, in every line the handler of `setup_logging` writes."""
    secrets = tuple(k for k in (keys.function_key, keys.master_key, *keys.system_keys.values())
                    if k)
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, MaskingFormatter):
            handler.formatter.hidden = secrets


def log_level() -> str | None:
    """`DEVHOST_LOG_LEVEL` (environment or local.settings.json), or None when it is no level."""
    level = os.environ.get("DEVHOST_LOG_LEVEL", "INFO").strip().upper()
    return level if level in logging.getLevelNamesMapping() else None


def store_cap() -> int | None:
    """`DEVHOST_STORE_MAX_MB`: the largest the store may grow; at the cap, writes are refused
    as on a full disk (503 with Retry-After) until data is purged or the cap raised."""
    raw = os.environ.get(STORE_CAP_SETTING, "").strip()
    if not raw:
        return None
    try:
        mb = float(raw)
    except ValueError:
        mb = 0.0
    if not mb > 0:
        raise ClusterError(f"{STORE_CAP_SETTING} must be a positive number of megabytes, "
                           f"not {raw!r}")
    return int(mb * 1024 * 1024)


def data_dir_for(opts: StartOptions) -> Path:
    return (opts.data_dir or opts.app_dir / ".devhost").resolve()


async def serve(app: LoadedApp, opts: StartOptions) -> None:
    data = data_dir_for(opts)
    parts = opts.partitions
    if opts.first:
        parts = Partitions(0, worker_count())
        lock_fd = lock_data_folder(data)
        if parts.workers:
            # The host answers HTTP on its loop; its other threads (the checkpointer, sync
            # functions) trade the GIL with it without 5 ms waits (202 p99 ~70 ms instead of
            # ~95 on two cores, when a writer thread still committed the host's writes).
            sys.setswitchinterval(HOST_SWITCH_INTERVAL)
    store = Store(data / "devhost.db", parts, store_cap())
    if opts.first:
        store.check()
    loop = asyncio.get_running_loop()
    store.start_writer(loop)
    try:
        keys = load_or_create_keys(data)
        issuer = TokenIssuer(data)
    except OSError as exc:
        raise DataFolderError(exc.filename or data, exc) from exc
    hide_in_logs(keys)
    invoker = Invoker(loop, str(app.root),
                      threads=max(4, min(32, app.config.max_activities + 4)))
    clock = Clock(store)
    eventgrid = EventGrid(app, invoker, RetryPolicy(opts.eventgrid_attempts,
                                                    opts.eventgrid_first_delay), opts.chaos,
                          opts.subscriptions)
    runtime = Runtime(app, store, invoker, clock, eventgrid)
    peers = None
    if not parts.single:
        peers = Peers(store, parts, runtime.wake, clock.refresh)
        await peers.start()
        runtime.peers = peers
        clock.on_advance = peers.clock_moved
    api = DurableApi(DurableClientOps(runtime), app.config.hub_name,
                     keys.system_keys[SYSTEM_KEY])
    server = Server(app, runtime, api, keys, issuer)
    _mount_extras(server)

    rpc_runner = ProblemRunner(server.rpc_app(), access_log=None)
    await rpc_runner.setup()
    rpc_site = web.TCPSite(rpc_runner, "127.0.0.1", 0)
    await rpc_site.start()
    server.rpc_url = f"http://127.0.0.1:{_bound_port(rpc_site)}"
    if not parts.single:
        store.commit(Batch(meta={f"rpc.{parts.index}": server.rpc_url}))
    if os.environ.get("DEVHOST_DURABLE_CLIENT", "inproc") != "http":
        InProcessClient(f"{server.rpc_url}/durabletask/",
                        lambda request, tail: api.handle(request, tail, server.durable_base),
                        loop).install()

    # Requests still running at shutdown (a long poll, say) get a few seconds, then are cut off,
    # so that stopping devhost never waits out a client's wait.
    public_runner = ProblemRunner(server.public_app(), access_log=None,
                                  shutdown_timeout=HTTP_SHUTDOWN_GRACE)
    await public_runner.setup()
    port = opts.port if opts.port is not None else (app.http_port or 7071)
    shown = "127.0.0.1" if opts.host in ("0.0.0.0", "") else opts.host
    if opts.first:
        site = web.TCPSite(public_runner, opts.host, port)
        await site.start()
        port = _bound_port(site)
    server.public_url = f"http://{shown}:{port}"  # workers hand out the host's links

    children = None
    if opts.first and not parts.single:
        children = Children(lambda index: _worker_command(opts, port, index, parts.workers),
                            parts.count, lock_fd)
        await loop.run_in_executor(None, children.start)
    if opts.lifeline_fd is not None:
        watch_lifeline(opts.lifeline_fd)
        yield_to_host()
        # Replays leave reference cycles behind (~38,000 objects per collection at a threshold
        # of 50,000): each collection took ~90 ms. Smaller, more frequent ones cost less in all
        # (orders bench: ~+10% orders/s at 10,000) and never stall a worker for long.
        gc.set_threshold(WORKER_GEN0_THRESHOLD, 20, 100)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if opts.first:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    else:
        # Ctrl+C reaches the whole process group; the host stops its workers itself, in order.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    dispatcher = asyncio.create_task(runtime.run()) if parts.runs_work else None
    watcher = asyncio.create_task(children.watch()) if children is not None else None
    if opts.ready_fd is not None:
        report_ready(opts.ready_fd)
    timers = None
    if opts.first and app.by_kind("timerTrigger"):
        # One process runs the timers, as one instance holds a timer's lock in Azure.
        server.timers = Timers(app.by_kind("timerTrigger"), invoker, clock, store)
        timers = asyncio.create_task(server.timers.run())
    if opts.first:
        _announce(server, data, parts.workers, opts.subscriptions)
    await stop.wait()
    if opts.first:
        print("devhost stopping: finishing in-flight work", flush=True)
    if watcher is not None:
        watcher.cancel()
    if timers is not None:
        timers.cancel()
    await public_runner.cleanup()
    if children is not None:
        await loop.run_in_executor(None, children.stop)
    await runtime.stop(grace=10.0)
    if dispatcher is not None:
        dispatcher.cancel()
    await rpc_runner.cleanup()
    if peers is not None:
        peers.close()
    invoker.shutdown()
    store.close()
    if opts.first:
        print("devhost stopped", flush=True)


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
