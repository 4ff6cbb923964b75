"""Screenshots of the instance list and of an instance page.

Always taken (into the test's temporary folder) so that rendering is exercised; written to
devhost/docs/monitor-instances.png and devhost/docs/monitor-instance.png when UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from devhost.testing import DevhostClient
from tests.monitor.helpers import assert_clean, expect, open_instance, open_view

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def _save(page: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS / name)


def test_screenshots(page: Any, client: DevhostClient, monitor_url: str, tmp_path: Path) -> None:
    prefix = "order-"
    started = [
        client.start("hello_sequence", ["Tokyo", "Seattle", "London"], f"{prefix}1001"),
        client.start("FanOutFanIn", 8, f"{prefix}1002"),
        client.start("parent", None, f"{prefix}1003"),
        client.start("counter_user", "cart-42", f"{prefix}1004"),
        client.start("failing", None, f"{prefix}1005"),
        client.start("retrying", {"attempts": 3, "succeedOn": 2,
                                  "marker": str(tmp_path / "flaky")}, f"{prefix}1006"),
    ]
    for iid in started:
        client.wait(iid)
    waiting = client.start("approval", {"timeoutSeconds": 900}, f"{prefix}1007")
    client.wait(waiting, until=("Running",))
    suspended = client.start("approval", {"timeoutSeconds": 900}, f"{prefix}1008")
    client.wait(suspended, until=("Running",))
    client.action(suspended, "suspend", "waiting for stock")
    client.wait(suspended, until=("Suspended",))

    open_view(page, monitor_url, "#/instances")
    expect(page.locator(f"tr[data-instance-id^='{prefix}']")).to_have_count(8)
    _save(page, tmp_path, "monitor-instances.png")

    open_instance(page, monitor_url, f"{prefix}1006")
    expect(page.locator("#timeline .trow[data-kind=activity]")).to_have_count(3)
    page.uncheck("#auto-refresh")
    _save(page, tmp_path, "monitor-instance.png")
    for iid in (waiting, suspended):
        client.action(iid, "terminate", "screenshot done")
    assert_clean(page)
