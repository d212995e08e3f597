"""Incidents over the gateway protocol and the admin service: listing, resolving, rejections.

Rules from the Camunda 8.5 docs ("Incidents"): a job that fails without retries raises an
incident; to resolve it, update the job's retries and then resolve the incident, after which
the job can be activated again. Zeebe (8.3.x/8.4.x backports and 8.5, camunda/camunda#16484,
PR #17504) rejects ResolveIncident with INVALID_STATE -> gRPC FAILED_PRECONDITION while the
job still has no retries left, and the incident stays open. Non-job incidents (conditions,
mappings) retry the failed step when resolved; if it fails again a new incident is created.
"""

from __future__ import annotations

import random

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    Process,
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    fail_job,
    no_jobs,
    resolve_incident,
    set_variables,
    unique_id,
    update_retries,
    wait_for,
)
from tests.support.zeebe_more import (
    await_incidents,
    await_no_incidents,
    expect_code,
    service_task,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


def unknown_key() -> int:
    """A well-formed key (partition 1) that no engine has handed out."""
    return (1 << 51) + 10**12 + random.randrange(10**9)


async def failed_job_incident(zb) -> tuple[int, str, object, dict]:
    """An instance whose only job failed without retries: (pik, job type, job, incident)."""
    pid, job_type = unique_id("inc-p"), unique_id("inc-t")
    p = Process(pid)
    p.chain(p.start(), p.task("task", job_type), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    await fail_job(zb.stub, job.key, retries=0, message=f"boom {pik}")
    [incident] = await await_incidents(zb.admin, pik)
    return pik, job_type, job, incident


async def test_incidents_are_listed_per_instance_with_their_fields(zb):
    pik1, _, job1, inc1 = await failed_job_incident(zb)
    pik2, _, job2, inc2 = await failed_job_incident(zb)

    assert inc1 == {
        "key": inc1["key"],
        "processInstanceKey": pik1,
        "elementInstanceKey": job1.element_instance_key,
        "elementId": "task",
        "jobKey": job1.key,
        "errorType": "JOB_NO_RETRIES",
        "errorMessage": f"boom {pik1}",
    }
    assert [i["key"] for i in await zb.admin.list_incidents(pik2)] == [inc2["key"]]
    assert inc2["jobKey"] == job2.key
    assert inc1["key"] != inc2["key"]
    every = {i["key"] for i in await zb.admin.list_incidents()}
    assert {inc1["key"], inc2["key"]} <= every


async def test_resolving_a_job_incident_without_new_retries_is_rejected(zb):
    pik, job_type, job, incident = await failed_job_incident(zb)

    await expect_code(
        resolve_incident(zb.stub, incident["key"]), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert [i["key"] for i in await zb.admin.list_incidents(pik)] == [incident["key"]]
    assert await no_jobs(zb.stub, job_type)

    await update_retries(zb.stub, job.key, 1)
    await resolve_incident(zb.stub, incident["key"])
    again = await activate_one(zb.stub, job_type)
    assert again.key == job.key
    assert again.retries == 1
    await complete(zb.stub, again.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_updating_retries_alone_does_not_resolve_the_incident(zb):
    pik, job_type, job, incident = await failed_job_incident(zb)

    await update_retries(zb.stub, job.key, 2)
    assert [i["key"] for i in await zb.admin.list_incidents(pik)] == [incident["key"]]
    assert await no_jobs(zb.stub, job_type)
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["retries"] == 2

    await resolve_incident(zb.stub, incident["key"])
    await await_no_incidents(zb.admin, pik)
    again = await activate_one(zb.stub, job_type)
    assert again.retries == 2


async def test_a_job_with_an_open_incident_cannot_be_completed(zb):
    # Zeebe rejects CompleteJob for a FAILED job with INVALID_STATE ("Expected to complete job
    # with key '...', but it is in state 'FAILED'") -> gRPC FAILED_PRECONDITION.
    pik, _, job, incident = await failed_job_incident(zb)
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.FAILED_PRECONDITION)
    assert [i["key"] for i in await zb.admin.list_incidents(pik)] == [incident["key"]]


async def test_resolve_incident_with_an_unknown_key_is_not_found(zb):
    await expect_code(resolve_incident(zb.stub, unknown_key()), grpc.StatusCode.NOT_FOUND)


async def test_resolving_an_incident_twice_is_not_found(zb):
    pik, job_type, job, incident = await failed_job_incident(zb)
    await update_retries(zb.stub, job.key, 1)
    await resolve_incident(zb.stub, incident["key"])
    await expect_code(resolve_incident(zb.stub, incident["key"]), grpc.StatusCode.NOT_FOUND)


async def test_condition_incident_is_resolved_after_fixing_the_variable(zb):
    pid, big, neg = unique_id("inc-cond"), unique_id("big"), unique_id("neg")
    p = Process(pid)
    p.chain(p.start(), p.exclusive("decide"))
    p.flow("decide", service_task(p, "big", big), condition="=x > 5")
    p.flow("decide", service_task(p, "neg", neg), condition="=x < 0")
    p.flow("big", p.end("end_big"))
    p.flow("neg", p.end("end_neg"))
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, pid, {"x": 1})).processInstanceKey

    # No condition is true and there is no default flow.
    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "CONDITION_ERROR"
    assert incident["elementId"] == "decide"
    assert incident["errorMessage"] == (
        "Expected at least one condition to evaluate to true, or to have a default flow"
    )
    assert incident["jobKey"] in (None, 0, -1)

    await set_variables(zb.stub, pik, {"x": 10})
    await resolve_incident(zb.stub, incident["key"])
    job = await activate_one(zb.stub, big)
    assert job.variables == {"x": 10}
    assert await no_jobs(zb.stub, neg)
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")
    assert await zb.admin.list_incidents(pik) == []


async def test_resolving_without_fixing_the_cause_raises_a_new_incident(zb):
    pid, big = unique_id("inc-again"), unique_id("big")
    p = Process(pid)
    p.chain(p.start(), p.exclusive("decide"))
    p.flow("decide", service_task(p, "big", big), condition="=x > 5")
    p.flow("big", p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, pid, {"x": 1})).processInstanceKey
    [first] = await await_incidents(zb.admin, pik)

    await resolve_incident(zb.stub, first["key"])

    async def new_incident() -> list[dict]:
        found = await zb.admin.list_incidents(pik)
        return [i for i in found if i["key"] != first["key"]]

    [second] = await wait_for(new_incident, 10, message="a new incident")
    assert second["errorType"] == "CONDITION_ERROR"
    assert second["elementId"] == "decide"
    assert [i["key"] for i in await zb.admin.list_incidents(pik)] == [second["key"]]


