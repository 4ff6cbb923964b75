"""devhost as someone else gets it: `pip install PATH` into a fresh virtual environment outside
this repository, then the `devhost` command on a sample app and the pytest plugin from a
foreign project's conftest.py. Nothing here imports the devhost under test."""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import requests

from tests.fresh import DEVHOST, clean_env

APPS = Path(__file__).resolve().parent / "apps"
READY = re.compile(r"devhost ready on (http://\S+)")


@pytest.fixture(scope="module")
def fresh(fresh_venv: Callable[..., Path]) -> Path:
    """A virtual environment with only devhost (from its path) and pytest installed."""
    return fresh_venv("newest")


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A copy of the chaining sample in a folder that has nothing to do with this repository."""
    app = tmp_path / "someone-elses-app"
    shutil.copytree(APPS / "chaining", app, ignore=shutil.ignore_patterns("__pycache__"))
    return app


@pytest.fixture
def served(fresh: Path, elsewhere: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`devhost start --app PATH`, the installed console script, until it says it is ready."""
    data = tmp_path / "data"
    proc = subprocess.Popen([str(fresh / "bin" / "devhost"), "start", "--app", str(elsewhere),
                             "--port", "0", "--data", str(data)],
                            cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread reads the output all along: a host that never says it is ready fails the wait
    # below instead of hanging the suite, and one that logs a lot never blocks on a full pipe.
    def pump(stream: IO[str]) -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, args=(proc.stdout,), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        url = ""
        while not url and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            m = READY.search(seen[-1])
            url = m.group(1) if m else ""
        assert url, "devhost did not become ready:\n" + "".join(seen)
        yield url, data
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_installed_package_is_the_one_that_runs(fresh: Path, tmp_path: Path) -> None:
    version = subprocess.run([str(fresh / "bin" / "devhost"), "--version"], env=clean_env(),
                             capture_output=True, text=True, check=True).stdout
    declared = tomllib.loads((DEVHOST / "pyproject.toml").read_text())["project"]["version"]
    assert version.strip() == f"devhost {declared}"
    out = subprocess.run([str(fresh / "bin" / "python"), "-c",
                          "import devhost, json; print(json.dumps(devhost.__file__))"],
                         cwd=tmp_path, env=clean_env(), capture_output=True, text=True,
                         check=True).stdout
    assert Path(json.loads(out)).is_relative_to(fresh)


def test_devhost_start_serves_someone_elses_app(served: tuple[str, Path], fresh: Path) -> None:
    url, data = served
    started = requests.get(f"{url}/api/orchestrators/my_orchestrator", timeout=30)
    assert started.status_code == 202, started.text
    status_uri = started.json()["statusQueryGetUri"]
    deadline = time.monotonic() + 30
    status = requests.get(status_uri, timeout=30).json()
    while status["runtimeStatus"] != "Completed":
        assert status["runtimeStatus"] in {"Pending", "Running"}, status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
        status = requests.get(status_uri, timeout=30).json()
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]

    # The other commands of the console script, and the monitor's page (package data).
    keys = json.loads(subprocess.run([str(fresh / "bin" / "devhost"), "keys", "--data", str(data)],
                                     env=clean_env(), capture_output=True, text=True,
                                     check=True).stdout)
    system_key = keys["systemKeys"]["durabletask_extension"]
    monitor = requests.get(f"{url}/runtime/webhooks/durabletask/monitor",
                           params={"code": system_key}, timeout=30)
    assert monitor.status_code == 200 and "<html" in monitor.text.lower()
    token = subprocess.run([str(fresh / "bin" / "devhost"), "token", "--sub", "ann", "--data",
                            str(data)], env=clean_env(), capture_output=True, text=True,
                           check=True).stdout.strip()
    assert token.count(".") == 2
    metrics = subprocess.run([str(fresh / "bin" / "devhost"), "metrics", "--url", url,
                              "--data", str(data), "--filter", "function_runs"],
                             env=clean_env(), capture_output=True, text=True, check=True).stdout
    assert "say_hello" in metrics


FOREIGN_CONFTEST = '''
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return Path(__file__).parent / "app"
'''

FOREIGN_TEST = '''
def test_chaining(devhost):
    iid = devhost.start("my_orchestrator")
    assert devhost.wait(iid)["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def test_http_starter(devhost):
    r = devhost.http("GET", "api/orchestrators/my_orchestrator")
    assert r.status_code == 202
    assert devhost.wait(r.json()["id"])["runtimeStatus"] == "Completed"
'''


@pytest.mark.parametrize("plugins_line", [False, True], ids=["entry-point", "old-plugins-line"])
def test_the_plugin_works_from_a_foreign_projects_conftest(fresh: Path, elsewhere: Path,
                                                           tmp_path: Path,
                                                           plugins_line: bool) -> None:
    project = tmp_path / "their-project"
    (project / "tests").mkdir(parents=True)
    shutil.move(str(elsewhere), project / "tests" / "app")
    # Without a pytest_plugins line the entry point installed with devhost registers the
    # plugin; a conftest written for the plugin before it had one still works.
    old_line = 'pytest_plugins = ["devhost.testing"]\n' if plugins_line else ""
    (project / "tests" / "conftest.py").write_text(old_line + FOREIGN_CONFTEST)
    (project / "tests" / "test_their_app.py").write_text(FOREIGN_TEST)
    result = subprocess.run([str(fresh / "bin" / "python"), "-m", "pytest", "-q",
                             "-p", "no:cacheprovider", "tests"],
                            cwd=project, env=clean_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
