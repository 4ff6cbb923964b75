"""End-to-end tests drive the real app over HTTP on one devhost process per session and store kind.

Every test that uses the host runs twice: on the embedded stores (SQLite files) and on
``ORDERS_STORE=azure`` against Azurite and cosmosdb-server (``store_kind`` in tests/conftest.py).
The host gets a temporary data folder, key folder and event archive, and a one-hour fulfilment
deadline that the deadline tests pass by moving devhost's clock. These settings come through the
process environment, which wins over a developer's ``local.settings.json`` (as in Core Tools).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from devhost.testing import DevhostClient
from e2e_helpers import DEADLINE_SECONDS, OrdersApi
from store_kinds import AppStores

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def devhost_env(tmp_path_factory: pytest.TempPathFactory,
                store_env_for: Callable[[str], dict[str, str]]) -> dict[str, str]:
    data = tmp_path_factory.mktemp("orders-data")
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    overrides = {
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "FULFILMENT_DEADLINE": f"{DEADLINE_SECONDS}s",
        "ORDERS_TASK_HUB": "E2E",
        **store_env_for("e2e"),
    }
    return {**example, **overrides}


@pytest.fixture(scope="session")
def stores(devhost_env: dict[str, str]) -> AppStores:
    """The stores the host writes (SQLite files, or Cosmos DB and Table storage)."""
    return AppStores(devhost_env)


@pytest.fixture(scope="module")
def api(devhost: DevhostClient, devhost_env: dict[str, str], stores: AppStores) -> OrdersApi:
    return OrdersApi(devhost, Path(devhost_env["ORDERS_DATA_DIR"]),
                     Path(devhost_env["FIELD_KEYS_DIR"]), stores)


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
