"""Key rotation as a library: every key gets one new version, every view envelope of an older
version is rewritten under it with the same associated data, a run killed at any point finishes
when started again without rotating a key twice, and a finished pass is idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.customer_events import CustomerRegistered
from contracts.events import Event, to_event_grid
from contracts.order_events import OrderPlaced
from contracts.values import OrderLine, ShippingAddress
from projections.projector import Projector
from readmodels.reencrypt import SEALED_VIEWS, reencrypt_view
from readmodels.sqlite_views import SqliteViewStore
from readmodels.views import CUSTOMER_SUMMARY, ORDER_DETAILS
from security.crypto import DecryptionFailed, Envelope, FieldCipher, field_aad, is_envelope
from security.keys import LocalKeyProvider, customer_key_name
from security.rotation import (
    Checkpoint,
    CheckpointFile,
    ResealCount,
    Resealer,
    RotationInProgress,
    rotate_keys,
    start_or_resume,
)

AT = "2026-12-01T10:00:00.000Z"
CUSTOMERS = [f"c{i}" for i in range(6)]


class Killed(BaseException):
    """Stands for SIGKILL: nothing after the raise runs, not even ``except Exception``."""


def killer(after: int) -> Any:
    def progress(done: int, total: int) -> None:
        if done >= after:
            raise Killed
    return progress


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[LocalKeyProvider, SqliteViewStore,
                                            dict[str, str]]]:
    """Six customers with an order each, folded into the views; ``plain`` maps every sealed
    field's AAD to its plaintext."""
    keys = LocalKeyProvider(tmp_path / "keys")
    cipher = FieldCipher(keys)
    views = SqliteViewStore(tmp_path / "views.db")
    projector = Projector(views, None)
    plain: dict[str, str] = {}

    def seal(text: str, aad: str, customer: str) -> str:
        plain[aad] = text
        return cipher.encrypt(text, aad, key_name=customer_key_name(customer))

    for customer in CUSTOMERS:
        email = seal(f"{customer}@example.com", field_aad("customer", customer, "email"),
                     customer)
        phone = seal(f"+49 {customer}", field_aad("customer", customer, "phone"), customer)
        registered = CustomerRegistered(customer.upper(), email, phone, 1000, "EUR")
        projector.handle(to_event_grid(Event.create(registered, aggregate_id=customer,
                                                    version=1, occurred_at=AT, actor=customer)))
        order_id = f"o-{customer}"
        address = {name: seal(f"{name} of {customer}",
                              field_aad("order", order_id, f"shippingAddress.{name}"), customer)
                   for name in ("name", "street", "city", "postalCode")}
        placed = OrderPlaced(customer, "EUR", (OrderLine("SKU-1", 1, 100),), 100,
                             ShippingAddress(address["name"], address["street"], address["city"],
                                             address["postalCode"], "DE"))
        projector.handle(to_event_grid(Event.create(placed, aggregate_id=order_id, version=1,
                                                    occurred_at=AT, actor=customer)))
    keys.current("fields")
    yield keys, views, plain
    views.close()


