"""PNG plots of latency and lag from the bench results, written next to each JSON file.

Usage: ``python bench/plots.py [bench/results/query_bench.json ...]`` (default: every
``bench/results/*.json``). For each result file it writes:

* ``<stem>.latency.png``: every ``*_ms_p50`` / ``*_ms_p99`` / ``*_ms_mean`` figure whose name is not
  about lag, grouped by what was measured, with the seeds' targets as lines where they apply;
* ``<stem>.lag.png``: the same for lag figures (``lag_ms_*``), with the 2 s target and 10 s alert;
* ``<stem>.series.png``: when the JSON holds ``"series": {"<name>_ms": [[seconds, ms], ...]}``
  (samples over the run), each series over time, so a slow warm-up or a growing backlog shows;
* ``<stem>.png`` instead of all of these when the JSON holds ``"scaling": {"<part>": {"size":
  "<what grows>", "sizes": [...], "series": {"<figure>": [value at each size, ...]}}}``
  (bench/scale_bench.py): each figure over its value at the smallest size, one panel per part,
  with the ±20% band the scale targets allow.

matplotlib is a development dependency (requirements-dev.txt); Azure never installs it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"
_FIGURE = re.compile(r"(?P<what>.*?)_?ms_(?P<stat>p50|p90|p95|p99|mean)$")
# The seeds' (target, alert) in milliseconds, by what a figure measures.
THRESHOLDS = {"lag": (2000.0, 10000.0), "query": (50.0, 200.0), "command": (100.0, 500.0)}


def figures(result: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str, float]]:
    """``(what, stat, milliseconds)`` for every percentile figure, nested keys joined by '/'."""
    for key, value in result.items():
        if isinstance(value, Mapping) and key != "series":
            yield from figures(value, f"{prefix}{key}/")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            match = _FIGURE.fullmatch(key)
            if match:
                parts = [p for p in (*prefix.split("/"), match["what"].strip("_")) if p]
                names = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
                yield "/".join(names) or "total", match["stat"], float(value)


def series(result: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    raw = result.get("series")
    if not isinstance(raw, Mapping):
        return {}
    return {name: [(float(t), float(v)) for t, v in points]
            for name, points in raw.items() if isinstance(points, list) and points}


def _threshold_kind(names: list[str]) -> str | None:
    text = " ".join(names).lower()
    for kind in ("lag", "query", "command"):
        if kind in text or (kind == "query" and ("hit" in text or "miss" in text)) \
                or (kind == "command" and "accepted" in text):
            return kind
    return None


def bar_chart(rows: list[tuple[str, str, float]], title: str, path: Path) -> Path:
    whats = sorted({what for what, _, _ in rows})
    stats = [s for s in ("p50", "mean", "p90", "p95", "p99") if any(r[1] == s for r in rows)]
    values = {(what, stat): ms for what, stat, ms in rows}
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(whats) + 2), 4.5))
    width = 0.8 / max(1, len(stats))
    for i, stat in enumerate(stats):
        xs = [j + i * width for j in range(len(whats))]
        ax.bar(xs, [values.get((w, stat), 0.0) for w in whats], width, label=stat)
    ax.set_xticks([j + width * (len(stats) - 1) / 2 for j in range(len(whats))])
    ax.set_xticklabels(whats, rotation=20, ha="right")
    kind = _threshold_kind(whats)
    if kind:
        target, alert = THRESHOLDS[kind]
        ax.axhline(target, color="green", linestyle="--", linewidth=1,
                   label=f"target {target:g} ms")
        ax.axhline(alert, color="red", linestyle="--", linewidth=1, label=f"alert {alert:g} ms")
    return _save(fig, ax, title, path)


def series_chart(data: dict[str, list[tuple[float, float]]], title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, points in sorted(data.items()):
        ax.plot([t for t, _ in points], [v for _, v in points], marker=".", linewidth=1,
                label=name)
    ax.set_xlabel("seconds into the run")
    return _save(fig, ax, title, path)


def scaling_chart(scaling: Mapping[str, Any], title: str, path: Path) -> Path:
    """Cost at each size over the cost at the smallest: flat is a line at 1."""
    parts = [(name, part) for name, part in scaling.items() if len(part.get("sizes", [])) > 1]
    fig, axes = plt.subplots(1, max(1, len(parts)), figsize=(5.5 * max(1, len(parts)), 6.5),
                             squeeze=False)
    colours = plt.get_cmap("tab20").colors
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    for ax, (name, part) in zip(axes[0], parts, strict=False):
        sizes = part["sizes"]
        xs = list(range(len(sizes)))
        ax.axhspan(1 / 1.2, 1.2, color="green", alpha=0.1, label="±20%")
        ax.axhline(1.0, color="green", linewidth=1)
        for index, (figure, values) in enumerate(sorted(part["series"].items())):
            first = values[0] if values else None
            if not isinstance(first, int | float) or not first:
                continue
            ax.plot(xs, [v / first if isinstance(v, int | float) else float("nan")
                         for v in values], marker="os^v"[index % 4], linewidth=1,
                    color=colours[(2 * index) % 20 + (2 * index) // 20 % 2], label=figure)
        ax.set_yscale("log")  # twice and half as costly are as far from flat
        ax.yaxis.set_major_formatter(plain)
        low, high = ax.get_ylim()
        crowded = high / low >= 20  # past a decade or so, the minor labels would overlap
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter() if crowded else plain)
        ax.tick_params(axis="y", which="minor", labelsize="x-small")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{size:,}" for size in sizes])
        ax.set_xlabel(part.get("size", "size"))
        ax.set_ylabel("value / value at the smallest size (log)")
        ax.set_title(name)
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _save(fig: Any, ax: Any, title: str, path: Path) -> Path:
    ax.set_ylabel("milliseconds")
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot(result_file: Path) -> list[Path]:
    """Write the PNGs for one result file; returns the paths written."""
    result = json.loads(result_file.read_text(encoding="utf-8"))
    if isinstance(result.get("scaling"), Mapping):
        return [scaling_chart(result["scaling"], f"{result_file.stem}: cost as the data grows",
                              result_file.with_suffix(".png"))]
    rows = list(figures(result))
    lag = [r for r in rows if "lag" in r[0]]
    latency = [r for r in rows if r not in lag]
    stem, written = result_file.with_suffix(""), []
    if latency:
        written.append(bar_chart(latency, f"{result_file.stem}: latency",
                                 stem.with_suffix(".latency.png")))
    if lag:
        written.append(bar_chart(lag, f"{result_file.stem}: lag", stem.with_suffix(".lag.png")))
    if over_time := series(result):
        written.append(series_chart(over_time, f"{result_file.stem}: over the run",
                                    stem.with_suffix(".series.png")))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted(RESULTS.glob("*.json"))
    if not files:
        print(f"no bench results in {RESULTS}", file=sys.stderr)
        return 1
    for result_file in files:
        for path in plot(result_file):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
