"""Entity-side enforcement of ``security.policy``: turn a denial into the right domain error."""

from __future__ import annotations

from collections.abc import Callable

from entities.errors import DomainError, Forbidden
from security.policy import Access, OwnedRule, access
from security.principal import Principal


def require(allowed: bool) -> None:
    """For rules that do not depend on an owner (ship, adjust stock, set a credit limit)."""
    if not allowed:
        raise Forbidden()


def require_owned(
    principal: Principal,
    owner_id: str | None,
    rule: OwnedRule,
    not_found: Callable[[], DomainError],
) -> None:
    """Apply an ownership rule to a resource (``owner_id`` None: it does not exist).

    A caller who could act on such a resource if it were theirs learns only that it is not
    found; a caller whose roles never allow the action is forbidden.
    """
    if owner_id is None:
        if not rule(principal, principal.user_id):
            raise Forbidden()
        raise not_found()
    decision = access(principal, owner_id, rule)
    if decision is Access.FORBIDDEN:
        raise Forbidden()
    if decision is Access.NOT_FOUND:
        raise not_found()
