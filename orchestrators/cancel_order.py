"""``cancel_order``: the order is cancelled, its deadline watch is told, then its stock and
credit are released.

Also run by the fulfilment deadline, as the system principal, with reason
``fulfilment-deadline``.
"""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.deadline_hints import end_watch
from orchestrators.order_followups import on_customer, on_each_line
from orchestrators.steps import ORDER, Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="cancel_order")
@counted
def cancel_order(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        cancelled = yield from saga.run(ORDER, saga.command["orderId"], "command",
                                        saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from end_watch(saga, saga.command["orderId"])
    yield from on_each_line(saga, cancelled["summary"], "release")
    yield from on_customer(saga, cancelled["summary"], "releaseCredit")
    yield from saga.publish()
    return saga.succeeded(cancelled, status=cancelled["summary"]["status"])
