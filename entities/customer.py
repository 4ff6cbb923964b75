"""The Customer aggregate: registration, credit limit and the open balance of unsettled orders.

Credit is reserved for an order while it is open, released when it is cancelled and settled when
it is delivered. The customer keeps the balance, not a record per order: how much an order holds
is the order's own total, and each step names the amount it moves, so the state stays the same
size however many orders the customer has. The reserve/release/settle steps are idempotent per
workflow command and operation: a step only repeats or undoes what its own command did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from contracts.customer_events import (
    CreditLimitChanged,
    CreditReleased,
    CreditReserved,
    CreditSettled,
    CustomerErased,
    CustomerProfileChanged,
    CustomerRegistered,
)
from contracts.events import Event
from contracts.payload import EventPayload
from entities import errors
from entities.aggregate import (
    SHARED_REMEMBERED_COMMANDS,
    SHARED_REMEMBERED_STEPS,
    AggregateState,
    Outcome,
    Step,
    check_expected_version,
    execute,
    summed_records,
)
from entities.authorization import require
from entities.context import CommandContext, StepContext
from entities.validation import (
    MAX_AMOUNT,
    check_currency,
    check_encrypted,
    check_id,
    check_int,
    check_text,
)
from security import policy
from security.crypto import is_envelope

MAX_NAME_LENGTH = 200


@dataclass(frozen=True, kw_only=True)
class CustomerState(AggregateState):
    customer_id: str = ""
    name: str = ""
    email: str = ""  # encrypted envelope
    phone: str | None = None  # encrypted envelope
    credit_limit: int = 0
    currency: str = ""
    open_balance: int = 0
    settled_total: int = 0
    registered_at: str | None = None
    erased: bool = False  # the field key is destroyed; the profile is masked for good

    @property
    def exists(self) -> bool:
        return bool(self.customer_id)

    @property
    def available_credit(self) -> int:
        return self.credit_limit - self.open_balance

    @classmethod
    def from_dict(cls, data: object) -> Self:
        return super().from_dict(summed_records(data, "reservations", "amount", "openBalance"))



def _command_step(ctx: CommandContext, operation: str, cid: str) -> Step:
    return Step.of_command(cid, ctx, operation, SHARED_REMEMBERED_COMMANDS)


def _workflow_step(state: CustomerState, ctx: StepContext, operation: str, amount: int) -> Step:
    return Step.of_workflow(state.customer_id, ctx, operation, SHARED_REMEMBERED_STEPS, amount)


def register(
    state: CustomerState,
    ctx: CommandContext,
    *,
    customer_id: str,
    name: str,
    email: str,
    phone: str | None,
    default_credit_limit: int,
    default_currency: str,
) -> Outcome[CustomerState]:
    """Register with the default credit limit; ``email``/``phone`` arrive encrypted."""

    def decide() -> list[EventPayload]:
        require(policy.can_register_customer(ctx.principal, customer_id))
        check_id(customer_id, "customerId")
        if state.exists:
            raise errors.CustomerAlreadyExists()
        check_expected_version(ctx.expected_version, state.version)
        _check_name(name)
        check_encrypted(email, "email")
        if phone is not None:
            check_encrypted(phone, "phone")
        limit = check_int(default_credit_limit, "defaultCreditLimit", 0, MAX_AMOUNT)
        currency = check_currency(default_currency, "defaultCurrency")
        return [CustomerRegistered(name, email, phone, limit, currency)]

    step = _command_step(ctx, "register", customer_id)
    return execute(state, step, decide, _evolve)


def set_credit_limit(
    state: CustomerState, ctx: CommandContext, *, amount: int, currency: str
) -> Outcome[CustomerState]:
    """Admin only. The currency may change only while no credit is reserved."""

    def decide() -> list[EventPayload]:
        require(policy.can_set_credit_limit(ctx.principal))
        _check_exists(state)
        check_expected_version(ctx.expected_version, state.version)
        check_int(amount, "amount", 0, MAX_AMOUNT)
        check_currency(currency)
        if currency != state.currency and state.open_balance:
            raise errors.ValidationFailed(
                "The currency cannot change while orders hold reserved credit.", field="currency"
            )
        return [CreditLimitChanged(amount, currency)]

    step = _command_step(ctx, "setCreditLimit", state.customer_id)
    return execute(state, step, decide, _evolve)


def change_profile(
    state: CustomerState,
    ctx: CommandContext,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
) -> Outcome[CustomerState]:
    """New name, email or phone (absent: unchanged); the event carries the whole profile."""

    def decide() -> list[EventPayload]:
        _check_exists(state)
        require(policy.can_change_profile(ctx.principal, state.customer_id))
        _check_not_erased(state)
        check_expected_version(ctx.expected_version, state.version)
        if name is None and email is None and phone is None:
            raise errors.ValidationFailed("Give at least one of name, email, phone.",
                                          field="name")
        new_name = state.name if name is None else _check_name(name)
        new_email = state.email if email is None else check_encrypted(email, "email")
        new_phone = state.phone if phone is None else check_encrypted(phone, "phone")
        return [CustomerProfileChanged(new_name, new_email, new_phone)]

    step = _command_step(ctx, "changeProfile", state.customer_id)
    return execute(state, step, decide, _evolve)


def erase(state: CustomerState, ctx: CommandContext, *, key_name: str
          ) -> Outcome[CustomerState]:
    """Right to erasure: the profile is dropped from the state and ``CustomerErased`` records
    the key the workflow destroys. Balances stay (open orders still settle or release)."""

    def decide() -> list[EventPayload]:
        _check_exists(state)
        require(policy.can_erase_customer(ctx.principal, state.customer_id))
        _check_not_erased(state)
        check_text(key_name, "keyName", 100)
        return [CustomerErased(key_name)]

    step = _command_step(ctx, "erase", state.customer_id)
    return execute(state, step, decide, _evolve)


def _check_name(name: str) -> str:
    """Sealed at the edge like email and phone (so erasure reaches it); a plain name is still
    taken from commands sent before names were sealed."""
    if is_envelope(name):
        return check_encrypted(name, "name")
    return check_text(name, "name", MAX_NAME_LENGTH)


def _check_not_erased(state: CustomerState) -> None:
    if state.erased:
        raise errors.CustomerNotFound("This customer was erased.")


def reserve_credit(
    state: CustomerState, ctx: StepContext, *, order_id: str, amount: int, currency: str
) -> Outcome[CustomerState]:
    """Hold ``amount`` for an order; fails with ``CreditLimitExceeded`` past the limit."""

    def decide() -> list[EventPayload]:
        _check_exists(state)
        _check_not_erased(state)  # no new orders for an erased customer
        check_id(order_id, "orderId")
        check_int(amount, "amount", 1, MAX_AMOUNT)
        check_currency(currency)
        if currency != state.currency:
            raise errors.ValidationFailed(
                "The order currency differs from the customer's credit currency.",
                field="currency",
            )
        if amount > state.available_credit:
            raise errors.CreditLimitExceeded()
        return [CreditReserved(order_id, amount, currency)]

    step = _workflow_step(state, ctx, "reserveCredit", amount)
    return execute(state, step, decide, _evolve)


def release_credit(
    state: CustomerState, ctx: StepContext, *, order_id: str, amount: int
) -> Outcome[CustomerState]:
    """Give back the ``amount`` an order held (cancel, or compensation)."""

    def decide() -> list[EventPayload]:
        _check_held(state, order_id, amount)
        return [CreditReleased(order_id, amount)]

    step = _workflow_step(state, ctx, "releaseCredit", amount)
    return execute(state, step, decide, _evolve)


def settle(
    state: CustomerState, ctx: StepContext, *, order_id: str, amount: int
) -> Outcome[CustomerState]:
    """The order was delivered: its ``amount`` leaves the open balance and counts as spent."""

    def decide() -> list[EventPayload]:
        _check_held(state, order_id, amount)
        return [CreditSettled(order_id, amount)]

    step = _workflow_step(state, ctx, "settleCredit", amount)
    return execute(state, step, decide, _evolve)


def _check_held(state: CustomerState, order_id: str, amount: int) -> None:
    _check_exists(state)
    check_id(order_id, "orderId")
    check_int(amount, "amount", 1, MAX_AMOUNT)
    if amount > state.open_balance:
        raise errors.CreditNotReserved(
            f"The customer holds {state.open_balance} of reserved credit, less than this "
            f"order's {amount}."
        )


def _check_exists(state: CustomerState) -> None:
    if not state.exists:
        raise errors.CustomerNotFound()


def _evolve(state: CustomerState, payload: EventPayload, event: Event) -> CustomerState:
    match payload:
        case CustomerRegistered():
            return replace(
                state,
                customer_id=event.aggregate_id,
                name=payload.name,
                email=payload.email,
                phone=payload.phone,
                credit_limit=payload.credit_limit,
                currency=payload.currency,
                registered_at=event.occurred_at,
            )
        case CustomerProfileChanged():
            return replace(state, name=payload.name, email=payload.email, phone=payload.phone)
        case CustomerErased():
            return replace(state, name="", email="", phone=None, erased=True)
        case CreditLimitChanged():
            return replace(state, credit_limit=payload.credit_limit, currency=payload.currency)
        case CreditReserved():
            return replace(state, open_balance=state.open_balance + payload.amount)
        case CreditReleased():
            return replace(state, open_balance=state.open_balance - payload.amount)
        case CreditSettled():
            return replace(
                state,
                open_balance=state.open_balance - payload.amount,
                settled_total=state.settled_total + payload.amount,
            )
    raise TypeError(f"the customer does not handle {type(payload).__name__}")
