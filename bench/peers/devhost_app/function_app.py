"""The peers bench's Durable Functions app: the two workflows the other engines run too."""

import sys
from pathlib import Path

import azure.durable_functions as df

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# bench/peers/common.py: the activities' bodies, shared by all engines
import common

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def hello_sequence5(context: df.DurableOrchestrationContext):
    out = []
    for city in common.CITIES:
        out.append((yield context.call_activity("hello", city)))
    return out


@app.orchestration_trigger(context_name="context")
def place_order(context: df.DurableOrchestrationContext):
    order = context.get_input()
    credit, stock = yield context.task_all([context.call_activity("reserve_credit", order),
                                            context.call_activity("reserve_stock", order)])
    record = yield context.call_activity("record_order", {"order": order, "credit": credit,
                                                          "stock": stock})
    yield context.call_activity("publish_order", record)
    return record


@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return common.hello(city)


@app.activity_trigger(input_name="order")
def reserve_credit(order: dict) -> dict:
    return common.reserve_credit(order)


@app.activity_trigger(input_name="order")
def reserve_stock(order: dict) -> dict:
    return common.reserve_stock(order)


@app.activity_trigger(input_name="args")
def record_order(args: dict) -> dict:
    return common.record_order(args["order"], args["credit"], args["stock"])


@app.activity_trigger(input_name="record")
def publish_order(record: dict) -> str:
    return common.publish_order(record)
