"""``python -m security rotate`` as an operator runs it: killed with SIGKILL in the middle, it
resumes the same run when started again, and no key gets more than one new version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from security.keys import LocalKeyProvider, customer_key_name

ROOT = Path(__file__).resolve().parents[2]
KEYS = 400


def settings(tmp_path: Path) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    return {**os.environ, **example, "ORDERS_STORE": "embedded", "FIELD_KEY_PROVIDER": "local",
            "ORDERS_DATA_DIR": str(tmp_path / "orders"), "FIELD_KEYS_DIR": str(tmp_path / "keys"),
            "PYTHONPATH": str(ROOT)}


def _rotated_some(checkpoint: Path) -> bool:
    """The checkpoint exists and records a key this run rotated (it is written before each
    key too, naming the one about to be rotated)."""
    try:
        return bool(json.loads(checkpoint.read_text()).get("rotated"))
    except (OSError, ValueError):
        return False  # not there yet, or caught mid-write


def test_a_rotation_killed_mid_way_resumes_and_rotates_each_key_once(tmp_path: Path) -> None:
    keys = LocalKeyProvider(tmp_path / "keys")
    names = [customer_key_name(f"c{i}") for i in range(KEYS)]
    for name in names:
        keys.current(name)
    env = settings(tmp_path)
    checkpoint = tmp_path / "orders" / "key-rotation.json"
    command = [sys.executable, "-m", "security", "rotate"]
    running = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _rotated_some(checkpoint):  # the checkpoint names a key once it is rotated
        assert running.poll() is None, "the rotation finished before it could be killed"
        assert time.monotonic() < deadline, "no key was rotated"
        time.sleep(0.005)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)
    half = [keys.current_version(name) for name in names]
    assert "2" in half and "1" in half, "the kill should leave the rotation half done"

    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming rotation" in resumed.stderr
    assert {keys.current_version(name) for name in names} == {"2"}
    assert not checkpoint.exists()

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
    assert again.returncode == 0 and "resuming" not in again.stderr
    assert {keys.current_version(name) for name in names} == {"3"}  # a new run: one more
