"""Authorize a command on an existing order before accepting it.

The API reads the Order entity's state (the write model) to learn the owner: another customer's
order, or one that does not exist, answers 404; a role that may never do this answers 403. The
entity checks again when the command runs.
"""

from __future__ import annotations

import json
from typing import Any

import azure.durable_functions as df

from api.problems import ApiError
from security import policy
from security.policy import Access, OwnedRule
from security.principal import Principal

_NOT_FOUND = "No order with this id was found."


async def read_order(client: df.DurableOrchestrationClient, order_id: str) -> dict[str, Any]:
    """The order's stored state, or ``{}`` for one that does not exist. Whatever an entity
    that never held an order left behind (nothing, ``null``, an empty string) reads as absent."""
    response = await client.read_entity_state(df.EntityId("Order", order_id))
    state = response.entity_state if response.entity_exists else None
    if isinstance(state, str):
        try:
            state = json.loads(state)
        except ValueError:
            state = None
    return state if isinstance(state, dict) else {}


def owner_of(state: dict[str, Any]) -> str | None:
    """The owner of a placed order; a pending placement is not an order yet."""
    exists = state.get("status") not in (None, "", "new", "pending")
    return str(state.get("customerId")) if exists else None


def authorize_owned(principal: Principal, owner_id: str | None, rule: OwnedRule) -> None:
    if owner_id is None:
        if not rule(principal, principal.user_id):
            raise ApiError("Forbidden", "Your role does not allow this.")
        raise ApiError("NotFound", _NOT_FOUND)
    decision = policy.access(principal, owner_id, rule)
    if decision is Access.FORBIDDEN:
        raise ApiError("Forbidden", "Your role does not allow this.")
    if decision is Access.NOT_FOUND:
        raise ApiError("NotFound", _NOT_FOUND)


def require_role(allowed: bool) -> None:
    if not allowed:
        raise ApiError("Forbidden", "Your role does not allow this.")


async def order_for_command(
    client: df.DurableOrchestrationClient,
    principal: Principal,
    order_id: str,
    rule: OwnedRule | None,
) -> dict[str, Any]:
    """The order's state after the caller passed ``rule`` (None: a role-only rule already ran)."""
    state = await read_order(client, order_id)
    owner = owner_of(state)
    if rule is not None:
        authorize_owned(principal, owner, rule)
    elif owner is None:
        raise ApiError("NotFound", _NOT_FOUND)
    return state
