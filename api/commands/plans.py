"""From a validated request to a ``Submission``: who may send it, the command it becomes.

One planner per command route. Planners authorize (403/404), generate missing ids, and seal
sensitive fields; nothing downstream of them sees plaintext.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeAlias

import azure.durable_functions as df

from api.commands.order_access import order_for_command, require_role
from api.commands.submission import Submission
from api.edge_crypto import seal_address, seal_customer_field
from api.problems import ApiError
from api.schemas import ID, SKU, check_route_id
from orchestrators import names
from security import policy
from security.policy import Access
from security.principal import Principal

Client: TypeAlias = df.DurableOrchestrationClient


def _optional(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: body[key] for key in keys if key in body}


def _invalid(field: str, message: str) -> ApiError:
    return ApiError("ValidationFailed", f"{field} {message}.",
                    extra={"errors": [{"field": field, "message": message}]})


def register_customer(
    principal: Principal, body: dict[str, Any], route: dict[str, str]
) -> Submission:
    customer_id = body.get("customerId") or principal.user_id
    if policy.access(principal, customer_id, policy.can_register_customer) is not Access.ALLOWED:
        raise ApiError("Forbidden", "You may register only yourself.")

    def build(command_id: str) -> dict[str, Any]:
        phone = body.get("phone")
        return {
            "commandId": command_id,
            "customerId": customer_id,
            "name": seal_customer_field(customer_id, "name", body["name"]),
            "email": seal_customer_field(customer_id, "email", body["email"]),
            "phone": None if phone is None else seal_customer_field(customer_id, "phone", phone),
        }

    return Submission("RegisterCustomer", names.REGISTER_CUSTOMER,
                      {"customerId": customer_id}, {"body": body}, build)


def _owned_customer(principal: Principal, route: dict[str, str], rule: policy.OwnedRule) -> str:
    """The route's customer, after the caller passed ``rule``: another customer's id answers
    404 (as a missing one would), a role that may never do this 403."""
    customer_id = check_route_id(route.get("customerId", ""), ID, "customerId")
    decision = policy.access(principal, customer_id, rule)
    if decision is Access.FORBIDDEN:
        raise ApiError("Forbidden", "Your role does not allow this.")
    if decision is Access.NOT_FOUND:
        raise ApiError("NotFound", "No customer with this id was found.")
    return customer_id


def change_profile(principal: Principal, body: dict[str, Any], route: dict[str, str]
                   ) -> Submission:
    customer_id = _owned_customer(principal, route, policy.can_change_profile)
    if not {"name", "email", "phone"} & body.keys():
        raise _invalid("body", "must change at least one of name, email, phone")

    def build(command_id: str) -> dict[str, Any]:
        sealed = {field: seal_customer_field(customer_id, field, body[field])
                  for field in ("name", "email", "phone") if field in body}
        return {"commandId": command_id, "customerId": customer_id,
                **_optional(body, "expectedVersion"), **sealed}

    return Submission("ChangeProfile", names.CHANGE_PROFILE, {"customerId": customer_id},
                      {"route": customer_id, "body": body}, build)


def erase_customer(principal: Principal, body: dict[str, Any], route: dict[str, str]
                   ) -> Submission:
    """Irreversible: the workflow destroys the customer's field key (crypto-shredding)."""
    customer_id = _owned_customer(principal, route, policy.can_erase_customer)
    return Submission("EraseCustomer", names.ERASE_CUSTOMER, {"customerId": customer_id},
                      {"route": customer_id, "body": body},
                      lambda command_id: {"commandId": command_id, "customerId": customer_id})


def rotate_keys(principal: Principal, body: dict[str, Any], route: dict[str, str]
                ) -> Submission:
    """Admin: rotate every field key and re-encrypt the views (``orchestrators/rotate_keys``)."""
    require_role(policy.can_rotate_keys(principal))
    return Submission("RotateKeys", names.ROTATE_KEYS, {}, {"body": body},
                      lambda command_id: {"commandId": command_id})


