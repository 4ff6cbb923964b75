"""The correlation id: where it comes from, and that telemetry recorded under it carries it."""

from __future__ import annotations

from obs_metrics import points, reader

from contracts.events import from_event_grid
from observability import correlation, instruments
from observability.events import stamp, with_correlation

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_traceparent_wins_then_the_header_then_a_new_id() -> None:
    headers = {"traceparent": f"00-{TRACE}-{PARENT}-01", "x-correlation-id": "f" * 32}
    assert correlation.from_headers(headers) == (TRACE, PARENT)
    assert correlation.from_headers({"x-correlation-id": "A" * 32}) == ("a" * 32, None)
    made, parent = correlation.from_headers({"x-correlation-id": "not-an-id"})
    assert correlation.is_correlation_id(made) and parent is None


def test_invalid_traceparents_are_ignored() -> None:
    for bad in (f"00-{'0' * 32}-{PARENT}-01", f"00-{TRACE}-{'0' * 16}-01",
                f"ff-{TRACE}-{PARENT}-01", f"00-{TRACE}-{PARENT}-01-extra", "garbage", ""):
        assert correlation.parse_traceparent(bad) is None, bad
    assert correlation.parse_traceparent(f"01-{TRACE}-{PARENT}-01-future") == (TRACE, PARENT)


def test_activate_binds_log_fields_and_restores_them() -> None:
    with correlation.activate(TRACE, orderId="o-1"):
        assert correlation.current() == {"correlationId": TRACE, "orderId": "o-1"}
        correlation.bind(instanceId="cmd-1", ignored=None)
        assert correlation.current()["instanceId"] == "cmd-1"
    assert correlation.current() == {}


def test_metrics_recorded_under_the_id_carry_it_as_exemplar_trace_id() -> None:
    reader()
    with correlation.activate(TRACE, PARENT):
        instruments.record_command_request("PlaceOrder", 202, 12.0)
    latency = [p for p in points("orders_command_latency")
               if p.attributes == {"command_type": "PlaceOrder", "outcome": "accepted"}]
    exemplars = [e for p in latency for e in p.exemplars]
    assert any(f"{e.trace_id:032x}" == TRACE for e in exemplars)


def test_events_carry_the_id_in_their_data_and_old_readers_still_read_them() -> None:
    event = {"type": "Orders.OrderPlaced", "aggregateId": "o-1", "version": 1}
    stamped = stamp([event], TRACE, "cmd-1")
    assert stamped == [{**event, "correlationId": TRACE, "instanceId": "cmd-1"}]
    assert stamp([event], None, "cmd-1") == [event]
    message = {"id": "o-1:1", "subject": "customers/c-1", "eventType": "Orders.CustomerRegistered",
               "dataVersion": "1.0", "data": {"customerId": "c-1", "version": 1,
                                               "occurredAt": "2026-01-01T00:00:00.000Z",
                                               "actor": "c-1", "payload": {}}}
    annotated = with_correlation(message, TRACE)
    assert annotated["data"]["correlationId"] == TRACE and annotated["dataVersion"] == "1.0"
    assert from_event_grid(annotated) == from_event_grid(message)
