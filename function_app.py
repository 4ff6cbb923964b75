"""Composition root: the Durable Functions app and the blueprints it serves, and telemetry export
in Azure (only with APPLICATIONINSIGHTS_CONNECTION_STRING; devhost installs its own provider)."""

import azure.durable_functions as df
import azure.functions as func

from activities import publish_events
from api import health
from api.commands import routes as commands
from api.commands import status
from api.openapi import route as openapi
from api.queries import routes as queries
from app_settings import get_settings
from entities import triggers
from observability import azure_monitor
from orchestrators import (
    cancel_order,
    change_address,
    deliver_order,
    erase_customer,
    place_order,
    rotate_keys,
    ship_order,
    single_entity,
    update_profile,
)
from orchestrators.deadline import hints as deadline_hints
from orchestrators.deadline import watch as deadline_watch
from projections import triggers as projections

settings = get_settings()  # a missing or malformed setting stops the app at start-up, named
azure_monitor.configure(settings.applicationinsights_connection_string,
                        settings.applicationinsights_authentication_string)

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for module in (
    commands,
    status,
    openapi,
    health,
    triggers,
    place_order,
    ship_order,
    deliver_order,
    cancel_order,
    change_address,
    single_entity,
    erase_customer,
    update_profile,
    rotate_keys,
    deadline_watch,
    deadline_hints,
    publish_events,
    queries,
    projections,
):
    app.register_functions(module.bp)
