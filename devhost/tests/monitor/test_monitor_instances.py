"""The instances table: it lists what was started, filters, sorts and pages."""

from __future__ import annotations

from typing import Any

from devhost.testing import DevhostClient
from tests.monitor.helpers import assert_clean, expect, open_view, rows


def test_list_shows_started_instances_and_filters_them(page: Any, client: DevhostClient,
                                                       monitor_url: str, uid: str) -> None:
    done = client.start("hello_sequence", ["Oslo"], instance_id=f"{uid}-hello")
    waiting = client.start("approval", {"timeoutSeconds": 600}, instance_id=f"{uid}-approval")
    client.wait(done)
    client.wait(waiting, until=("Running",))

    open_view(page, monitor_url, f"#/instances?prefix={uid}")
    expect(rows(page)).to_have_count(2)
    expect(page.locator(f"tr[data-instance-id='{done}']")).to_contain_text("Completed")
    expect(page.locator(f"tr[data-instance-id='{waiting}']")).to_contain_text("Running")
    expect(page.locator(f"tr[data-instance-id='{waiting}']")).to_contain_text('"stage"')
    expect(page.locator(".chip[data-status=Running] .count")).to_have_text("1")
    expect(page.locator(".chip[data-status=all] .count")).to_have_text("2")

    # Filter by status through the form, then by name, then by a prefix that matches nothing.
    page.select_option("#f-status", "Running")
    page.click("#apply-filters")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-instance-id", waiting)

    page.select_option("#f-status", "")
    page.select_option("#f-name", "hello_sequence")
    page.click("#apply-filters")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-instance-id", done)

    page.select_option("#f-name", "")
    page.fill("#f-prefix", uid + "-nothing")
    page.click("#apply-filters")
    expect(page.locator("#instances-table tbody")).to_contain_text("No instance matches")

    # A status chip filters too.
    open_view(page, monitor_url, f"#/instances?prefix={uid}")
    page.click(".chip[data-status=Completed]")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-instance-id", done)
    assert_clean(page)


def test_created_range_filter(page: Any, client: DevhostClient, monitor_url: str,
                              uid: str) -> None:
    iid = client.start("hello_sequence", ["x"], instance_id=f"{uid}-one")
    client.wait(iid)
    open_view(page, monitor_url, f"#/instances?prefix={uid}&from=2000-01-01T00:00:00Z")
    expect(rows(page)).to_have_count(1)
    open_view(page, monitor_url, f"#/instances?prefix={uid}&to=2000-01-01T00:00:00Z")
    expect(page.locator("#instances-table tbody")).to_contain_text("No instance matches")
    assert_clean(page)


def test_sorting_and_paging_with_continuation(page: Any, client: DevhostClient,
                                              monitor_url: str, uid: str) -> None:
    ids = [client.start("hello_sequence", [str(n)], instance_id=f"{uid}-{n}") for n in range(5)]
    for iid in ids:
        client.wait(iid)

    # Sort by id, ascending, two per page: three pages, walked forward and back.
    open_view(page, monitor_url, f"#/instances?prefix={uid}&sort=id&dir=asc&top=2")
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[0])
    expect(rows(page).nth(1)).to_have_attribute("data-instance-id", ids[1])
    expect(page.locator("#page-info")).to_have_text("1\u20132 of 5")
    page.click("#next-page")
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[2])
    page.click("#next-page")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[4])
    expect(page.locator("#next-page")).to_be_disabled()
    page.click("#prev-page")
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[2])
    page.click("#prev-page")
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[0])
    expect(page.locator("#prev-page")).to_be_disabled()

    # Clicking the sorted column's header flips the order.
    page.click("th a[data-sort=id]")
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[4])
    # Default: newest first by creation time.
    open_view(page, monitor_url, f"#/instances?prefix={uid}")
    expect(rows(page)).to_have_count(5)
    expect(rows(page).nth(0)).to_have_attribute("data-instance-id", ids[4])
    expect(rows(page).nth(4)).to_have_attribute("data-instance-id", ids[0])
    assert_clean(page)
