import logging

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}")
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    instance_id = await client.start_new(req.route_params["functionName"])
    logging.info(f"Started orchestration with ID = '{instance_id}'.")
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def ProvisionNewDevices(context: df.DurableOrchestrationContext):
    device_ids = yield context.call_activity("GetNewDeviceIds")

    # Run multiple device provisioning flows in parallel
    provisioning_tasks = []
    id_ = 0
    for device_id in device_ids:
        child_id = f"{context.instance_id}:{id_}"
        provision_task = context.call_sub_orchestrator("DeviceProvisioningOrchestration",
                                                       device_id, child_id)
        provisioning_tasks.append(provision_task)
        id_ += 1

    results = yield context.task_all(provisioning_tasks)

    yield context.call_activity("SendNotification", results)
    return results


@myApp.orchestration_trigger(context_name="context")
def DeviceProvisioningOrchestration(context: df.DurableOrchestrationContext):
    device_id = context.get_input()

    # Step 1: Create an installation package in blob storage and return a SAS URL.
    sas_url = yield context.call_activity("CreateInstallationPackage", device_id)

    # Step 2: Notify the device that the installation package is ready.
    yield context.call_activity("SendPackageUrlToDevice", {"id": device_id, "url": sas_url})

    # Step 3: Wait for the device to acknowledge that it has downloaded the new package.
    yield context.wait_for_external_event("DownloadCompletedAck")

    # Step 4: ...
    return {"device": device_id, "package": sas_url}


@myApp.activity_trigger(input_name="payload")
def GetNewDeviceIds(payload) -> list:
    return ["sensor-1", "sensor-2", "sensor-3"]


@myApp.activity_trigger(input_name="deviceId")
def CreateInstallationPackage(deviceId: str) -> str:
    return f"https://packages.example/{deviceId}.zip"


@myApp.activity_trigger(input_name="message")
def SendPackageUrlToDevice(message: dict) -> None:
    logging.info(f"Device {message['id']}: package at {message['url']}")


@myApp.activity_trigger(input_name="results")
def SendNotification(results: list) -> None:
    logging.info(f"{len(results)} devices provisioned.")
