"""devhost command line: start, token, keys, deadletters."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from devhost import __version__
from devhost.auth import TokenIssuer
from devhost.keys import load_or_create_keys

if TYPE_CHECKING:
    from devhost.eventgrid import Subscriptions
    from devhost.host import StartOptions


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="devhost",
                                description="Run an Azure Functions Python app with Durable "
                                            "Functions locally.")
    p.add_argument("--version", action="version", version=f"devhost {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("start", help="serve the app")
    s.add_argument("--app", type=Path, default=Path("."), help="app folder (default: .)")
    s.add_argument("--port", type=int, default=None,
                   help="HTTP port (default: local.settings.json Host.LocalHttpPort or 7071; "
                        "0 picks a free port)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--data", type=Path, default=None, help="data folder (default: APP/.devhost)")
    s.add_argument("--chaos-eventgrid", action="store_true",
                   help="duplicate, delay and reorder Event Grid deliveries")
    s.add_argument("--chaos-seed", type=int, default=None)
    s.add_argument("--chaos-max-delay", type=float, default=0.5,
                   help="largest extra delivery delay in seconds with --chaos-eventgrid")
    s.add_argument("--eventgrid-attempts", type=int, default=6,
                   help="delivery attempts before an event is dead-lettered")
    s.add_argument("--eventgrid-retry-delay", type=float, default=1.0,
                   help="first retry delay in seconds (doubles per attempt)")
    s.add_argument("--eventgrid-subscriptions", type=Path, default=None, metavar="FILE",
                   help="JSON file of event-type filters per Event Grid trigger, relative "
                        "to --app (default: the DEVHOST_EVENTGRID_SUBSCRIPTIONS setting)")
    # How the host starts its workers (FUNCTIONS_WORKER_PROCESS_COUNT > 1).
    s.add_argument("--process", default=None, help=argparse.SUPPRESS)
    s.add_argument("--lifeline-fd", type=int, default=None, help=argparse.SUPPRESS)
    s.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)

    t = sub.add_parser("token", help="mint a bearer token the running host accepts")
    t.add_argument("--sub", required=True)
    t.add_argument("--roles", default="", help="comma-separated roles")
    t.add_argument("--name", default=None)
    t.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    t.add_argument("--data", type=Path, default=Path(".devhost"))

    k = sub.add_parser("keys", help="print the function, master and system keys")
    k.add_argument("--data", type=Path, default=Path(".devhost"))

    m = sub.add_parser("metrics", help="show a running host's metrics as a table")
    m.add_argument("--url", default="http://127.0.0.1:7071", help="the host's base URL")
    m.add_argument("--data", type=Path, default=Path(".devhost"))
    m.add_argument("--filter", default="", help="only metrics whose name contains this")

    d = sub.add_parser("deadletters", help="list or replay dead-lettered Event Grid events")
    d.add_argument("action", choices=["list", "replay"])
    d.add_argument("--data", type=Path, default=Path(".devhost"))
    d.add_argument("--id", type=int, default=None, help="replay only this dead letter")
    return p


def _start(args: argparse.Namespace) -> int:
    from devhost.cluster import ClusterError
    from devhost.eventgrid import read_subscriptions
    from devhost.host import DATA_DIR_SETTING, ListenError, serve
    from devhost.loader import AppLoadError, load_app
    from devhost.logs import log_level, setup_logging
    from devhost.metrics import install_meter_provider
    from devhost.storage.faults import DataFolderError, StoreDamaged

    setup_logging(f"worker-{args.process.split('/')[0]}" if args.process else "")
    # Before the app's import, so its meters and the host's share one registry.
    install_meter_provider(args.app.resolve().name)
    # The app may keep files of its own (views, keys): beside the host's, one folder per run.
    os.environ[DATA_DIR_SETTING] = str((args.data or args.app / ".devhost").resolve())
    try:
        app = load_app(args.app)
        subscriptions = read_subscriptions(app, args.eventgrid_subscriptions)
    except AppLoadError as exc:
        print(f"devhost: cannot start: {exc}", file=sys.stderr)
        return 2
    # local.settings.json is loaded now and may set the level.
    level = log_level()
    if level is None:
        print("devhost: cannot start: DEVHOST_LOG_LEVEL must be one of DEBUG, INFO, WARNING, "
              "ERROR, CRITICAL", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(level)
    # The app and the SDK are loaded for good: keep the collector from re-scanning them, and
    # collect less often (a host keeps many small objects alive in its caches, and every full
    # collection pauses every request).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    opts = _start_options(args, app.root, subscriptions)
    try:
        asyncio.run(serve(app, opts))
    except ListenError as exc:
        print(f"devhost: cannot listen: {exc}", file=sys.stderr)
        return 2
    except (ClusterError, DataFolderError, StoreDamaged, OSError) as exc:
        print(f"devhost: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


def _start_options(args: argparse.Namespace, app_dir: Path,
                   subscriptions: Subscriptions) -> StartOptions:
    from devhost.eventgrid import Chaos
    from devhost.host import StartOptions
    from devhost.partitions import Partitions

    chaos = (Chaos(max_delay=args.chaos_max_delay, seed=args.chaos_seed)
             if args.chaos_eventgrid else None)
    opts = StartOptions(app_dir=app_dir, port=args.port, host=args.host,
                        data_dir=args.data.resolve() if args.data else None, chaos=chaos,
                        eventgrid_attempts=args.eventgrid_attempts,
                        eventgrid_first_delay=args.eventgrid_retry_delay,
                        subscriptions=subscriptions,
                        lifeline_fd=args.lifeline_fd, ready_fd=args.ready_fd)
    if args.process:
        index, workers = (int(part) for part in args.process.split("/"))
        opts.partitions = Partitions(index, workers)
    return opts


def _deadletters(args: argparse.Namespace) -> int:
    import time

    from devhost.eventgrid import delivery
    from devhost.records import Batch
    from devhost.store import Store

    store = Store(args.data / "devhost.db")
    rows = store.deadletters()
    if args.action == "list":
        for r in rows:
            print(json.dumps({"id": r["id"], "function": r["function"], "attempts": r["attempts"],
                              "reason": r["reason"], "event": json.loads(r["event"])}))
        if not rows:
            print("no dead letters", file=sys.stderr)
        return 0
    chosen = [r for r in rows if args.id is None or r["id"] == args.id]
    if args.id is not None and not chosen:
        print(f"no dead letter with id {args.id}", file=sys.stderr)
        return 1
    for r in chosen:
        # Due now by the wall clock; a host whose clock was advanced sees it as due too.
        store.commit(Batch(work=[delivery(r["function"], json.loads(r["event"]),
                                          time.time() - 1)]))
        store.delete_deadletter(r["id"])
    print(f"requeued {len(chosen)} event(s); a running host delivers them", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "start":
        return _start(args)
    if args.command == "token":
        roles = [r.strip() for r in args.roles.split(",") if r.strip()]
        print(TokenIssuer(args.data.resolve()).mint(args.sub, roles, name=args.name, ttl=args.ttl))
        return 0
    if args.command == "metrics":
        from devhost.metrics_table import print_metrics

        return print_metrics(args.url, load_or_create_keys(args.data.resolve()).master_key,
                             args.filter)
    if args.command == "keys":
        keys = load_or_create_keys(args.data.resolve())
        print(json.dumps(keys.to_json(), indent=2))
        return 0
    return _deadletters(args)


if __name__ == "__main__":
    sys.exit(main())