async def test_canceling_an_instance_removes_its_incidents(zb):
    pik, job_type, _, _ = await failed_job_incident(zb)
    await zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=pik), timeout=10
    )
    await await_instance_state(zb.admin, pik, "TERMINATED")
    assert await zb.admin.list_incidents(pik) == []
    assert await zb.admin.list_jobs(job_type=job_type) == []


# --------------------------------------------------------------------------- Zeebe's wording
# Operators debug from incident texts; these are worded as Zeebe 8.5's ExpressionProcessor
# words them, with FEEL's warnings one per line as "[TYPE] message".


@pytest.mark.parametrize(
    ("variables", "warnings"),
    [
        (
            {},
            "[NO_VARIABLE_FOUND] No variable found with name 'amount'\n"
            "[NOT_COMPARABLE] Can't compare 'null' with '100'",
        ),
        ({"amount": "99"}, "[NOT_COMPARABLE] Can't compare '\"99\"' with '100'"),
    ],
    ids=["missing", "string"],
)
async def test_condition_failure_carries_feels_warnings(zb, variables, warnings):
    p = Process(unique_id("inc-warn"))
    p.chain(p.start(), p.exclusive("decide"))
    p.flow("decide", p.end("end_big"), condition="=amount >= 100")
    p.flow("decide", p.end("end_small"), default=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, variables)).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)

    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "decide"
    assert incident["errorMessage"] == (
        "Expected result of the expression 'amount >= 100' to be 'BOOLEAN', but was 'NULL'. "
        "The evaluation reported the following warnings:\n" + warnings
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {},
            "Expected result of the expression 'wait' to be one of '[DURATION, PERIOD, "
            "STRING]', but was 'NULL'. The evaluation reported the following warnings:\n"
            "[NO_VARIABLE_FOUND] No variable found with name 'wait'",
        ),
        ({"wait": "soon"}, "Invalid duration format 'soon' for expression 'wait'."),
    ],
    ids=["null", "not-a-duration"],
)
async def test_timer_expression_failures_read_as_in_zeebe(zb, variables, message):
    p = Process(unique_id("inc-timer"))
    timer = (
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
        "=wait</bpmn:timeDuration></bpmn:timerEventDefinition>"
    )
    p.chain(p.start(), p.node("intermediateCatchEvent", "pause", body=timer), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, variables)).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)

    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "pause"
    assert incident["errorMessage"] == message


async def test_null_correlation_key_reads_null(zb):
    p = Process(unique_id("inc-corr"))
    msg = (
        '<bpmn:message id="Msg" name="paid"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>'
    )
    p.chain(
        p.start(),
        p.node(
            "intermediateCatchEvent",
            "wait",
            body='<bpmn:messageEventDefinition messageRef="Msg" />',
        ),
        p.end(),
    )
    doc = p.xml().decode().replace("</bpmn:definitions>", msg + "</bpmn:definitions>")
    await deploy(zb.stub, (f"{p.id}.bpmn", doc.encode()))
    pik = (await create_instance(zb.stub, p.id)).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)

    assert incident["errorMessage"] == (
        "Failed to extract the correlation key for 'orderId': The value must be either a "
        "string or a number, but was 'NULL'. The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'orderId'"
    )


async def test_candidate_groups_of_another_type_are_worded_as_zeebe(zb):
    p = Process(unique_id("inc-groups"))
    p.chain(p.start(), p.user_task("review", candidate_groups="=groups"), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"groups": ["a", 1]})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)

    assert incident["errorMessage"] == (
        "Expected result of the expression 'groups' to be 'ARRAY' containing 'STRING' items, "
        "but was 'ARRAY' containing at least one non-'STRING' item."
    )
