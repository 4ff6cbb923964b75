"""One devhost run: serve devhost_app/ (host + 2 worker processes, as the orders bench), start
``--instances`` workflows at once over the durable management API from one asyncio client, and
time from the first start request to the moment the store holds all of them completed.

Runs in the app's .venv (devhost is installed there). ``--profile DIR`` records py-spy profiles
of the host and each worker during the timed part (py-spy from .venv-peers).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import common  # noqa: E402
from devhost.testing import DevhostClient, DevhostProcess  # noqa: E402

WORKERS = "2"  # FUNCTIONS_WORKER_PROCESS_COUNT of the orders app (local.settings.example.json)


def counts(db: Path, prefix: str) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        done, failed = conn.execute(
            "SELECT SUM(status='Completed'), SUM(status IN ('Failed','Terminated')) "
            "FROM instances WHERE instance_id LIKE ?", (prefix + "%",)).fetchone()
    return done or 0, failed or 0


async def start_all(client: DevhostClient, workflow: str, prefix: str, n: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        async def start(i: int) -> None:
            url = f"{client.mgmt}/orchestrators/{workflow}/{quote(prefix + str(i), safe='')}"
            body = json.dumps(common.order_input(i)) if workflow == "place_order" else None
            async with session.post(url, params={"code": client.system_key},
                                    json=body) as response:
                if response.status != 202:
                    raise RuntimeError(f"start answered {response.status}: "
                                       f"{await response.text()}")
        await asyncio.gather(*(start(i) for i in range(n)))


def wait_all(db: Path, prefix: str, n: int, timeout: float = 900) -> None:
    """Reads the store (read-only) every 20 ms: waiting costs the host nothing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, failed = counts(db, prefix)
        if failed:
            raise RuntimeError(f"{failed} workflow(s) failed")
        if done >= n:
            return
        time.sleep(0.02)
    raise TimeoutError(f"{n - done} workflow(s) unfinished after {timeout} s")


def profile(pids: dict[str, int], out: Path) -> list[subprocess.Popen[bytes]]:
    spy = HERE.parent.parent / ".venv-peers" / "bin" / "py-spy"
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(spy), "record", "--pid", str(pid), "--rate", "200",
                              "--format", "raw", "--output", str(out / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflow", choices=common.WORKFLOWS, required=True)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--workers-nice0", action="store_true",
                        help="diagnostic: put the workers back to nice 0 (devhost starts them at "
                             "+10), to see what that costs on a machine others keep busy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peers-devhost-") as tmp:
        env = {"FUNCTIONS_WORKER_PROCESS_COUNT": WORKERS, "DEVHOST_LOG_LEVEL": "WARNING"}
        host = DevhostProcess(HERE / "devhost_app", Path(tmp) / "data", env=env).start()
        try:
            client = DevhostClient(host)
            db = host.data_dir / "devhost.db"
            if args.workers_nice0:
                for pid in host.worker_pids():
                    os.setpriority(os.PRIO_PROCESS, pid, 0)
            asyncio.run(start_all(client, args.workflow, "warm-", common.WARMUP))
            wait_all(db, "warm-", common.WARMUP)
            spies = []
            if args.profile:
                assert host.proc is not None
                pids = {"host": host.proc.pid, **{f"worker-{i + 1}": pid for i, pid in
                                                  enumerate(host.worker_pids())}}
                spies = profile(pids, args.profile)
                time.sleep(1.0)  # py-spy attaches
            clock = common.Clock()
            asyncio.run(start_all(client, args.workflow, "run-", args.instances))
            wait_all(db, "run-", args.instances)
            clock.stop()
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute("SELECT created_at, updated_at FROM instances WHERE "
                                    "instance_id LIKE 'run-%'").fetchall()
            result = clock.result("devhost", importlib.metadata.version("devhost"),
                                  args.workflow, args.instances,
                                  [(u - c) * 1000 for c, u in rows],
                                  workers=f"host + {WORKERS} worker processes"
                                          + (" (workers reniced to 0)" if args.workers_nice0
                                             else " (workers at nice +10, devhost's default)"),
                                  sdk=f"azure-functions-durable "
                                      f"{importlib.metadata.version('azure-functions-durable')}")
            for spy in spies:
                spy.send_signal(2)  # SIGINT: py-spy writes what it recorded
            for spy in spies:
                spy.wait(timeout=60)
            for i in (0, args.instances - 1):
                status = client.status(f"run-{i}")
                assert status and status["output"] == common.expected(args.workflow, i), status
        finally:
            host.stop()
    common.emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
