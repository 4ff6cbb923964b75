"""Pick the adapters the settings name; no fallback from one store to another."""

from __future__ import annotations

from functools import lru_cache

from app_settings import AppSettings, SettingsError, get_settings
from readmodels.event_archive import EventArchive
from readmodels.sqlite_archive import SqliteEventArchive


def build_event_archive(settings: AppSettings) -> EventArchive:
    if settings.orders_store == "embedded":
        return SqliteEventArchive(settings.orders_data_dir / "event-archive.db")
    raise SettingsError(
        "ORDERS_STORE=azure needs the Cosmos DB event archive, which is not built yet; "
        "use ORDERS_STORE=embedded"
    )


@lru_cache(maxsize=1)
def event_archive() -> EventArchive:
    return build_event_archive(get_settings())
