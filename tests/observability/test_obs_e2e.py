"""End to end on devhost: one correlation id from the command to the query, the metrics at
/admin/metrics, projection lag under slowed deliveries, and no sensitive value in any log line.

The last test reads the session host's whole output, so it runs after the others (file order).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from obs_api import ObsApi, log_lines, order_body, start_host
from obs_metrics import total

SESSION_SECRETS: list[str] = []


def archived(orders_data: Path, order_id: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(orders_data / "event-archive.db")
    try:
        rows = db.execute("SELECT body FROM events WHERE subject = ? ORDER BY position",
                          (f"orders/{order_id}",)).fetchall()
    finally:
        db.close()
    return [json.loads(body) for (body,) in rows]


def test_a_commands_correlation_id_reaches_every_stage(obs: ObsApi, uid: str) -> None:
    trace = uuid.uuid4().hex
    customer, sku = f"cora-{uid}", f"SKU-{uid}"
    obs.setup(customer, sku)
    sent = obs.send("POST", "orders", order_body(sku), customer,
                    traceparent=f"00-{trace}-00f067aa0ba902b7-01")
    assert sent.status_code == 202 and sent.headers["x-correlation-id"] == trace
    command_id, order_id = sent.json()["commandId"], sent.json()["orderId"]
    assert obs.wait(command_id, customer)["status"] == "succeeded"

    # the orchestration: its input and its custom status
    status = obs.client.status(command_id) or {}
    envelope = status["input"] if isinstance(status["input"], dict) else json.loads(
        status["input"])
    assert envelope["correlationId"] == trace
    assert status["customStatus"] == {"correlationId": trace}
    finished = obs.line("orchestration.finished", instanceId=command_id)
    assert (finished["correlationId"], finished["orderId"]) == (trace, order_id)

    # the published event's data, as archived and as sent to Event Grid
    [placed] = archived(obs.orders_data, order_id)
    assert placed["data"]["correlationId"] == trace and placed["dataVersion"] == "1.0"
    published = obs.line("events.published", correlationId=trace)
    assert f"{order_id}:1" in published["eventIds"] and published["instanceId"] == command_id

    # the projection's log line
    folded = obs.line("projection.applied", eventId=f"{order_id}:1")
    assert (folded["correlationId"], folded["orderId"]) == (trace, order_id)
    assert "order_details" in folded["views"] and folded["lagMs"] >= 0

    # a query sent with the command's id is linked to it
    answer = obs.visible(order_id, customer, **{"x-correlation-id": trace})
    assert answer.headers["x-correlation-id"] == trace
    query = obs.line("query.answered", correlationId=trace, orderId=order_id, status=200)
    assert query["route"] == "order" and query["cache"] in ("hit", "miss")

    # the metrics: bounded labels (the id travels as exemplar trace id, never as a label)
    text = obs.metrics()
    assert total(text, "orders_command_requests_total", command_type="PlaceOrder",
                 outcome="accepted") >= 1
    assert total(text, "orders_command_results_total", command_type="PlaceOrder",
                 outcome="succeeded") >= 1
    assert total(text, "orders_projection_lag_milliseconds_count", view="order_details") >= 1
    assert trace not in text


def test_metrics_report_a_command_and_a_query_after_they_happen(obs: ObsApi, uid: str) -> None:
    customer, sku = f"mo-{uid}", f"SKU-M{uid}"
    obs.setup(customer, sku)
    before = obs.metrics()
    obs.run("POST", f"products/{sku}/stock", {"delta": 5}, "fred", "fulfilment")
    obs.until("the summary", lambda: obs.get(f"customers/{customer}/summary",
                                             customer).status_code == 200)
    after = obs.metrics()

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("orders_command_requests_total", command_type="AdjustStock",
                 outcome="accepted") == 1
    assert delta("orders_command_latency_milliseconds_count", command_type="AdjustStock",
                 outcome="accepted") == 1
    assert delta("orders_command_results_total", command_type="AdjustStock",
                 outcome="succeeded") == 1
    assert delta("orders_events_published_total", event_type="Orders.StockAdjusted") == 1
    assert delta("orders_query_requests_total", route="customer_summary", status="2xx") >= 1
    assert delta("orders_query_latency_milliseconds_count", route="customer_summary") >= 1
    assert delta("orders_query_requests_total", route="command_status") >= 1


def _lag(text: str) -> tuple[float, float, float]:
    """(count, sum, observations over 100 ms) of the order_details lag histogram."""
    count = total(text, "orders_projection_lag_milliseconds_count", view="order_details")
    summed = total(text, "orders_projection_lag_milliseconds_sum", view="order_details")
    under = total(text, "orders_projection_lag_milliseconds_bucket", view="order_details",
                  le="100.0")
    return count, summed, count - under


def test_lag_histogram_moves_when_deliveries_are_slowed(obs: ObsApi, uid: str,
                                                        tmp_path: Path) -> None:
    orders = 4
    chaos, host = start_host(tmp_path, "E2EObsChaos",
                             ["--chaos-eventgrid", "--chaos-seed", "11",
                              "--chaos-max-delay", "0.5"])
    try:
        for api in (obs, chaos):
            customer, sku = f"lag-{uid}", f"SKU-L{uid}"
            api.setup(customer, sku)
            for _ in range(orders):
                order_id = api.run("POST", "orders", order_body(sku), customer)["orderId"]
                api.visible(order_id, customer)
        slow, fast = _lag(chaos.metrics()), _lag(obs.metrics())
        assert "enc:v1:" not in host.output()
    finally:
        host.stop()
    assert slow[0] >= orders
    assert slow[2] >= 1, f"no fold over 100 ms with delayed deliveries: {slow}"
    assert slow[1] / slow[0] > fast[1] / fast[0], (slow, fast)


def test_health_answers_anonymous_callers_tersely_and_operators_in_detail(obs: ObsApi) -> None:
    anonymous = obs.get("health", None)
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "pass"}
    customer = obs.get("health", "nosy")
    assert customer.json() == {"status": "pass"}
    for role in ("support", "admin"):
        detail = obs.get("health", "op", role).json()
        assert set(detail["checks"]) == {"viewStore", "queryCache", "eventArchive",
                                         "keyProvider"}
        for check in detail["checks"].values():
            assert check["status"] == "pass" and check["latencyMs"] >= 0


def test_no_sensitive_value_appears_in_any_log_line(obs: ObsApi, uid: str) -> None:
    """Commands, queries (plaintext answers included) and a rejected request, then every line
    this session's host printed: none holds a secret value or a ciphertext envelope."""
    secrets = {"email": f"lena.{uid}@secret.example", "phone": f"+49 555 {int(uid, 16) % 10**9}",
               "name": f"Lena Geheim {uid}", "street": f"Verborgene Gasse {uid}",
               "city": f"Stadt{uid}", "postalCode": f"Z{uid[:8]}"}
    customer, sku = f"lena-{uid}", f"SKU-S{uid}"
    address = {"name": secrets["name"], "street": secrets["street"], "city": secrets["city"],
               "postalCode": secrets["postalCode"], "country": "DE"}
    obs.run("POST", "customers", {"name": "Lena", "email": secrets["email"],
                                  "phone": secrets["phone"]}, customer)
    obs.product(sku, 3)
    order_id = obs.run("POST", "orders", order_body(sku, address), customer)["orderId"]
    obs.run("POST", f"orders/{order_id}/address", {"shippingAddress": address}, customer)
    bad = obs.send("POST", "orders", {**order_body(sku, {**address, "country": "Nowhere"})},
                   customer)
    assert bad.status_code == 400
    shown = obs.visible(order_id, customer).json()
    assert shown["shippingAddress"]["street"] == secrets["street"]  # the owner sees plaintext
    obs.get(f"orders?search={customer}", "sue", "support")
    obs.get(f"customers/{customer}/orders", customer)
    obs.line("projection.applied", eventId=f"{order_id}:2")

    output = obs.host.output()
    assert log_lines(obs.host), "no structured lines captured: the check would prove nothing"
    for field, value in secrets.items():
        assert value not in output, f"plaintext {field} in the host's log"
    assert "enc:v1:" not in output, "a ciphertext envelope in the host's log"
