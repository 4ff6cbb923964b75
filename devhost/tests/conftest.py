"""devhost's own tests drive the sample app in apps/sample on a real host process."""

from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "apps" / "sample"


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
