"""A pytest plugin for testing Durable Functions Python apps on a real devhost process.

Use it from any app's tests:

    # conftest.py
    pytest_plugins = ["devhost.testing"]

    # pytest.ini / pyproject: [tool.pytest.ini_options] devhost_app = "path/to/app"

    def test_hello(devhost):
        iid = devhost.start("hello_sequence", ["Tokyo"])
        assert devhost.wait(iid)["output"] == ["Hello Tokyo!"]

The `devhost` fixture starts a host on a free port with a fresh data folder the first time a
test asks for it, shares it with every test that serves the same app and settings, and stops it
at the end of the session. `DevhostProcess` can also be used directly (kill and restart tests).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devhost.auth import TokenIssuer
from devhost.keys import load_or_create_keys

T = TypeVar("T")
TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")
_READY = re.compile(r"devhost ready on (http://\S+)")


class DevhostError(AssertionError):
    pass


def poll(read: Callable[[], T], done: Callable[[T], bool], timeout: float,
         failure: Callable[[T], str]) -> T:
    """Read until `done` holds, or fail with the last value read (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() >= deadline:
            raise DevhostError(failure(value))
        time.sleep(0.02)
        value = read()
    return value


class DevhostProcess:
    """A `devhost start` child process (`python -m devhost`, this interpreter), output captured."""

    def __init__(self, app_dir: Path, data_dir: Path, args: Sequence[str] = (),
                 env: dict[str, str] | None = None, port: int = 0) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.args = list(args)
        self.env = env or {}
        self.port = port
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()

    def start(self, timeout: float = 30.0) -> DevhostProcess:
        cmd = [sys.executable, "-m", "devhost", "start", "--app", str(self.app_dir),
               "--data", str(self.data_dir), "--port", str(self.port), *self.args]
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        pump = threading.Thread(target=self._pump, args=(self.proc,), daemon=True)
        pump.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self._lines.empty():
                    break  # it exited (a broken app, a refused start): report it now
                continue
            m = _READY.search(line)
            if m:
                self.url = m.group(1)
                if not self.port:
                    self.port = int(self.url.rsplit(":", 1)[1])
                return self
        if self.proc.poll() is not None:
            pump.join(timeout=5)  # the last lines say why it stopped
        raise DevhostError("devhost did not become ready:\n" + self.output())

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)
            self._lines.put(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_output(self, text: str, timeout: float = 10.0) -> str:
        """Poll the captured output (read by a thread) until it contains `text`."""
        return poll(self.output, lambda out: text in out, timeout,
                    lambda _: f"{text!r} never appeared in the host output")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything, as a crash or a power cut of the process."""
        self.stop(signal.SIGKILL)

    def restart(self) -> DevhostProcess:
        """Start again on the same data folder and port."""
        self.stop()
        return self.start()

    def worker_pids(self) -> list[int]:
        """The worker processes the host started (FUNCTIONS_WORKER_PROCESS_COUNT > 1), read
        from /proc, so a test can kill one of them."""
        assert self.proc is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return sorted(found)


class DevhostClient:
    """HTTP helpers for tests: triggers, the management API, entities, time, tokens."""

    def __init__(self, host: DevhostProcess) -> None:
        self.host = host
        self.session = requests.Session()
        keys = load_or_create_keys(host.data_dir)
        self.keys = keys
        self.system_key = keys.system_keys["durabletask_extension"]
        self._issuer = TokenIssuer(host.data_dir)

    @property
    def url(self) -> str:
        return self.host.url

    @property
    def mgmt(self) -> str:
        return f"{self.url}/runtime/webhooks/durabletask"

    def http(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.url}/{path.lstrip('/')}", **kwargs)

    def token(self, sub: str, roles: Sequence[str] = (), name: str | None = None,
              ttl: int = 3600) -> str:
        return self._issuer.mint(sub, list(roles), name=name, ttl=ttl)

    def mgmt_call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        params = dict(kwargs.pop("params", {}) or {})
        params.setdefault("code", self.system_key)
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.mgmt}/{path.lstrip('/')}", params=params,
                                    **kwargs)

    def start(self, name: str, input: Any = None, instance_id: str | None = None) -> str:
        path = f"orchestrators/{quote(name, safe='')}"
        if instance_id:
            path += f"/{quote(instance_id, safe='')}"
        # Encoded like the SDK's own client (JSON text inside a JSON string), so that
        # `context.get_input()` returns `input` whatever its type (durable-protocol.md §2.12).
        r = self.mgmt_call("POST", path, json=json.dumps(input)) if input is not None else \
            self.mgmt_call("POST", path)
        if r.status_code != 202:
            raise DevhostError(f"start {name} answered {r.status_code}: {r.text}")
        return str(r.json()["id"])

    def status(self, instance_id: str, history: bool = False,
               output: bool = False) -> dict[str, Any] | None:
        params = {"showHistory": str(history).lower(), "showHistoryOutput": str(output).lower()}
        r = self.mgmt_call("GET", f"instances/{quote(instance_id, safe='')}", params=params)
        if r.status_code == 404:
            return None
        return dict(r.json())

    def wait(self, instance_id: str, timeout: float = 30.0,
             until: Sequence[str] = TERMINAL, history: bool = False) -> dict[str, Any]:
        """Poll until the instance reaches one of `until`; fails with the last status."""
        found = poll(lambda: self.status(instance_id, history=history, output=history),
                     lambda st: st is not None and st["runtimeStatus"] in until, timeout,
                     lambda st: f"instance {instance_id} did not reach {list(until)} within "
                                f"{timeout}s; last status: {json.dumps(st)}")
        assert found is not None
        return found

    def wait_history(self, instance_id: str, event_type: str, count: int = 1,
                     timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the history holds `count` events of a type (e.g. a step completed)."""
        def enough(st: dict[str, Any] | None) -> bool:
            events = (st or {}).get("historyEvents") or []
            return sum(e["EventType"] == event_type for e in events) >= count

        found = poll(lambda: self.status(instance_id, history=True), enough, timeout,
                     lambda st: f"instance {instance_id} never had {count} {event_type} "
                                f"event(s); last status: {json.dumps(st)}")
        return found or {}

    def raise_event(self, instance_id: str, name: str, data: Any = None) -> requests.Response:
        return self.mgmt_call("POST", f"instances/{quote(instance_id, safe='')}/raiseEvent/"
                              f"{quote(name, safe='')}", data=json.dumps(data),
                              headers={"Content-Type": "application/json"})

    def action(self, instance_id: str, action: str, reason: str = "",
               **params: Any) -> requests.Response:
        return self.mgmt_call("POST", f"instances/{quote(instance_id, safe='')}/{action}",
                              params={"reason": reason, **params})

    def purge(self, instance_id: str) -> requests.Response:
        return self.mgmt_call("DELETE", f"instances/{quote(instance_id, safe='')}")

    def entity(self, name: str, key: str) -> Any:
        r = self.mgmt_call("GET", f"entities/{quote(name, safe='')}/{quote(key, safe='')}")
        if r.status_code == 404:
            return None
        return r.json()

    def signal(self, name: str, key: str, op: str, input: Any = None) -> requests.Response:
        path = f"entities/{quote(name, safe='')}/{quote(key, safe='')}"
        if input is None:
            return self.mgmt_call("POST", path, params={"op": op})
        # Encoded like the SDK's client, so that the entity's `get_input()` returns `input`.
        return self.mgmt_call("POST", path, params={"op": op}, json=json.dumps(input))

    def wait_entity(self, name: str, key: str, predicate: Any,
                    timeout: float = 30.0) -> Any:
        return poll(lambda: self.entity(name, key), predicate, timeout,
                    lambda state: f"entity @{name}@{key} state never matched; last: {state!r}")

    def backlog(self) -> dict[str, int]:
        """Queued work per kind (orch, activity, entity, eventgrid), including work in progress."""
        r = self.http("GET", "admin/metrics", headers={"x-functions-key": self.keys.master_key})
        counts: dict[str, int] = {}
        for family in text_string_to_metric_families(r.text):
            if family.name == "devhost_backlog":
                for sample in family.samples:
                    kind = sample.labels["kind"]
                    counts[kind] = counts.get(kind, 0) + int(sample.value)
        return counts

    def wait_idle(self, kinds: Sequence[str] = ("ctrl", "orch", "activity", "entity", "eventgrid"),
                  timeout: float = 30.0) -> None:
        """Poll until no work of these kinds is queued or running (timers far ahead count too,
        so leave "orch" out while an orchestration waits on a long timer)."""
        poll(lambda: {k: n for k, n in self.backlog().items() if k in kinds and n},
             lambda left: not left, timeout,
             lambda left: f"work still queued after {timeout}s: {left}")

    def advance(self, seconds: float) -> None:
        """Move the host's clock forward so durable timers fire without waiting."""
        r = self.http("POST", "admin/devhost/clock", json={"seconds": seconds},
                      headers={"x-functions-key": self.keys.master_key})
        if r.status_code != 200:
            raise DevhostError(f"advancing the clock answered {r.status_code}: {r.text}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("devhost_app", "folder of the Functions app the devhost fixture serves",
                  default=".")


@pytest.fixture(scope="session")
def devhost_app_dir(pytestconfig: pytest.Config) -> Path:
    """Override to serve another app; defaults to the `devhost_app` ini option."""
    return Path(str(pytestconfig.rootpath / pytestconfig.getini("devhost_app")))


@pytest.fixture(scope="session")
def devhost_env() -> dict[str, str]:
    """Override to add environment variables (app settings) for the host process."""
    return {}


@pytest.fixture(scope="session")
def _devhost_hosts() -> Iterator[dict[tuple[str, tuple[tuple[str, str], ...]], DevhostClient]]:
    """Hosts started this session, one per app folder and settings; all stopped at the end."""
    hosts: dict[tuple[str, tuple[tuple[str, str], ...]], DevhostClient] = {}
    yield hosts
    for client in hosts.values():
        client.host.stop()


@pytest.fixture(scope="module")
def devhost(devhost_app_dir: Path, devhost_env: dict[str, str],
            _devhost_hosts: dict[tuple[str, tuple[tuple[str, str], ...]], DevhostClient],
            tmp_path_factory: pytest.TempPathFactory) -> DevhostClient:
    """A client for a host serving `devhost_app_dir` with `devhost_env`.

    The host starts on first use and serves every test that asks for the same app and
    settings, so folders that override `devhost_app_dir` each get their own host. Module
    scope, so module fixtures may build on it (a scenario set up once per test file).
    """
    key = (str(devhost_app_dir.resolve()), tuple(sorted(devhost_env.items())))
    client = _devhost_hosts.get(key)
    if client is None:
        host = DevhostProcess(devhost_app_dir, tmp_path_factory.mktemp("devhost-data"),
                              env=devhost_env).start()
        client = _devhost_hosts[key] = DevhostClient(host)
    return client
