"""A host killed with SIGKILL at any moment resumes every instance from its last commit."""

import collections
import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devhost.testing import DevhostClient, DevhostProcess, poll

SAMPLE = Path(__file__).parent / "apps" / "sample"
pytestmark = pytest.mark.slow


@pytest.fixture
def host(tmp_path: Path):  # type: ignore[no-untyped-def]
    proc = DevhostProcess(SAMPLE, tmp_path / "data").start()
    yield proc
    proc.stop()


def test_kill_during_work_then_every_instance_finishes(host: DevhostProcess,
                                                       tmp_path: Path) -> None:
    client = DevhostClient(host)
    log = tmp_path / "steps.log"
    ids = [client.start("slow_sequence", {"id": f"s{i}", "steps": 8, "seconds": 0.03,
                                          "log": str(log)}, f"s{i}") for i in range(10)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not log.exists() or
                                           len(log.read_text().splitlines()) < 15):
        time.sleep(0.01)
    host.kill()
    before = len(log.read_text().splitlines())
    assert before < 80, "the kill should land while work is in flight"
    host.start()
    client = DevhostClient(host)
    for iid in ids:
        assert client.wait(iid)["output"] == list(range(8))
    runs = collections.Counter(log.read_text().splitlines())
    assert set(runs) == {f"s{i}:{s}" for i in range(10) for s in range(8)}
    # At least once: only activities in flight at the kill may run twice.
    assert sum(n - 1 for n in runs.values()) <= len(ids)


def test_accepted_starts_survive_an_immediate_kill(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    ids = [client.start("hello_sequence", [f"k{i}"]) for i in range(20)]
    host.kill()
    host.start()
    client = DevhostClient(host)
    for i, iid in enumerate(ids):
        assert client.wait(iid)["output"] == [f"Hello k{i}!"]


def test_timer_due_while_down_fires_after_restart(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    iid = client.start("approval", {"timeoutSeconds": 1})
    client.wait(iid, until=["Running"])
    host.kill()
    host.start()
    status = DevhostClient(host).wait(iid)
    assert status["output"] == {"approved": False}


def test_entity_state_and_waiting_events_survive(host: DevhostProcess, tmp_path: Path) -> None:
    client = DevhostClient(host)
    client.signal("Counter", "durable", "add", 5)
    client.wait_entity("Counter", "durable", lambda s: s == 5)
    iid = client.start("approval", {"timeoutSeconds": 3600})
    client.wait(iid, until=["Running"])
    host.kill()
    host.start()
    client = DevhostClient(host)
    assert client.entity("Counter", "durable") == 5
    client.raise_event(iid, "Approval", "after restart")
    assert client.wait(iid)["output"] == {"approved": "after restart"}


def test_sigterm_stops_gracefully(host: DevhostProcess) -> None:
    assert host.stop(signal.SIGTERM) == 0
    assert "devhost stopped" in host.output()


def test_a_waiting_request_does_not_hold_up_the_stop(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    with ThreadPoolExecutor(1) as pool:
        # The app waits up to 20 s for an instance that waits an hour for its approval.
        waiting = pool.submit(client.http, "POST", "api/wait/approval",
                              json={"timeoutSeconds": 3600})
        poll(lambda: client.mgmt_call("GET", "instances",
                                      params={"runtimeStatus": "Running"}).json(),
             bool, 10, lambda found: "the approval never started")
        started = time.monotonic()
        assert host.stop(signal.SIGTERM, timeout=15) == 0
        assert time.monotonic() - started < 12
        with pytest.raises(requests.ConnectionError):
            waiting.result(timeout=5)


def test_sqlite_file_is_the_only_state(host: DevhostProcess) -> None:
    client = DevhostClient(host)
    iid = client.start("hello_sequence", ["db"])
    client.wait(iid)
    host.stop()
    files = {p.name for p in host.data_dir.iterdir()}
    assert "devhost.db" in files
    assert {"keys.json", "token-signing.key"} <= files
    assert json.loads((host.data_dir / "keys.json").read_text())
