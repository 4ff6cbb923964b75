"""Event Grid: output bindings reach the app's triggers, with retries, dead letters and chaos."""

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient

from devhost.testing import DevhostClient, DevhostProcess

SAMPLE = Path(__file__).parent / "apps" / "sample"


def received(event_dir: Path, event_id: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Deliveries recorded by the sample's trigger for one event id (polls with a deadline)."""
    path = event_dir / f"{event_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if lines and all(line.endswith("}") for line in lines):
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"event {event_id} was never delivered")


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devhost", *args, "--data", str(data_dir)],
                          capture_output=True, text=True, timeout=60, check=True)


def dead_letters(data_dir: Path) -> list[dict[str, Any]]:
    out = cli(data_dir, "deadletters", "list").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_output_binding_events_reach_the_trigger(devhost: DevhostClient, event_dir: Path,
                                                 uid: str) -> None:
    r = devhost.http("POST", "api/publish", json={"id": uid, "data": {"n": 1},
                                                  "type": "Sample.Created"})
    assert r.status_code == 200
    [delivery] = received(event_dir, uid)
    assert delivery == {"id": uid, "type": "Sample.Created", "data": {"n": 1}}


def test_failing_consumer_is_retried_then_dead_lettered_and_replayed(
        devhost: DevhostClient, event_dir: Path, tmp_path: Path, uid: str) -> None:
    gate = tmp_path / "consumer-fixed"
    devhost.http("POST", "api/publish", json={"id": uid, "data": {
        "failUnlessExists": str(gate)}})
    deadline = time.monotonic() + 30
    letters: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not letters:
        devhost.advance(120)  # backoff delays pass in host time, not test time
        letters = [d for d in dead_letters(devhost.host.data_dir) if d["event"]["id"] == uid]
    assert letters, "the event was never dead-lettered"
    assert letters[0]["attempts"] == 6
    assert "consumer rejected the event" in letters[0]["reason"]
    assert not (event_dir / f"{uid}.json").exists()
    gate.write_text("fixed")
    cli(devhost.host.data_dir, "deadletters", "replay", "--id", str(letters[0]["id"]))
    assert received(event_dir, uid)[0]["id"] == uid
    assert not [d for d in dead_letters(devhost.host.data_dir) if d["event"]["id"] == uid]


def test_publisher_client_can_post_to_the_local_topic(devhost: DevhostClient, event_dir: Path,
                                                      uid: str) -> None:
    key = devhost.keys.system_keys["eventgrid_extension"]
    client = EventGridPublisherClient(f"{devhost.url}/eventgrid/api/events",
                                      AzureKeyCredential(key))
    client.send([EventGridEvent(subject="outside", event_type="Outside.Thing",
                                data={"from": "sdk"}, data_version="1.0", id=uid)])
    assert received(event_dir, uid)[0]["data"] == {"from": "sdk"}
    cloud = CloudEvent(source="/outside", type="Outside.Cloud", data={"cloud": True},
                       id=f"{uid}-ce")
    client.send([cloud])
    assert received(event_dir, f"{uid}-ce")[0] == {"id": f"{uid}-ce", "type": "Outside.Cloud",
                                                   "data": {"cloud": True}}
    wrong = EventGridPublisherClient(f"{devhost.url}/eventgrid/api/events",
                                     AzureKeyCredential("wrong-key"))
    with pytest.raises(HttpResponseError) as err:
        wrong.send([EventGridEvent(subject="s", event_type="t", data={}, data_version="1")])
    assert err.value.status_code == 401


def test_webhook_validation_and_notification(devhost: DevhostClient, event_dir: Path,
                                             uid: str) -> None:
    url = f"{devhost.url}/runtime/webhooks/eventgrid"
    code = devhost.keys.system_keys["eventgrid_extension"]
    hello = requests.post(url, params={"functionName": "record_event", "code": code},
                          headers={"aeg-event-type": "SubscriptionValidation"},
                          json=[{"id": "v", "data": {"validationCode": "abc"}}], timeout=10)
    assert hello.json() == {"validationResponse": "abc"}
    event = {"id": uid, "subject": "s", "eventType": "Hook.Event", "eventTime":
             "2026-01-01T00:00:00Z", "dataVersion": "1", "data": {"via": "webhook"}}
    note = requests.post(url, params={"functionName": "record_event", "code": code},
                         headers={"aeg-event-type": "Notification"}, json=[event], timeout=10)
    assert note.status_code == 202
    assert received(event_dir, uid)[0]["data"] == {"via": "webhook"}
    missing = requests.post(url, params={"functionName": "nope", "code": code},
                            headers={"aeg-event-type": "Notification"}, json=[event],
                            timeout=10)
    assert missing.status_code == 404
    assert requests.post(url, params={"functionName": "record_event"}, json=[event],
                         timeout=10).status_code == 401


def test_chaos_duplicates_and_reorders_but_delivers_everything(tmp_path: Path) -> None:
    events = tmp_path / "events"
    events.mkdir()
    host = DevhostProcess(SAMPLE, tmp_path / "data",
                          args=["--chaos-eventgrid", "--chaos-seed", "7",
                                "--chaos-max-delay", "0.2"],
                          env={"SAMPLE_OUT_DIR": str(events)}).start()
    try:
        client = DevhostClient(host)
        ids = [f"chaos-{i}" for i in range(20)]
        for i in ids:
            assert client.http("POST", "api/publish", json={"id": i}).status_code == 200
        assert all(received(events, i) for i in ids)
        deadline = time.monotonic() + 20
        total = 0
        while time.monotonic() < deadline and total <= len(ids):
            total = sum(len(received(events, i)) for i in ids)
            time.sleep(0.02)
        assert total > len(ids), "chaos mode should duplicate some deliveries"
    finally:
        host.stop()
