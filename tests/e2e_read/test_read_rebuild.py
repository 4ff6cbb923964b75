"""``python -m projections rebuild`` gives the views the live projections built, switches to a
fresh generation, and the app keeps answering."""

from __future__ import annotations

import os
import subprocess
import sys

from read_api import ROOT, ReadApi, settled, snapshot

from readmodels.views import VIEWS


def run_rebuild(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "projections", "rebuild", *args], cwd=ROOT,
                          env=full, capture_output=True, text=True, timeout=60, check=False)


def test_rebuild_gives_identical_views_and_switches(api: ReadApi, uid: str,
                                                    read_env: dict[str, str]) -> None:
    fay, sku = f"fay-{uid}", f"SKU-{uid}"
    api.customer(fay)
    api.stock(sku)
    order_id = api.place(fay, sku)["orderId"]
    api.run("POST", f"orders/{order_id}/cancel", {"reason": "test"}, fay)
    api.until(f"orders/{order_id}?minVersion=2", fay, "customer", lambda r: r.status_code == 200)
    views = api.stores.views
    before, generations = settled(api.stores), views.generations()

    done = run_rebuild(read_env)
    assert done.returncode == 0, done.stderr
    assert "replaying events" in done.stderr and "100%" in done.stderr
    count = len(before["order_details"])
    assert f"rebuilt order_details: {count} documents" in done.stdout
    assert views.generations() == {view: generations[view] + 1 for view in VIEWS}
    assert snapshot(api.stores) == before
    answer = api.get(f"orders/{order_id}", fay)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"

    again = run_rebuild(read_env, "--view", "customer_summary")
    assert again.returncode == 0, again.stderr
    assert views.generations()["customer_summary"] == generations["customer_summary"] + 2
    assert views.generations()["order_details"] == generations["order_details"] + 1
    assert snapshot(api.stores) == before
    assert api.get(f"customers/{fay}/summary", fay).json()["orderCount"] == 1


def test_rebuild_refuses_an_unknown_view(read_env: dict[str, str]) -> None:
    done = run_rebuild(read_env, "--view", "orders; DROP TABLE x")
    assert done.returncode == 2 and "invalid choice" in done.stderr
