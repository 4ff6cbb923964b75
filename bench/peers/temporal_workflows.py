"""The two workflows as Temporal workflows and activities (a module of their own, as the Python
SDK's workflow sandbox wants)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import common

TIMEOUT = timedelta(seconds=300)


@activity.defn
async def hello(city: str) -> str:
    return common.hello(city)


@activity.defn
async def reserve_credit(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_credit(order)


@activity.defn
async def reserve_stock(order: dict[str, Any]) -> dict[str, Any]:
    return common.reserve_stock(order)


@activity.defn
async def record_order(args: dict[str, Any]) -> dict[str, Any]:
    return common.record_order(args["order"], args["credit"], args["stock"])


@activity.defn
async def publish_order(record: dict[str, Any]) -> str:
    return common.publish_order(record)


@workflow.defn
class HelloSequence5:
    @workflow.run
    async def run(self) -> list[str]:
        return [await workflow.execute_activity(hello, city, start_to_close_timeout=TIMEOUT)
                for city in common.CITIES]


@workflow.defn
class PlaceOrder:
    @workflow.run
    async def run(self, order: dict[str, Any]) -> dict[str, Any]:
        credit, stock = await asyncio.gather(
            workflow.execute_activity(reserve_credit, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(reserve_stock, order, start_to_close_timeout=TIMEOUT))
        record = await workflow.execute_activity(
            record_order, {"order": order, "credit": credit, "stock": stock},
            start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(publish_order, record, start_to_close_timeout=TIMEOUT)
        return record


WORKFLOWS = [HelloSequence5, PlaceOrder]
ACTIVITIES = [hello, reserve_credit, reserve_stock, record_order, publish_order]
