"""The ``EventArchive`` contract, run against the embedded and the Cosmos DB adapter alike."""

from __future__ import annotations

import uuid
from typing import Any

from readmodels.event_archive import EventArchive


def event(subject: str, version: int) -> dict[str, Any]:
    stream, _, aggregate = subject.partition("/")
    event_id = f"{aggregate}:{version}" if stream == "orders" else f"{subject}:{version}"
    return {"id": event_id, "subject": subject, "eventType": "Orders.OrderShipped",
            "dataVersion": "1.0", "eventTime": "2024-05-01T00:00:00.000Z",
            "data": {"version": version, "payload": {"carrier": "DHL"}}}


def test_appends_are_idempotent_by_event_id(archive: EventArchive) -> None:
    order = f"orders/o-{uuid.uuid4().hex[:8]}"
    first = [event(order, 1), event(order, 2)]
    assert archive.append(first) == 2
    assert archive.append([event(order, 2), event(order, 3)]) == 1
    assert archive.count() == 3


def test_read_all_pages_in_archive_order(archive: EventArchive) -> None:
    order, customer = f"orders/o-{uuid.uuid4().hex[:8]}", f"customers/c-{uuid.uuid4().hex[:8]}"
    written = [event(order, 1), event(customer, 1), event(order, 2), event(customer, 2)]
    archive.append(written)
    seen, after = [], 0
    while True:
        page = list(archive.read_all(after=after, limit=3))
        if not page:
            break
        seen += [e for _, e in page]
        positions = [p for p, _ in page]
        assert positions == sorted(positions) and positions[0] > after
        after = positions[-1]
    assert [e["id"] for e in seen] == [e["id"] for e in written]
    assert seen[1] == written[1]  # stored whole, '/' in ids included
