"""The Durable SDK range devhost declares, tested at both ends: the pattern samples (tests/
patterns) pass in a fresh virtual environment with the lowest azure-functions-durable and
azure-functions the range allows, and with the newest that pip resolves."""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fresh import DEVHOST, clean_env


def lowest(package: str) -> str:
    """The lower bound of `package` in devhost's pyproject.toml."""
    deps = tomllib.loads((DEVHOST / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if re.match(rf"{re.escape(package)}\s*[<>=]", d))
    m = re.search(r">=\s*([\w.]+)", spec)
    assert m, spec
    return m.group(1)


def installed(venv: Path, package: str) -> str:
    return subprocess.run([str(venv / "bin" / "python"), "-c",
                           f"from importlib.metadata import version; print(version({package!r}))"],
                          env=clean_env(), capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("end", ["lowest", "newest"])
def test_the_pattern_samples_pass_at_both_ends_of_the_sdk_range(
        end: str, fresh_venv: Callable[..., Path]) -> None:
    if end == "lowest":
        pins = {p: lowest(p) for p in ("azure-functions-durable", "azure-functions")}
        venv = fresh_venv("lowest", *(f"{p}=={v}" for p, v in pins.items()))
        assert {p: installed(venv, p) for p in pins} == pins
    else:
        venv = fresh_venv("newest")
        newest = installed(venv, "azure-functions-durable")
        # Not below what this repository's app runs: pip took the newest it could find.
        assert tuple(map(int, newest.split("."))) >= (1, 7, 0), newest
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q",
                             "-p", "no:cacheprovider", "tests/patterns"],
                            cwd=DEVHOST, env=clean_env(), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout) and "skipped" not in result.stdout
