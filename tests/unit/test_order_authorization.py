"""The authorization matrix of the Order aggregate: every role x operation x owner/non-owner.

A role that may never do an operation gets ``Forbidden``; a customer reaching for somebody
else's order gets ``OrderNotFound`` (404, not 403), exactly as the API answers.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from domain_builders import (
    ADA,
    FRED,
    NORA,
    SAM,
    SYSTEM,
    address,
    cmd,
    person,
    place,
    placed_order,
    shipped_order,
)

from entities import errors, order
from entities.aggregate import Outcome
from entities.order import OrderState
from security.principal import Principal, Role

OK = "ok"
Expected = str | type[errors.DomainError]
Operation = Callable[[Principal, str], Outcome[OrderState]]

ROLES: dict[str, Principal] = {
    "customer": person("carol", Role.CUSTOMER),
    "fulfilment": FRED,
    "support": SAM,
    "admin": ADA,
    "no role": NORA,
    "system": SYSTEM,
}


def _owner(principal: Principal, whose: str) -> str:
    """``own``: the order belongs to the caller; ``other``: it belongs to somebody else.

    The system principal's id (``system:...``) can never be a customer id, so it owns nothing.
    """
    return principal.user_id if whose == "own" and not principal.is_system else "zed"


def _place(principal: Principal, owner: str) -> Outcome[OrderState]:
    return place(principal, customer_id=owner)


def _ship(principal: Principal, owner: str) -> Outcome[OrderState]:
    return order.ship(placed_order(owner), cmd(principal), carrier="DHL", tracking_number="T1")


def _deliver(principal: Principal, owner: str) -> Outcome[OrderState]:
    return order.deliver(shipped_order(owner), cmd(principal))


def _cancel(principal: Principal, owner: str) -> Outcome[OrderState]:
    return order.cancel(placed_order(owner), cmd(principal), reason="no longer needed")


def _change_address(principal: Principal, owner: str) -> Outcome[OrderState]:
    return order.change_address(placed_order(owner), cmd(principal), shipping_address=address())


OPERATIONS: dict[str, Operation] = {
    "place": _place,
    "ship": _ship,
    "deliver": _deliver,
    "cancel": _cancel,
    "change_address": _change_address,
}

F, NF = errors.Forbidden, errors.OrderNotFound
# operation -> role -> (own order, somebody else's order)
MATRIX: dict[str, dict[str, tuple[Expected, Expected]]] = {
    "place": {
        "customer": (OK, F),
        "fulfilment": (F, F),
        "support": (OK, OK),
        "admin": (OK, OK),
        "no role": (F, F),
        "system": (F, F),
    },
    "ship": {
        "customer": (F, F),
        "fulfilment": (OK, OK),
        "support": (F, F),
        "admin": (OK, OK),
        "no role": (F, F),
        "system": (F, F),
    },
    "deliver": {
        "customer": (F, F),
        "fulfilment": (OK, OK),
        "support": (F, F),
        "admin": (OK, OK),
        "no role": (F, F),
        "system": (F, F),
    },
    "cancel": {
        "customer": (OK, NF),
        "fulfilment": (F, F),
        "support": (OK, OK),
        "admin": (OK, OK),
        "no role": (F, F),
        "system": (OK, OK),
    },
    "change_address": {
        "customer": (OK, NF),
        "fulfilment": (F, F),
        "support": (OK, OK),
        "admin": (OK, OK),
        "no role": (F, F),
        "system": (F, F),
    },
}

CASES = [
    pytest.param(
        operation,
        role,
        whose,
        outcomes[0 if whose == "own" else 1],
        id=f"{operation}-{role}-{whose}",
    )
    for operation, by_role in MATRIX.items()
    for role, outcomes in by_role.items()
    for whose in ("own", "other")
]


def test_the_matrix_covers_every_role_and_operation() -> None:
    assert set(MATRIX) == set(OPERATIONS)
    assert all(set(by_role) == set(ROLES) for by_role in MATRIX.values())


@pytest.mark.parametrize(("operation", "role", "whose", "expected"), CASES)
def test_authorization_matrix(operation: str, role: str, whose: str, expected: Expected) -> None:
    principal = ROLES[role]
    run = OPERATIONS[operation]
    if expected == OK:
        outcome = run(principal, _owner(principal, whose))
        assert outcome.result.events[0].actor == principal.user_id
    else:
        assert isinstance(expected, type)
        with pytest.raises(expected):
            run(principal, _owner(principal, whose))


def test_a_customer_cannot_borrow_ownership_through_another_role_name() -> None:
    """Ownership needs the customer role: a role-less user with the owner's id is forbidden."""
    impostor = person("zed")
    with pytest.raises(errors.Forbidden):
        order.cancel(placed_order("zed"), cmd(impostor), reason="mine?")


def test_a_customer_probing_a_missing_order_learns_only_not_found() -> None:
    with pytest.raises(errors.OrderNotFound):
        order.cancel(OrderState(), cmd(person("carol", Role.CUSTOMER)), reason="x")
    with pytest.raises(errors.Forbidden):
        order.cancel(OrderState(), cmd(FRED), reason="x")
