"""devhost's own tests drive the sample app in apps/sample on a real host process."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fresh import DEVHOST, clean_env

SAMPLE = Path(__file__).parent / "apps" / "sample"


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """`fresh_venv(name, *requirements)`: a new virtual environment outside this repository
    with devhost installed from its path (`pip install PATH`), pytest and `requirements`;
    made once per name and session."""
    made: dict[str, Path] = {}

    def make(name: str, *requirements: str) -> Path:
        if name not in made:
            root = tmp_path_factory.mktemp(f"venv-{name}")
            venv = root / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            result = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(DEVHOST),
                 "pytest", *requirements],
                cwd=root, env=clean_env(), capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, result.stdout + result.stderr
            made[name] = venv
        return made[name]

    return make


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def event_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("events")


@pytest.fixture(scope="session")
def devhost_env(event_dir: Path) -> dict[str, str]:
    return {"SAMPLE_OUT_DIR": str(event_dir)}


@pytest.fixture
def uid(request: pytest.FixtureRequest) -> str:
    """A fresh id per test so tests never see each other's instances."""
    import uuid

    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}".replace("[", "-").replace("]", "")
