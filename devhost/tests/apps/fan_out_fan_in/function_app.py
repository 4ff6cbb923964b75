import json
import logging
import os
import pathlib
import shutil

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}")
@myApp.durable_client_input(client_name="client")
async def durable_trigger(req: func.HttpRequest, client):
    payload: str = json.loads(req.get_body().decode())  # Load JSON post request data
    instance_id = await client.start_new(req.route_params["functionName"], client_input=payload)

    logging.info(f"Started orchestration with ID = '{instance_id}'.")

    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def E2_BackupSiteContent(context: df.DurableOrchestrationContext):
    root_directory: str = context.get_input()

    if not root_directory:
        raise Exception("A directory path is required as input")

    files = yield context.call_activity("E2_GetFileList", root_directory)
    tasks = []
    for file in files:
        tasks.append(context.call_activity("E2_CopyFileToBackup", file))

    results = yield context.task_all(tasks)
    total_bytes = sum(results)
    return total_bytes


backup_root = os.getenv("BACKUP_DIRECTORY", "backups")


@myApp.activity_trigger(input_name="rootDirectory")
def E2_GetFileList(rootDirectory):
    all_file_paths = []
    # We walk the file system
    for path, _, files in os.walk(rootDirectory):
        for name in files:
            all_file_paths.append(os.path.join(path, name))

    return sorted(all_file_paths)


@myApp.activity_trigger(input_name="filePath")
def E2_CopyFileToBackup(filePath):
    # Name the copy after the last two path components, as the blob sample names its blobs
    parent_dir, fname = pathlib.Path(filePath).parts[-2:]
    target = pathlib.Path(backup_root) / f"{parent_dir}_{fname}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(filePath, target)

    # Count bytes in file
    return os.path.getsize(filePath)
