"""``change_address``: a new (already encrypted) shipping address before shipment."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import ORDER, OrderVerb
from orchestrators.names import CHANGE_ADDRESS
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=CHANGE_ADDRESS)
@counted
def change_address(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        changed = yield from saga.run(ORDER, saga.command.order_id, OrderVerb.CHANGE_ADDRESS,
                                      saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from saga.publish()
    return saga.succeeded(changed, status=changed["summary"]["status"])
