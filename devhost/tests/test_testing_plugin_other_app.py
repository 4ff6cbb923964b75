"""A test module that overrides `devhost_app_dir` gets a host of its own for that app."""

from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient

CHAINING = Path(__file__).parent / "apps" / "chaining"


@pytest.fixture(scope="module")
def devhost_app_dir() -> Path:
    return CHAINING


def test_another_app_folder_gets_its_own_host(
        devhost: DevhostClient, _devhost_hosts: dict[Any, DevhostClient]) -> None:
    # The function list is for the master key only, as every /admin route in Azure.
    status = devhost.http("GET", "admin/host/status",
                          headers={"x-functions-key": devhost.keys.master_key}).json()
    functions = status["functions"]
    assert "my_orchestrator" in functions and "hello_sequence" not in functions
    assert devhost.url in {client.url for client in _devhost_hosts.values()}
