"""Fixtures any test folder may ask for: the npm emulators, and the store kind the app runs on.

The emulators (Azurite's table service, cosmosdb-server) start on loopback the first time a
test asks for them, once per session, and stop at its end. ``store_kind`` parametrizes every
test that depends on it, so the end-to-end suites run once on the embedded stores and once on
``ORDERS_STORE=azure`` against the emulators (a missing emulator fails CI, as in the contract
tests). This conftest's folder is on ``sys.path`` (pytest's rootdir-less conftest import), so
``emulators`` and ``store_kinds`` import as top-level modules from every test folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from emulators import require_tools, start_azurite, start_cosmos
from store_kinds import STORE_KINDS, azure_env


@pytest.fixture(scope="session")
def azurite_connection() -> Iterator[str]:
    require_tools()
    emulator, connection = start_azurite()
    try:
        yield connection
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def cosmos_endpoint() -> Iterator[str]:
    require_tools()
    emulator = start_cosmos()
    try:
        yield emulator.url
    finally:
        emulator.stop()


@pytest.fixture(scope="session", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def store_env_for(store_kind: str,
                  request: pytest.FixtureRequest) -> Callable[[str], dict[str, str]]:
    """``store_env_for("e2e")``: the app settings that put its stores on ``store_kind``; on
    Azure each call gets a Cosmos database of its own, so hosts never see each other's views."""
    if store_kind == "embedded":
        return lambda name: {"ORDERS_STORE": "embedded"}
    connection = request.getfixturevalue("azurite_connection")
    endpoint = request.getfixturevalue("cosmos_endpoint")
    return lambda name: azure_env(connection, endpoint, f"{name}-{uuid.uuid4().hex[:8]}")


def pytest_configure(config: pytest.Config) -> None:
    # cosmosdb-server's certificate is self-signed; the adapters are told not to verify it.
    config.addinivalue_line("filterwarnings",
                            "ignore::urllib3.exceptions.InsecureRequestWarning")
