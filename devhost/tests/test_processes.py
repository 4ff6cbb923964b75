"""FUNCTIONS_WORKER_PROCESS_COUNT=2: a host process and two workers act as one host."""

import collections
import json
import os
import signal
import sqlite3
from pathlib import Path

import pytest
import requests

from devhost.partitions import Partitions
from devhost.testing import DevhostClient, DevhostError, DevhostProcess, poll

SAMPLE = Path(__file__).parent / "apps" / "sample"
TWO = {"FUNCTIONS_WORKER_PROCESS_COUNT": "2"}
pytestmark = pytest.mark.slow


@pytest.fixture
def host(tmp_path: Path):  # type: ignore[no-untyped-def]
    proc = DevhostProcess(SAMPLE, tmp_path / "data", env=TWO).start()
    yield proc
    proc.stop()


def rpc_url(host: DevhostProcess, index: int) -> str:
    """Process `index`'s own durable RPC listener, to send a request through that process."""
    with sqlite3.connect(host.data_dir / "devhost.db") as db:
        row = db.execute("SELECT value FROM meta WHERE key=?", (f"rpc.{index}",)).fetchone()
    return str(row[0])


def owned_by(owner: int, prefix: str) -> str:
    """An instance id that worker `owner` (1 or 2) works on."""
    parts = Partitions(0, 2)
    return next(f"{prefix}-{n}" for n in range(1000)
                if parts.target_owner(f"{prefix}-{n}") == owner)


