"""Health probes: concurrent, bounded by a deadline, cached, and terse for anonymous callers."""

from __future__ import annotations

import re
import threading

from observability.health import HealthChecker, Probe, run_probes


def test_each_dependency_is_reported_with_status_and_latency() -> None:
    def broken() -> None:
        raise ConnectionError("https://secret-host.example/?sig=KEY")

    report = run_probes([Probe("viewStore", lambda: None), Probe("cache", broken)], timeout=1)
    assert not report.ok and report.public() == {"status": "fail"}
    checks = report.detailed()["checks"]
    assert checks["viewStore"]["status"] == "pass" and checks["viewStore"]["latencyMs"] >= 0
    assert checks["cache"] == {"status": "fail", "latencyMs": checks["cache"]["latencyMs"],
                               "error": "ConnectionError"}
    assert "secret-host" not in str(report.detailed())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                        report.detailed()["checkedAt"])


def test_a_hanging_dependency_fails_at_the_deadline() -> None:
    release = threading.Event()
    try:
        report = run_probes([Probe("keys", lambda: release.wait(5)),
                             Probe("archive", lambda: None)], timeout=0.2)
    finally:
        release.set()
    checks = report.detailed()["checks"]
    assert checks["keys"]["error"] == "Timeout" and checks["archive"]["status"] == "pass"


def test_reports_are_reused_for_the_ttl() -> None:
    calls: list[int] = []
    now = [0.0]
    checker = HealthChecker(lambda: [Probe("a", lambda: calls.append(1))], timeout=1, ttl=5,
                            clock=lambda: now[0])
    first = checker.report()
    now[0] = 4.9
    assert checker.report() is first and len(calls) == 1
    now[0] = 5.1
    assert checker.report() is not first and len(calls) == 2


def test_an_adapter_that_cannot_be_built_is_a_failed_check() -> None:
    def no_settings() -> list[Probe]:
        raise RuntimeError("COSMOS_KEY missing")

    report = HealthChecker(no_settings, timeout=1, ttl=0).report()
    assert report.detailed()["checks"] == {"configuration": {
        "status": "fail", "latencyMs": 0.0, "error": "RuntimeError"}}
