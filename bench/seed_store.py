"""Fill the embedded stores of a data folder with many orders, straight through the projector.

The query bench needs 100,000 stored orders; placing them through the host would take most of an
hour on two cores. Here the very events the write side publishes (sealed addresses and contact
included, under the host's own local keys) are appended to the event archive and folded by the
real ``Projector`` into the views, as the host's Event Grid trigger would, so the host started on
this folder afterwards serves them like orders it took itself.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.customer_events import CustomerRegistered  # noqa: E402
from contracts.events import Event, to_event_grid  # noqa: E402
from contracts.inventory_events import ProductPriced, StockAdjusted  # noqa: E402
from contracts.order_events import (  # noqa: E402
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
)
from contracts.payload import EventPayload  # noqa: E402
from contracts.values import OrderLine, ShippingAddress  # noqa: E402
from contracts.wire import format_timestamp  # noqa: E402
from projections.projector import Projector, name_opener  # noqa: E402
from readmodels.sqlite_archive import SqliteEventArchive  # noqa: E402
from readmodels.sqlite_views import SqliteViewStore  # noqa: E402
from security.crypto import FieldCipher, field_aad  # noqa: E402
from security.keys import LocalKeyProvider, customer_key_name  # noqa: E402

SKUS = [f"SEED-{n:02d}" for n in range(50)]
RARE_SKU = "SEED-RARE"  # in one order of every 10,000
START = datetime(2026, 1, 1, tzinfo=UTC)


class Seeder:
    def __init__(self, orders_dir: Path, keys_dir: Path) -> None:
        orders_dir.mkdir(parents=True, exist_ok=True)
        self.archive = SqliteEventArchive(orders_dir / "event-archive.db")
        self.views = SqliteViewStore(orders_dir / "views.db")
        self.projector = Projector(self.views, None, open_name=name_opener(
            LocalKeyProvider(keys_dir)))
        self.cipher = FieldCipher(LocalKeyProvider(keys_dir))

    def emit(self, payload: EventPayload, aggregate: str, version: int, at: datetime,
             actor: str) -> None:
        message = to_event_grid(Event.create(payload, aggregate_id=aggregate, version=version,
                                             occurred_at=format_timestamp(at), actor=actor))
        self.archive.append([message])
        self.projector.handle(message)

    def product(self, sku: str, at: datetime) -> None:
        self.emit(ProductPriced(f"Seed product {sku}", 500, "EUR"), sku, 1, at, "fred")
        self.emit(StockAdjusted(1_000_000, 1_000_000), sku, 2, at, "fred")

    def customer(self, customer_id: str, at: datetime) -> None:
        key = customer_key_name(customer_id)
        name, email = (self.cipher.encrypt(value, field_aad("customer", customer_id, field),
                                           key_name=key)
                       for field, value in (("name", f"Seed {customer_id}"),
                                            ("email", f"{customer_id}@example.com")))
        self.emit(CustomerRegistered(name, email, None, 10**12, "EUR"), customer_id, 1, at,
                  customer_id)

    def address(self, order_id: str, customer_id: str) -> ShippingAddress:
        key = customer_key_name(customer_id)
        sealed = {name: self.cipher.encrypt(value, field_aad(
            "order", order_id, f"shippingAddress.{name}"), key_name=key) for name, value in (
            ("name", "Seed Example"), ("street", "Seedweg 1"), ("city", "Berlin"),
            ("postalCode", "10115"))}
        return ShippingAddress(sealed["name"], sealed["street"], sealed["city"],
                               sealed["postalCode"], "DE")

    def order(self, index: int, customer_id: str, rng: random.Random) -> None:
        order_id = f"seed-{index:06d}"
        at = START + timedelta(seconds=index * 60 + rng.randrange(30))
        sku = RARE_SKU if index % 10_000 == 7 else rng.choice(SKUS)
        quantity = rng.randrange(1, 4)
        self.emit(OrderPlaced(customer_id, "EUR", (OrderLine(sku, quantity, 500),),
                              quantity * 500, self.address(order_id, customer_id)),
                  order_id, 1, at, customer_id)
        fate = rng.random()
        if fate < 0.1:
            self.emit(OrderCancelled("seeded"), order_id, 2, at + timedelta(hours=1),
                      customer_id)
        elif fate < 0.6:
            self.emit(OrderShipped("DHL", f"TRK{index:08d}"), order_id, 2,
                      at + timedelta(days=1), "fred")
            if fate < 0.4:
                self.emit(OrderDelivered(), order_id, 3, at + timedelta(days=3), "fred")


def seed(orders_dir: Path, keys_dir: Path, orders: int, customers: int,
         progress: bool = True) -> dict[str, Any]:
    rng = random.Random(20261206)
    seeder = Seeder(orders_dir, keys_dir)
    started = time.monotonic()
    for sku in (*SKUS, RARE_SKU):
        seeder.product(sku, START - timedelta(days=2))
    for n in range(customers):
        seeder.customer(f"seed-c{n:05d}", START - timedelta(days=1))
    for index in range(orders):
        seeder.order(index, f"seed-c{index % customers:05d}", rng)
        if progress and index and index % 10_000 == 0:
            print(f"seeded {index} orders in {time.monotonic() - started:.0f} s", flush=True)
    seeder.views.close()
    seeder.archive.close()
    return {"orders": orders, "customers": customers,
            "seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    print(seed(Path(sys.argv[1]) / "orders", Path(sys.argv[1]) / "keys", count,
               max(1, count // 100)))
