"""Names the API needs to address workflows, without importing the trigger modules."""

from __future__ import annotations

PLACE_ORDER = "place_order"
SHIP_ORDER = "ship_order"
DELIVER_ORDER = "deliver_order"
CANCEL_ORDER = "cancel_order"
CHANGE_ADDRESS = "change_address"
REGISTER_CUSTOMER = "register_customer"
SET_CREDIT_LIMIT = "set_credit_limit"
ADJUST_STOCK = "adjust_stock"
PRICE_PRODUCT = "price_product"
ERASE_CUSTOMER = "erase_customer"
CHANGE_PROFILE = "change_profile"
ROTATE_KEYS = "rotate_keys"
