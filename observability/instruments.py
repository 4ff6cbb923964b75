"""The app's metrics: one meter, instruments created once, small functions that record them.

Names are Prometheus-friendly (devhost serves them at ``/admin/metrics``: a histogram
``orders_command_latency`` with unit ``ms`` appears as ``orders_command_latency_milliseconds``,
a counter ``orders_command_requests`` as ``orders_command_requests_total``). Labels are bounded
sets (command type, outcome, route, cache, view, event type): the correlation id travels as the
exemplars' trace id instead (see ``correlation.activate``). Bucket boundaries include the seeds'
targets and alert thresholds, so "share of requests under 100 ms" is a bucket, not a guess.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from functools import cache

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation

METER_NAME = "durable_orders"
COMMAND_BUCKETS = (5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)
QUERY_BUCKETS = (2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2500.0)
LAG_BUCKETS = (10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
               30000.0, 60000.0, 120000.0)


class Instruments:
    """Created on first use, after the host installed its provider (the API's proxy meter
    would also forward later, but creating them lazily keeps import order irrelevant)."""

    def __init__(self) -> None:
        meter = metrics.get_meter(METER_NAME)
        self.command_requests: Counter = meter.create_counter(
            "orders_command_requests",
            description="Commands at the HTTP edge by command_type and outcome "
                        "(accepted, rejected: 4xx, error: 5xx)")
        self.command_latency: Histogram = meter.create_histogram(
            "orders_command_latency", unit="ms",
            description="Time to answer a command request (202 or problem) by command_type "
                        "and outcome", explicit_bucket_boundaries_advisory=COMMAND_BUCKETS)
        self.command_results: Counter = meter.create_counter(
            "orders_command_results",
            description="Finished command workflows by command_type and outcome "
                        "(succeeded, failed) with the failure code")
        self.command_completion: Histogram = meter.create_histogram(
            "orders_command_completion", unit="ms",
            description="From acceptance at the edge to the end of the workflow, by "
                        "command_type", explicit_bucket_boundaries_advisory=LAG_BUCKETS)
        self.query_requests: Counter = meter.create_counter(
            "orders_query_requests",
            description="Queries by route, cache (hit, miss, view, none) and status class")
        self.query_latency: Histogram = meter.create_histogram(
            "orders_query_latency", unit="ms",
            description="Time to answer a query by route and cache",
            explicit_bucket_boundaries_advisory=QUERY_BUCKETS)
        self.events_published: Counter = meter.create_counter(
            "orders_events_published",
            description="Events sent to Event Grid (and the archive) by event_type")
        self.projection_lag: Histogram = meter.create_histogram(
            "orders_projection_lag", unit="ms",
            description="Sync lag: from the event's time to the fold that changed the view, "
                        "by view", explicit_bucket_boundaries_advisory=LAG_BUCKETS)
        self.projection_events: Counter = meter.create_counter(
            "orders_projection_events",
            description="Events folded by event_type and outcome (applied, unchanged, "
                        "skipped, failed)")
        self._freshness: dict[str, float] = {}
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            "orders_readmodel_freshness", unit="s", callbacks=[self._observe_freshness],
            description="Read-model freshness: the lag of the newest change each view "
                        "applied; rises while a backlog drains, holds while idle")

    def _observe_freshness(self, _: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            current = dict(self._freshness)
        return [Observation(value, {"view": view}) for view, value in current.items()]

    def set_freshness(self, view: str, lag_seconds: float) -> None:
        with self._lock:
            self._freshness[view] = lag_seconds


@cache
def instruments() -> Instruments:
    return Instruments()


def status_outcome(status: int) -> str:
    if status >= 500:
        return "error"
    return "rejected" if status >= 400 else "accepted"


def record_command_request(command_type: str, status: int, millis: float) -> None:
    attrs = {"command_type": command_type, "outcome": status_outcome(status)}
    instruments().command_requests.add(1, attrs)
    instruments().command_latency.record(millis, attrs)


def record_command_result(command_type: str, outcome: str, code: str | None,
                          completion_ms: float | None) -> None:
    attrs = {"command_type": command_type, "outcome": outcome, "code": code or ""}
    instruments().command_results.add(1, attrs)
    if completion_ms is not None:
        instruments().command_completion.record(max(completion_ms, 0.0),
                                                {"command_type": command_type})


def record_query(route: str, cache_state: str, status: int, millis: float) -> None:
    instruments().query_requests.add(
        1, {"route": route, "cache": cache_state, "status": f"{status // 100}xx"})
    instruments().query_latency.record(millis, {"route": route, "cache": cache_state})


def record_published(event_types: Iterable[str]) -> None:
    for event_type in event_types:
        instruments().events_published.add(1, {"event_type": event_type})


def record_fold(event_type: str, outcome: str, lag_ms_by_view: dict[str, float]) -> None:
    instruments().projection_events.add(1, {"event_type": event_type, "outcome": outcome})
    for view, lag_ms in lag_ms_by_view.items():
        instruments().projection_lag.record(lag_ms, {"view": view})
        instruments().set_freshness(view, lag_ms / 1000.0)


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000.0
