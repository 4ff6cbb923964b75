"""Rebuild views from the event archive into fresh generations, then switch over.

1. Replay every archived event through the same ``Projector`` the Event Grid trigger uses, into
   an in-memory SQLite store (one code path for live folds and rebuilds: identical views).
2. Copy the rebuilt views into a fresh generation of the real store, while the app keeps
   reading and folding into the active one.
3. Switch the active generations, all in one step, wait until every instance has seen the
   switch, then fold the events archived since step 1 (folds are idempotent, so overlap is
   harmless), invalidate the cache of every document written, and drop the old generations.

``customer_orders`` and ``customer_summary`` are rebuilt together or not at all: the summary's
totals are folded as deltas against the rows (``projections.fold``), so a summary and rows of
different replays would disagree for good. The single switch, and the projector reading the
active generations once per fold, keep every live fold on one side of the switch: a fold that
started before it writes only into the old generations, and its event is folded again from the
archive by the catch-up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from observability.progress import Progress
from projections.fold import NameOpener
from projections.projector import Projector
from readmodels.cache_scopes import customer_scope, order_scope
from readmodels.event_archive import EventArchive
from readmodels.query_cache import QueryCache
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import CUSTOMER_ORDERS, CUSTOMER_SUMMARY, VIEWS, ViewStore

PAGE = 1000
LEDGER = (CUSTOMER_ORDERS, CUSTOMER_SUMMARY)  # rebuilt together (see above)


@dataclass
class RebuildReport:
    events: int = 0
    caught_up: int = 0
    documents: dict[str, int] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)


def replay_archive(archive: EventArchive, out: TextIO, open_name: NameOpener | None = None
                   ) -> tuple[SqliteViewStore, int, int]:
    """``open_name`` opens sealed customer names (default: with the app's keys)."""
    memory = SqliteViewStore(":memory:")
    projector = Projector(memory, None, open_name=open_name)
    total = archive.count()
    progress = Progress("replaying events", total, out)
    done, position = 0, 0
    while True:
        page = list(archive.read_all(after=position, limit=PAGE))
        if not page:
            break
        for _, event in page:
            projector.handle(event)
        done += len(page)
        position = page[-1][0]
        progress.update(done)
    progress.close()
    return memory, done, position


def _copy(memory: SqliteViewStore, views: ViewStore, view: str, generation: int,
          out: TextIO) -> list[dict[str, Any]]:
    docs = list(memory.scan(view))
    progress = Progress(f"writing {view}", len(docs), out)
    for index, doc in enumerate(docs, 1):
        views.create(view, doc, generation=generation)
        progress.update(index)
    progress.close()
    return docs


def _scopes(docs: Iterable[dict[str, Any]]) -> set[str]:
    scopes: set[str] = set()
    for doc in docs:
        if doc.get("customerId"):
            scopes.add(customer_scope(str(doc["customerId"])))
        if "orderId" in doc:
            scopes.add(order_scope(str(doc["orderId"])))
    return scopes


def rebuild(views: ViewStore, archive: EventArchive, cache: QueryCache | None,
            targets: Iterable[str] = VIEWS, *, switch_delay: float = 0.0,
            out: TextIO = sys.stderr) -> RebuildReport:
    """Rebuild ``targets``; ``switch_delay`` is how long readers may cache the old pointer."""
    wanted = set(targets)
    if wanted & set(LEDGER):
        wanted |= set(LEDGER)
    targets = [view for view in VIEWS if view in wanted]
    report = RebuildReport()
    memory, report.events, position = replay_archive(archive, out)
    active = views.generations()
    written: list[dict[str, Any]] = []
    for view in targets:
        generation = active[view] + 1
        views.prepare(view, generation)
        docs = _copy(memory, views, view, generation, out)
        report.documents[view], report.generations[view] = len(docs), generation
        written += docs
    views.switch(report.generations)
    time.sleep(switch_delay)  # let every instance's cached generation pointer expire
    live = Projector(views, cache)
    for _, event in archive.read_all(after=position, limit=10**9):
        live.handle(event)
        report.caught_up += 1
    if cache is not None:
        cache.invalidate(sorted(_scopes(written)))
    for view in targets:
        views.drop(view, active[view])
    return report


def describe(report: RebuildReport) -> str:
    lines = [f"replayed {report.events} events; {report.caught_up} more arrived meanwhile"]
    for view, count in report.documents.items():
        lines.append(f"rebuilt {view}: {count} documents (generation "
                     f"{report.generations[view]})")
    return "\n".join(lines)
