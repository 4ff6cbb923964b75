"""Command ids, fingerprints and the status view, without a host."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from api_builders import request

from api.commands.status import command_view
from api.commands.submission import command_id_for, fingerprint, idempotency_key
from api.problems import ApiError
from security.principal import Principal

ALICE = Principal("alice", roles=frozenset({"customer"}))
BOB = Principal("bob", roles=frozenset({"customer"}))


def test_command_ids_derive_from_caller_and_key() -> None:
    assert command_id_for(ALICE, "k1") == command_id_for(ALICE, "k1")
    assert command_id_for(ALICE, "k1") != command_id_for(BOB, "k1")
    assert command_id_for(ALICE, None) != command_id_for(ALICE, None)
    assert command_id_for(ALICE, "k1").startswith("cmd-")


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    same = fingerprint("PlaceOrder", {"b": 2, "a": 1})
    assert fingerprint("PlaceOrder", {"a": 1, "b": 2}) == same
    assert fingerprint("PlaceOrder", {"a": 1}) != fingerprint("PlaceOrder", {"a": 2})
    assert fingerprint("PlaceOrder", {"a": 1}) != fingerprint("CancelOrder", {"a": 1})


@pytest.mark.parametrize("key", ["", "x" * 129, "tab\tkey", "ümlaut"])
def test_bad_idempotency_keys(key: str) -> None:
    with pytest.raises(ApiError):
        idempotency_key(request(headers={"Idempotency-Key": key}))


def test_good_idempotency_key() -> None:
    assert idempotency_key(request(headers={"Idempotency-Key": "order 42/retry"})) == (
        "order 42/retry")
    assert idempotency_key(request()) is None


def _status(runtime: str, output: object = None) -> SimpleNamespace:
    moment = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return SimpleNamespace(runtime_status=SimpleNamespace(value=runtime), output=output,
                           created_time=moment, last_updated_time=moment)


ENVELOPE = {"commandId": "cmd-1", "type": "PlaceOrder", "subject": {"orderId": "o-1"},
            "issuer": {"userId": "alice"}, "command": {"secret": "enc:v1:..."}}


def test_status_view_running_and_finished() -> None:
    assert command_view(_status("Pending"), ENVELOPE)["status"] == "pending"
    assert command_view(_status("Running"), ENVELOPE)["status"] == "running"
    done = command_view(_status("Completed", {"status": "succeeded", "version": 1,
                                              "result": {"orderId": "o-1"}}), ENVELOPE)
    assert done == {"commandId": "cmd-1", "type": "PlaceOrder", "orderId": "o-1",
                    "status": "succeeded", "version": 1, "result": {"orderId": "o-1"},
                    "createdAt": "2024-05-01T10:00:00.000Z",
                    "updatedAt": "2024-05-01T10:00:00.000Z"}
    refused = command_view(_status("Completed", {"status": "failed", "error": {
        "code": "InsufficientStock", "message": "m"}}), ENVELOPE)
    assert refused["error"]["code"] == "InsufficientStock"
    crashed = command_view(_status("Failed", "Orchestrator function failed: trace"), ENVELOPE)
    assert crashed["status"] == "failed" and crashed["error"]["code"] == "InternalError"
    assert "command" not in crashed and "issuer" not in crashed
