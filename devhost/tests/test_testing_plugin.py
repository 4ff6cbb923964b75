"""The pytest plugin shares one host between the tests that serve the same app."""

import pytest

from devhost.testing import DevhostClient

first_url: dict[str, str] = {}


@pytest.mark.parametrize("turn", [1, 2])
def test_tests_of_one_app_share_its_host(devhost: DevhostClient, turn: int) -> None:
    assert devhost.url == first_url.setdefault("sample", devhost.url)
    assert devhost.http("GET", "admin/host/status").json()["state"] == "Running"
