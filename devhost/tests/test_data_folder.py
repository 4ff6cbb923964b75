"""One run, one folder: the app is told where the host keeps this run's data."""

from pathlib import Path

from devhost.testing import DevhostClient, DevhostProcess

SAMPLE = Path(__file__).parent / "apps" / "sample"


def test_each_run_tells_the_app_its_own_data_folder(tmp_path: Path) -> None:
    """Two hosts of one app with different --data: each app sees its own DEVHOST_DATA_DIR, so
    files the app keeps there (views, keys) are not shared between the runs."""
    first = DevhostProcess(SAMPLE, tmp_path / "one").start()
    second = DevhostProcess(SAMPLE, tmp_path / "two",
                            env={"DEVHOST_DATA_DIR": str(tmp_path / "stale")}).start()
    try:
        for host in (first, second):
            seen = DevhostClient(host).http("GET", "api/setting/DEVHOST_DATA_DIR")
            assert seen.status_code == 200
            assert seen.text == str(host.data_dir)  # the host's word wins over the environment
    finally:
        first.stop()
        second.stop()
