"""Entities, Event Grid (deliveries, dead letters, replay) and health views."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from devhost.testing import DevhostClient
from tests.monitor.helpers import assert_clean, confirm, expect, open_view


def test_entities_list_state_and_last_operation(page: Any, client: DevhostClient,
                                                monitor_url: str, uid: str) -> None:
    iid = client.start("counter_user", f"{uid}-k", instance_id=f"{uid}-user")
    client.wait(iid)
    open_view(page, monitor_url, "#/entities")
    row = page.locator("table.entities tbody tr", has_text=f"{uid}-k")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("counter")
    expect(row.locator("td").nth(2)).to_have_text("7")
    expect(row.locator("td").nth(3)).to_contain_text(time.strftime("%Y-"))
    page.select_option("#e-name", "Counter")
    expect(page.locator("table.entities tbody tr", has_text=f"{uid}-k")).to_have_count(1)
    assert_clean(page)


def _publish(client: DevhostClient, event_id: str, data: dict[str, Any]) -> None:
    r = client.http("POST", "api/publish", json={"id": event_id, "data": data})
    assert r.status_code == 200, r.text


def test_event_grid_deliveries_dead_letters_and_replay(page: Any, client: DevhostClient,
                                                       monitor_url: str, uid: str,
                                                       tmp_path: Path) -> None:
    gate = tmp_path / "accept"  # the sample consumer rejects events until this file exists
    _publish(client, f"{uid}-ok", {"n": 1})
    _publish(client, f"{uid}-bad", {"failUnlessExists": str(gate)})
    _publish(client, f"{uid}-drop", {"failUnlessExists": str(tmp_path / "never")})
    open_view(page, monitor_url, "#/eventgrid")
    recent = page.locator("section", has_text="Recent deliveries")
    expect(recent.locator("tr", has_text=f"{uid}-ok")).to_contain_text("delivered")
    row = page.locator("table.deadletters tbody tr", has_text=f"{uid}-bad")
    expect(row).to_have_count(1)  # auto-refresh brings it in once both attempts failed
    expect(row).to_contain_text("consumer rejected the event")
    expect(row.locator("td").nth(3)).to_have_text("2")
    attempts = recent.locator("tr", has_text=f"{uid}-bad")
    expect(attempts.filter(has_text="retrying")).to_have_count(1)
    expect(attempts.filter(has_text="dead-lettered")).to_have_count(1)
    expect(page.locator("section", has_text="Subscribers").locator("tr", has_text="record_event")) \
        .to_have_count(1)

    gate.write_text("yes")
    row.locator("button[data-replay]").click()
    confirm(page)
    expect(page.locator("#eg-result")).to_contain_text("Replay: dead letter")
    expect(row).to_have_count(0)
    expect(attempts.filter(has_text="delivered")).to_have_count(1)

    dropped = page.locator("table.deadletters tbody tr", has_text=f"{uid}-drop")
    dropped.locator("button.danger").click()
    confirm(page)
    expect(page.locator("#eg-result")).to_contain_text("Discard: dead letter")
    expect(dropped).to_have_count(0)
    assert_clean(page)


def test_health_shows_throughput_percentiles_and_backlog(page: Any, client: DevhostClient,
                                                         monitor_url: str, uid: str) -> None:
    iid = client.start("FanOutFanIn", 4, instance_id=f"{uid}-fan")
    client.wait(iid)
    waiting = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-timer")
    client.wait(waiting, until=("Running",))
    open_view(page, monitor_url, "#/health")
    square = page.locator("table.functions tbody tr", has_text="square")
    expect(square).to_have_count(1)
    expect(square.locator("td").nth(0)).to_have_text("activity")
    expect(square.locator("td").nth(4)).to_contain_text("ms")
    expect(page.locator("table.functions tbody tr", has_text="FanOutFanIn")).to_have_count(1)
    expect(page.locator("#throughput .tile")).to_have_count(4)
    expect(page.locator("#backlog")).to_contain_text("Due timers")
    client.action(waiting, "terminate", "cleanup")
    assert_clean(page)


def test_monitor_needs_the_system_key(client: DevhostClient) -> None:
    assert client.http("GET", "runtime/webhooks/durabletask/monitor").status_code == 401
    r = client.mgmt_call("GET", "monitor/api/instances", params={"status": "Nope"})
    assert r.status_code == 400 and "unknown status" in r.json()["error"]
    page = client.mgmt_call("GET", "monitor")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.mgmt_call("GET", "monitor/static/../handler.py").status_code == 404
    assert client.mgmt_call("GET", "monitor/api/instance").status_code == 400
