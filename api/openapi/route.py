"""``GET /api/openapi.json``: the contract, served by the app that enforces it."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.http import json_response
from api.openapi.document import openapi_document
from api.routes import http_route

bp = df.Blueprint()


@http_route(bp, "getOpenApi")
def api_openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())
