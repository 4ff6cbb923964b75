"""``ship_order``: the order leaves the warehouse, its deadline watch is told, then its
reserved stock is committed."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.deadline_hints import end_watch
from orchestrators.order_followups import on_each_line
from orchestrators.steps import ORDER, Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="ship_order")
@counted
def ship_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        shipped = yield from saga.run(ORDER, saga.command["orderId"], "command",
                                      saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from end_watch(saga, saga.command["orderId"])
    yield from on_each_line(saga, shipped["summary"], "commit")
    yield from saga.publish()
    return saga.succeeded(shipped, status=shipped["summary"]["status"])
