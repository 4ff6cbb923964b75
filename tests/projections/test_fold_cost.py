"""No event costs more because its customer has more orders: the projector asks the store the
same number of point reads and writes, and never lists the customer's rows
(``bench/summary_cost.py`` measures it at 10,000 orders)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from test_projection_properties import address

from contracts.customer_events import CreditLimitChanged, CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import OrderCancelled, OrderPlaced, OrderShipped
from contracts.payload import EventPayload
from contracts.values import OrderLine
from projections.projector import Projector
from readmodels.sqlite_views import SqliteViewStore

CUSTOMER = "c-many"


class CountingViews:
    def __init__(self) -> None:
        self.inner = SqliteViewStore(":memory:")
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted


def message(payload: EventPayload, aggregate: str, version: int, minute: int) -> dict[str, Any]:
    at = f"2024-05-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z"
    return to_event_grid(Event.create(payload, aggregate_id=aggregate, version=version,
                                      occurred_at=at, actor="tester"))


def placed(order_id: str, minute: int, currency: str = "EUR") -> dict[str, Any]:
    return message(OrderPlaced(CUSTOMER, currency, (OrderLine("A", 1, 100),), 100, address(0)),
                   order_id, 1, minute)


def costs(existing: int) -> dict[str, Counter[str]]:
    views = CountingViews()
    projector = Projector(views, None)  # type: ignore[arg-type]
    for index in range(existing):
        projector.handle(placed(f"o-{index}", index, "USD" if index % 3 else "EUR"))
    minute = existing + 1
    steps = {
        "late registration": message(CustomerRegistered("Many", "enc:m", None, 10, "EUR"),
                                     CUSTOMER, 1, 0),
        "place": placed("o-new", minute),
        "ship": message(OrderShipped("DHL", "T"), "o-new", 2, minute + 1),
        "redelivery": message(OrderShipped("DHL", "T"), "o-new", 2, minute + 1),
        "early cancel": message(OrderCancelled("why"), "o-late", 2, minute + 2),
        "gap closed": placed("o-late", minute + 3),
        "currency change": message(CreditLimitChanged(50, "USD"), CUSTOMER, 2, minute + 4),
    }
    spent = {}
    for name, event in steps.items():
        views.calls.clear()
        projector.handle(event)
        spent[name] = Counter(views.calls)
    return spent


@pytest.fixture(scope="module")
def few() -> dict[str, Counter[str]]:
    return costs(1)


@pytest.fixture(scope="module")
def many() -> dict[str, Counter[str]]:
    return costs(300)


def test_each_event_costs_the_same_whatever_the_number_of_orders(
        few: dict[str, Counter[str]], many: dict[str, Counter[str]]) -> None:
    assert many == few
    for spent in many.values():
        assert spent["generations"] == 1  # read once per fold (usually cached)
        assert set(spent) <= {"generations", "read", "create", "replace"}  # no listing


def test_an_order_event_is_a_handful_of_point_reads_and_writes(
        many: dict[str, Counter[str]]) -> None:
    for name in ("place", "ship", "gap closed"):
        assert many[name]["read"] <= 6 and many[name]["create"] + many[name]["replace"] <= 4
    assert many["redelivery"]["create"] + many["redelivery"]["replace"] == 0
    assert many["early cancel"]["read"] == many["early cancel"]["create"] == 1
    for name in ("late registration", "currency change"):
        assert many[name] == Counter({"generations": 1, "read": 1, "replace": 1})
