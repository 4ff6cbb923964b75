"""Every operation of the served OpenAPI document, fuzzed as each role, answers by its contract.

For each caller (customer, support, fulfilment, admin, no token) schemathesis generates valid
and invalid requests from ``GET /api/openapi.json`` and checks each answer: no 5xx; a status
the operation documents; a body and headers matching the documented schema; a valid request is
not refused with 400 (the app refusing what the schema allows), an invalid one is not accepted
(the schema allowing less than the app takes); and every error is ``application/problem+json``
with a ``code`` the contract names. A stateful run follows the document's links (a command's
202 to its status and to the resource it creates) so sequences reach real resources.

Known devhost answers (not the app's) are excluded from the checks, each with its reason
(``fuzz_world.devhost_answer``), and counted.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import requests
import schemathesis
from fuzz_world import (
    ROLES,
    ROOT,
    World,
    devhost_answer,
    feed_real_ids,
    honour_unsaid_rules,
    long_run,
)
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from api.problems import STATUS_BY_CODE

SEED = int(os.environ.get("FUZZ_SEED", "20261206"))
# Per operation and role: fuzzing examples (the coverage phase adds its boundary cases).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100" if long_run() else "4"))
STATEFUL_STEPS = (30, 50) if long_run() else (6, 10)  # (examples, steps per example)
PROBLEM = "application/problem+json"


def _config(role: str) -> schemathesis.Config:
    # The coverage phase (boundary values of every parameter) runs for one role only in the
    # short run: what it finds is the same for every token; the long run gives it all roles.
    coverage = long_run() or role == "admin"
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                       "database": "none"},
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": coverage,
                         # The host joins repeated query keys (as the Functions host does).
                         "generate-duplicate-query-parameters": False},
            "fuzzing": {"enabled": True},
        },
        "checks": {
            # The Functions host (devhost too) answers a method no function serves with 404,
            # not 405 (docs/api.md, MethodNotAllowed: reserved).
            "unsupported_method": {"enabled": False},
        },
    })


@pytest.fixture
def fuzz_schema(fuzz_world: World, role: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{fuzz_world.host.url}/api/openapi.json",
                                           config=_config(role))
    schema.config.update(base_url=fuzz_world.host.url)

    WORLDS[:] = [fuzz_world]
    return schema


schema = schemathesis.pytest.from_fixture("fuzz_schema")
WORLDS: list[World] = []  # the session's world, for the global hook below


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Checks such as ignored_auth send requests of their own (the case without its token):
    devhost's own answers to those are excluded here too, as in check_answer. Registered
    globally: the schema a check runs against may be a copy without the fixture's hooks."""
    reason = devhost_answer(case, response)
    if reason and WORLDS:
        WORLDS[0].exclude(reason)
    return reason is None


@schemathesis.check
def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error answer is problem+json with a ``code`` the contract names for its status."""
    if response.status_code < 400:
        return None
    media = (response.headers.get("content-type") or [""])
    media = media[0] if isinstance(media, list) else media
    assert media.split(";")[0].strip().lower() == PROBLEM, \
        f"a {response.status_code} answered as {media!r}, not {PROBLEM}"
    body = response.json()
    code = body.get("code")
    assert code in STATUS_BY_CODE, f"problem without a known code: {body}"
    assert STATUS_BY_CODE[code] == response.status_code == body.get("status"), body
    return True


def check_answer(world: World, case: Any, response: Any, headers: dict[str, str]) -> None:
    """The contract's checks, except for an answer devhost gives itself (excluded, counted)."""
    world.count(case.operation.label, response.status_code)
    reason = devhost_answer(case, response)
    if reason:
        world.exclude(reason)
        assert response.status_code < 500, reason
        return
    case.validate_response(response, headers=headers, additional_checks=[problem_details])


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None, database=None)
def test_every_operation_answers_by_its_contract(case: Any, role: str,
                                                 fuzz_world: World) -> None:
    caller = fuzz_world.callers[role]
    feed_real_ids(fuzz_world, case, SEED)
    honour_unsaid_rules(fuzz_world, case)
    response = case.call(headers=caller.headers(), timeout=30)
    fuzz_world.learn(response, case.query)
    check_answer(fuzz_world, case, response, caller.headers())


