"""End-to-end tests drive the real app over HTTP on one devhost process per session.

The host gets a temporary data folder, key folder and event archive, and a one-hour fulfilment
deadline that the deadline tests pass by moving devhost's clock. These settings come through the
process environment, which wins over a developer's ``local.settings.json`` (as in Core Tools).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from devhost.testing import DevhostClient
from e2e_helpers import DEADLINE_SECONDS, OrdersApi

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def devhost_app_dir() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def devhost_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("orders-data")
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    overrides = {
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "FULFILMENT_DEADLINE": f"{DEADLINE_SECONDS}s",
        "ORDERS_TASK_HUB": "E2E",
    }
    return {**example, **overrides}


@pytest.fixture(scope="module")
def api(devhost: DevhostClient, devhost_env: dict[str, str]) -> OrdersApi:
    return OrdersApi(devhost, Path(devhost_env["ORDERS_DATA_DIR"]),
                     Path(devhost_env["FIELD_KEYS_DIR"]))


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
