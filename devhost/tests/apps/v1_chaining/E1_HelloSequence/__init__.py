import azure.durable_functions as df


def orchestrator_function(context: df.DurableOrchestrationContext):
    cities = context.get_input() or ["Tokyo", "Seattle", "London"]
    results = []
    for city in cities:
        results.append((yield context.call_activity("E1_SayHello", city)))
    return results


main = df.Orchestrator.create(orchestrator_function)
