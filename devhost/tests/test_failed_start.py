"""A start that fails half-way stops what it started: no process, socket, thread, descriptor
or lock is left behind (`devhost.host.serve`, one exit stack)."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fresh import DEVHOST

APPS = Path(__file__).parent / "apps"
PROBE = Path(__file__).parent / "start_probe.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def failed_start(app: Path, data: Path, port: int, **env: str) -> dict[str, Any]:
    """What the probe saw after `serve` failed in its process."""
    result = subprocess.run([sys.executable, str(PROBE), str(app), str(data), str(port)],
                            cwd=DEVHOST, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def assert_nothing_left(seen: dict[str, Any]) -> None:
    assert seen["descriptors"] == [], "descriptors left open"
    assert seen["threads"] == [], "threads still running"
    assert seen["children"] == [], "processes still running"
    assert seen["lock_free"], "the data folder's lock is still held"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_port_in_use_stops_the_start_and_leaves_nothing(tmp_path: Path,
                                                          taken_port: int) -> None:
    seen = failed_start(APPS / "sample", tmp_path / "data", taken_port,
                        SAMPLE_OUT_DIR=str(tmp_path))
    assert seen["error"].startswith(f"ListenError: 127.0.0.1:{taken_port}: ")
    assert_nothing_left(seen)


def test_a_damaged_store_stops_the_start_and_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "devhost.db").write_bytes(b"not a database" * 500)
    port = free_port()
    seen = failed_start(APPS / "sample", data, port, SAMPLE_OUT_DIR=str(tmp_path))
    assert seen["error"].startswith("StoreDamaged: ")
    assert_nothing_left(seen)
    assert seen["port_free"]


def test_a_worker_that_dies_while_starting_stops_the_start_and_leaves_nothing(
        tmp_path: Path) -> None:
    """The host listens, starts its two workers, one dies: the other is stopped, the port and
    the lock are free again."""
    port = free_port()
    seen = failed_start(APPS / "broken_worker", tmp_path / "data", port)
    assert seen["error"].startswith("ClusterError: devhost worker "), seen["error"]
    assert_nothing_left(seen)
    assert seen["port_free"]
