"""Fan-out/fan-in, as samples-v2/fan_in_fan_out writes it (copies to a folder, not a blob)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient

APP = "fan_out_fan_in"


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("backups")


@pytest.fixture(scope="module")
def devhost_env(backups: Path) -> dict[str, str]:
    return {"BACKUP_DIRECTORY": str(backups)}


def test_every_file_is_copied_in_parallel_and_the_sizes_summed(
        devhost: DevhostClient, follow: Callable[..., dict[str, Any]], tmp_path: Path,
        backups: Path) -> None:
    site = tmp_path / "site"
    sizes = {}
    for i in range(12):
        page = site / f"section{i % 3}" / f"page{i}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("x" * (100 + i))
        sizes[f"section{i % 3}_page{i}.html"] = 100 + i

    status = follow(devhost.http("POST", "api/orchestrators/E2_BackupSiteContent",
                                 json=str(site)))
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == sum(sizes.values())
    assert {p.name: p.stat().st_size for p in backups.iterdir()} == sizes
    # All copies were scheduled in one episode, before the first of them completed.
    history = devhost.status(status["instanceId"], history=True)["historyEvents"]
    copies = [e for e in history if e.get("FunctionName") == "E2_CopyFileToBackup"]
    assert len(copies) == 12
    assert len({e["ScheduledTime"] for e in copies}) == 1
    assert max(e["ScheduledTime"] for e in copies) <= min(e["Timestamp"] for e in copies)


def test_no_directory_fails_the_orchestration_with_the_authors_message(
        devhost: DevhostClient, follow: Callable[..., dict[str, Any]]) -> None:
    status = follow(devhost.http("POST", "api/orchestrators/E2_BackupSiteContent", json=""))
    assert status["runtimeStatus"] == "Failed"
    assert "A directory path is required as input" in str(status["output"])
