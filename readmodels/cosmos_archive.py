"""The Azure ``EventArchive``: container ``order_events``, partitioned by ``/orderId``.

Order events are partitioned by their order id; events of other streams by their subject
(``customers/c-1``), so ids of different streams never share a partition by accident. Cosmos DB
ids may not hold ``/``, so the document id is the event id with ``/`` escaped. Cosmos DB has no
auto-increment, so each new event takes the next ``position`` from a counter document updated
with an ETag condition; a position taken by an append that then found the event already stored
is simply skipped (readers never rely on positions being dense).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import exceptions as cosmos_errors

from readmodels.cosmos_client import ensure_container

CONTAINER = "order_events"
COUNTER_ID = "position-counter"
COUNTER_PARTITION = "~meta"
MAX_ATTEMPTS = 50


def document_id(event_id: str) -> str:
    return event_id.replace("%", "%25").replace("/", "%2F")


def partition_of(event: dict[str, Any]) -> str:
    subject = str(event["subject"])
    stream, _, aggregate_id = subject.partition("/")
    return aggregate_id if stream == "orders" else subject


class CosmosEventArchive:
    def __init__(self, database: Any) -> None:
        self._container = ensure_container(database, CONTAINER, "/orderId")

    def __repr__(self) -> str:
        return f"CosmosEventArchive({self._container.id!r})"

    def append(self, events: Iterable[dict[str, Any]]) -> int:
        added = 0
        for event in events:
            doc_id, partition = document_id(str(event["id"])), partition_of(event)
            if self._exists(doc_id, partition):
                continue
            body = {"id": doc_id, "orderId": partition, "position": self._next_position(),
                    "event": event}
            try:
                self._container.create_item(body=body)
                added += 1
            except cosmos_errors.CosmosResourceExistsError:
                pass  # a concurrent retry of the same activity stored it first
        return added

    def _exists(self, doc_id: str, partition: str) -> bool:
        return self._read(doc_id, partition) is not None

    def _read(self, doc_id: str, partition: str) -> dict[str, Any] | None:
        try:
            return dict(self._container.read_item(item=doc_id, partition_key=partition))
        except cosmos_errors.CosmosResourceNotFoundError:
            return None

    def _next_position(self) -> int:
        for _ in range(MAX_ATTEMPTS):
            counter = self._read(COUNTER_ID, COUNTER_PARTITION)
            try:
                if counter is None:
                    self._container.create_item(
                        body={"id": COUNTER_ID, "orderId": COUNTER_PARTITION, "value": 1})
                    return 1
                value = int(counter["value"]) + 1
                self._container.replace_item(
                    item=COUNTER_ID, body={"id": COUNTER_ID, "orderId": COUNTER_PARTITION,
                                           "value": value},
                    etag=counter["_etag"], match_condition=MatchConditions.IfNotModified)
                return value
            except (cosmos_errors.CosmosResourceExistsError,
                    cosmos_errors.CosmosAccessConditionFailedError):
                continue
        raise RuntimeError("the event archive's position counter kept changing")

    def read_all(self, after: int = 0, limit: int = 1000) -> Iterator[tuple[int, dict[str, Any]]]:
        items = self._container.query_items(
            query="SELECT * FROM c WHERE c.position > @after ORDER BY c.position",
            parameters=[{"name": "@after", "value": after}],
            enable_cross_partition_query=True, max_item_count=limit)
        for count, item in enumerate(items):
            if count >= limit:
                return
            yield int(item["position"]), dict(item["event"])

    def stream(self, subject: str, *, after_version: int = 0,
               limit: int = 1000) -> list[dict[str, Any]]:
        # One partition; sorted here because a stream is short (an order's handful of events)
        # and ORDER BY on a nested path needs a composite index the emulator does not keep.
        partition = partition_of({"subject": subject})
        items = self._container.query_items(
            query="SELECT VALUE c.event FROM c WHERE c.orderId = @p AND c.event.subject = @s "
                  "AND c.event.data.version > @after",
            parameters=[{"name": "@p", "value": partition}, {"name": "@s", "value": subject},
                        {"name": "@after", "value": after_version}],
            partition_key=partition)
        events = sorted((dict(item) for item in items), key=lambda e: int(e["data"]["version"]))
        return events[:limit]

    def count(self) -> int:
        items = self._container.query_items(
            query="SELECT VALUE COUNT(1) FROM c WHERE IS_DEFINED(c.position)",
            enable_cross_partition_query=True)
        return int(sum(int(value) for value in items))
