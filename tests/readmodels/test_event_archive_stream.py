"""``EventArchive.stream``: one stream's events in version order, paged; both adapters."""

from __future__ import annotations

import uuid

from test_event_archive_contract import event

from readmodels.event_archive import EventArchive


def test_a_stream_reads_in_version_order_whatever_the_archive_order(
        archive: EventArchive) -> None:
    order, other = f"orders/o-{uuid.uuid4().hex[:8]}", f"orders/o-{uuid.uuid4().hex[:8]}"
    customer = f"customers/c-{uuid.uuid4().hex[:8]}"
    # A retried publish can archive a later version first; readers still see 1, 2, 3.
    archive.append([event(order, 2), event(other, 1), event(order, 1), event(customer, 1),
                    event(order, 3), event(order, 2)])
    assert [e["data"]["version"] for e in archive.stream(order)] == [1, 2, 3]
    assert [e["id"] for e in archive.stream(other)] == [other.split("/")[1] + ":1"]
    assert archive.stream(customer)[0]["subject"] == customer


def test_a_stream_pages_after_a_version(archive: EventArchive) -> None:
    order = f"orders/o-{uuid.uuid4().hex[:8]}"
    archive.append([event(order, version) for version in range(1, 6)])
    assert [e["data"]["version"] for e in archive.stream(order, after_version=1, limit=2)] \
        == [2, 3]
    assert archive.stream(order, after_version=5) == []
    assert archive.stream(f"orders/o-{uuid.uuid4().hex[:8]}") == []
