"""``change_profile``: a customer's new name, email or phone (email and phone sealed at the
edge under the customer's key, like registration), then the event for the views."""

from __future__ import annotations

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import CUSTOMER, CustomerVerb
from orchestrators.steps import Saga, Steps, counted

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration="change_profile")
@counted
def change_profile(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    try:
        changed = yield from saga.run(CUSTOMER, saga.command.customer_id,
                                      CustomerVerb.CHANGE_PROFILE, saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from saga.publish()
    return saga.succeeded(changed)
