"""``erase_customer``: the right to erasure, by crypto-shredding.

1. The Customer entity records ``CustomerErased`` (and drops the profile from its state); from
   then on it refuses new orders and profile changes for the customer.
2. ``destroy_customer_key`` deletes the customer's field key in the active provider (a Key Vault
   secret, or the local key file), leaving a tombstone so the key is never created again. Every
   envelope sealed under it - in orchestration history, entity state, the event archive, the
   views and the cache - is unreadable from this moment.
3. The event is published, so the projections mask the profile in the views and drop the
   cached queries of the customer.

The key is destroyed before the event is published: a view that shows the profile masked never
sits next to a key that could still open it. Orders, totals and the archive are not touched.
"""

from __future__ import annotations

from datetime import timedelta

import azure.durable_functions as df

from entities.errors import DomainError
from entities.verbs import CUSTOMER, CustomerVerb
from observability.logs import get_logger
from orchestrators.steps import Saga, Steps, counted
from security.keys import check_key_name, customer_key_name
from security.providers import app_key_provider

bp = df.Blueprint()
log = get_logger("orders.erasure")
DESTROY_KEY = "destroy_customer_key"
# Deleting a Key Vault secret can meet throttling or a transient outage: retry for a while.
DESTROY_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000,
                                max_number_of_attempts=8)
DESTROY_ROUNDS, DESTROY_PAUSE = 48, timedelta(minutes=30)


@bp.orchestration_trigger(context_name="context", orchestration="erase_customer")
@counted
def erase_customer(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    customer_id = saga.command.customer_id
    try:
        erased = yield from saga.run(CUSTOMER, customer_id, CustomerVerb.ERASE,
                                     saga.command_input())
    except DomainError as error:
        return saga.failed(error)
    yield from _destroy_key(context, customer_key_name(customer_id))
    yield from saga.publish()
    return saga.succeeded(erased, erased=True)


def _destroy_key(context: df.DurableOrchestrationContext, key_name: str) -> Steps:
    """The customer is erased in the write model already: keep trying to destroy the key
    through a key store outage (a day, in rounds of retries) rather than end with an erasure
    half done. If it never succeeds the workflow fails, and an operator rewinds it from the
    monitor once the key store is back (the activity is idempotent)."""
    for round_ in range(DESTROY_ROUNDS):
        try:
            yield context.call_activity_with_retry(DESTROY_KEY, DESTROY_RETRY, key_name)
            return
        except Exception:
            if round_ + 1 == DESTROY_ROUNDS:
                raise
            if not context.is_replaying:
                log.warning("customer key not destroyed yet; trying again later",
                            event="customer.key.retry", keyName=key_name)
            yield context.create_timer(context.current_utc_datetime + DESTROY_PAUSE)


@bp.activity_trigger(input_name="keyName", activity=DESTROY_KEY)
def destroy_customer_key(keyName: str) -> bool:
    """Idempotent: a key already destroyed leaves its tombstone and succeeds again."""
    app_key_provider().delete(check_key_name(keyName))
    log.info("customer field key destroyed", event="customer.key.destroyed", keyName=keyName)
    return True