def envelopes(views: SqliteViewStore) -> list[tuple[str, str, str]]:
    """Every (view, document id, envelope) the sealed views hold."""
    found: list[tuple[str, str, str]] = []

    def walk(view: str, doc_id: str, value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(view, doc_id, item)
        elif isinstance(value, list):
            for item in value:
                walk(view, doc_id, item)
        elif is_envelope(value):
            found.append((view, doc_id, value))

    for view in SEALED_VIEWS:
        for doc in views.scan(view):
            walk(view, str(doc["id"]), doc)
    return found


def read_back(keys: LocalKeyProvider, views: SqliteViewStore) -> dict[str, str]:
    cipher, opened = FieldCipher(keys), {}
    for doc in views.scan(ORDER_DETAILS):
        for name, value in doc["shippingAddress"].items():
            if is_envelope(value):
                aad = field_aad("order", doc["orderId"], f"shippingAddress.{name}")
                opened[aad] = cipher.decrypt(value, aad)
    for doc in views.scan(CUSTOMER_SUMMARY):
        for name in ("email", "phone"):
            aad = field_aad("customer", doc["customerId"], name)
            opened[aad] = cipher.decrypt(doc["profile"][name], aad)
    return opened


def reencrypt_all(keys: LocalKeyProvider, views: SqliteViewStore, **options: Any
                  ) -> ResealCount:
    total = ResealCount()
    for view in SEALED_VIEWS:
        total.add(reencrypt_view(views, view, Resealer(keys), **options))
    return total


def test_a_rotation_rewrites_every_old_envelope_and_everything_reads_back(
        world: tuple[LocalKeyProvider, SqliteViewStore, dict[str, str]], tmp_path: Path
) -> None:
    keys, views, plain = world
    checkpoints = CheckpointFile(tmp_path / "rotation.json")
    checkpoint, resumed = start_or_resume(checkpoints)
    assert not resumed
    rotate_keys(keys, checkpoint, checkpoints.save)
    assert sorted(checkpoint.rotated) == keys.key_names()
    assert set(checkpoint.rotated.values()) == {"2"}
    count = reencrypt_all(keys, views)
    assert count.fields == len(plain) == 6 * 6
    assert count.rewritten_documents == 12 and count.unreadable == 0
    assert {Envelope.parse(e).key_version for _, _, e in envelopes(views)} == {"2"}
    assert read_back(keys, views) == plain
    assert reencrypt_all(keys, views).fields == 0  # idempotent: nothing old is left


def test_a_killed_run_resumes_without_rotating_a_key_twice(
        world: tuple[LocalKeyProvider, SqliteViewStore, dict[str, str]], tmp_path: Path
) -> None:
    keys, views, plain = world
    checkpoints = CheckpointFile(tmp_path / "rotation.json")
    first, _ = start_or_resume(checkpoints)
    with pytest.raises(Killed):
        rotate_keys(keys, first, checkpoints.save, progress=killer(3))
    again, resumed = start_or_resume(checkpoints)
    assert resumed and again.run_id == first.run_id and len(again.rotated) == 3
    rotate_keys(keys, again, checkpoints.save)
    assert {keys.current_version(name) for name in keys.key_names()} == {"2"}

    with pytest.raises(Killed):
        reencrypt_view(views, ORDER_DETAILS, Resealer(keys), progress=killer(2))
    versions = [Envelope.parse(e).key_version for _, _, e in envelopes(views)]
    assert 0 < versions.count("2") < len(versions)  # the kill left it half done
    resumed_count = reencrypt_all(keys, views)
    assert resumed_count.fields == len(plain) - versions.count("2")
    assert read_back(keys, views) == plain
    checkpoints.finish()
    assert start_or_resume(checkpoints)[1] is False


def test_erased_customers_are_left_alone_and_a_second_rotation_goes_on(
        world: tuple[LocalKeyProvider, SqliteViewStore, dict[str, str]], tmp_path: Path
) -> None:
    keys, views, plain = world
    keys.delete(customer_key_name("c0"))
    for _ in range(2):
        checkpoint = Checkpoint("run", AT)
        rotate_keys(keys, checkpoint, lambda _: None)
        count = reencrypt_all(keys, views)
        assert count.unreadable == 6  # c0's six fields: nobody can open them any more
    assert customer_key_name("c0") not in keys.key_names()
    kept = {aad: text for aad, text in plain.items() if "/c0/" not in aad and "o-c0/" not in aad}
    opened = {aad: text for aad, text in _readable(keys, views).items()}
    assert opened == kept
    assert {Envelope.parse(e).key_version for _, doc, e in envelopes(views)
            if doc not in ("c0", "o-c0")} == {"3"}


def _readable(keys: LocalKeyProvider, views: SqliteViewStore) -> dict[str, str]:
    cipher, opened = FieldCipher(keys), {}
    for view, doc_id, envelope in envelopes(views):
        if doc_id in ("c0", "o-c0"):
            continue
        for aad in _aads(view, doc_id):
            try:
                opened[aad] = cipher.decrypt(envelope, aad)
            except DecryptionFailed:  # the field belongs to another AAD of the document
                continue
    return opened


def _aads(view: str, doc_id: str) -> list[str]:
    if view == CUSTOMER_SUMMARY:
        return [field_aad("customer", doc_id, name) for name in ("email", "phone")]
    return [field_aad("order", doc_id, f"shippingAddress.{name}")
            for name in ("name", "street", "city", "postalCode")]


def test_two_rotations_cannot_run_at_once(tmp_path: Path) -> None:
    checkpoints = CheckpointFile(tmp_path / "rotation.json")
    with checkpoints.locked(), pytest.raises(RotationInProgress), \
            CheckpointFile(tmp_path / "rotation.json").locked():
        pass
