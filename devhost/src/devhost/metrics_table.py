"""`devhost metrics`: a running host's Prometheus metrics as a readable table."""

from __future__ import annotations

import sys

import requests
from prometheus_client.parser import text_string_to_metric_families


def print_metrics(url: str, master_key: str, name_filter: str = "") -> int:
    try:
        r = requests.get(f"{url.rstrip('/')}/admin/metrics",
                         headers={"x-functions-key": master_key}, timeout=10)
    except requests.RequestException as exc:
        print(f"devhost metrics: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    if r.status_code != 200:
        print(f"devhost metrics: {url} answered {r.status_code}", file=sys.stderr)
        return 1
    rows: list[tuple[str, str, str]] = []
    for family in text_string_to_metric_families(r.text):
        if name_filter not in family.name or family.name == "target_info":
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket") or sample.name.endswith("_created"):
                continue  # counts and sums say enough in a table
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items())
                              if k not in ("otel_scope_name", "otel_scope_version",
                                           "otel_scope_schema_url"))
            rows.append((sample.name, labels, f"{sample.value:g}"))
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    for name, labels, value in rows:
        print(f"{name:<{widths[0]}}  {labels:<{widths[1]}}  {value:>{widths[2]}}")
    if not rows:
        print("no metrics yet", file=sys.stderr)
    return 0
