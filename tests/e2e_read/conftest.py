"""Read-side end-to-end tests: the real app on its own devhost, driven over HTTP.

Like tests/e2e, each test runs on both store kinds (embedded, and ``ORDERS_STORE=azure`` on the
emulators), and the host gets fresh data, key and store folders (on Azure, a Cosmos database of
its own). ``MIN_VERSION_WAIT`` is the app's default (2 s): a stale read answers 409 that soon.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from devhost.testing import DevhostClient
from read_api import ROOT, ReadApi, host_env
from store_kinds import AppStores


@pytest.fixture(scope="session")
def read_env(tmp_path_factory: pytest.TempPathFactory,
             store_env_for: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return host_env(tmp_path_factory.mktemp("read-data"), store_env_for("e2e-read"))


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def devhost_env(read_env: dict[str, str]) -> dict[str, str]:
    return read_env


@pytest.fixture(scope="session")
def stores(read_env: dict[str, str]) -> AppStores:
    """The stores the host writes (SQLite files, or Cosmos DB and Table storage)."""
    return AppStores(read_env)


@pytest.fixture(scope="module")
def api(devhost: DevhostClient, stores: AppStores) -> ReadApi:
    return ReadApi(devhost, stores)


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
