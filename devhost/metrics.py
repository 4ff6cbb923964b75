"""Host measurements: recent samples for the monitor and OpenTelemetry metrics for Prometheus.

devhost installs the global OpenTelemetry MeterProvider before it imports the app, so the app's
own instruments (`metrics.get_meter(...)`) land in the same registry as the host's, and
`/admin/metrics` serves them all as Prometheus text without any network exporter.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

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

    def add(self, kind: str, name: str, duration_ms: float, outcome: str) -> None:
        self.samples.append((time.time(), kind, name, duration_ms, outcome))
        attrs = {"kind": kind, "function": name}
        self._runs.add(1, {**attrs, "outcome": outcome})
        self._duration.record(duration_ms, attrs)

    def delivery(self, function: str, outcome: str) -> None:
        self._deliveries.add(1, {"function": function, "outcome": outcome})
