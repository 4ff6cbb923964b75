"""bench/plots.py writes latency, lag and over-the-run PNGs next to a bench JSON result."""

from __future__ import annotations

import json
from pathlib import Path

from bench import plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_pngs_are_written_next_to_the_result(tmp_path: Path) -> None:
    result = tmp_path / "query_bench.json"
    result.write_text(json.dumps({
        "queries": {"hit_ms_p50": 1.5, "hit_ms_p99": 6.0, "miss_ms_p50": 2.0, "misses": 9},
        "lag": {"lag_ms_p50": 300.0, "lag_ms_p99": 900.0},
        "series": {"lag_ms": [[0.0, 120.0], [1.0, 340.0]], "query_ms": [[0.5, 2.0]]},
    }))
    written = plots.plot(result)
    assert [p.name for p in written] == ["query_bench.latency.png", "query_bench.lag.png",
                                         "query_bench.series.png"]
    assert all(p.read_bytes().startswith(PNG) for p in written)
    rows = set(plots.figures(json.loads(result.read_text())))
    assert ("lag", "p99", 900.0) in rows and ("queries/hit", "p50", 1.5) in rows


def test_a_result_without_figures_writes_nothing(tmp_path: Path) -> None:
    result = tmp_path / "empty.json"
    result.write_text(json.dumps({"machine": "2 cores"}))
    assert plots.plot(result) == []