def set_credit_limit(
    principal: Principal, body: dict[str, Any], route: dict[str, str]
) -> Submission:
    customer_id = check_route_id(route.get("customerId", ""), ID, "customerId")
    require_role(policy.can_set_credit_limit(principal))
    return Submission(
        "SetCreditLimit", names.SET_CREDIT_LIMIT, {"customerId": customer_id},
        {"route": customer_id, "body": body},
        lambda command_id: {"commandId": command_id, "customerId": customer_id, **body},
    )


def adjust_stock(principal: Principal, body: dict[str, Any], route: dict[str, str]) -> Submission:
    sku = check_route_id(route.get("sku", ""), SKU, "sku")
    require_role(policy.can_adjust_stock(principal))
    if body["delta"] == 0:
        raise _invalid("delta", "must not be zero")
    return Submission(
        "AdjustStock", names.ADJUST_STOCK, {"sku": sku}, {"route": sku, "body": body},
        lambda command_id: {"commandId": command_id, "sku": sku, **body},
    )


def price_product(principal: Principal, body: dict[str, Any], route: dict[str, str]
                  ) -> Submission:
    sku = check_route_id(route.get("sku", ""), SKU, "sku")
    require_role(policy.can_price_product(principal))
    return Submission(
        "PriceProduct", names.PRICE_PRODUCT, {"sku": sku}, {"route": sku, "body": body},
        lambda command_id: {"commandId": command_id, "sku": sku, **body},
    )


def place_order(principal: Principal, body: dict[str, Any], route: dict[str, str]) -> Submission:
    customer_id = body.get("customerId") or principal.user_id
    decision = policy.access(principal, customer_id, policy.can_place_order)
    if decision is Access.FORBIDDEN:
        raise ApiError("Forbidden", "Your role does not allow placing orders.")
    if decision is Access.NOT_FOUND:
        raise ApiError("NotFound", "No customer with this id was found.")
    skus = [line["sku"] for line in body["lines"]]
    if len(set(skus)) != len(skus):
        raise _invalid("lines", "must not repeat a SKU; put each SKU on one line")
    generated = not body.get("orderId")
    order_id = body.get("orderId") or "ord-" + uuid.uuid4().hex[:24]

    def build(command_id: str) -> dict[str, Any]:
        return {
            "commandId": command_id,
            "orderId": order_id,
            "orderIdGenerated": generated,
            "customerId": customer_id,
            "currency": body["currency"],
            "lines": body["lines"],
            "shippingAddress": seal_address(order_id, customer_id, body["shippingAddress"]),
            **_optional(body, "expectedVersion"),
        }

    return Submission("PlaceOrder", names.PLACE_ORDER, {"orderId": order_id}, {"body": body},
                      build)


async def order_command(
    client: Client, principal: Principal, body: dict[str, Any], route: dict[str, str],
    action: str,
) -> Submission:
    """Ship, deliver, cancel or change the address of an existing order."""
    order_id = check_route_id(route.get("orderId", ""), ID, "orderId")
    spec = ORDER_ACTIONS[action]
    if spec["role"] is not None:
        require_role(spec["role"](principal))
    state = await order_for_command(client, principal, order_id, spec["owned"])
    fields = dict(body)
    if action == "address":
        fields["shippingAddress"] = seal_address(
            order_id, str(state["customerId"]), body["shippingAddress"]
        )
    return Submission(
        spec["type"], spec["orchestrator"], {"orderId": order_id},
        {"route": order_id, "body": body},
        lambda command_id: {"commandId": command_id, "orderId": order_id, **fields},
    )


ORDER_ACTIONS: dict[str, dict[str, Any]] = {
    "ship": {"type": "ShipOrder", "orchestrator": names.SHIP_ORDER,
             "role": policy.can_ship_order, "owned": None},
    "deliver": {"type": "DeliverOrder", "orchestrator": names.DELIVER_ORDER,
                "role": policy.can_deliver_order, "owned": None},
    "cancel": {"type": "CancelOrder", "orchestrator": names.CANCEL_ORDER,
               "role": None, "owned": policy.can_cancel_order},
    "address": {"type": "ChangeAddress", "orchestrator": names.CHANGE_ADDRESS,
                "role": None, "owned": policy.can_change_address},
}
