"""JSON log lines carry the bound ids, and the guard keeps sensitive fields out of them."""

from __future__ import annotations

import json
import logging

import pytest

from observability import correlation
from observability.logs import get_logger, render
from observability.redaction import SensitiveFieldError, check_fields, scrub

ENVELOPE = "enc:v1:cust-abc:1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB"


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(record.getMessage()) for record in caplog.records]


def test_a_line_is_one_json_object_with_the_bound_ids(caplog: pytest.LogCaptureFixture) -> None:
    log = get_logger("orders.test")
    with caplog.at_level(logging.INFO), correlation.activate("a" * 32, instanceId="cmd-1",
                                                             orderId="o-1"):
        log.info("placed %s", "o-1", event="order.placed", status=202)
    [line] = lines(caplog)
    assert line == {"event": "order.placed", "message": "placed o-1", "correlationId": "a" * 32,
                    "instanceId": "cmd-1", "orderId": "o-1", "status": 202}


@pytest.mark.parametrize("fields", [
    {"email": "mia@example.com"},
    {"shippingAddress": {"street": "x"}},
    {"command": {"lines": []}},
    {"nested": {"deeper": {"phone": "+49"}}},
    {"items": [{"postalCode": "1"}]},
    {"innocent": ENVELOPE},
])
def test_sensitive_fields_are_refused_and_named_without_their_values(
        fields: dict[str, object], caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(SensitiveFieldError):
        check_fields(fields)
    with caplog.at_level(logging.INFO):
        get_logger("orders.test").info("about to leak", **fields)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    line = json.loads(record.getMessage())
    assert line["event"] == "log.refused" and line["refusedFields"]
    text = record.getMessage()
    for secret in ("mia@example.com", ENVELOPE, "+49", '"x"'):
        assert secret not in text


def test_free_text_and_tracebacks_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    assert scrub(f"to mia@example.com: {ENVELOPE}.") == "to [redacted]: [redacted]."
    with caplog.at_level(logging.INFO):
        try:
            raise ValueError(f"bad value {ENVELOPE} for mia@example.com")
        except ValueError:
            get_logger("orders.test").exception("failed for mia@example.com")
    [record] = caplog.records
    assert record.exc_info is None  # the traceback is inside the JSON, scrubbed
    line = json.loads(record.getMessage())
    assert "ValueError" in str(line["error"])
    assert "mia@example.com" not in record.getMessage() and ENVELOPE not in record.getMessage()


def test_render_never_lets_a_caller_field_hide_the_guard() -> None:
    with pytest.raises(SensitiveFieldError) as refused:
        render("x", "m", {"Email": "mia@example.com"})
    assert refused.value.paths == ["Email"]
