"""The pytest plugin gives each app folder its own host and shares it between tests."""

from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient

BENCH_APP = Path(__file__).parent.parent.parent / "bench" / "app"
first_url: dict[str, str] = {}


@pytest.mark.parametrize("turn", [1, 2])
def test_tests_of_one_app_share_its_host(devhost: DevhostClient, turn: int) -> None:
    assert devhost.url == first_url.setdefault("sample", devhost.url)
    assert devhost.http("GET", "admin/host/status").json()["state"] == "Running"


class TestAnotherApp:
    @pytest.fixture
    def devhost_app_dir(self) -> Path:
        return BENCH_APP

    def test_another_app_folder_gets_its_own_host(
            self, devhost: DevhostClient, _devhost_hosts: dict[Any, DevhostClient]) -> None:
        functions = devhost.http("GET", "admin/host/status").json()["functions"]
        assert "hello_sequence5" in functions and "say_hello" not in functions
        urls = {client.url for client in _devhost_hosts.values()}
        assert devhost.url in urls
