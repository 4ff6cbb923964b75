"""``GET /api/openapi.json``: the contract, served by the app that enforces it."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.http import json_response
from api.openapi_doc import openapi_document

bp = df.Blueprint()


@bp.route(route="openapi.json", methods=["GET"])
def api_openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())
