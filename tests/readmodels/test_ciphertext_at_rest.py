"""Sensitive fields stay ciphertext in every store: the projections write envelopes into the
views, the queries cache envelopes, and no adapter ever holds the plaintext."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from contracts.customer_events import CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import OrderPlaced
from contracts.values import OrderLine, ShippingAddress
from projections.projector import Projector
from readmodels.cache_scopes import order_scope
from readmodels.query_cache import QueryCache
from readmodels.views import VIEWS, ViewStore
from security.crypto import FieldCipher, field_aad
from security.keys import LocalKeyProvider, customer_key_name

SECRETS = {"email": "mia@secret.example", "phone": "+49 555 0100", "name": "Mia Geheim",
           "street": "Verborgene Gasse 7", "city": "Heimlichstadt", "postalCode": "99999"}


def sealed_events(cipher: FieldCipher, customer: str, order: str) -> list[dict[str, Any]]:
    key = customer_key_name(customer)

    def seal(value: str, record: str, record_id: str, field: str) -> str:
        return cipher.encrypt(value, field_aad(record, record_id, field), key_name=key)

    address = ShippingAddress(*(seal(SECRETS[f], "order", order, f"shippingAddress.{f}")
                                for f in ("name", "street", "city", "postalCode")), "DE")
    registered = CustomerRegistered("Mia", seal(SECRETS["email"], "customer", customer, "email"),
                                    seal(SECRETS["phone"], "customer", customer, "phone"),
                                    1000, "EUR")
    placed = OrderPlaced(customer, "EUR", (OrderLine("A", 1, 100),), 100, address)
    return [to_event_grid(Event.create(registered, aggregate_id=customer, version=1,
                                       occurred_at="2024-05-01T10:00:00Z", actor=customer)),
            to_event_grid(Event.create(placed, aggregate_id=order, version=1,
                                       occurred_at="2024-05-01T10:01:00Z", actor=customer))]


def test_views_and_cache_hold_only_envelopes(views: ViewStore, cache: QueryCache,
                                             tmp_path: Path) -> None:
    customer, order = f"mia-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    cipher = FieldCipher(LocalKeyProvider(tmp_path / "keys"))
    projector = Projector(views, cache)
    for event in sealed_events(cipher, customer, order):
        projector.handle(event)
    stored = views.read("order_details", order, order)
    assert stored is not None
    lookup = cache.lookup(order_scope(order), "order")
    cache.store(order_scope(order), "order", stored.doc, lookup.generation)
    assert cache.lookup(order_scope(order), "order").value == stored.doc

    at_rest = json.dumps([list(views.scan(view)) for view in VIEWS])
    at_rest += json.dumps(cache.lookup(order_scope(order), "order").value)
    assert at_rest.count("enc:v1:") >= 6
    for field, secret in SECRETS.items():
        assert secret not in at_rest, f"plaintext {field} in a store"
    profile = views.read("customer_summary", customer, customer)
    assert profile is not None  # order documents do not copy the profile: queries join it
    email = profile.doc["profile"]["email"]
    assert cipher.decrypt(email, field_aad("customer", customer, "email")) == SECRETS["email"]
