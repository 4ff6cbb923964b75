"""Event Grid subscriptions: a trigger's event-type filter decides what reaches it, whichever way
an event arrives, and a subscriptions file devhost cannot honour stops the start.

The sample's local.settings.json names its eventgrid-subscriptions.json (the setting
DEVHOST_EVENTGRID_SUBSCRIPTIONS): `audit_event` takes Sample.Audited and Sample.Flagged only,
and of those only events without `data.copy.of` (an advanced filter); `record_event` has no
entry and takes every event.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient

from devhost.eventgrid import AdvancedFilter
from devhost.testing import DevhostClient, poll

SAMPLE = Path(__file__).parent / "apps" / "sample"


@pytest.fixture(scope="module")
def event_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("subscribed-events")


@pytest.fixture(scope="module")
def devhost_env(event_dir: Path) -> dict[str, str]:
    """A host of this module's own: waiting for idle Event Grid work waits for ours alone."""
    return {"SAMPLE_OUT_DIR": str(event_dir)}


def received(event_dir: Path, name: str) -> list[dict[str, Any]]:
    """Deliveries the sample recorded in `name` (`<id>.json`, `<id>.audit_event.json`)."""
    path = event_dir / name

    def lines() -> list[str]:
        found = path.read_text().splitlines() if path.exists() else []
        return found if all(line.endswith("}") for line in found) else []

    return [json.loads(line) for line in poll(lines, bool, 20, lambda _: f"{name} never came")]


def publish(devhost: DevhostClient, event_id: str, event_type: str,
            data: dict[str, Any] | None = None) -> None:
    r = devhost.http("POST", "api/publish",
                     json={"id": event_id, "type": event_type, "data": data or {}})
    assert r.status_code == 200, r.text


def test_a_filtered_trigger_gets_its_types_only_and_an_unfiltered_one_everything(
        devhost: DevhostClient, event_dir: Path, uid: str) -> None:
    publish(devhost, f"{uid}-a", "Sample.Audited")
    publish(devhost, f"{uid}-c", "Sample.Created")
    assert received(event_dir, f"{uid}-a.audit_event.json")[0]["type"] == "Sample.Audited"
    assert received(event_dir, f"{uid}-a.json")[0]["type"] == "Sample.Audited"
    assert received(event_dir, f"{uid}-c.json")[0]["type"] == "Sample.Created"
    devhost.wait_idle(["eventgrid"])
    assert not (event_dir / f"{uid}-c.audit_event.json").exists()


def test_an_advanced_filter_holds_back_events_whose_key_has_a_value(
        devhost: DevhostClient, event_dir: Path, uid: str) -> None:
    # IsNullOrUndefined on data.copy.of: a null or another key passes, a value does not.
    publish(devhost, f"{uid}-copy", "Sample.Audited", {"copy": {"of": "x"}})
    publish(devhost, f"{uid}-null", "Sample.Audited", {"copy": {"of": None}})
    publish(devhost, f"{uid}-other", "Sample.Audited", {"copy": "not an object"})
    assert received(event_dir, f"{uid}-null.audit_event.json")
    assert received(event_dir, f"{uid}-other.audit_event.json")
    assert received(event_dir, f"{uid}-copy.json")[0]["data"] == {"copy": {"of": "x"}}
    devhost.wait_idle(["eventgrid"])
    assert not (event_dir / f"{uid}-copy.audit_event.json").exists()


def test_the_null_operators_test_envelope_fields_and_nested_data() -> None:
    event = {"id": "e", "subject": "s", "eventType": "T", "data": {"a": {"b": 0}, "n": None}}
    cases = [("IsNotNull", "data.a.b", True), ("IsNullOrUndefined", "data.a.b", False),
             ("IsNullOrUndefined", "data.n", True), ("IsNotNull", "data.a.missing", False),
             ("IsNotNull", "Subject", True), ("IsNullOrUndefined", "topic", True)]
    assert [AdvancedFilter(op, key).accepts(event) for op, key, _ in cases] == \
        [want for _, _, want in cases]


def test_event_types_match_case_insensitively(devhost: DevhostClient, event_dir: Path,
                                              uid: str) -> None:
    publish(devhost, uid, "sample.AUDITED")
    assert received(event_dir, f"{uid}.audit_event.json")[0]["type"] == "sample.AUDITED"


def test_events_posted_to_the_local_topic_are_filtered(devhost: DevhostClient, event_dir: Path,
                                                       uid: str) -> None:
    client = EventGridPublisherClient(f"{devhost.url}/eventgrid/api/events",
                                      AzureKeyCredential(devhost.keys.system_keys[
                                          "eventgrid_extension"]))
    client.send([EventGridEvent(subject="s", event_type="Sample.Created", data={},
                                data_version="1.0", id=f"{uid}-c")])
    client.send([CloudEvent(source="/s", type="Sample.Flagged", data={}, id=f"{uid}-f")])
    assert received(event_dir, f"{uid}-f.audit_event.json")[0]["type"] == "Sample.Flagged"
    assert received(event_dir, f"{uid}-c.json")
    devhost.wait_idle(["eventgrid"])
    assert not (event_dir / f"{uid}-c.audit_event.json").exists()


