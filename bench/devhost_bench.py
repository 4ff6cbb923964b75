"""devhost throughput benchmark (a benchmark, not a test): results go to bench/results/.

Shapes (issue targets in brackets): HelloSequence5 orchestrations/s with 1,000 started at once
[>= 150/s], one orchestration's 100 sequential activities/s [>= 200/s], fan-out of 1,000
activities/s [>= 1,000/s], operations/s on one entity [>= 1,000/s], and p50/p99 from start to
completion. Times come from the host's own database (start commit → final commit), so the
benchmark's polling does not blur them.

    python bench/devhost_bench.py [--instances 1000] [--profile]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devhost.testing import DevhostClient, DevhostProcess

APP = Path(__file__).parent / "app"
RESULTS = Path(__file__).parent / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def times(db: Path, prefix: str) -> list[tuple[float, float]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT created_at, updated_at FROM instances WHERE instance_id "
                            "LIKE ? AND status='Completed'", (prefix + "%",)).fetchall()


def wait_all(db: Path, prefix: str, count: int, timeout: float) -> None:
    """Watch the database, not the HTTP API, so waiting costs the host nothing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            done, failed = conn.execute(
                "SELECT SUM(status='Completed'), SUM(status IN ('Failed','Terminated')) "
                "FROM instances WHERE instance_id LIKE ?", (prefix + "%",)).fetchone()
        if failed:
            raise RuntimeError(f"{failed} '{prefix}' instance(s) failed")
        if (done or 0) >= count:
            return
        time.sleep(0.05)
    raise TimeoutError(f"'{prefix}' instances did not finish within {timeout}s")


def hello_sequence5(client: DevhostClient, db: Path, n: int) -> dict[str, Any]:
    ids = [f"hs5-{i}" for i in range(n)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: client.start("hello_sequence5", None, i), ids))
    wait_all(db, "hs5-", n, 600)
    rows = times(db, "hs5-")
    first, last = min(r[0] for r in rows), max(r[1] for r in rows)
    latencies = [(u - c) * 1000 for c, u in rows]
    return {"instances": len(rows), "seconds": round(last - first, 3),
            "orchestrations_per_s": round(len(rows) / (last - first), 1),
            "latency_ms_p50": round(percentile(latencies, 50), 1),
            "latency_ms_p99": round(percentile(latencies, 99), 1)}


def single(client: DevhostClient, db: Path, name: str, n: int, key: str) -> dict[str, Any]:
    iid = f"{name}-{n}"
    client.start(name, n, iid)
    wait_all(db, iid, 1, 600)
    [(created, updated)] = times(db, iid)
    return {key: n, "seconds": round(updated - created, 3),
            "per_s": round(n / (updated - created), 1)}


def light_latency(client: DevhostClient, db: Path, n: int) -> dict[str, Any]:
    for i in range(n):
        iid = f"lat-{i}"
        client.start("hello_sequence5", None, iid)
        client.wait(iid)
    latencies = [(u - c) * 1000 for c, u in times(db, "lat-")]
    return {"instances": n, "latency_ms_p50": round(percentile(latencies, 50), 1),
            "latency_ms_p99": round(percentile(latencies, 99), 1),
            "latency_ms_mean": round(statistics.mean(latencies), 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        host = DevhostProcess(APP, Path(tmp) / "data",
                              env={"DEVHOST_LOG_LEVEL": "WARNING"}).start()
        try:
            client = DevhostClient(host)
            db = host.data_dir / "devhost.db"
            results = {
                "light_load_hello_sequence5": light_latency(client, db, 50),
                "hello_sequence5": hello_sequence5(client, db, args.instances),
                "sequential_activities": single(client, db, "sequential", 100, "activities"),
                "fan_out": single(client, db, "fan_out", 1000, "activities"),
                "entity_operations": single(client, db, "entity_load", 1000, "operations"),
            }
        finally:
            host.stop()
    report = {"machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "devhost_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "devhost_bench.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    r = report["results"]
    rows = [
        ("HelloSequence5, 1,000 started at once", f"{r['hello_sequence5']['orchestrations_per_s']}"
         " orchestrations/s", ">= 150/s"),
        ("  start → completion under that load", f"p50 {r['hello_sequence5']['latency_ms_p50']} ms"
         f", p99 {r['hello_sequence5']['latency_ms_p99']} ms", ""),
        ("  start → completion, one at a time",
         f"p50 {r['light_load_hello_sequence5']['latency_ms_p50']} ms, "
         f"p99 {r['light_load_hello_sequence5']['latency_ms_p99']} ms", ""),
        ("100 sequential activities", f"{r['sequential_activities']['per_s']} activities/s",
         ">= 200/s"),
        ("fan-out of 1,000 activities", f"{r['fan_out']['per_s']} activities/s", ">= 1,000/s"),
        ("1,000 operations on one entity", f"{r['entity_operations']['per_s']} operations/s",
         ">= 1,000/s"),
    ]
    lines = [f"# devhost benchmark ({report['when']}, {report['machine']['cpus']} cores, "
             f"Python {report['machine']['python']})", "", "| shape | measured | target |",
             "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
