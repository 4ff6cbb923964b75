"""The v1 programming model: a named http output binding, a function key, an activity in a
scriptFile with its own entryPoint, and a relative import of the app's shared code."""

from collections.abc import Callable
from typing import Any

from devhost.testing import DevhostClient

APP = "v1_chaining"


def test_the_chain_runs_through_the_v1_starter(devhost: DevhostClient,
                                               follow: Callable[..., dict[str, Any]]) -> None:
    path = "api/orchestrators/E1_HelloSequence"
    assert devhost.http("POST", path, json=["Oslo"]).status_code == 401  # authLevel function
    assert devhost.http("GET", path, params={"code": devhost.keys.function_key}
                        ).status_code == 404  # methods: post only
    started = devhost.http("POST", path, json=["Oslo", "Lima"],
                           params={"code": devhost.keys.function_key})
    status = follow(started)
    assert status["output"] == ["Hello Oslo!", "Hello Lima!"]


def test_a_broken_v1_function_is_named_at_start(tmp_path: Any) -> None:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    app = tmp_path / "app"
    shutil.copytree(Path(__file__).resolve().parent.parent / "apps" / APP, app,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (app / "E1_SayHello" / "main.py").write_text("import not_a_module\n")
    result = subprocess.run([sys.executable, "-m", "devhost", "start", "--app", str(app),
                             "--port", "0", "--data", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert ("E1_SayHello/main.py: import failed at " in result.stderr
            and "ModuleNotFoundError" in result.stderr)
