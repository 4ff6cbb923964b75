"""The one policy module, role by role (mirrors the tables in docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from security import policy
from security.policy import Access
from security.principal import FULFILMENT_DEADLINE_PRINCIPAL, Principal, Role


def who(role: str) -> Principal:
    if role == "system":
        return FULFILMENT_DEADLINE_PRINCIPAL
    roles = frozenset() if role == "none" else frozenset({role})
    return Principal(user_id="me", name="Me", roles=roles)


ROLES = [Role.CUSTOMER, Role.FULFILMENT, Role.SUPPORT, Role.ADMIN, "none", "system"]
OwnedRule = Callable[[Principal, str], bool]

# rule -> roles allowed on their own resource, roles allowed on somebody else's
OWNED: dict[str, tuple[OwnedRule, set[str], set[str]]] = {
    "place_order": (policy.can_place_order, {"customer", "support", "admin"}, {"support", "admin"}),
    "read_order": (policy.can_read_order, {"customer", "support", "admin"}, {"support", "admin"}),
    "see_sensitive": (
        policy.can_see_sensitive,
        {"customer", "support", "admin"},
        {"support", "admin"},
    ),
    "cancel_order": (
        policy.can_cancel_order,
        {"customer", "support", "admin", "system"},
        {"support", "admin", "system"},
    ),
    "change_address": (
        policy.can_change_address,
        {"customer", "support", "admin"},
        {"support", "admin"},
    ),
    "register_customer": (
        policy.can_register_customer,
        {"customer", "support", "admin"},
        {"support", "admin"},
    ),
    "read_customer": (
        policy.can_read_customer,
        {"customer", "support", "admin"},
        {"support", "admin"},
    ),
}
UNOWNED: dict[str, tuple[Callable[[Principal], bool], set[str]]] = {
    "ship_order": (policy.can_ship_order, {"fulfilment", "admin"}),
    "deliver_order": (policy.can_deliver_order, {"fulfilment", "admin"}),
    "adjust_stock": (policy.can_adjust_stock, {"fulfilment", "admin"}),
    "set_credit_limit": (policy.can_set_credit_limit, {"admin"}),
    "search_orders": (policy.can_search_orders, {"support", "admin"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule_name", sorted(OWNED))
def test_owned_rules(rule_name: str, role: str) -> None:
    rule, own_allowed, other_allowed = OWNED[rule_name]
    principal = who(role)
    assert rule(principal, principal.user_id) is (role in own_allowed)
    assert rule(principal, "someone-else") is (role in other_allowed)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule_name", sorted(UNOWNED))
def test_unowned_rules(rule_name: str, role: str) -> None:
    rule, allowed = UNOWNED[rule_name]
    assert rule(who(role)) is (role in allowed)


def test_ownership_needs_the_customer_role_and_an_owner() -> None:
    assert not policy.can_read_order(who("none"), "me")
    assert not policy.can_read_order(who(Role.CUSTOMER), "")


def test_command_status_is_for_its_sender_support_and_admin() -> None:
    assert policy.can_read_command(who(Role.FULFILMENT), "me")
    assert not policy.can_read_command(who(Role.FULFILMENT), "other")
    assert policy.can_read_command(who(Role.SUPPORT), "other")
    assert not policy.can_read_command(who(Role.CUSTOMER), "")


@pytest.mark.parametrize(
    ("role", "owner", "expected"),
    [
        (Role.CUSTOMER, "me", Access.ALLOWED),
        (Role.CUSTOMER, "other", Access.NOT_FOUND),  # another customer's order: 404, not 403
        (Role.FULFILMENT, "other", Access.FORBIDDEN),
        (Role.SUPPORT, "other", Access.ALLOWED),
        ("none", "me", Access.FORBIDDEN),
    ],
)
def test_access_tells_404_from_403(role: str, owner: str, expected: Access) -> None:
    assert policy.access(who(role), owner, policy.can_read_order) is expected
