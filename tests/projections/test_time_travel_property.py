"""Time travel and the projection can never disagree: for every N, folding the archive's first
N events (``projections.history.order_as_of``) gives the ``order_details`` document the real
``Projector`` held at version N, whatever order and duplicates Event Grid delivered."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_projection_properties import at, order_story

from contracts.events import Event, to_event_grid
from projections.history import order_as_of
from projections.projector import Projector
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import ORDER_DETAILS

ORDER = "o-tt"


@st.composite
def archived_and_delivered(draw: st.DrawFn) -> tuple[list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
    story = draw(order_story(ORDER, ("c-ada",)))
    archived = [to_event_grid(Event.create(payload, aggregate_id=ORDER, version=version,
                                           occurred_at=at(version), actor="c-ada"))
                for version, (_, payload) in enumerate(story, start=1)]
    duplicates = draw(st.lists(st.sampled_from(archived), max_size=3))
    delivered = draw(st.permutations(archived + duplicates))
    return archived, delivered


def snapshots(delivered: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The order document the projection held at each version it passed through."""
    views = SqliteViewStore(":memory:")
    projector = Projector(views, None)
    seen: dict[int, dict[str, Any]] = {}
    for message in delivered:
        projector.handle(message)
        stored = views.read(ORDER_DETAILS, ORDER, ORDER)
        if stored is not None and stored.doc["version"] >= 1:
            doc = {key: value for key, value in stored.doc.items() if key != "pending"}
            seen.setdefault(int(doc["version"]), doc)
    views.close()
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archived_and_delivered())
def test_folding_n_events_is_the_view_at_version_n(
        scene: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    archived, delivered = scene
    in_order = snapshots(archived)
    assert sorted(in_order) == list(range(1, len(archived) + 1))  # in order: every version
    for version, doc in in_order.items():
        assert order_as_of(archived, version=version) == doc
        assert order_as_of(archived, at=at(version)) == doc
    for version, doc in snapshots(delivered).items():  # any delivery: the versions it showed
        assert order_as_of(archived, version=version) == doc
    assert order_as_of(archived, at="2024-04-30T00:00:00.000Z") is None
