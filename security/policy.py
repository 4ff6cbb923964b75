"""The one authorization policy: which role may do what to whose resource.

The API checks first and the entities check again, both through these functions, so the rules
live in one place. They mirror docs/api.md: a customer acts only on their own things; fulfilment
ships, delivers and adjusts stock; support reads and cancels any order, places orders for anyone
and registers customers; admin may do everything and alone sets credit limits. The system
principal (fulfilment deadline) may cancel any order.

``access`` turns a rule into the answer to give: a caller whose role could do this to *their own*
resource but not to this one gets ``NOT_FOUND`` (another customer's order answers 404, not 403);
a caller whose roles never allow it gets ``FORBIDDEN``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from security.principal import Principal, Role

OwnedRule = Callable[[Principal, str], bool]


class Access(StrEnum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"


def _is_owner(principal: Principal, owner_id: str) -> bool:
    return principal.has_role(Role.CUSTOMER) and bool(owner_id) and principal.user_id == owner_id


def _is_staff(principal: Principal) -> bool:
    return principal.has_role(Role.SUPPORT, Role.ADMIN)


def can_place_order(principal: Principal, customer_id: str) -> bool:
    return _is_staff(principal) or _is_owner(principal, customer_id)


def can_read_order(principal: Principal, owner_id: str) -> bool:
    return _is_staff(principal) or _is_owner(principal, owner_id)


def can_see_sensitive(principal: Principal, owner_id: str) -> bool:
    """Plaintext of shipping address, email and phone; everyone else allowed to look sees "***"."""
    return _is_staff(principal) or _is_owner(principal, owner_id)


def can_cancel_order(principal: Principal, owner_id: str) -> bool:
    """Before shipment only; the order's state machine enforces the timing for every role."""
    return _is_staff(principal) or principal.is_system or _is_owner(principal, owner_id)


def can_change_address(principal: Principal, owner_id: str) -> bool:
    return _is_staff(principal) or _is_owner(principal, owner_id)


def can_ship_order(principal: Principal) -> bool:
    return principal.has_role(Role.FULFILMENT, Role.ADMIN)


def can_deliver_order(principal: Principal) -> bool:
    return principal.has_role(Role.FULFILMENT, Role.ADMIN)


def can_adjust_stock(principal: Principal) -> bool:
    return principal.has_role(Role.FULFILMENT, Role.ADMIN)


def can_price_product(principal: Principal) -> bool:
    return principal.has_role(Role.FULFILMENT, Role.ADMIN)


def can_register_customer(principal: Principal, customer_id: str) -> bool:
    return _is_staff(principal) or _is_owner(principal, customer_id)


def can_read_customer(principal: Principal, customer_id: str) -> bool:
    """The customer's order list and summary."""
    return _is_staff(principal) or _is_owner(principal, customer_id)


def can_erase_customer(principal: Principal, customer_id: str) -> bool:
    """Right to erasure: the customer themself, or support and admin acting on a request."""
    return _is_staff(principal) or _is_owner(principal, customer_id)


def can_change_profile(principal: Principal, customer_id: str) -> bool:
    """Name, email and phone: the customer themself, support and admin."""
    return _is_staff(principal) or _is_owner(principal, customer_id)


def can_rotate_keys(principal: Principal) -> bool:
    """Key rotation and re-encryption of every store: admin only."""
    return principal.has_role(Role.ADMIN)


def can_set_credit_limit(principal: Principal) -> bool:
    return principal.has_role(Role.ADMIN)


def can_see_stock_counts(principal: Principal) -> bool:
    """A product's on-hand and reserved counts; everyone signed in sees what is available."""
    return principal.has_role(Role.FULFILMENT, Role.SUPPORT, Role.ADMIN)


def can_search_orders(principal: Principal) -> bool:
    return _is_staff(principal)


def can_read_command(principal: Principal, issuer_id: str) -> bool:
    """Command status: the caller who sent it, support and admin."""
    return _is_staff(principal) or (bool(issuer_id) and principal.user_id == issuer_id)


def access(principal: Principal, owner_id: str, rule: OwnedRule) -> Access:
    """Apply an ownership rule and say whether a denial is a 403 or a 404 (see module doc)."""
    if rule(principal, owner_id):
        return Access.ALLOWED
    if rule(principal, principal.user_id):
        return Access.NOT_FOUND
    return Access.FORBIDDEN
