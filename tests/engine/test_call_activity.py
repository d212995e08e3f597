"""Call activities, end to end (Camunda 8.5 docs, "Call activities"):

- entering the call activity creates an instance of the latest version of the called process
  (zeebe:calledElement processId, a static value or a FEEL expression that must give a string);
- input mappings create local variables of the call activity, also copied to the child; with
  propagateAllParentVariables (default true) every variable visible from the call activity is
  copied, with false only its local variables (the input mappings);
- with propagateAllChildVariables (default true) all the child's variables are propagated to
  the call activity on completion; output mappings restrict that to the mapped results; with
  false and no output mappings nothing is propagated;
- canceling the parent terminates the child; an unknown process id is a CALLED_ELEMENT_ERROR
  incident that can be resolved once the process is deployed.
"""

from __future__ import annotations

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
    fixture_xml,
    no_jobs,
    resolve_incident,
    set_variables,
    unique_id,
)
from tests.support.zeebe_more import (
    await_incidents,
    await_no_incidents,
    call_activity,
    element_instance,
    expect_code,
    probe,
    service_task,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


async def deploy_child(zb, child_pid: str | None = None) -> tuple[str, str]:
    """Deploy a child process (start -> service task 'child_work' -> end): (pid, job type)."""
    child_pid = child_pid or unique_id("call-child")
    job_type = unique_id("child-t")
    child = Process(child_pid)
    child.chain(
        child.start("child_start"),
        service_task(child, "child_work", job_type),
        child.end("child_end"),
    )
    await deploy(zb.stub, child)
    return child_pid, job_type


async def deploy_parent(zb, called: str, **call_kwargs) -> tuple[str, str]:
    """Deploy start -> call activity 'call' -> service task 'probe' -> end: (pid, probe type)."""
    pid, probe_type = unique_id("call-parent"), unique_id("call-probe")
    p = Process(pid)
    p.chain(
        p.start(),
        call_activity(p, "call", called, **call_kwargs),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    return pid, probe_type


async def test_call_activity_starts_the_latest_child_with_the_parent_variables(zb):
    child_pid, old_type = await deploy_child(zb)
    _, child_type = await deploy_child(zb, child_pid)  # version 2 of the same process
    pid, probe_type = await deploy_parent(zb, child_pid, inputs=[("=a + 1", "b")])
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    assert await no_jobs(zb.stub, old_type)
    assert job.bpmn_process_id == child_pid
    assert job.process_definition_version == 2
    child_pik = job.process_instance_key
    assert child_pik != pik
    # all variables visible from the call activity: the parent's a and the local input b
    assert job.variables == {"a": 1, "b": 2}

    child_view = await zb.admin.get_process_instance(child_pik)
    assert child_view["parentProcessInstanceKey"] == pik
    assert child_view["bpmnProcessId"] == child_pid
    assert child_view["state"] == "ACTIVE"
    parent_view = await zb.admin.get_process_instance(pik)
    assert parent_view["parentProcessInstanceKey"] is None
    call = await element_instance(zb.admin, pik, "call")
    assert call["elementType"] == "CALL_ACTIVITY"

    await complete(zb.stub, job.key, r=42)
    await await_instance_state(zb.admin, child_pik, "COMPLETED")
    after = await probe(zb.stub, probe_type)
    # every child variable came back; b updated the call activity's local b and vanished
    assert after.variables == {"a": 1, "r": 42}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_called_process_id_from_a_feel_expression(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, probe_type = await deploy_parent(zb, "=childId")
    pik = (await create_instance(zb.stub, pid, {"childId": child_pid})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    assert job.bpmn_process_id == child_pid
    await complete(zb.stub, job.key)
    await probe(zb.stub, probe_type)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_propagate_all_parent_variables_false_copies_only_input_mappings(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, probe_type = await deploy_parent(
        zb, child_pid, propagate_all_parent_variables=False, inputs=[("=a", "x")]
    )
    pik = (await create_instance(zb.stub, pid, {"a": 1, "secret": "s"})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    assert job.variables == {"x": 1}
    await complete(zb.stub, job.key)
    await probe(zb.stub, probe_type)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_propagate_all_parent_variables_true_copies_everything_visible(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, _ = await deploy_parent(zb, child_pid, propagate_all_parent_variables=True)
    await create_instance(zb.stub, pid, {"a": 1, "nested": {"k": [1, 2]}})

    job = await activate_one(zb.stub, child_type)
    assert job.variables == {"a": 1, "nested": {"k": [1, 2]}}


async def test_child_variables_propagate_to_the_parent_by_default(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, probe_type = await deploy_parent(zb, child_pid, propagate_all_child_variables=True)
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    await complete(zb.stub, job.key, a=2, r={"ok": True})
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"a": 2, "r": {"ok": True}}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_propagate_all_child_variables_false_takes_only_output_mappings(zb):
    suffix = unique_id("s")
    await deploy(
        zb.stub,
        ("call_child.bpmn", fixture_xml("call_child.bpmn", {"__SUFFIX__": suffix})),
        (
            "call_parent_outputs.bpmn",
            fixture_xml("call_parent_outputs.bpmn", {"__SUFFIX__": suffix}),
        ),
    )
    pik = (await create_instance(zb.stub, f"call-parent-{suffix}", {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, f"call-child-{suffix}")
    assert job.variables == {"a": 1}
    await complete(zb.stub, job.key, r=42, junk="j", a=99)
    after = await probe(zb.stub, f"call-probe-{suffix}")
    assert after.variables == {"a": 1, "result": 42}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_propagate_all_child_variables_false_without_mappings_takes_nothing(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, probe_type = await deploy_parent(zb, child_pid, propagate_all_child_variables=False)
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    await complete(zb.stub, job.key, r=42, a=2)
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"a": 1}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_canceling_the_parent_terminates_the_child(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, _ = await deploy_parent(zb, child_pid)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, child_type)
    child_pik = job.process_instance_key

    await zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=pik), timeout=10
    )
    await await_instance_state(zb.admin, pik, "TERMINATED")
    await await_instance_state(zb.admin, child_pik, "TERMINATED")
    assert await zb.admin.list_jobs(process_instance_key=child_pik) == []
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_unknown_called_process_raises_incident_resolved_after_deploying_it(zb):
    child_pid = unique_id("call-missing")
    pid, probe_type = await deploy_parent(zb, child_pid)
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "CALLED_ELEMENT_ERROR"
    assert incident["elementId"] == "call"
    assert child_pid in incident["errorMessage"]
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"

    _, child_type = await deploy_child(zb, child_pid)
    await resolve_incident(zb.stub, incident["key"])
    await await_no_incidents(zb.admin, pik)
    job = await activate_one(zb.stub, child_type)
    assert job.variables == {"a": 1}
    await complete(zb.stub, job.key)
    await probe(zb.stub, probe_type)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_called_process_expression_that_is_not_a_string_raises_incident(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, _ = await deploy_parent(zb, "=childId")
    pik = (await create_instance(zb.stub, pid, {"childId": 42})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "call"

    await set_variables(zb.stub, pik, {"childId": child_pid})
    await resolve_incident(zb.stub, incident["key"])
    job = await activate_one(zb.stub, child_type)
    assert job.bpmn_process_id == child_pid


async def test_error_thrown_in_the_child_is_caught_by_a_boundary_event_of_the_call_activity(zb):
    # Error events docs: starting at the scope where the error was thrown, the catch events of
    # each enclosing scope are tried, up through the call activity into the parent instance.
    child_pid, child_type = await deploy_child(zb)
    pid, handled_type = unique_id("call-err"), unique_id("handled")
    code = unique_id("NO_FUNDS")
    p = Process(pid)
    p.chain(p.start(), call_activity(p, "call", child_pid), p.end())
    p.node(
        "boundaryEvent",
        "caught",
        attrs={"attachedToRef": "call"},
        body='<bpmn:errorEventDefinition errorRef="Error_funds" />',
    )
    p.chain("caught", service_task(p, "handled", handled_type), p.end("end_error"))
    xml = p.xml().replace(
        b"<bpmn:process",
        f'<bpmn:error id="Error_funds" name="funds" errorCode="{code}" />\n<bpmn:process'.encode(),
        1,
    )
    await deploy(zb.stub, (f"{pid}.bpmn", xml))
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, child_type)
    child_pik = job.process_instance_key
    await set_variables(zb.stub, child_pik, {"child_only": True})
    await zb.stub.ThrowError(
        pb.ThrowErrorRequest(jobKey=job.key, errorCode=code, errorMessage="declined"), timeout=10
    )

    handled = await activate_one(zb.stub, handled_type)
    assert handled.process_instance_key == pik
    # Docs: when an interrupting boundary event is triggered, "the variables of the created
    # process instance are not propagated to the call activity".
    assert handled.variables == {"a": 1}
    await await_instance_state(zb.admin, child_pik, "TERMINATED")
    assert await zb.admin.list_incidents(child_pik) == []
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_an_incident_in_the_child_belongs_to_the_child_and_ends_with_the_parent(zb):
    child_pid, child_type = await deploy_child(zb)
    pid, _ = await deploy_parent(zb, child_pid)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, child_type)
    child_pik = job.process_instance_key

    await zb.stub.FailJob(
        pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="down"), timeout=10
    )
    [incident] = await await_incidents(zb.admin, child_pik)
    assert incident["processInstanceKey"] == child_pik
    assert incident["elementId"] == "child_work"
    assert await zb.admin.list_incidents(pik) == []
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"

    await zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=pik), timeout=10
    )
    await await_instance_state(zb.admin, child_pik, "TERMINATED")
    assert await zb.admin.list_incidents(child_pik) == []


async def test_child_without_wait_states_completes_and_the_parent_continues(zb):
    child_pid = unique_id("call-instant")
    child = Process(child_pid)
    child.chain(child.start("child_start"), child.end("child_end"))
    await deploy(zb.stub, child)
    pid, probe_type = await deploy_parent(zb, child_pid, inputs=[("=1", "one")])
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    after = await probe(zb.stub, probe_type)
    assert after.variables == {"a": 1}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_canceling_the_root_terminates_the_whole_call_hierarchy(zb):
    grandchild_pid, grandchild_type = await deploy_child(zb)
    child_pid, _ = await deploy_parent(zb, grandchild_pid)  # a parent is also a child
    root_pid, _ = await deploy_parent(zb, child_pid)
    root = (await create_instance(zb.stub, root_pid, {"depth": 0})).processInstanceKey

    job = await activate_one(zb.stub, grandchild_type)
    assert job.variables == {"depth": 0}
    grandchild = await zb.admin.get_process_instance(job.process_instance_key)
    child = await zb.admin.get_process_instance(grandchild["parentProcessInstanceKey"])
    assert child["parentProcessInstanceKey"] == root
    assert child["bpmnProcessId"] == child_pid

    await zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=root), timeout=10
    )
    for key in (root, child["key"], grandchild["key"]):
        await await_instance_state(zb.admin, key, "TERMINATED")
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_parent_and_child_survive_an_engine_restart(zb, engine_process):
    child_pid, child_type = await deploy_child(zb)
    pid, probe_type = await deploy_parent(zb, child_pid)
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey
    job = await activate_one(zb.stub, child_type)

    engine_process.restart()
    async with connect(engine_process.address) as fresh:
        child = await fresh.admin.get_process_instance(job.process_instance_key)
        assert child["parentProcessInstanceKey"] == pik
        await complete(fresh.stub, job.key, r=42)
        after = await probe(fresh.stub, probe_type)
        assert after.variables == {"a": 1, "r": 42}
        await await_instance_state(fresh.admin, pik, "COMPLETED")


async def test_a_child_instance_cannot_be_canceled_on_its_own(zb):
    # Zeebe rejects it (INVALID_STATE -> FAILED_PRECONDITION): "Expected to cancel a process
    # instance with key '...', but it is created by a parent process instance. Cancel the root
    # process instance '...' instead."
    child_pid, child_type = await deploy_child(zb)
    pid, _ = await deploy_parent(zb, child_pid)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, child_type)

    await expect_code(
        zb.stub.CancelProcessInstance(
            pb.CancelProcessInstanceRequest(processInstanceKey=job.process_instance_key),
            timeout=10,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert (await zb.admin.get_process_instance(job.process_instance_key))["state"] == "ACTIVE"
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"
