"""Stories of the Customer aggregate: registration, credit limit, reserve/release/settle."""

from __future__ import annotations

import pytest
from domain_builders import ADA, ALICE, BOB, FRED, SAM, SYSTEM, cmd, sealed, step, through_json

from entities import customer, errors
from entities.aggregate import Outcome
from entities.customer import CustomerState
from security.principal import Principal

DEFAULT_LIMIT = 50_000


def register(
    principal: Principal = ALICE, customer_id: str = "alice", **overrides: object
) -> Outcome[CustomerState]:
    fields: dict[str, object] = {
        "name": "Alice Example",
        "email": sealed("alice@example.com", "email", customer_id),
        "phone": sealed("+49 30 1234", "phone", customer_id),
        "default_credit_limit": DEFAULT_LIMIT,
        "default_currency": "EUR",
        **overrides,
    }
    return customer.register(
        CustomerState(),
        cmd(principal),
        customer_id=customer_id,
        **fields,  # type: ignore[arg-type]
    )


def alice() -> CustomerState:
    return register().state


def test_a_customer_registers_themself_with_the_default_limit() -> None:
    outcome = register()
    state = through_json(outcome.state)
    assert (state.customer_id, state.name, state.currency) == ("alice", "Alice Example", "EUR")
    assert state.credit_limit == DEFAULT_LIMIT and state.open_balance == 0
    assert state.version == 1
    [event] = outcome.result.events
    assert event.type == "Orders.CustomerRegistered" and event.subject == "customers/alice"
    assert event.event_id == "customers/alice:1"


@pytest.mark.parametrize("who", [SAM, ADA], ids=["support", "admin"])
def test_support_and_admin_register_anyone(who: Principal) -> None:
    assert register(who, "bob").state.customer_id == "bob"


@pytest.mark.parametrize("who", [BOB, FRED, SYSTEM], ids=["other-customer", "fulfilment", "system"])
def test_nobody_else_registers_a_customer(who: Principal) -> None:
    with pytest.raises(errors.Forbidden):
        register(who, "alice")


def test_a_customer_registers_once() -> None:
    with pytest.raises(errors.CustomerAlreadyExists):
        customer.register(
            alice(),
            cmd(ALICE),
            customer_id="alice",
            name="Alice",
            email=sealed("a@example.com"),
            phone=None,
            default_credit_limit=1,
            default_currency="EUR",
        )


def test_email_and_phone_must_arrive_encrypted() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        register(email="alice@example.com")
    assert caught.value.field == "email" and "alice@" not in caught.value.message
    with pytest.raises(errors.ValidationFailed):
        register(phone="+49 30 1234")
    assert register(phone=None).state.phone is None


def test_only_an_admin_sets_the_credit_limit() -> None:
    state = customer.set_credit_limit(alice(), cmd(ADA), amount=1000, currency="EUR").state
    assert state.credit_limit == 1000 and state.version == 2
    for who in (ALICE, SAM, FRED):
        with pytest.raises(errors.Forbidden):
            customer.set_credit_limit(alice(), cmd(who), amount=10**9, currency="EUR")
    with pytest.raises(errors.CustomerNotFound):
        customer.set_credit_limit(CustomerState(), cmd(ADA), amount=1, currency="EUR")
    with pytest.raises(errors.ValidationFailed):
        customer.set_credit_limit(alice(), cmd(ADA), amount=-1, currency="EUR")


def test_credit_is_reserved_until_the_limit_then_refused() -> None:
    state = customer.reserve_credit(
        alice(), step(ALICE), order_id="o-1", amount=30_000, currency="EUR"
    ).state
    assert state.open_balance == 30_000 and state.available_credit == 20_000
    state = customer.reserve_credit(
        state, step(ALICE), order_id="o-2", amount=20_000, currency="EUR"
    ).state
    assert state.available_credit == 0
    with pytest.raises(errors.CreditLimitExceeded):
        customer.reserve_credit(state, step(ALICE), order_id="o-3", amount=1, currency="EUR")
    through_json(state)


def test_a_repeated_step_holds_credit_once() -> None:
    ctx = step(command_id="cmd-1")
    first = customer.reserve_credit(alice(), ctx, order_id="o-1", amount=500, currency="EUR")
    again = customer.reserve_credit(first.state, ctx, order_id="o-1", amount=500, currency="EUR")
    assert again.result == first.result and again.state.open_balance == 500
    with pytest.raises(errors.IdempotencyKeyReused):
        customer.reserve_credit(first.state, ctx, order_id="o-1", amount=600, currency="EUR")


def test_a_cancelled_order_releases_its_credit_once() -> None:
    state = customer.reserve_credit(
        alice(), step(), order_id="o-1", amount=500, currency="EUR"
    ).state
    ctx = step(SYSTEM)
    released = customer.release_credit(state, ctx, order_id="o-1", amount=500)
    assert released.state.open_balance == 0
    assert released.result.events[0].type == "Orders.CreditReleased"
    assert customer.release_credit(released.state, ctx, order_id="o-1", amount=500).result == (
        released.result)
    with pytest.raises(errors.CreditNotReserved):
        customer.release_credit(released.state, step(SAM), order_id="o-1", amount=500)


def test_a_delivered_order_settles_its_credit() -> None:
    state = customer.reserve_credit(
        alice(), step(), order_id="o-1", amount=700, currency="EUR"
    ).state
    ctx = step(FRED)
    settled = customer.settle(state, ctx, order_id="o-1", amount=700).state
    assert settled.open_balance == 0 and settled.settled_total == 700
    assert customer.settle(settled, ctx, order_id="o-1", amount=700).state == settled
    with pytest.raises(errors.CreditNotReserved):
        customer.settle(settled, step(FRED), order_id="o-9", amount=1)


def test_a_state_stored_with_one_record_per_order_loads_as_a_balance() -> None:
    """What the entity stored before balances (2026-12): a list of reservations."""
    old = {**alice().to_dict(), "reservations": [{"orderId": "o-1", "amount": 300},
                                                  {"orderId": "o-2", "amount": 200}]}
    state = CustomerState.from_dict(old)
    assert (state.open_balance, state.available_credit) == (500, state.credit_limit - 500)
    assert "reservations" not in state.to_dict()


def test_credit_is_reserved_only_in_the_customers_currency() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        customer.reserve_credit(alice(), step(), order_id="o-1", amount=1, currency="USD")
    assert caught.value.field == "currency"


def test_the_currency_changes_only_without_open_reservations() -> None:
    state = customer.reserve_credit(alice(), step(), order_id="o-1", amount=1, currency="EUR").state
    with pytest.raises(errors.ValidationFailed):
        customer.set_credit_limit(state, cmd(ADA), amount=10, currency="USD")
    assert customer.set_credit_limit(alice(), cmd(ADA), amount=10, currency="USD").state.currency


def test_an_unknown_customer_has_no_credit() -> None:
    with pytest.raises(errors.CustomerNotFound):
        customer.reserve_credit(CustomerState(), step(), order_id="o-1", amount=1, currency="EUR")


@pytest.mark.parametrize("amount", [0, -5])
def test_a_reservation_is_a_positive_amount(amount: int) -> None:
    with pytest.raises(errors.ValidationFailed):
        customer.reserve_credit(alice(), step(), order_id="o-1", amount=amount, currency="EUR")
