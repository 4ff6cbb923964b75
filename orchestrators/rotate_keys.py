"""``rotate_keys``: key rotation in Azure, started by an admin (``POST /api/key-rotations``).

The same two phases as ``python -m security rotate`` (``security.rotation``), with the
orchestration's history as the checkpoint: one activity per key, then one per sealed view. A
host that dies mid-way replays the history and runs only what had not finished; an activity
cut short is run again (a key may then get one extra version, harmless; re-encryption is
idempotent). Progress is the instance's custom status, which the command status and any
Durable Functions monitor show.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from entities.errors import Forbidden
from orchestrators import names
from orchestrators.steps import Saga, Steps, counted
from readmodels.cache_scopes import customer_scope, order_scope
from readmodels.factory import query_cache, view_store
from readmodels.reencrypt import SEALED_VIEWS, reencrypt_view
from readmodels.views import ORDER_DETAILS
from security import policy
from security.keys import KeyErased, check_key_name
from security.providers import app_key_provider
from security.rotation import Resealer

bp = df.Blueprint()
LIST_KEYS, ROTATE_KEY, REENCRYPT_VIEW = "list_field_keys", "rotate_field_key", "reencrypt_view"
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=5)
BATCH = 20  # keys rotated at once: Key Vault throttles writes per vault


@bp.orchestration_trigger(context_name="context", orchestration=names.ROTATE_KEYS)
@counted
def rotate_keys(context: df.DurableOrchestrationContext) -> Steps:
    saga = Saga(context, context.get_input())
    assert saga.acting_as is not None
    if not policy.can_rotate_keys(saga.acting_as):
        return saga.failed(Forbidden("Only an admin may rotate keys."))
    keys: list[str] = yield context.call_activity_with_retry(LIST_KEYS, RETRY, None)
    rotated = 0
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        done = yield context.task_all([context.call_activity_with_retry(ROTATE_KEY, RETRY, name)
                                       for name in batch])
        rotated += sum(1 for version in done if version)
        context.set_custom_status({"phase": "keys", "done": start + len(batch),
                                   "total": len(keys)})
    counts: dict[str, Any] = {}
    for index, view in enumerate(SEALED_VIEWS, 1):
        counts[view] = yield context.call_activity_with_retry(REENCRYPT_VIEW, RETRY, view)
        context.set_custom_status({"phase": "reencrypt", "done": index,
                                   "total": len(SEALED_VIEWS)})
    return saga.succeeded({"result": {"version": rotated}}, keysRotated=rotated,
                          reencrypted=counts)


@bp.activity_trigger(input_name="unused", activity=LIST_KEYS)
def list_field_keys(unused: Any) -> list[str]:
    return app_key_provider().key_names()


@bp.activity_trigger(input_name="name", activity=ROTATE_KEY)
def rotate_field_key(name: str) -> str | None:
    try:
        return app_key_provider().rotate(check_key_name(name))
    except KeyErased:
        return None  # erased since it was listed: nothing to rotate


@bp.activity_trigger(input_name="view", activity=REENCRYPT_VIEW)
def reencrypt_sealed_view(view: str) -> dict[str, int]:
    if view not in SEALED_VIEWS:
        raise ValueError("not a view that holds sealed fields")
    scope, key = (order_scope, "orderId") if view == ORDER_DETAILS else \
        (customer_scope, "customerId")
    cache = query_cache()
    count = reencrypt_view(view_store(), view, Resealer(app_key_provider()),
                           on_rewrite=lambda doc: cache.invalidate([scope(str(doc[key]))]))
    return {"documents": count.documents, "rewritten": count.rewritten_documents,
            "fields": count.fields, "unreadable": count.unreadable}
