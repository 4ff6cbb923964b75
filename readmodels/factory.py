"""Pick the adapters the settings name; no fallback from one store to another.

The Azure SDKs are imported only when ``ORDERS_STORE=azure`` builds an adapter, so the
embedded store runs without them.
"""

from __future__ import annotations

from functools import lru_cache

from app_settings import AppSettings, get_settings
from readmodels.event_archive import EventArchive
from readmodels.query_cache import QueryCache
from readmodels.sqlite_archive import SqliteEventArchive
from readmodels.views import ViewStore


def build_event_archive(settings: AppSettings) -> EventArchive:
    if settings.orders_store == "embedded":
        return SqliteEventArchive(settings.orders_data_dir / "event-archive.db")
    from readmodels.cosmos_archive import CosmosEventArchive
    from readmodels.cosmos_client import cosmos_database

    return CosmosEventArchive(cosmos_database(settings))


def build_view_store(settings: AppSettings) -> ViewStore:
    if settings.orders_store == "embedded":
        from readmodels.sqlite_views import SqliteViewStore

        return SqliteViewStore(settings.orders_data_dir / "views.db")
    from readmodels.cosmos_client import cosmos_database
    from readmodels.cosmos_views import CosmosViewStore

    return CosmosViewStore(cosmos_database(settings))


def build_query_cache(settings: AppSettings) -> QueryCache:
    ttl = settings.query_cache_ttl.total_seconds()
    if settings.orders_store == "embedded":
        from readmodels.sqlite_cache import SqliteQueryCache

        return SqliteQueryCache(settings.orders_data_dir / "query-cache.db", ttl)
    from readmodels.table_cache import TableQueryCache

    if settings.tables_connection_string:
        return TableQueryCache.from_connection_string(settings.tables_connection_string, ttl)
    from readmodels.cosmos_client import managed_identity

    return TableQueryCache.from_endpoint(str(settings.tables_endpoint), managed_identity(), ttl)


@lru_cache(maxsize=1)
def event_archive() -> EventArchive:
    return build_event_archive(get_settings())


@lru_cache(maxsize=1)
def view_store() -> ViewStore:
    return build_view_store(get_settings())


@lru_cache(maxsize=1)
def query_cache() -> QueryCache:
    return build_query_cache(get_settings())
