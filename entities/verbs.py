"""The names of the entities and of the operations they answer: one definition, used where the
entities are declared (``entities/triggers.py``) and by every workflow that calls them.

An operation is the domain's verb: a workflow that places an order calls ``Order.place``.
"""

from __future__ import annotations

from enum import StrEnum

ORDER = "Order"
CUSTOMER = "Customer"
INVENTORY = "Inventory"
GET = "get"  # every entity: its stored state, or None while it holds nothing


class OrderVerb(StrEnum):
    PLACE = "place"  # claim the id: the order is pending until confirmPlacement
    PLACE_AT_PRICES = "placeAtPrices"  # claim and confirm in one: the id is the API's own
    CONFIRM_PLACEMENT = "confirmPlacement"
    ABANDON_PLACEMENT = "abandonPlacement"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"
    CHANGE_ADDRESS = "changeAddress"
    REVERT_SHIPMENT = "revertShipment"
    REVERT_DELIVERY = "revertDelivery"


class CustomerVerb(StrEnum):
    REGISTER = "register"
    SET_CREDIT_LIMIT = "setCreditLimit"
    CHANGE_PROFILE = "changeProfile"
    ERASE = "erase"
    RESERVE_CREDIT = "reserveCredit"
    RELEASE_CREDIT = "releaseCredit"
    SETTLE_CREDIT = "settleCredit"


class InventoryVerb(StrEnum):
    PRICE = "price"
    ADJUST = "adjust"
    RESERVE = "reserve"
    RELEASE = "release"
    COMMIT = "commit"
    REVERT_COMMIT = "revertCommit"
