"""Host measurements: recent samples for the monitor and OpenTelemetry metrics for Prometheus.

devhost installs the global OpenTelemetry MeterProvider before it imports the app, so the app's
own instruments (`metrics.get_meter(...)`) land in the same registry as the host's, and
`/admin/metrics` serves them all as Prometheus text without any network exporter.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

_registry: CollectorRegistry | None = None


def install_meter_provider(service: str) -> CollectorRegistry:
    """Make a Prometheus-backed provider the global one (once per process)."""
    global _registry
    if _registry is None:
        _registry = CollectorRegistry()
        reader = PrometheusMetricReader(registry=_registry)
        provider = MeterProvider(metric_readers=[reader],
                                 resource=Resource.create({"service.name": service}))
        metrics.set_meter_provider(provider)
    return _registry


def prometheus_text() -> bytes:
    return generate_latest(_registry) if _registry is not None else b""


def merge_prometheus(texts: Iterable[bytes]) -> bytes:
    """One exposition from several processes': counts and histograms add up, and a gauge shows
    the largest value (the backlog is the same store seen from each; a lag is worst-of)."""
    merged: dict[str, Metric] = {}
    values: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}
    for text in texts:
        for family in text_string_to_metric_families(text.decode()):
            kept = merged.setdefault(family.name, Metric(family.name, family.documentation,
                                                         family.type, family.unit))
            for sample in family.samples:
                key = (family.name, sample.name, tuple(sorted(sample.labels.items())))
                if key not in values:
                    values[key] = sample.value
                    kept.samples.append(sample)
                elif family.type == "gauge":
                    values[key] = max(values[key], sample.value)
                else:
                    values[key] += sample.value
    for family in merged.values():
        family.samples = [
            s._replace(value=values[(family.name, s.name, tuple(sorted(s.labels.items())))])
            for s in family.samples]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(list(merged.values())))
    return generate_latest(registry)


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


class Stats:
    """What the host did: a rolling window for the monitor and counters for /admin/metrics."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, str, str, float, str]] = deque(maxlen=50_000)
        # (instance id, execution id, task id) -> host time the activity started running.
        self.started: OrderedDict[tuple[str, str, int], float] = OrderedDict()
        meter = metrics.get_meter("devhost")
        self._runs = meter.create_counter(
            "devhost_function_runs", description="Orchestration episodes, activity and entity "
            "invocations by function and outcome")
        self._duration = meter.create_histogram(
            "devhost_function_duration", unit="ms", description="Duration of episodes and "
            "invocations by function")
        self._deliveries = meter.create_counter(
            "devhost_eventgrid_deliveries", description="Event Grid delivery attempts by "
            "subscriber and outcome (delivered, retrying, dead-lettered)")

    def watch_backlog(self, counts: Callable[[], dict[str, dict[str, int]]]) -> None:
        """Report queued work (ready and scheduled for later) as a gauge per work kind."""

        def observe(_: CallbackOptions) -> Iterable[Observation]:
            for kind, c in counts().items():
                yield Observation(c["ready"], {"kind": kind, "state": "ready"})
                yield Observation(c["waiting"], {"kind": kind, "state": "scheduled"})

        metrics.get_meter("devhost").create_observable_gauge(
            "devhost_backlog", callbacks=[observe], description="Queued work items")

    def activity_started(self, instance_id: str, execution_id: str, task_id: int,
                         at: float) -> None:
        self.started[(instance_id, execution_id, task_id)] = at
        while len(self.started) > 50_000:
            self.started.popitem(last=False)

    def activity_finished(self, instance_id: str, execution_id: str, task_id: int) -> None:
        """Only running activities are kept (the monitor shows how long one has run): an
        entry per finished activity was a process's memory growing with every order."""
        self.started.pop((instance_id, execution_id, task_id), None)

    def add(self, kind: str, name: str, duration_ms: float, outcome: str) -> None:
        self.samples.append((time.time(), kind, name, duration_ms, outcome))
        attrs = {"kind": kind, "function": name}
        self._runs.add(1, {**attrs, "outcome": outcome})
        self._duration.record(duration_ms, attrs)

    def delivery(self, function: str, outcome: str) -> None:
        self._deliveries.add(1, {"function": function, "outcome": outcome})


def runtime_state(rt: Any, query: Mapping[str, str]) -> dict[str, Any]:
    """What this process is running now, for the monitor (of this or of the host process):
    busy instances and entities, work items in flight, and the recent samples since `since`
    and activity start times of one execution (`instance`, `execution`) when asked for."""
    since = float(query.get("since") or "inf")
    instance, execution = query.get("instance"), query.get("execution")
    return {
        "busy": {kind: sorted(targets) for kind, targets in rt.busy.items()},
        "inflight": {kind: sorted(ids) for kind, ids in rt.inflight.items()},
        "limits": dict(rt.limits),
        "started": [[task, at] for (iid, eid, task), at in list(rt.stats.started.items())
                    if iid == instance and eid == execution],
        "samples": [list(s) for s in list(rt.stats.samples) if s[0] >= since],
    }
