"""Composition root: the Durable Functions app and the blueprints it serves. Nothing else."""

import azure.durable_functions as df
import azure.functions as func

from activities import publish_events
from api import commands, openapi, queries, status
from app_settings import get_settings
from entities import triggers
from orchestrators import (
    cancel_order,
    change_address,
    deliver_order,
    fulfilment_deadline,
    place_order,
    ship_order,
    single_entity,
)
from projections import triggers as projections

get_settings()  # a missing or malformed app setting stops the app at start-up, with its name

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for module in (
    commands,
    status,
    openapi,
    triggers,
    place_order,
    ship_order,
    deliver_order,
    cancel_order,
    change_address,
    single_entity,
    fulfilment_deadline,
    publish_events,
    queries,
    projections,
):
    app.register_functions(module.bp)
