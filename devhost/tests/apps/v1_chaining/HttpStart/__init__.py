import logging

import azure.durable_functions as df
import azure.functions as func


async def main(req: func.HttpRequest, starter: str, res: func.Out[func.HttpResponse]) -> None:
    client = df.DurableOrchestrationClient(starter)
    instance_id = await client.start_new(req.route_params["functionName"], None, req.get_json())

    logging.info(f"Started orchestration with ID = '{instance_id}'.")

    res.set(client.create_check_status_response(req, instance_id))
