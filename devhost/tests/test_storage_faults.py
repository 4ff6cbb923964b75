"""Storage faults: devhost stops naming the file, or answers 503 with Retry-After, and never
acknowledges a command it did not store (`devhost.storage.faults`)."""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from devhost.testing import DevhostClient, DevhostError, DevhostProcess

SAMPLE = Path(__file__).parent / "apps" / "sample"


def refused_start(tmp_path: Path, data: Path) -> str:
    """Start a host on `data`, expecting it to refuse: its output."""
    host = DevhostProcess(SAMPLE, data)
    with pytest.raises(DevhostError):
        host.start(timeout=30)
    assert host.proc is not None and host.proc.wait(10) == 2
    return host.output()


def made_store(tmp_path: Path) -> Path:
    """A data folder whose store holds a few finished instances."""
    data = tmp_path / "data"
    host = DevhostProcess(SAMPLE, data).start()
    try:
        client = DevhostClient(host)
        for n in range(3):
            client.wait(client.start("hello_sequence", None, f"made-{n}"))
    finally:
        host.stop()
    return data


def test_a_data_folder_that_cannot_be_made_stops_the_start_naming_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    out = refused_start(tmp_path, tmp_path / "file" / "data")
    assert f"devhost: cannot start: cannot use {tmp_path / 'file' / 'data'}" in out
    assert "cannot listen" not in out


@contextmanager
def unwritable(folder: Path) -> Iterator[str]:
    """The folder made read-only: by its mode, or for root (whom modes do not stop) by the
    immutable attribute. Yields the error a file created in it meets."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield "Permission denied"
        finally:
            folder.chmod(0o700)
        return
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("root, and no immutable attribute on this file system")
    try:
        yield "Operation not permitted"
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_unwritable_data_folder_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with unwritable(data) as error:
        out = refused_start(tmp_path, data)
    assert f"devhost: cannot start: cannot use {data / 'host.lock'}: {error}" in out
    assert "cannot listen" not in out


def test_a_corrupted_store_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    data = made_store(tmp_path)
    db = data / "devhost.db"
    with db.open("r+b") as f:  # the second page onwards overwritten, as by a bad disk
        f.seek(4096)
        f.write(os.urandom(db.stat().st_size - 4096))
    out = refused_start(tmp_path, data)
    assert f"devhost: cannot start: the store {db} is damaged" in out


def test_a_truncated_store_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    data = made_store(tmp_path)
    db = data / "devhost.db"
    os.truncate(db, db.stat().st_size // 2)
    out = refused_start(tmp_path, data)
    assert f"devhost: cannot start: the store {db} is damaged" in out


def test_a_file_that_is_no_database_stops_the_start_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "devhost.db").write_bytes(b"these are not the bytes of a database" * 200)
    out = refused_start(tmp_path, data)
    assert f"devhost: cannot start: the store {data / 'devhost.db'} is damaged" in out


def assert_unavailable(response: requests.Response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == code


@contextmanager
def locked_by_another_process(db: Path) -> Iterator[None]:
    """The store's write lock held by a connection that is not devhost's, as a backup tool or
    an `sqlite3` shell in a transaction holds it."""
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_store_locked_by_another_process_answers_503_and_stores_nothing(
        tmp_path: Path) -> None:
    host = DevhostProcess(SAMPLE, tmp_path / "data").start()
    try:
        client = DevhostClient(host)
        with locked_by_another_process(host.data_dir / "devhost.db"):
            # The app's own HTTP starter, and the management API's start.
            by_app = client.http("POST", "api/orchestrators/hello_sequence/locked-app")
            by_api = client.mgmt_call("POST", "orchestrators/hello_sequence/locked-api")
        assert_unavailable(by_app, "StoreBusy")
        assert_unavailable(by_api, "StoreBusy")
        for refused in ("locked-app", "locked-api"):
            assert client.mgmt_call("GET", f"instances/{refused}").status_code == 404
        # Once the lock is gone the same commands are taken, and run.
        assert client.http("POST", "api/orchestrators/hello_sequence/locked-app"
                           ).status_code == 202
        assert client.wait("locked-app")["runtimeStatus"] == "Completed"
    finally:
        host.stop()


def test_a_full_store_answers_503_stores_nothing_it_refused_and_recovers_when_space_returns(
        tmp_path: Path) -> None:
    """A full disk, simulated by the store's size cap (`DEVHOST_STORE_MAX_MB`: SQLite answers
    SQLITE_FULL at the cap as on a full disk, on any file system). Purging old instances gives
    the space back: the acknowledged commands then finish, and new ones are taken."""
    host = DevhostProcess(SAMPLE, tmp_path / "data", env={"DEVHOST_STORE_MAX_MB": "1"}).start()
    big = {"padding": "x" * 60_000}
    try:
        client = DevhostClient(host)
        ballast = [client.start("hello_sequence", big, f"ballast-{n}") for n in range(3)]
        for iid in ballast:
            client.wait(iid)
        taken, refused = [], []
        for n in range(40):
            r = client.http("POST", f"api/orchestrators/hello_sequence/cmd-{n}", json=big)
            (taken if r.status_code == 202 else refused).append((f"cmd-{n}", r))
            if len(refused) == 3:
                break
        assert taken and len(refused) == 3, [r.status_code for _, r in taken + refused]
        for _, r in refused:
            assert_unavailable(r, "StoreFull")
        for iid, _ in refused:
            assert client.status(iid) is None  # refused: not stored
        for iid in ballast:
            assert client.mgmt_call("DELETE", f"instances/{iid}").status_code == 200
        for iid, _ in taken:
            assert client.wait(iid)["runtimeStatus"] == "Completed"  # acknowledged: all run
        r = client.http("POST", "api/orchestrators/hello_sequence/after", json={"small": 1})
        assert r.status_code == 202
        assert client.wait("after")["runtimeStatus"] == "Completed"
    finally:
        host.stop()


@pytest.mark.parametrize("setting", ["DEVHOST_STORE_MAX_MB", "DEVHOST_WAL_LIMIT_MB"])
def test_a_size_setting_that_is_no_size_stops_the_start(tmp_path: Path, setting: str) -> None:
    host = DevhostProcess(SAMPLE, tmp_path / "data", env={setting: "lots"})
    with pytest.raises(DevhostError):
        host.start(timeout=30)
    assert host.proc is not None and host.proc.wait(10) == 2
    assert (f"devhost: cannot start: {setting} must be a positive number of megabytes, "
            "not 'lots'") in host.output()
