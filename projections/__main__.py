"""``python -m projections rebuild [--view NAME]``: rebuild views from the event archive.

Reads the same app settings as the function app (``local.settings.json`` ``Values`` are loaded
when the variables are not already set), so it rebuilds the store the app uses.
"""

from __future__ import annotations

import argparse
import sys

from app_settings import load_local_settings
from readmodels.views import VIEWS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m projections")
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild_cmd = commands.add_parser("rebuild", help="rebuild views from the event archive")
    rebuild_cmd.add_argument("--view", choices=VIEWS, action="append",
                             help="a view to rebuild (repeatable; default: all)")
    args = parser.parse_args(argv)
    load_local_settings()

    from app_settings import SettingsError, get_settings
    from projections.rebuild import describe, rebuild
    from readmodels.factory import build_event_archive, build_query_cache, build_view_store

    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    delay = 0.0 if settings.orders_store == "embedded" else 3.0
    report = rebuild(build_view_store(settings), build_event_archive(settings),
                     build_query_cache(settings), args.view or VIEWS, switch_delay=delay)
    print(describe(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
