"""The timer schedule monitor (`useMonitor`, on by default): an occurrence missed while devhost
was stopped runs once at the next start, past due; without the monitor it is skipped."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from devhost.testing import DevhostProcess, poll

APP = '''
import os

import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(schedule="0 0 * * * *", arg_name="timer", use_monitor={monitor})
def hourly(timer: func.TimerRequest) -> None:
    with open(os.environ["RUNS_FILE"], "a") as f:
        f.write(f"past_due={{timer.past_due}} last={{timer.schedule_status['Last']}}\\n")
'''


@pytest.mark.parametrize("monitor", [True, False])
def test_an_hour_missed_while_stopped(tmp_path: Path, monitor: bool) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "host.json").write_text('{"version": "2.0"}')
    (app / "function_app.py").write_text(APP.format(monitor=monitor))
    runs = tmp_path / "runs.txt"
    host = DevhostProcess(app, tmp_path / "data", env={"RUNS_FILE": str(runs)}).start()
    host.stop()
    assert not runs.exists()  # no runOnStartup, and the next hour is still ahead
    # Pretend the host ran the timer three hours ago and has been stopped since.
    three_hours_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).replace(
        minute=0, second=0, microsecond=0)
    with sqlite3.connect(tmp_path / "data" / "devhost.db") as db:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                   ("timer.hourly.last", three_hours_ago.isoformat()))
    host.start()
    try:
        if monitor:
            lines = poll(lambda: runs.read_text().splitlines() if runs.exists() else [],
                         lambda lines: bool(lines), 20, lambda _: "the missed hour never ran")
            [line] = lines  # three missed occurrences, one late run
            assert line == ("past_due=True last="
                            + three_hours_ago.isoformat().replace("+00:00", "Z"))
        else:
            host.wait_output("devhost ready")
            assert not runs.exists()
    finally:
        host.stop()
    if monitor:
        assert len(runs.read_text().splitlines()) == 1
