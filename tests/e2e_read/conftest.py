"""Read-side end-to-end tests: the real app on its own devhost, driven over HTTP.

Like tests/e2e, the host gets fresh data, key and store folders; the read side's settings are
set small so staleness answers quickly (``MIN_VERSION_WAIT``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from read_api import ReadApi

from devhost.testing import DevhostClient, DevhostProcess

ROOT = Path(__file__).resolve().parents[2]


def host_env(data: Path) -> dict[str, str]:
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    overrides = {
        "ORDERS_DATA_DIR": str(data / "orders"),
        "FIELD_KEYS_DIR": str(data / "keys"),
        "ORDERS_TASK_HUB": "E2ERead",
        "ORDERS_STORE": "embedded",
        "MIN_VERSION_WAIT": "0.5s",
        "QUERY_CACHE_TTL": "300s",
    }
    local = ROOT / "local.settings.json"
    if local.exists():
        values = json.loads(local.read_text()).get("Values", {})
        clashes = sorted(k for k in overrides if k in values)
        if clashes:
            pytest.fail(f"local.settings.json sets {clashes}; devhost would let them override "
                        "the test settings. Remove them and rerun.")
    return {**example, **overrides}


@pytest.fixture(scope="session")
def read_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return host_env(tmp_path_factory.mktemp("read-data"))


@pytest.fixture(scope="session")
def devhost(read_env: dict[str, str],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevhostClient]:
    host = DevhostProcess(ROOT, tmp_path_factory.mktemp("read-devhost"), env=read_env).start()
    try:
        yield DevhostClient(host)
    finally:
        host.stop()


@pytest.fixture(scope="session")
def api(devhost: DevhostClient, read_env: dict[str, str]) -> ReadApi:
    return ReadApi(devhost, Path(read_env["ORDERS_DATA_DIR"]))


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]
