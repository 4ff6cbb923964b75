"""Test helpers: an in-memory OpenTelemetry reader for unit tests, Prometheus text for e2e."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client.parser import text_string_to_metric_families


@cache
def reader() -> InMemoryMetricReader:
    """The pytest process's global provider (devhost's own lives in its child process)."""
    memory = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[memory]))
    return memory


def points(name: str) -> Iterator[Any]:
    data = reader().get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    yield from metric.data.data_points


def samples(text: str, name: str, **labels: str) -> list[tuple[dict[str, str], float]]:
    """``(labels, value)`` of every Prometheus sample called ``name`` matching ``labels``."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                found.append((dict(sample.labels), float(sample.value)))
    return found


def total(text: str, name: str, **labels: str) -> float:
    return sum(value for _, value in samples(text, name, **labels))
