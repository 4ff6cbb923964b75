"""The command line: broken apps fail at start with a message and exit code 2; token and keys."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devhost.auth import TokenIssuer

HOST_JSON = '{"version": "2.0", "extensions": {"http": {"routePrefix": "api"}}}'
HEADER = "import azure.functions as func\nimport azure.durable_functions as df\n"

BROKEN = {
    "import_error": (HEADER + "import not_a_module\napp = df.DFApp()\n",
                     "ModuleNotFoundError"),
    "two_apps": (HEADER + "app = df.DFApp()\nother = func.FunctionApp()\n",
                 "more than one function app"),
    "no_app": (HEADER + "x = 1\n", "no top-level function app"),
    "unknown_binding": (HEADER + "app = func.FunctionApp()\n"
                        "@app.queue_trigger(arg_name='m', queue_name='q', connection='C')\n"
                        "def on_queue(m: func.QueueMessage) -> None:\n    pass\n",
                        "function 'on_queue' uses binding type 'queueTrigger'"),
    "blob_output": (HEADER + "app = func.FunctionApp()\n"
                    "@app.route(route='upload')\n"
                    "@app.blob_output(arg_name='outblob', path='c/{rand-guid}', connection='C')\n"
                    "def upload(req: func.HttpRequest, outblob: func.Out[str]) -> str:\n"
                    "    return 'x'\n",
                    "function 'upload' uses binding type 'blob' (binding 'outblob'), which "
                    "devhost does not support"),
    "bad_schedule": (HEADER + "app = func.FunctionApp()\n"
                     "@app.timer_trigger(schedule='0 */5 * *', arg_name='t')\n"
                     "def tick(t: func.TimerRequest) -> None:\n    pass\n",
                     "function 'tick' has a bad timer schedule '0 */5 * *': expected 6 fields"),
    "bad_route": (HEADER + "app = func.FunctionApp()\n"
                  "@app.route(route='items/{id:nosuch}')\n"
                  "def get_item(req: func.HttpRequest) -> str:\n    return 'x'\n",
                  "function 'get_item' has a bad route"),
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devhost", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_app_fails_at_start_with_exit_2(case: str, tmp_path: Path) -> None:
    source, message = BROKEN[case]
    (tmp_path / "host.json").write_text(HOST_JSON)
    (tmp_path / "function_app.py").write_text(source)
    result = run("start", "--app", str(tmp_path), "--port", "0", "--data", str(tmp_path / "d"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "function_app.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_host_json_is_reported(tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text(HEADER + "app = df.DFApp()\n")
    result = run("start", "--app", str(tmp_path), "--port", "0")
    assert result.returncode == 2 and "host.json not found" in result.stderr


def test_token_command_mints_a_token_the_host_accepts(tmp_path: Path) -> None:
    result = run("token", "--sub", "alice", "--roles", "customer,support", "--name", "Alice",
                 "--ttl", "600", "--data", str(tmp_path))
    assert result.returncode == 0
    claims = TokenIssuer(tmp_path).verify(result.stdout.strip())
    assert claims.sub == "alice" and set(claims.roles) == {"customer", "support"}
    assert claims.name == "Alice"


def test_keys_command_prints_stable_keys(tmp_path: Path) -> None:
    first = json.loads(run("keys", "--data", str(tmp_path)).stdout)
    second = json.loads(run("keys", "--data", str(tmp_path)).stdout)
    assert first == second
    assert first["masterKey"] and first["functionKeys"]["default"]
    assert "durabletask_extension" in json.dumps(first)


def test_environment_wins_over_local_settings(tmp_path: Path) -> None:
    from devhost.testing import DevhostClient, DevhostProcess

    sample = Path(__file__).parent / "apps" / "sample"
    host = DevhostProcess(sample, tmp_path / "d", env={"SAMPLE_GREETING": "Hi"}).start()
    try:
        client = DevhostClient(host)
        assert client.http("GET", "api/setting/SAMPLE_GREETING").text == "Hi"
        assert client.http("GET", "api/setting/EG_TOPIC_KEY").text == "placeholder"
    finally:
        host.stop()


def test_metrics_endpoint_and_command_report_what_ran(tmp_path: Path) -> None:
    from devhost.testing import DevhostClient, DevhostProcess

    sample = Path(__file__).parent / "apps" / "sample"
    host = DevhostProcess(sample, tmp_path / "d").start()
    try:
        client = DevhostClient(host)
        assert client.http("GET", "admin/metrics").status_code == 401
        client.wait(client.start("hello_sequence", ["M"]))
        r = client.http("GET", "admin/metrics", headers={"x-functions-key":
                                                         client.keys.master_key})
        assert r.status_code == 200
        assert ('devhost_function_runs_total{function="say_hello",kind="activity",'
                in r.text.replace('otel_scope_name="devhost",', ""))
        table = run("metrics", "--url", host.url, "--data", str(host.data_dir),
                    "--filter", "function_runs")
        assert table.returncode == 0
        line = next(x for x in table.stdout.splitlines()
                    if "function=hello_sequence" in x and "outcome=completed" in x)
        assert line.split()[-1] == "1"
    finally:
        host.stop()


@pytest.mark.parametrize("level", ["WARNING", "shouting"])
def test_local_settings_set_the_log_level(tmp_path: Path, level: str) -> None:
    import shutil

    from devhost.testing import DevhostClient, DevhostProcess

    app = tmp_path / "app"
    shutil.copytree(Path(__file__).parent / "apps" / "sample", app,
                    ignore=shutil.ignore_patterns("__pycache__", ".devhost"))
    settings = json.loads((app / "local.settings.json").read_text())
    settings["Values"]["DEVHOST_LOG_LEVEL"] = level
    (app / "local.settings.json").write_text(json.dumps(settings))
    if level != "WARNING":
        result = run("start", "--app", str(app), "--port", "0", "--data", str(tmp_path / "d"))
        assert result.returncode == 2
        assert "DEVHOST_LOG_LEVEL must be one of" in result.stderr
        return
    host = DevhostProcess(app, tmp_path / "d").start()
    try:
        client = DevhostClient(host)
        client.wait(client.start("hello_sequence", ["quiet"]))
    finally:
        host.stop()
    assert " INFO " not in host.output()
