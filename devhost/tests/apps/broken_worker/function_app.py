"""An app that starts in devhost's host process but not in its workers: a worker that dies
while starting, for the failed-start cleanup test."""

import sys

import azure.functions as func

if "--process" in sys.argv:
    raise RuntimeError("this app refuses to start in a worker process")

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> str:
    return "pong"
