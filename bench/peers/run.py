"""The peers benchmark: HelloSequence5 and a place-order-shaped workflow on devhost, DBOS (SQLite)
and the Temporal dev server, 1,000 workflows started at once from one client, timed from the
first start to all completed. `make bench-peers` runs it; docs/bench-peers.md says what each
engine runs and how.

Each engine runs in a fresh process (and fresh store) per measurement, by its own runner:
run_devhost.py in the app's .venv, run_dbos.py and run_temporal.py in .venv-peers (made from
bench/peers/requirements.txt, so the app's dependencies stay as they are). Rounds alternate the
engines' order, so a noisy stretch of the shared machine does not land on one engine only.
Results: bench/results/peers.{json,md,png}.

    .venv/bin/python bench/peers/run.py [--rounds 3] [--instances 1000] [--only devhost,...]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results"
APP_PY = ROOT / ".venv" / "bin" / "python"
PEERS_PY = ROOT / ".venv-peers" / "bin" / "python"
WORKFLOWS = {"hello_sequence5": "HelloSequence5 (5 sequential activities)",
             "place_order": "place order (reserve 2 at once, record, publish)"}
# name: (interpreter, runner and its arguments). The first DBOS and Temporal entries are the
# engines as they come (the targets compare against those); "DBOS-WAL" gives DBOS the
# durability devhost's store has (WAL, synchronous=NORMAL), so the gap that is only fsyncs shows.
ENGINES: dict[str, tuple[Path, list[str]]] = {
    "devhost": (APP_PY, ["run_devhost.py"]),
    "DBOS": (PEERS_PY, ["run_dbos.py"]),
    "DBOS-WAL": (PEERS_PY, ["run_dbos.py", "--sqlite", "wal"]),
    "Temporal": (PEERS_PY, ["run_temporal.py"]),
    # diagnostic, not in the default set: devhost with its workers at nice 0 instead of +10
    "devhost-nice0": (APP_PY, ["run_devhost.py", "--workers-nice0"]),
}
DEFAULT = ["devhost", "DBOS", "DBOS-WAL", "Temporal"]
TARGETS = {("hello_sequence5", "DBOS"): 5.0, ("hello_sequence5", "Temporal"): 10.0}


def measure(engine: str, workflow: str, instances: int) -> dict[str, Any]:
    python, (script, *extra) = ENGINES[engine]
    load = os.getloadavg()[0]
    proc = subprocess.run([str(python), str(HERE / script), "--workflow", workflow,
                           "--instances", str(instances), *extra],
                          capture_output=True, text=True, timeout=1800, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{engine} {workflow} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return {**json.loads(lines[-1][len("RESULT "):]), "label": engine,
            "load_average_1m_before": round(load, 1)}


def summarise(runs: list[dict[str, Any]], engines: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for workflow in WORKFLOWS:
        per: dict[str, Any] = {}
        for engine in engines:
            mine = [r for r in runs if r["label"] == engine and r["workflow"] == workflow]
            if not mine:
                continue
            rates = [r["workflows_per_s"] for r in mine]
            cpu = [r["cpu_ms_per_workflow"] for r in mine]
            per[engine] = {"runs": len(mine), "workflows_per_s_min": min(rates),
                           "workflows_per_s_median": round(statistics.median(rates), 1),
                           "workflows_per_s_max": max(rates),
                           "cpu_ms_per_workflow_min": min(cpu),
                           "cpu_ms_per_workflow_max": max(cpu),
                           # what the engine got of the machine: rate x CPU per workflow
                           "cores_busy_min": round(min(r["cpu_seconds"] / r["seconds"]
                                                       for r in mine), 2),
                           "cores_busy_max": round(max(r["cpu_seconds"] / r["seconds"]
                                                       for r in mine), 2),
                           "version": mine[-1]["version"], "setup": setup(mine[-1])}
            if engine != "devhost":
                # devhost over this engine, within each round (the two ran minutes apart)
                ratios = [d["workflows_per_s"] / r["workflows_per_s"] for r in mine
                          for d in runs if d["label"] == "devhost" and d["workflow"] == workflow
                          and d["round"] == r["round"]]
                # this engine's CPU per workflow over devhost's: what the throughput ratio
                # would be on an idle machine if both were CPU-bound (DBOS on its defaults is not:
                # it waits for fsyncs)
                cpu_ratios = [r["cpu_ms_per_workflow"] / d["cpu_ms_per_workflow"] for r in mine
                              for d in runs if d["label"] == "devhost"
                              and d["workflow"] == workflow and d["round"] == r["round"]]
                if ratios:
                    per[engine]["devhost_ratio_min"] = round(min(ratios), 1)
                    per[engine]["devhost_ratio_max"] = round(max(ratios), 1)
                    per[engine]["cpu_ratio_min"] = round(min(cpu_ratios), 1)
                    per[engine]["cpu_ratio_max"] = round(max(cpu_ratios), 1)
                    target = TARGETS.get((workflow, engine))
                    if target:
                        per[engine]["target_ratio"] = target
                        per[engine]["target_met_in_every_round"] = min(ratios) >= target
        summary[workflow] = per
    return summary


def setup(run: dict[str, Any]) -> str:
    parts = [run.get("workers", ""), run.get("sqlite", ""), run.get("store", ""),
             run.get("sdk", "")]
    return "; ".join(p for p in parts if p)


def machine() -> dict[str, Any]:
    model = next((ln.split(":", 1)[1].strip() for ln in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.machine())
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"# Peers benchmark ({report['when']})", "",
             f"{report['instances']:,} workflows started at once from one client, timed from the "
             "first start to all completed; a fresh engine and store per measurement, after "
             f"{report['warmup']} untimed warm-up workflows. {report['rounds']} rounds, the "
             "engines' order rotated each round; ranges are min-max over the rounds, ratios are "
             f"devhost over the engine within the same round. Machine: {m['cores']} cores "
             f"({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, {m['platform']}.", "",
             "**The machine is shared and was noisy**: other agents ran test suites during these "
             "runs (1-minute load average before each measurement: "
             f"{report['load_average_range'][0]}-{report['load_average_range'][1]} on "
             f"{m['cores']} cores). Absolute figures move by tens of percent between runs; "
             "compare engines within a round.", ""]
    for workflow, title in WORKFLOWS.items():
        per = report["summary"].get(workflow)
        if not per:
            continue
        lines += [f"## {title}", "",
                  "| engine | version | workflows/s (median, min-max) | CPU ms per workflow "
                  "| cores busy | devhost is x faster | target "
                  "| its CPU per workflow over devhost's |",
                  "|---|---|---|---|---|---|---|---|"]
        for engine, s in per.items():
            ratio = (f"{s['devhost_ratio_min']}-{s['devhost_ratio_max']}x"
                     if "devhost_ratio_min" in s else "")
            cpu = (f"{s['cpu_ratio_min']}-{s['cpu_ratio_max']}x" if "cpu_ratio_min" in s else "")
            target = ""
            if "target_ratio" in s:
                met = "met in every round" if s["target_met_in_every_round"] else "**not met**"
                target = f">= {s['target_ratio']:g}x: {met}"
            lines.append(f"| {engine} | {s['version']} | {s['workflows_per_s_median']} "
                         f"({s['workflows_per_s_min']}-{s['workflows_per_s_max']}) | "
                         f"{s['cpu_ms_per_workflow_min']}-{s['cpu_ms_per_workflow_max']} | "
                         f"{s['cores_busy_min']}-{s['cores_busy_max']} | "
                         f"{ratio} | {target} | {cpu} |")
        lines.append("")
    lines += ["## How each engine ran", ""]
    for engine in report["engines"]:
        any_run = next(r for r in reversed(report["runs"]) if r["label"] == engine)
        lines.append(f"- **{engine}** ({any_run['version']}): {setup(any_run)}.")
    lines += ["", "CPU is of every process involved (client, engine, its workers and server), "
              "so it counts what the client costs too; cores busy is that CPU over the run's "
              "time: what the engine got of the machine while others used it too. Every run's "
              "figures are in peers.json.",
              "", "What differs between the engines, beside the engine itself:", "",
              "- Durability: devhost and DBOS-WAL commit in SQLite WAL with synchronous=NORMAL "
              "(a killed process loses nothing, a power cut may lose the last commits); DBOS on "
              "its defaults waits for the disk on every commit (rollback journal, "
              "synchronous=FULL); the Temporal dev server keeps its store in memory by default.",
              "- Processes: devhost runs a host and 2 worker processes (the orders bench's "
              "setting); DBOS runs workflows in the process that starts them (one process); "
              "Temporal runs a Go server and one Python worker process.",
              "- Waiting: devhost's client reads the store read-only, Temporal's polls the "
              "server's count of closed workflows (awaiting 1,000 `handle.result()` made the "
              "client the bottleneck), DBOS's waits on its in-process handles; all every 20 ms "
              "or on completion.",
              "- DBOS workflows are plain (sync) functions, its usual style: the two reservations "
              "are two steps one after the other (its async style, where they run at once, was "
              "half as fast on HelloSequence5 here).", ""]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    workflows = [w for w in WORKFLOWS if report["summary"].get(w)]
    engines = report["engines"]
    fig, ax = plt.subplots(figsize=(9, 5))
    width = 0.8 / len(engines)
    for i, engine in enumerate(engines):
        xs, ys, low, high = [], [], [], []
        for j, workflow in enumerate(workflows):
            s = report["summary"][workflow].get(engine)
            if s:
                xs.append(j + i * width)
                ys.append(s["workflows_per_s_median"])
                low.append(s["workflows_per_s_median"] - s["workflows_per_s_min"])
                high.append(s["workflows_per_s_max"] - s["workflows_per_s_median"])
        bars = ax.bar(xs, ys, width, yerr=[low, high], capsize=3, label=engine)
        ax.bar_label(bars, fmt="%.0f", fontsize="small", padding=2)
    ax.set_xticks([j + width * (len(engines) - 1) / 2 for j in range(len(workflows))])
    ax.set_xticklabels([WORKFLOWS[w] for w in workflows])
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize="x-small")
    ax.set_ylabel("workflows/s (log; median, bars min-max)")
    m = report["machine"]
    ax.set_title(f"{report['instances']:,} workflows started at once: {report['when'][:10]}, "
                 f"{m['cores']} cores, Python {m['python']}, {report['rounds']} rounds "
                 "(noisy host)",
                 fontsize="medium")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--only", default=",".join(DEFAULT),
                        help="engines, comma-separated: " + ", ".join(ENGINES))
    parser.add_argument("--workflows", default=",".join(WORKFLOWS))
    parser.add_argument("--output", default="peers", help="bench/results/<output>.{json,md,png}")
    parser.add_argument("--render", action="store_true",
                        help="rewrite the .md and .png from the .json, without running anything")
    args = parser.parse_args()
    if args.render:
        report = json.loads((RESULTS / f"{args.output}.json").read_text())
        report["summary"] = summarise(report["runs"], report["engines"])
        write(report, args.output)
        return 0
    engines = [e for e in args.only.split(",") if e]
    runs: list[dict[str, Any]] = []
    for rnd in range(args.rounds):
        order = engines[rnd % len(engines):] + engines[:rnd % len(engines)]
        for engine in order:
            for workflow in args.workflows.split(","):
                run = {**measure(engine, workflow, args.instances), "round": rnd + 1}
                runs.append(run)
                print(f"round {rnd + 1} {engine:10} {workflow:16} {run['workflows_per_s']:8} "
                      f"workflows/s  {run['seconds']:8} s  cpu {run['cpu_ms_per_workflow']} "
                      f"ms/workflow  load {run['load_average_1m_before']}", flush=True)
    loads = [r["load_average_1m_before"] for r in runs]
    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(), "instances": args.instances, "rounds": args.rounds,
              "warmup": 20, "engines": engines, "load_average_range": [min(loads), max(loads)],
              "devhost_sdk": importlib.metadata.version("azure-functions-durable"),
              "summary": summarise(runs, engines), "runs": runs}
    write(report, args.output)
    return 0


def write(report: dict[str, Any], output: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{output}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{output}.md").write_text(markdown(report))
    plot(report, RESULTS / f"{output}.png")
    print(markdown(report))


if __name__ == "__main__":
    sys.exit(main())
