"""Two workers starting at once both create the stores they need; both must come up.

Each adapter creates its database, containers or table on first use. The SDKs' "if not
exists" calls read and then create, so two creators can both see "not found" and one of them
gets 409 Conflict from its create: that conflict means the store exists, and counts as success.
Every round below starts its creators at one barrier on a store nobody has created yet.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from emulators import COSMOS_KEY

from readmodels.views import ORDER_DETAILS

T = TypeVar("T")
CREATORS = 2
ROUNDS = 5  # fresh stores each round: one round may not hit the window, five do in practice


def at_once(create: Callable[[], T], creators: int = CREATORS) -> list[T]:
    """Run ``create`` in ``creators`` threads released together; re-raises the first error."""
    barrier = threading.Barrier(creators)

    def worker() -> T:
        barrier.wait(timeout=10)
        return create()

    with ThreadPoolExecutor(creators) as pool:
        futures = [pool.submit(worker) for _ in range(creators)]
        return [future.result(timeout=60) for future in futures]


@pytest.fixture
def database_name(cosmos_endpoint: str) -> Any:
    from readmodels.cosmos_client import _client

    names: list[str] = []
    yield lambda: names.append("t" + uuid.uuid4().hex[:12]) or names[-1]
    client = _client(cosmos_endpoint, COSMOS_KEY, False)
    for name in names:
        client.delete_database(name)


def test_two_creators_of_one_database_both_get_it(cosmos_endpoint: str,
                                                   database_name: Any) -> None:
    from readmodels.cosmos_client import connect

    for _ in range(ROUNDS):
        name = database_name()
        databases = at_once(lambda n=name: connect(cosmos_endpoint, COSMOS_KEY, n,
                                                   verify_tls=False))
        assert {database.id for database in databases} == {name}


def test_two_view_stores_starting_at_once_both_serve(cosmos_endpoint: str,
                                                     database_name: Any) -> None:
    from readmodels.cosmos_client import connect
    from readmodels.cosmos_views import CosmosViewStore

    for _ in range(ROUNDS):
        database = connect(cosmos_endpoint, COSMOS_KEY, database_name(), verify_tls=False)
        stores = at_once(lambda db=database: CosmosViewStore(db, catalog_ttl=0.0))
        order_id = "o-" + uuid.uuid4().hex[:8]
        doc = {"id": order_id, "orderId": order_id, "customerId": "c-1", "version": 1,
               "status": "placed", "sortKey": "2024-05-01T10:00:00Z|" + order_id}
        stores[0].create(ORDER_DETAILS, doc)
        read = stores[1].read(ORDER_DETAILS, order_id, order_id)
        assert read is not None and read.doc["status"] == "placed"


def test_two_event_archives_starting_at_once_both_append(cosmos_endpoint: str,
                                                         database_name: Any) -> None:
    from readmodels.cosmos_archive import CosmosEventArchive
    from readmodels.cosmos_client import connect

    for _ in range(ROUNDS):
        database = connect(cosmos_endpoint, COSMOS_KEY, database_name(), verify_tls=False)
        archives = at_once(lambda db=database: CosmosEventArchive(db))
        for number, archive in enumerate(archives, start=1):
            event = {"id": f"o-1:{number}", "subject": "orders/o-1",
                     "eventType": "Orders.OrderPlaced", "data": {}}
            assert archive.append([event]) == 1
        assert archives[0].count() == CREATORS


def test_two_query_caches_starting_at_once_both_serve(azurite_connection: str) -> None:
    from readmodels.table_cache import TableQueryCache

    for _ in range(ROUNDS):
        table = "QueryCache" + uuid.uuid4().hex[:10]
        caches = at_once(lambda t=table: TableQueryCache.from_connection_string(
            azurite_connection, 60.0, table_name=t))
        assert caches[0].store("orders/o-1", "q", {"ok": True}, "g1")
        assert caches[1].lookup("orders/o-1", "q") is not None
