"""With devhost's chaos mode (duplicated, delayed, reordered deliveries) the views converge to
exactly what an in-order replay of the archive gives."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from devhost.testing import DevhostClient, DevhostProcess
from read_api import ROOT, ReadApi, host_env, snapshot
from store_kinds import AppStores

from projections.rebuild import replay_archive
from readmodels.views import VIEWS


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory,
          store_env_for: Callable[[str], dict[str, str]]) -> Iterator[ReadApi]:
    # No subscription filters here: filtered, 5 orders make ~11 deliveries to project_views,
    # and chaos would duplicate none of them (the check below) 2% of the time (0.7 ** 11).
    env = {**host_env(tmp_path_factory.mktemp("chaos-data"), store_env_for("e2e-chaos")),
           "DEVHOST_EVENTGRID_SUBSCRIPTIONS": ""}
    host = DevhostProcess(ROOT, tmp_path_factory.mktemp("chaos-devhost"),
                          args=["--chaos-eventgrid", "--chaos-seed", "3"], env=env).start()
    try:
        yield ReadApi(DevhostClient(host), AppStores(env))
    finally:
        host.stop()


def converged(stores: AppStores, expected: dict[str, list[dict[str, Any]]],
              timeout: float = 20) -> dict[str, list[dict[str, Any]]]:
    deadline = time.monotonic() + timeout
    actual = snapshot(stores)
    while actual != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        actual = snapshot(stores)
    return actual


def test_views_survive_duplicates_delays_and_reordering(chaos: ReadApi) -> None:
    chaos.stock("SKU-C", 50)
    for customer in ("kim", "lou"):
        chaos.customer(customer)
    orders = [chaos.place(c, "SKU-C")["orderId"] for c in ("kim", "lou", "kim", "lou", "kim")]
    chaos.run("POST", f"orders/{orders[0]}/ship", {"carrier": "DHL", "trackingNumber": "C1"},
              "fred", "fulfilment")
    chaos.run("POST", f"orders/{orders[0]}/deliver", {}, "fred", "fulfilment")
    chaos.run("POST", f"orders/{orders[1]}/cancel", {"reason": "chaos"}, "lou")
    chaos.run("POST", f"orders/{orders[2]}/address",
              {"shippingAddress": {"name": "K", "street": "S 2", "city": "C", "postalCode": "1",
                                   "country": "FR"}}, "kim")
    final = chaos.until(f"orders/{orders[0]}?minVersion=3", "kim", "customer",
                        lambda r: r.status_code == 200)
    assert final.json()["status"] == "delivered"

    expected_store, events, _ = replay_archive(chaos.stores.archive, io.StringIO(),
                                               chaos.stores.open_name)
    expected = {view: sorted(expected_store.scan(view), key=lambda doc: str(doc["id"]))
                for view in VIEWS}
    assert len(expected["order_details"]) == 5 and events >= 15
    actual = converged(chaos.stores, expected)
    assert actual == expected
    summary = chaos.get("customers/kim/summary", "kim").json()
    assert (summary["orderCount"], summary["openOrders"]) == (3, 2)
    deliveries = chaos.host.host.output().count('"function": "project_views"')
    assert deliveries > events  # chaos really duplicated deliveries
