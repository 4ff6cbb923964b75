"""One DBOS run: the two workflows as DBOS workflows and steps, the system database in a fresh
SQLite file, ``--instances`` workflows started at once from this process and timed from the
first start to the last result.

Runs in .venv-peers. DBOS is a library: workflows run in the process that starts them (its
documented way, ``DBOS.start_workflow``), so client and engine are one Python process, with DBOS's
defaults (executor threads unbounded, pool and polling defaults). ``--style sync`` (the default,
DBOS's usual style, and the faster here: 2x async on HelloSequence5) writes workflows and steps as
plain functions, each workflow on a thread of DBOS's executor (the two reservations are two steps
one after the other); ``--style async`` as coroutines on one event loop
(``DBOS.start_workflow_async``, the two reservations at once with ``asyncio.gather``).

``--sqlite default`` leaves SQLite as DBOS sets it up (rollback journal, ``synchronous=FULL``:
every commit waits for the disk). ``--sqlite wal`` hands DBOS an engine of its own
(``system_database_engine``, a documented setting) with the durability devhost's store has:
``journal_mode=WAL``, ``synchronous=NORMAL`` (a killed process loses nothing, a power cut may lose
the last commits); otherwise as DBOS's own (IMMEDIATE transactions, the same busy timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from dbos import DBOS, DBOSConfig, SetWorkflowID  # noqa: E402

# --- async workflows -------------------------------------------------------------------------


@DBOS.step()
async def hello_a(city: str) -> str:
    return common.hello(city)


@DBOS.step()
async def reserve_credit_a(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_credit(order)


@DBOS.step()
async def reserve_stock_a(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_stock(order)


@DBOS.step()
async def record_order_a(order: dict[str, Any], credit: dict[str, Any],
                         stock: dict[str, Any]) -> dict[str, Any]:
    return common.record_order(order, credit, stock)


@DBOS.step()
async def publish_order_a(record: dict[str, Any]) -> str:
    return common.publish_order(record)


@DBOS.workflow()
async def hello_sequence5_a(_: Any = None) -> list[str]:
    return [await hello_a(city) for city in common.CITIES]


@DBOS.workflow()
async def place_order_a(order: dict[str, Any]) -> dict[str, Any]:
    credit, stock = await asyncio.gather(reserve_credit_a(order), reserve_stock_a(order))
    record = await record_order_a(order, credit, stock)
    await publish_order_a(record)
    return record


# --- sync workflows --------------------------------------------------------------------------


@DBOS.step()
def hello_s(city: str) -> str:
    return common.hello(city)


@DBOS.step()
def reserve_credit_s(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_credit(order)


@DBOS.step()
def reserve_stock_s(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_stock(order)


@DBOS.step()
def record_order_s(order: dict[str, Any], credit: dict[str, Any],
                   stock: dict[str, Any]) -> dict[str, Any]:
    return common.record_order(order, credit, stock)


@DBOS.step()
def publish_order_s(record: dict[str, Any]) -> str:
    return common.publish_order(record)


@DBOS.workflow()
def hello_sequence5_s(_: Any = None) -> list[str]:
    return [hello_s(city) for city in common.CITIES]


@DBOS.workflow()
def place_order_s(order: dict[str, Any]) -> dict[str, Any]:
    credit, stock = reserve_credit_s(order), reserve_stock_s(order)
    record = record_order_s(order, credit, stock)
    publish_order_s(record)
    return record


FUNCS = {("async", "hello_sequence5"): hello_sequence5_a, ("async", "place_order"): place_order_a,
         ("sync", "hello_sequence5"): hello_sequence5_s, ("sync", "place_order"): place_order_s}


def arg(workflow: str, i: int) -> Any:
    return common.order_input(i) if workflow == "place_order" else None


async def run_async(workflow: str, prefix: str, n: int) -> list[Any]:
    func = FUNCS["async", workflow]

    async def start(i: int) -> Any:
        with SetWorkflowID(f"{prefix}{i}"):
            return await DBOS.start_workflow_async(func, arg(workflow, i))
    handles = [await start(i) for i in range(n)]  # started one after the other, as devhost's
    return list(await asyncio.gather(*(h.get_result() for h in handles)))


def run_sync(workflow: str, prefix: str, n: int) -> list[Any]:
    func = FUNCS["sync", workflow]
    handles = []
    for i in range(n):
        with SetWorkflowID(f"{prefix}{i}"):
            handles.append(DBOS.start_workflow(func, arg(workflow, i)))
    return [h.get_result() for h in handles]


def wal_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
    return engine


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflow", choices=common.WORKFLOWS, required=True)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--style", choices=("async", "sync"), default="sync")
    parser.add_argument("--sqlite", choices=("default", "wal"), default="default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peers-dbos-") as tmp:
        db = Path(tmp) / "dbos.sqlite"
        config: DBOSConfig = {"name": "peers-bench", "system_database_url": f"sqlite:///{db}",
                              "log_level": "WARNING"}
        if args.sqlite == "wal":
            config["system_database_engine"] = wal_engine(f"sqlite:///{db}")
        DBOS(config=config)
        DBOS.launch()
        try:
            def run(prefix: str, n: int) -> list[Any]:
                if args.style == "async":
                    return asyncio.run(run_async(args.workflow, prefix, n))
                return run_sync(args.workflow, prefix, n)
            run("warm-", common.WARMUP)
            clock = common.Clock()
            outputs = run("run-", args.instances)
            clock.stop()
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute("SELECT created_at, updated_at, status FROM workflow_status "
                                    "WHERE workflow_uuid LIKE 'run-%'").fetchall()
            assert sum(status == "SUCCESS" for *_, status in rows) == args.instances, rows[:3]
            result = clock.result("DBOS", importlib.metadata.version("dbos"), args.workflow,
                                  args.instances, [],  # its SQLite times are in whole seconds
                                  workers=f"one process, {args.style} workflows, DBOS defaults",
                                  sqlite=("WAL, synchronous=NORMAL" if args.sqlite == "wal"
                                          else "DBOS default: rollback journal, synchronous=FULL"),
                                  sdk=f"SQLAlchemy {importlib.metadata.version('sqlalchemy')}")
            for i in (0, args.instances - 1):
                assert outputs[i] == common.expected(args.workflow, i), outputs[i]
        finally:
            DBOS.destroy()
    common.emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