# Not as the anonymous caller: every answer is 401, there is no link to follow, and a long
# run's state machine ends Unsatisfiable (the stateless run covers that caller).
@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_linked_sequences_answer_by_the_contract(fuzz_schema: Any, role: str,
                                                 fuzz_world: World) -> None:
    caller = fuzz_world.callers[role]
    base = fuzz_schema.as_state_machine()

    class Machine(base):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            feed_real_ids(fuzz_world, case, SEED, paths=False)
            honour_unsaid_rules(fuzz_world, case)
            return {"headers": caller.headers(), "timeout": 30}

        def after_call(self, response: Any, case: Any) -> None:
            fuzz_world.learn(response, case.query)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            check_answer(fuzz_world, case, response, caller.headers())

    examples, steps = STATEFUL_STEPS
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        derandomize=True, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck)))


def test_the_fuzzing_reached_every_operation_and_left_the_data_intact(
        fuzz_world: World) -> None:
    """Not a hollow run: every operation answered a success at least once (real ids reached
    real resources), and the seeded data still reads back as it was."""
    if not fuzz_world.answers:
        pytest.skip("sums up the fuzzing tests above: run it with them")
    succeeded = {label for label, statuses in fuzz_world.answers.items()
                 if any(status.startswith("2") for status in statuses)}
    # schemathesis leaves out the document's own route (the fixture fetched it: 200).
    operations = {f"{method.upper()} {path}" for path, item in
                  requests.get(f"{fuzz_world.host.url}/api/openapi.json", timeout=30)
                  .json()["paths"].items() for method in item} - {"GET /api/openapi.json"}
    assert operations - succeeded == set(), json.dumps(fuzz_world.answers)
    cases = sum(sum(statuses.values()) for statuses in fuzz_world.answers.values())
    assert cases >= (5_000 if long_run() else 300), cases
    cara = fuzz_world.callers["customer"].headers()
    order = requests.get(f"{fuzz_world.host.url}/api/orders/fz-cara-1", headers=cara,
                         timeout=30)
    assert order.status_code == 200 and order.json()["status"] == "delivered"
    write_results(fuzz_world, cases)


def write_results(world: World, cases: int) -> None:
    """With FUZZ_RESULTS=1 (the soak run sets it): bench/results/fuzz_api.{json,md}."""
    if os.environ.get("FUZZ_RESULTS", "") in ("", "0"):
        return
    out = ROOT / "bench" / "results"
    figures = {"run": "long" if long_run() else "short", "seed": SEED,
               "examplesPerOperationAndRole": EXAMPLES, "statefulExamplesAndSteps":
               list(STATEFUL_STEPS), "roles": list(ROLES), "cases": cases,
               "seconds": round(time.monotonic() - world.started, 1),
               "answers": world.answers, "excludedDevhostAnswers": world.excluded}
    (out / "fuzz_api.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    lines = [f"# API fuzzing ({figures['run']} run)", "",
             f"schemathesis over `GET /api/openapi.json` as {', '.join(ROLES)}; seed {SEED}; "
             f"{cases} requests in {figures['seconds']} s; every answer checked (no 5xx, "
             "documented status and schema, problem+json with a code, valid requests "
             "accepted, invalid ones refused).", "", "| operation | answers by status |",
             "|---|---|"]
    for label in sorted(world.answers):
        counts = ", ".join(f"{s}: {n}" for s, n in sorted(world.answers[label].items()))
        lines.append(f"| `{label}` | {counts} |")
    lines += ["", "Known devhost answers, excluded from the checks (not the app's):", ""]
    lines += [f"- {reason}: {n}" for reason, n in sorted(world.excluded.items())] or ["- none"]
    (out / "fuzz_api.md").write_text("\n".join(lines) + "\n")
