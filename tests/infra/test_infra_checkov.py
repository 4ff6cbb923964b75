"""checkov --framework bicep over infra/, from its own venv, against infra/checkov-baseline.json.

checkov exits 0 when it cannot parse a file (and then checks nothing in it), so the test reads
its JSON report: no parse error, every file seen, no failed check outside the baseline, and no
baseline entry that no longer fails (a fixed finding leaves the baseline).
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path

import infra_model as im
import pytest

VENV = Path(os.environ.get("CHECKOV_VENV", im.ROOT / ".venv-checkov"))
CHECKOV = VENV / "bin" / "checkov"
BASELINE = im.INFRA / "checkov-baseline.json"


@cache
def report() -> tuple[dict, str]:
    if not CHECKOV.exists():
        message = (f"checkov's venv is missing ({CHECKOV}); create it with "
                   "tools/setup-checkov.sh")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [str(CHECKOV), "-d", str(im.INFRA), "--framework", "bicep", "-o", "json", "--compact",
         "--skip-download"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"})
    assert done.returncode in (0, 1), f"checkov crashed ({done.returncode}):\n{done.stderr[-3000:]}"
    data = json.loads(done.stdout)
    runs = data if isinstance(data, list) else [data]
    bicep = [r for r in runs if r.get("check_type") == "bicep"]
    assert len(bicep) == 1, f"expected one bicep report, got {[r.get('check_type') for r in runs]}"
    return bicep[0], done.stderr


def findings(run: dict) -> set[tuple[str, str, str]]:
    return {(f["check_id"], f["file_path"].lstrip("/"), f["resource"])
            for f in run["results"]["failed_checks"]}


def baseline() -> dict[tuple[str, str, str], str]:
    doc = json.loads(BASELINE.read_text(encoding="utf-8"))
    accepted = {}
    for entry in doc["accepted"]:
        assert len(entry["reason"]) > 20, f"{entry['check_id']}: say why it is accepted"
        for resource in entry["resources"]:
            accepted[(entry["check_id"], entry["file"], resource)] = entry["reason"]
    return accepted


_PARSE_ALL = """
import json, sys
from pathlib import Path
from pycep import BicepParser
failed = {}
for name in sys.argv[1:]:
    try:
        BicepParser().parse(file_path=Path(name))
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {str(error)[:300]}"
print(json.dumps(failed))
"""


def test_checkov_parses_every_template():
    """checkov skips a file its parser rejects without a word (parsing_errors stays 0), so parse
    every file with checkov's own pycep-parser, in its venv."""
    run, stderr = report()
    assert run["summary"]["parsing_errors"] == 0, f"checkov could not parse: {stderr[-2000:]}"
    done = subprocess.run([str(VENV / "bin" / "python"), "-c", _PARSE_ALL,
                           *map(str, im.bicep_files())],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    failed = json.loads(done.stdout)
    assert not failed, f"checkov's parser rejects these, so checkov never checked them: {failed}"
    assert run["summary"]["resource_count"] > 0


def test_no_failed_check_outside_the_baseline():
    run, _ = report()
    new = findings(run) - set(baseline())
    assert not new, "checkov findings not in infra/checkov-baseline.json (fix, or add with a " \
        "reason):\n" + "\n".join(" ".join(f) for f in sorted(new))


def test_baseline_has_no_stale_entries():
    run, _ = report()
    stale = set(baseline()) - findings(run)
    assert not stale, "fixed: remove from infra/checkov-baseline.json:\n" + "\n".join(
        " ".join(f) for f in sorted(stale))
