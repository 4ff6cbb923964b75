"""The query cache's scopes: which cached answers a change to one thing invalidates.

The projections invalidate a scope when they fold an event about it; the queries file each
cached answer under the scopes it read. Both take the names from here.
"""

from __future__ import annotations


def order_scope(order_id: str) -> str:
    return f"order:{order_id}"


def customer_scope(customer_id: str) -> str:
    return f"customer:{customer_id}"


def product_scope(sku: str) -> str:
    return f"product:{sku}"
