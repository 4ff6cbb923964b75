"""One run, one folder: the app's local files default to the folder devhost runs on."""

from pathlib import Path

from app_settings import APP_ROOT, load_settings


def test_two_devhost_runs_keep_their_views_and_keys_apart() -> None:
    one = load_settings({"ORDERS_STORE": "embedded", "DEVHOST_DATA_DIR": "/runs/one"})
    two = load_settings({"ORDERS_STORE": "embedded", "DEVHOST_DATA_DIR": "/runs/two"})
    assert (one.orders_data_dir, one.field_keys_dir) == (Path("/runs/one/orders"),
                                                         Path("/runs/one/keys"))
    assert two.orders_data_dir != one.orders_data_dir and two.field_keys_dir != one.field_keys_dir


def test_set_folders_win_and_without_devhost_they_stay_in_the_app() -> None:
    chosen = load_settings({"ORDERS_STORE": "embedded", "DEVHOST_DATA_DIR": "/runs/one",
                            "ORDERS_DATA_DIR": "/elsewhere"})
    assert chosen.orders_data_dir == Path("/elsewhere")
    alone = load_settings({"ORDERS_STORE": "embedded"})
    assert alone.orders_data_dir == APP_ROOT / ".devhost" / "orders"
