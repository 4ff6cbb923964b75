"""The pattern samples in ../apps, each served by a host of its own and driven the way their
authors' clients drive them: through their HTTP starters and the check-status links."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from devhost.testing import TERMINAL, DevhostClient, DevhostError

APPS = Path(__file__).resolve().parent.parent / "apps"
Follow = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def devhost_app_dir(request: pytest.FixtureRequest) -> Path:
    """Each module names its sample app: APP = "chaining"."""
    return APPS / request.module.APP


@pytest.fixture
def follow(devhost: DevhostClient) -> Follow:
    """Poll a check-status response's statusQueryGetUri until the instance reaches `until`."""

    def follow_(started: requests.Response, until: tuple[str, ...] = TERMINAL,
                timeout: float = 30.0) -> dict[str, Any]:
        assert started.status_code == 202, started.text
        links = started.json()
        assert started.headers["Location"] == links["statusQueryGetUri"]
        assert links["statusQueryGetUri"].startswith(devhost.url)
        deadline = time.monotonic() + timeout
        while True:
            status: dict[str, Any] = devhost.session.get(links["statusQueryGetUri"],
                                                         timeout=30).json()
            if status["runtimeStatus"] in until:
                return status
            if time.monotonic() > deadline:
                raise DevhostError(f"{links['id']} never reached {until}: {status}")
            time.sleep(0.02)

    return follow_