def test_the_webhook_applies_the_filter_of_the_function_it_names(
        devhost: DevhostClient, event_dir: Path, uid: str) -> None:
    kinds = {f"{uid}-created": "Sample.Created", f"{uid}-audited": "Sample.Audited"}
    events = [{"id": event_id, "subject": "s", "eventType": kind,
               "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "1", "data": {}}
              for event_id, kind in kinds.items()]
    r = requests.post(f"{devhost.url}/runtime/webhooks/eventgrid",
                      params={"functionName": "audit_event",
                              "code": devhost.keys.system_keys["eventgrid_extension"]},
                      headers={"aeg-event-type": "Notification"}, json=events, timeout=10)
    assert r.status_code == 202, r.text
    # The webhook invokes before it answers: what it skipped will never come.
    assert (event_dir / f"{uid}-audited.audit_event.json").exists()
    assert not (event_dir / f"{uid}-created.audit_event.json").exists()


def test_the_admin_api_invokes_a_trigger_whatever_its_filter(devhost: DevhostClient,
                                                             event_dir: Path, uid: str) -> None:
    # As in Azure: POST /admin/functions/<name> calls the function, not the subscription.
    event = {"id": uid, "subject": "s", "eventType": "Sample.Created",
             "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "1", "data": {}}
    r = devhost.http("POST", "admin/functions/audit_event", json={"input": json.dumps(event)},
                     headers={"x-functions-key": devhost.keys.master_key})
    assert r.status_code == 202, r.text
    assert received(event_dir, f"{uid}.audit_event.json")[0]["type"] == "Sample.Created"


# -- a file devhost cannot honour stops the start ----------------------------------------------

ENTRY = {"function": "audit_event", "eventTypes": ["Sample.Audited"]}
BROKEN: dict[str, tuple[str | None, str]] = {
    "missing": (None, "cannot read the Event Grid subscriptions file: No such file or directory"),
    "not_json": ('[{"function": "audit_event",', "invalid JSON"),
    "not_a_list": (json.dumps(ENTRY), "expected a JSON list of"),
    "wrong_keys": (json.dumps([{"function": "audit_event", "eventType": ["Sample.Audited"]}]),
                   'entry 1: expected an object with the keys "function" and "eventTypes" '
                   '(and optionally "advancedFilters")'),
    "filter_operator": (json.dumps([{**ENTRY, "advancedFilters": [
        {"operatorType": "StringIn", "key": "subject", "values": ["a"]}]}]),
        "entry 1: each advanced filter must be {\"operatorType\": ..., \"key\": ...} (devhost "
        "honours IsNullOrUndefined and IsNotNull, which take no values)"),
    "filter_unknown": (json.dumps([{**ENTRY, "advancedFilters": [
        {"operatorType": "StringContains", "key": "subject"}]}]),
        "entry 1: advanced filter operator 'StringContains' is not one devhost honours "
        "(IsNullOrUndefined, IsNotNull)"),
    "filters_not_a_list": (json.dumps([{**ENTRY, "advancedFilters": {}}]),
                           'entry 1: "advancedFilters" must be a list'),
    "types_not_a_list": (json.dumps([{**ENTRY, "eventTypes": "Sample.Audited"}]),
                         'entry 1: "eventTypes" must be a list of event type names'),
    "not_a_trigger": (json.dumps([ENTRY, {**ENTRY, "function": "say_hello"}]),
                      "entry 2: 'say_hello' is not an Event Grid trigger of the app (its Event "
                      "Grid triggers: audit_event, record_event)"),
    "no_such_function": (json.dumps([{**ENTRY, "function": "nope"}]),
                         "entry 1: 'nope' is not an Event Grid trigger of the app"),
    "empty_types": (json.dumps([{**ENTRY, "eventTypes": []}]),
                    "entry 1: 'audit_event' has an empty eventTypes list"),
    "two_entries": (json.dumps([ENTRY, {**ENTRY, "function": "Audit_Event"}]),
                    "entry 2: 'Audit_Event' already has an entry"),
}


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devhost", "start", "--app", str(SAMPLE),
                           "--port", "0", "--data", str(tmp_path / "data"), *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, **(env or {})})


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line that says why the start failed."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "cannot start" in line]
    return line


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_file_devhost_cannot_honour_fails_the_start(case: str, tmp_path: Path) -> None:
    text, problem = BROKEN[case]
    path = tmp_path / "subscriptions.json"
    if text is not None:
        path.write_text(text)
    line = error_line(start(tmp_path, "--eventgrid-subscriptions", str(path)))
    assert line.startswith(f"devhost: cannot start: {path}: {problem}"), line


def test_the_setting_names_a_file_in_the_app_folder(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.json").write_text(json.dumps([ENTRY]))  # where the test runs
    line = error_line(start(tmp_path, env={"DEVHOST_EVENTGRID_SUBSCRIPTIONS": "elsewhere.json"}))
    assert f"{SAMPLE.resolve() / 'elsewhere.json'}: cannot read" in line


def test_the_flag_wins_over_the_setting(tmp_path: Path) -> None:
    flag, setting = tmp_path / "flag.json", tmp_path / "setting.json"
    flag.write_text("[1]")
    setting.write_text("{")
    line = error_line(start(tmp_path, "--eventgrid-subscriptions", str(flag),
                            env={"DEVHOST_EVENTGRID_SUBSCRIPTIONS": str(setting)}))
    assert f"{flag}: entry 1:" in line
