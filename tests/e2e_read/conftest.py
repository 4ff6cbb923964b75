"""Read-side end-to-end tests: the real app on its own devhost, driven over HTTP.

Like tests/e2e, the host gets fresh data, key and store folders; the read side's settings are
set small so staleness answers quickly (``MIN_VERSION_WAIT``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from devhost.testing import DevhostClient
from read_api import ROOT, ReadApi, host_env


@pytest.fixture(scope="session")
def read_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return host_env(tmp_path_factory.mktemp("read-data"))


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def devhost_env(read_env: dict[str, str]) -> dict[str, str]:
    return read_env


@pytest.fixture(scope="module")
def api(devhost: DevhostClient, read_env: dict[str, str]) -> ReadApi:
    return ReadApi(devhost, Path(read_env["ORDERS_DATA_DIR"]))


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
