"""Timer triggers: runOnStartup, NCRONTAB schedules on the host clock, IsPastDue, a schedule from
a setting, and an on-demand run through the admin API."""

from typing import Any

from devhost.testing import DevhostClient, poll

APP = "timer"


def _cleanups(devhost: DevhostClient) -> list[dict[str, Any]]:
    r = devhost.mgmt_call("GET", "instances", params={"showInput": "true"})
    return sorted((i for i in r.json() if i["name"] == "cleanup_orchestrator"),
                  key=lambda i: i["createdTime"])


def _wait_cleanups(devhost: DevhostClient, n: int) -> list[dict[str, Any]]:
    return poll(lambda: _cleanups(devhost), lambda runs: len(runs) >= n, 30,
                lambda runs: f"{len(runs)} clean-up orchestrations, expected {n}")


def test_the_schedule_is_listed_at_start(devhost: DevhostClient) -> None:
    out = devhost.host.output()
    assert "start_cleanup: timerTrigger '0 */5 * * * *' (UTC, runOnStartup)" in out
    assert "weekday_report: timerTrigger '%REPORT_SCHEDULE%' (UTC)" in out


def test_run_on_startup_then_every_five_minutes_of_host_time(devhost: DevhostClient) -> None:
    [first] = _wait_cleanups(devhost, 1)  # ran at start-up, not past due
    assert devhost.wait(first["instanceId"])["output"] == {"removed": 0, "pastDue": False}
    devhost.advance(300)  # the next five-minute mark has passed now
    runs = _wait_cleanups(devhost, 2)
    assert len(runs) == 2
    second = devhost.wait(runs[1]["instanceId"])["output"]
    assert second["removed"] == 0
    # An hour at once: the occurrences jumped over run once, late, as after a stopped host.
    devhost.advance(3600)
    runs = _wait_cleanups(devhost, 3)
    assert devhost.wait(runs[2]["instanceId"])["output"] == {"removed": 0, "pastDue": True}
    devhost.wait_idle(("ctrl", "activity"))
    assert len(_cleanups(devhost)) == 3


def test_the_admin_api_runs_a_timer_function_on_demand(devhost: DevhostClient) -> None:
    before = len(_wait_cleanups(devhost, 1))
    r = devhost.http("POST", "admin/functions/start_cleanup", json={"input": ""})
    assert r.status_code == 401  # the master key, as for every /admin route
    r = devhost.http("POST", "admin/functions/start_cleanup", json={"input": ""},
                     headers={"x-functions-key": devhost.keys.master_key})
    assert r.status_code == 202
    _wait_cleanups(devhost, before + 1)
    report = devhost.http("POST", "admin/functions/weekday_report", json={"input": ""},
                          headers={"x-functions-key": devhost.keys.master_key})
    assert report.status_code == 202
    devhost.host.wait_output("Weekday report, past due: False")