def test_both_workers_work_and_metrics_count_all(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    assert len(host.worker_pids()) == 2
    ids = [client.start("hello_sequence", [f"a{i}", f"b{i}"]) for i in range(12)]
    for i, iid in enumerate(ids):
        assert client.wait(iid)["output"] == [f"Hello a{i}!", f"Hello b{i}!"]
    owners = {Partitions(0, 2).target_owner(iid) for iid in ids}
    assert owners == {1, 2}, "twelve random ids land on both workers"
    metrics = client.http("GET", "admin/metrics",
                          headers={"x-functions-key": client.keys.master_key}).text
    runs = [line for line in metrics.splitlines()
            if line.startswith("devhost_function_runs_total") and '"say_hello"' in line]
    assert [float(line.rsplit(" ", 1)[1]) for line in runs] == [24.0]


@pytest.mark.parametrize("owner", [1, 2])
@pytest.mark.parametrize("via", [0, 1])
def test_an_event_sent_through_either_process_reaches_the_instance(
        host: DevhostProcess, owner: int, via: int) -> None:
    client = DevhostClient(host)
    iid = client.start("approval", {"timeoutSeconds": 3600},
                       instance_id=owned_by(owner, f"ev{via}"))
    client.wait(iid, until=["Running"])
    r = requests.post(f"{rpc_url(host, via)}/durabletask/instances/{iid}/raiseEvent/Approval",
                      json={"by": "bob"}, timeout=10)
    assert r.status_code == 202
    assert client.wait(iid)["output"] == {"approved": {"by": "bob"}}


def test_moving_the_clock_fires_timers_in_every_worker(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    ids = [client.start("approval", {"timeoutSeconds": 3600},
                        instance_id=owned_by(owner, "clock")) for owner in (1, 2)]
    for iid in ids:
        client.wait(iid, until=["Running"])
    client.advance(3601)
    for iid in ids:
        assert client.wait(iid)["output"] == {"approved": False}


def test_killing_the_host_stops_its_workers_and_a_restart_resumes(
        host: DevhostProcess, tmp_path: Path) -> None:
    client = DevhostClient(host)
    log = tmp_path / "steps.log"
    ids = [client.start("slow_sequence", {"id": f"s{i}", "steps": 6, "seconds": 0.03,
                                          "log": str(log)}, f"s{i}") for i in range(10)]
    poll(lambda: len(log.read_text().splitlines()) if log.exists() else 0,
         lambda n: n >= 10, 20, lambda n: f"only {n} steps ran")
    workers = host.worker_pids()
    host.kill()
    poll(lambda: [pid for pid in workers if Path(f"/proc/{pid}").exists()],
         lambda alive: not alive, 10, lambda alive: f"workers {alive} outlived the host")
    host.start()
    client = DevhostClient(host)
    for iid in ids:
        assert client.wait(iid)["output"] == list(range(6))
    runs = collections.Counter(log.read_text().splitlines())
    assert set(runs) == {f"s{i}:{s}" for i in range(10) for s in range(6)}
    assert sum(n - 1 for n in runs.values()) <= len(ids)  # only in-flight activities re-run


def test_a_worker_that_dies_is_started_again(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    first, _ = host.worker_pids()
    os.kill(first, signal.SIGKILL)
    poll(lambda: host.worker_pids(), lambda now: len(now) == 2 and first not in now, 20,
         lambda now: f"no new worker: {now}")
    ids = [client.start("hello_sequence", [f"again{owner}"], instance_id=owned_by(owner, "again"))
           for owner in (1, 2)]
    for owner, iid in zip((1, 2), ids, strict=True):
        assert client.wait(iid)["output"] == [f"Hello again{owner}!"]


def test_a_second_host_on_the_same_data_folder_is_refused(host: DevhostProcess) -> None:
    other = DevhostProcess(SAMPLE, host.data_dir)
    with pytest.raises(DevhostError, match="another devhost is serving the data folder"):
        other.start(timeout=30)
    assert DevhostClient(host).http("GET", "admin/host/status").status_code == 200


def test_the_monitor_shows_what_the_workers_are_running(host: DevhostProcess,
                                                        tmp_path: Path) -> None:
    client = DevhostClient(host)
    spec = {"id": "m", "steps": 1, "seconds": 3, "log": str(tmp_path / "naps.log")}
    iid = client.start("slow_sequence", spec)

    def view() -> dict:  # type: ignore[type-arg]
        return dict(client.mgmt_call("GET", "monitor/api/instance", params={"id": iid}).json())

    seen = poll(view, lambda v: any(item.get("state") == "running"
                                    for item in v["waiting"]["items"]), 10,
                lambda v: f"the nap never showed as running: {v['waiting']}")
    assert seen["waiting"]["items"][0]["running"] >= 0
    health = client.mgmt_call("GET", "monitor/api/health").json()
    assert health["backlog"]["inflight"]["activities"] == 1
    assert health["backlog"]["limits"]["activity"] == 2 * 8  # two workers, host.json's 8 each
    client.wait(iid)


def test_workers_filter_events_by_the_file_the_host_was_given(tmp_path: Path) -> None:
    # The flag names a filter other than the sample's setting: a worker that missed the flag
    # would use the setting and deliver the other event.
    events = tmp_path / "events"
    events.mkdir()
    only_created = tmp_path / "subscriptions.json"
    only_created.write_text(json.dumps([{"function": "audit_event",
                                         "eventTypes": ["Sample.Created"]}]))
    host = DevhostProcess(SAMPLE, tmp_path / "data",
                          args=["--eventgrid-subscriptions", str(only_created)],
                          env={**TWO, "SAMPLE_OUT_DIR": str(events)}).start()
    try:
        client = DevhostClient(host)
        # The activity publishes, so its worker makes the deliveries.
        iid = client.start("publish_via_activity", [{"id": "c", "type": "Sample.Created"},
                                                    {"id": "a", "type": "Sample.Audited"}])
        assert client.wait(iid)["output"] == 2
        expected = {"c.json", "a.json", "c.audit_event.json"}
        poll(lambda: {p.name for p in events.iterdir()}, expected.issubset, 20,
             lambda seen: f"deliveries recorded: {sorted(seen)}")
        client.wait_idle(["eventgrid"])
        assert {p.name for p in events.iterdir()} == expected
    finally:
        host.stop()
