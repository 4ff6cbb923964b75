"""Observability tests: unit tests in-process; end-to-end tests on their own devhost.

The session host serves the app with fresh data; the chaos test starts a second host with
delayed Event Grid deliveries. Every test uses fresh ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from obs_api import ObsApi, start_host


@pytest.fixture(scope="session")
def obs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObsApi]:
    api, host = start_host(tmp_path_factory.mktemp("obs"), "E2EObs")
    try:
        yield api
    finally:
        host.stop()


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
