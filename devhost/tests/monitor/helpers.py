"""Shared steps for the monitor's browser tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail in CI) and say why
    expect = None
else:
    expect.set_options(timeout=15_000)  # a loaded CI machine is slow; polling ends on success


def open_view(page: Any, monitor_url: str, fragment: str = "#/instances") -> None:
    page.goto(monitor_url + fragment)
    page.wait_for_selector("main .view")


def open_instance(page: Any, monitor_url: str, instance_id: str) -> None:
    open_view(page, monitor_url, "#/instance/" + quote(instance_id, safe=""))
    expect(page.locator("#instance-id")).to_have_text(instance_id)


def status_badge(page: Any) -> Any:
    return page.locator(".instance-head .badge")


def confirm(page: Any, **fields: str) -> None:
    """Fill the open confirmation dialog's fields and press its confirm button."""
    dialog = page.locator("dialog.confirm[open]")
    expect(dialog).to_be_visible()
    for name, value in fields.items():
        dialog.locator(f"[name={name}]").fill(value)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)


def rows(page: Any) -> Any:
    return page.locator("#instances-table tbody tr[data-instance-id]")


def assert_clean(page: Any, expected: tuple[str, ...] = ()) -> None:
    """No script error and no failed request, except those the test provoked on purpose."""
    unexpected = [e for e in page.errors if not any(x in e for x in expected)]
    assert unexpected == [], unexpected
