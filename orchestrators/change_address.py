"""``change_address``: a new (already encrypted) shipping address before shipment."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from orchestrators.steps import ORDER, Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="change_address")
@counted
def change_address(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        changed = yield from saga.run(ORDER, saga.command["orderId"], "command",
                                      saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from saga.publish()
    return saga.succeeded(changed, status=changed["summary"]["status"])
