"""Dependency health: does each store answer, and how fast.

Probes run concurrently, each with a deadline, and the report is cached for a few seconds:
``GET /api/health`` is anonymous, so without the cache every caller could make the app hit
Cosmos DB, Table storage and Key Vault at will. Anonymous callers see only the overall status;
the detailed report (per dependency: status and latency, and the error's class name, never its
message, which may name hosts or keys) is for operators.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Probe:
    """A dependency and a cheap call that succeeds when it answers (a miss is an answer)."""

    name: str
    check: Callable[[], object]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[CheckResult, ...]
    checked_at: str

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def status(self) -> str:
        return "pass" if self.ok else "fail"

    def public(self) -> dict[str, Any]:
        return {"status": self.status}

    def detailed(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checkedAt": self.checked_at,
            "checks": {c.name: {"status": "pass" if c.ok else "fail",
                                "latencyMs": round(c.latency_ms, 2),
                                **({"error": c.error} if c.error else {})}
                       for c in self.checks},
        }


def _timed(probe: Probe) -> CheckResult:
    started = time.perf_counter()
    try:
        probe.check()
    except Exception as error:  # any failure means "does not answer"; the class says which
        return CheckResult(probe.name, False, (time.perf_counter() - started) * 1000.0,
                           type(error).__name__)
    return CheckResult(probe.name, True, (time.perf_counter() - started) * 1000.0)


def run_probes(probes: Sequence[Probe], timeout: float) -> HealthReport:
    """Every probe at once; one still running after ``timeout`` seconds counts as failed."""
    pool = ThreadPoolExecutor(max_workers=max(1, len(probes)), thread_name_prefix="health")
    try:
        futures = [(probe, pool.submit(_timed, probe)) for probe in probes]
        deadline = time.monotonic() + timeout
        results = []
        for probe, future in futures:
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                results.append(CheckResult(probe.name, False, timeout * 1000.0, "Timeout"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return HealthReport(tuple(results), _now())


def _now() -> str:
    """RFC 3339 UTC with milliseconds and ``Z``, as every time the API answers."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class HealthChecker:
    """Caches the last report for ``ttl`` seconds; one probe run at a time."""

    def __init__(self, probes: Callable[[], Sequence[Probe]], timeout: float, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._probes = probes
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, HealthReport] | None = None

    def report(self) -> HealthReport:
        with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._ttl:
                return self._last[1]
            try:
                probes = self._probes()
            except Exception as error:  # building an adapter failed: the store is unusable
                failed = CheckResult("configuration", False, 0.0, type(error).__name__)
                report = HealthReport((failed,), _now())
            else:
                report = run_probes(probes, self._timeout)
            self._last = (self._clock(), report)
            return report
