import logging

import azure.functions as func
from durable_blueprints import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(bp)  # register the DF functions


# A plain HTTP trigger registered on the `app` object itself
@app.route(route="HttpTrigger")
def HttpTrigger(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("Python HTTP trigger function processed a request.")

    name = req.params.get("name")
    if not name:
        try:
            req_body = req.get_json()
        except ValueError:
            pass
        else:
            name = req_body.get("name")

    if name:
        return func.HttpResponse(f"Hello, {name}. This HTTP triggered function executed "
                                 "successfully.")
    return func.HttpResponse(
        "This HTTP triggered function executed successfully. Pass a name in the query string "
        "or in the request body for a personalized response.",
        status_code=200,
    )
