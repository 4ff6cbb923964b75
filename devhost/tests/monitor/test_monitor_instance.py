"""The instance page: details, timeline, history, why-waiting, actions and escaping."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from devhost.testing import DevhostClient
from tests.monitor.helpers import assert_clean, confirm, expect, open_instance, status_badge


def test_instance_page_shows_the_timeline(page: Any, client: DevhostClient,
                                          monitor_url: str, uid: str) -> None:
    iid = client.start("parent", instance_id=f"{uid}-parent")
    assert client.wait(iid)["runtimeStatus"] == "Completed"

    open_instance(page, monitor_url, iid)
    expect(page.locator("#instance-name")).to_have_text("parent")
    expect(status_badge(page)).to_have_text("Completed")
    timeline = page.locator("#timeline")
    subs = timeline.locator(".trow[data-kind=suborchestration]")
    expect(subs).to_have_count(3)
    expect(timeline.locator(".trow[data-kind=suborchestration][data-outcome=completed]")) \
        .to_have_count(2)
    failed = timeline.locator(".trow[data-kind=suborchestration][data-outcome=failed]")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("boom from orchestrator")
    expect(failed.locator(".bar .mark")).to_have_text("\u2715")
    expect(timeline.locator(".trow[data-kind=orchestration]")).to_contain_text("completed in")
    expect(page.locator("#history tbody tr")).to_have_count(16)
    expect(page.locator("#output")).to_contain_text('"second"')

    # Sub-orchestrations link to their own page, which links back to the parent.
    expect(page.locator("#children li")).to_have_count(3)
    page.click(f"#children a:text-is('child-{iid}')")
    expect(page.locator("#instance-id")).to_have_text(f"child-{iid}")
    activities = page.locator("#timeline .trow[data-kind=activity]")
    expect(activities).to_have_count(1)
    expect(activities.first).to_contain_text("say_hello")
    page.click(f"#details a:text-is('{iid}')")
    expect(page.locator("#instance-id")).to_have_text(iid)
    assert_clean(page)


def test_timeline_marks_failures_and_entity_calls(page: Any, client: DevhostClient,
                                                  monitor_url: str, uid: str) -> None:
    iid = client.start("counter_user", f"{uid}-key", instance_id=f"{uid}-counter")
    client.wait(iid)
    open_instance(page, monitor_url, iid)
    calls = page.locator("#timeline .trow[data-kind=entity]")
    expect(calls).to_have_count(4)
    expect(page.locator("#timeline .trow[data-kind=entity][data-outcome=signalled]")) \
        .to_have_count(1)
    expect(page.locator("#timeline .trow[data-kind=entity][data-outcome=failed]")) \
        .to_contain_text("explode")
    assert_clean(page)


def test_raising_an_event_from_the_page_completes_a_waiting_approval(
        page: Any, client: DevhostClient, monitor_url: str, uid: str) -> None:
    iid = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-approval")
    client.wait(iid, until=("Running",))

    open_instance(page, monitor_url, iid)
    expect(status_badge(page)).to_have_text("Running")
    waiting = page.locator("#waiting")
    expect(waiting.locator("li[data-kind=timer]")).to_contain_text("fires at")
    expect(waiting.locator("li[data-kind=event]")) \
        .to_contain_text("external event", ignore_case=True)
    expect(page.locator("#timeline .trow[data-kind=timer][data-outcome=pending]")) \
        .to_have_count(1)
    expect(page.locator("#custom-status")).to_contain_text('"waiting"')

    page.click("#action-raise")
    confirm(page, event="Approval", data='{"by": "ops"}')
    expect(page.locator("#action-result")).to_contain_text("accepted (202)")
    expect(status_badge(page)).to_have_text("Completed")  # auto-refresh picks it up
    expect(page.locator("#output")).to_contain_text('"by": "ops"')
    expect(page.locator("#timeline .trow[data-kind=timer][data-outcome=cancelled]")) \
        .to_have_count(1)
    expect(page.locator("#waiting")).to_be_empty()
    assert client.wait(iid)["output"] == {"approved": {"by": "ops"}}
    assert_clean(page)


def test_raise_event_refuses_data_that_is_not_json(page: Any, client: DevhostClient,
                                                   monitor_url: str, uid: str) -> None:
    iid = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-approval")
    client.wait(iid, until=("Running",))
    open_instance(page, monitor_url, iid)
    page.click("#action-raise")
    dialog = page.locator("dialog.confirm[open]")
    dialog.locator("[name=event]").fill("Approval")
    dialog.locator("[name=data]").fill("{not json")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".error")).to_contain_text("not JSON")
    dialog.locator("button.cancel").click()
    expect(dialog).to_have_count(0)
    assert client.status(iid)["runtimeStatus"] == "Running"
    client.action(iid, "terminate", "cleanup")
    assert_clean(page)


def test_terminate_then_purge_from_the_page(page: Any, client: DevhostClient,
                                            monitor_url: str, uid: str) -> None:
    iid = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-approval")
    client.wait(iid, until=("Running",))

    open_instance(page, monitor_url, iid)
    expect(page.locator("#action-purge")).to_be_disabled()
    page.click("#action-terminate")
    confirm(page, reason="no longer needed")
    expect(status_badge(page)).to_have_text("Terminated")
    assert client.wait(iid)["output"] == "no longer needed"
    expect(page.locator("#timeline .trow[data-kind=orchestration]")) \
        .to_have_attribute("data-outcome", "terminated")

    page.click("#action-purge")
    confirm(page)
    expect(page).to_have_url(f"{monitor_url}#/instances")
    assert client.status(iid) is None
    expect(page.locator(f"tr[data-instance-id='{iid}']")).to_have_count(0)
    assert_clean(page)


def test_suspend_resume_and_errors_from_the_api_are_shown(page: Any, client: DevhostClient,
                                                          monitor_url: str, uid: str) -> None:
    iid = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-approval")
    client.wait(iid, until=("Running",))
    open_instance(page, monitor_url, iid)
    page.click("#action-suspend")
    confirm(page, reason="hold")
    expect(status_badge(page)).to_have_text("Suspended")
    expect(page.locator("#waiting li[data-kind=suspended]")).to_contain_text("resumed")
    page.click("#action-resume")
    confirm(page, reason="go on")
    expect(status_badge(page)).to_have_text("Running")

    # Behind the page's back the instance ends; the page still offers Suspend: the API's
    # refusal is shown, not swallowed.
    page.uncheck("#auto-refresh")
    client.action(iid, "terminate", "elsewhere")
    client.wait(iid)
    page.click("#action-suspend")
    confirm(page, reason="too late")
    result = page.locator("#action-result")
    expect(result).to_have_class("action-result error")
    expect(result).to_contain_text("Suspend failed: 410")
    expect(result).to_contain_text("already Terminated")
    assert_clean(page, expected=("status of 410",))


def test_rewind_and_restart_from_the_page(page: Any, client: DevhostClient,
                                          monitor_url: str, uid: str) -> None:
    iid = client.start("failing", instance_id=f"{uid}-failing")
    assert client.wait(iid)["runtimeStatus"] == "Failed"
    open_instance(page, monitor_url, iid)
    expect(status_badge(page)).to_have_text("Failed")
    expect(page.locator("#output")).to_contain_text("boom from orchestrator")
    page.click("#action-rewind")
    confirm(page, reason="try again")
    expect(page.locator("#action-result")).to_contain_text("Rewind: accepted (202)")

    page.click("#action-restart")
    confirm(page)
    link = page.locator("#action-result a")
    expect(link).to_have_count(1)
    new_id = link.inner_text()
    assert new_id != iid
    client.wait(new_id)
    link.click()
    expect(page.locator("#instance-id")).to_have_text(new_id)
    expect(page.locator("#instance-name")).to_have_text("failing")
    assert_clean(page)


def test_payloads_are_shown_as_text_and_never_run(page: Any, client: DevhostClient,
                                                  monitor_url: str, uid: str) -> None:
    evil = ["<script>window.__pwned=1</script>", "<img src=x onerror='window.__pwned=2'>"]
    iid = client.start("hello_sequence", evil, instance_id=f"{uid}-<b>bold<i>")
    client.wait(iid)
    open_instance(page, monitor_url, iid)
    expect(page.locator("#input pre")).to_contain_text(evil[0])
    expect(page.locator("#input pre")).to_contain_text(evil[1])
    expect(page.locator("#output pre")).to_contain_text(f"Hello {evil[0]}!")
    expect(page.locator("#timeline .trow[data-kind=activity]")).to_have_count(2)
    page.locator("#history tr.ev-TaskScheduled summary").first.click()
    expect(page.locator("#history tr.ev-TaskScheduled pre").first).to_contain_text(evil[0])
    assert page.locator("main script, main img, main b, main i:not(.swatch)").count() == 0
    assert page.evaluate("window.__pwned") is None

    page.goto(f"{monitor_url}#/instances?prefix={uid}")
    expect(page.locator(f"tr[data-instance-id='{iid}'] a.iid")).to_have_text(iid)
    assert page.locator("main b").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert_clean(page)


def test_why_waiting_counts_the_activities_queued_ahead(page: Any, client: DevhostClient,
                                                        monitor_url: str, uid: str,
                                                        tmp_path: Path) -> None:
    # The sample host runs 8 activities at a time: the 9th and 10th naps wait in the queue.
    spec = {"steps": 1, "seconds": 4, "log": str(tmp_path / "naps.log")}
    ids = [client.start("slow_sequence", {**spec, "id": n}, instance_id=f"{uid}-{n}")
           for n in range(10)]
    deadline = time.monotonic() + 15
    views: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        views = {iid: client.mgmt_call("GET", "monitor/api/instance", params={"id": iid}).json()
                 for iid in ids}
        states = [item.get("state") for v in views.values() for item in v["waiting"]["items"]]
        if states.count("running") == 8 and states.count("queued") == 2:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"never saw 8 running and 2 queued naps: {views}")
    queued = [iid for iid, v in views.items()
              if any(i.get("state") == "queued" for i in v["waiting"]["items"])]
    running = next(iid for iid in ids if iid not in queued)
    ahead = sorted(i["ahead"] for iid in queued for i in views[iid]["waiting"]["items"])
    assert ahead == [0, 1]

    open_instance(page, monitor_url, queued[-1])
    item = page.locator("#waiting li[data-kind=activity]")
    expect(item).to_contain_text("Activity nap is queued behind")
    expect(page.locator("#waiting-summary")).to_have_text("Waiting on: 1 activity.")
    open_instance(page, monitor_url, running)
    expect(page.locator("#waiting li[data-kind=activity]")) \
        .to_contain_text("Activity nap is running")
    for iid in ids:
        client.wait(iid)
    assert_clean(page)
