"""Process instances: creation with variables, creation with result, cancellation.

Error codes are those gateway.proto lists for Zeebe 8.5: INVALID_ARGUMENT for variables that
are not a JSON object, NOT_FOUND for unknown keys, DEADLINE_EXCEEDED when a
CreateProcessInstanceWithResult request times out before the instance completes.
"""

import asyncio
import json

import grpc
import pytest
from pyzeebe.errors import ProcessInstanceNotFoundError
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    Process,
    activate_one,
    await_instance_state,
    complete,
    connect,
    deploy,
    no_jobs,
    rpc_error,
    running_worker,
    set_variables,
    simple_process,
    unique_id,
    wait_for,
)


@pytest.fixture
async def zb(engine_address):
    """A connection to the module's engine."""
    async with connect(engine_address) as conn:
        yield conn


@pytest.fixture
async def waiting(zb):
    """A deployed process start -> service task -> end; returns (process id, job type)."""
    pid, job_type = unique_id("wait"), unique_id("work")
    await deploy(zb, simple_process(pid, job_type))
    return pid, job_type


def _create(pid: str, variables: str) -> pb.CreateProcessInstanceRequest:
    """A raw request with a literal variables document."""
    return pb.CreateProcessInstanceRequest(bpmnProcessId=pid, version=-1, variables=variables)


# --------------------------------------------------------------------------- variables


async def test_create_instance_with_variables(zb, waiting):
    """Creation variables become root variables, visible to the first job as sent."""
    pid, job_type = waiting
    variables = {
        "proposalId": 42,
        "title": "Lúa chịu mặn",
        "budget": 1.5e9,
        "members": [{"name": "An", "role": "lead"}],
        "approved": None,
    }

    created = await zb.client.run_process(pid, variables)

    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["variables"] == variables
    assert view["state"] == "ACTIVE"
    assert view["key"] == created.process_instance_key
    assert (view["bpmnProcessId"], view["version"]) == (pid, 1)
    assert view["processDefinitionKey"] == created.process_definition_key
    assert view["parentProcessInstanceKey"] is None
    job = await activate_one(zb.stub, job_type)
    assert job.variables == variables


async def test_create_instance_with_empty_variables_string(zb, waiting):
    """An empty variables document means no variables (as zbctl sends it)."""
    pid, _ = waiting

    created = await zb.stub.CreateProcessInstance(_create(pid, ""))

    view = await zb.admin.get_process_instance(created.processInstanceKey)
    assert view["variables"] == {}


async def test_bad_json_variables_are_invalid_argument(zb, waiting):
    """Variables that are not valid JSON: INVALID_ARGUMENT, and no instance is created."""
    pid, job_type = waiting

    err = await rpc_error(zb.stub.CreateProcessInstance(_create(pid, '{"a": 1,')))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await zb.admin.list_jobs(job_type=job_type) == []


@pytest.mark.parametrize("document", ["[1, 2]", '"text"', "42", "null", "true"])
async def test_variables_that_are_not_an_object_are_invalid_argument(zb, waiting, document):
    """The root of the variables document must be an object."""
    pid, _ = waiting

    err = await rpc_error(zb.stub.CreateProcessInstance(_create(pid, document)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_keys_are_zeebe_shaped_for_partition_one(zb, waiting):
    """Instance and job keys carry partition 1 in their high bits, like Zeebe's keys."""
    pid, job_type = waiting

    created = await zb.client.run_process(pid)
    job = await activate_one(zb.stub, job_type)

    assert created.process_instance_key >> 51 == 1
    assert job.key >> 51 == 1
    assert job.key != created.process_instance_key


async def test_start_instructions_start_at_the_given_element(zb):
    """startInstructions start the instance at the named element instead of the start event."""
    p = Process(unique_id("startat"))
    first, second = unique_id("first"), unique_id("second")
    p.chain(p.start(), p.task("Task_First", first), p.task("Task_Second", second), p.end())
    await deploy(zb, p)

    created = await zb.stub.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(
            bpmnProcessId=p.id,
            version=-1,
            variables='{"jump": true}',
            startInstructions=[pb.ProcessInstanceCreationStartInstruction(elementId="Task_Second")],
        )
    )

    job = await activate_one(zb.stub, second)
    assert job.process_instance_key == created.processInstanceKey
    assert job.variables == {"jump": True}
    assert await no_jobs(zb.stub, first)


# --------------------------------------------------------------------------- start anywhere


def nested_process() -> tuple[Process, dict[str, str]]:
    """start -> outer sub-process [inner sub-process [task_a -> task_b]] -> after -> end."""
    p = Process(unique_id("anywhere"))
    types = {name: unique_id(name) for name in ("a", "b", "after")}
    outer = p.sub_process("outer")
    inner = outer.sub_process("inner")
    inner.chain(inner.start("inner_start"), inner.task("task_a", types["a"]))
    inner.chain("task_a", inner.task("task_b", types["b"]), inner.end("inner_end"))
    outer.chain(outer.start("outer_start"), "inner", outer.end("outer_end"))
    p.chain(p.start(), "outer", p.task("after", types["after"]), p.end())
    return p, types


def _start_at(pid: str, *element_ids: str, variables: str = "") -> pb.CreateProcessInstanceRequest:
    return pb.CreateProcessInstanceRequest(
        bpmnProcessId=pid,
        version=-1,
        variables=variables,
        startInstructions=[
            pb.ProcessInstanceCreationStartInstruction(elementId=e) for e in element_ids
        ],
    )


async def test_start_instruction_inside_nested_sub_processes_creates_their_scopes(zb):
    """Zeebe 8.5 "create process instance anywhere": the enclosing sub-processes are created
    (without running their start events) and the flow goes on out of them as usual."""
    p, types = nested_process()
    await deploy(zb, p)

    created = await zb.stub.CreateProcessInstance(_start_at(p.id, "task_b", variables='{"v": 1}'))
    pik = created.processInstanceKey

    job = await activate_one(zb.stub, types["b"])
    view = await zb.admin.get_process_instance(pik)
    by_id = {e["elementId"]: e for e in view["elementInstances"]}
    assert sorted(by_id) == ["inner", "outer", "task_b"]
    assert by_id["outer"]["parentKey"] == pik
    assert by_id["inner"]["parentKey"] == by_id["outer"]["key"]
    assert by_id["task_b"]["parentKey"] == by_id["inner"]["key"]
    assert job.element_instance_key == by_id["task_b"]["key"]
    assert job.variables == {"v": 1}
    assert await no_jobs(zb.stub, types["a"])

    await complete(zb.stub, job.key)
    after = await activate_one(zb.stub, types["after"])
    assert after.process_instance_key == pik
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_two_start_instructions_in_one_sub_process_share_its_instance(zb):
    p, types = nested_process()
    await deploy(zb, p)

    created = await zb.stub.CreateProcessInstance(_start_at(p.id, "task_a", "task_b"))

    a = await activate_one(zb.stub, types["a"])
    b = await activate_one(zb.stub, types["b"])
    view = await zb.admin.get_process_instance(created.processInstanceKey)
    assert sorted(e["elementId"] for e in view["elementInstances"]) == [
        "inner",
        "outer",
        "task_a",
        "task_b",
    ]
    await complete(zb.stub, b.key)
    await complete(zb.stub, a.key)
    # task_a went on to task_b: the sub-process waits for it
    b_again = await activate_one(zb.stub, types["b"])
    await complete(zb.stub, b_again.key)
    after = await activate_one(zb.stub, types["after"])
    assert after.process_instance_key == created.processInstanceKey


PREFIX = "Expected to create instance of process with start instructions but"
SUPPORTED = (
    "Supported element types are: [PROCESS, EVENT_SUB_PROCESS, SUB_PROCESS, END_EVENT, "
    "SEND_TASK, INTERMEDIATE_THROW_EVENT, INCLUSIVE_GATEWAY, CALL_ACTIVITY, MULTI_INSTANCE_BODY, "
    "INTERMEDIATE_CATCH_EVENT, USER_TASK, PARALLEL_GATEWAY, SCRIPT_TASK, MANUAL_TASK, "
    "SERVICE_TASK, EXCLUSIVE_GATEWAY, RECEIVE_TASK, BUSINESS_RULE_TASK, TASK, EVENT_BASED_GATEWAY]"
)


@pytest.mark.parametrize(
    ("element_id", "message"),
    [
        ("nowhere", f"{PREFIX} no element found with id 'nowhere'."),
        (
            "in_mi",
            f"{PREFIX} the element with id 'in_mi' is inside a multi-instance subprocess. The "
            "creation of elements inside a multi-instance subprocess is not supported.",
        ),
        (
            "start",
            f"{PREFIX} the element with id 'start' targets unsupported element type "
            f"'START_EVENT'. {SUPPORTED}",
        ),
        (
            "plain_start",
            f"{PREFIX} the element with id 'plain_start' targets unsupported element type "
            f"'START_EVENT'. {SUPPORTED}",
        ),
        (
            "on_task",
            f"{PREFIX} the element with id 'on_task' targets unsupported element type "
            f"'BOUNDARY_EVENT'. {SUPPORTED}",
        ),
        (
            "to_task",
            f"{PREFIX} the element with id 'to_task' targets unsupported element type "
            f"'SEQUENCE_FLOW'. {SUPPORTED}",
        ),
        (
            "after_gateway",
            f"{PREFIX} the element with id 'after_gateway' belongs to an event-based gateway. "
            "The creation of elements belonging to an event-based gateway is not supported.",
        ),
    ],
)
async def test_start_instructions_zeebe_refuses_are_refused_with_its_words(zb, element_id, message):
    """Elements that exist but may not be started at are INVALID_ARGUMENT, worded as
    Zeebe 8.5 words them; nothing is created."""
    p = Process(unique_id("refuse"))
    job_type = unique_id("work")
    mi = p.sub_process("mi")
    p.nodes[-1].body = (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="=[1, 2]" /></bpmn:extensionElements>'
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    mi.chain(mi.start("inner_start"), mi.task("in_mi", job_type), mi.end("mi_end"))
    p.chain(p.start(), "mi")
    p.flow("mi", p.task("task", job_type), flow_id="to_task")
    plain = p.sub_process("plain")
    plain.chain(plain.start("plain_start"), plain.end("plain_end"))
    p.chain("task", "plain", p.end())
    timer = (
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
        "PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    )
    p.node("boundaryEvent", "on_task", attrs={"attachedToRef": "task"}, body=timer)
    p.chain("on_task", p.node("eventBasedGateway", "gate"))
    p.flow("gate", p.node("intermediateCatchEvent", "after_gateway", body=timer))
    p.flow("gate", p.node("intermediateCatchEvent", "other_branch", body=timer))
    p.chain("after_gateway", p.end("end_a"))
    p.chain("other_branch", p.end("end_b"))
    await deploy(zb, p)

    err = await rpc_error(zb.stub.CreateProcessInstance(_start_at(p.id, "task", element_id)))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == message
    assert await no_jobs(zb.stub, job_type)


async def test_many_instances_run_concurrently_without_mixing_variables(zb):
    """Twenty concurrent WithResult instances through a real worker each get their own result."""
    p = Process(unique_id("many"))
    job_type = unique_id("square")
    fork, join = p.parallel("Fork"), p.parallel("Join")
    p.chain(p.start(), fork, p.task("Task_Square", job_type), join, p.end())
    p.chain(fork, p.node("manualTask", "Task_Manual"), join)
    await deploy(zb, p)

    async def square(n: int) -> dict:
        return {"square": n * n}

    async with running_worker(zb.channel, {job_type: square}):
        results = await asyncio.gather(
            *(zb.client.run_process_with_result(p.id, {"n": n}, timeout=20_000) for n in range(20))
        )

    assert [r.variables for r in results] == [{"n": n, "square": n * n} for n in range(20)]
    assert len({r.process_instance_key for r in results}) == 20


# --------------------------------------------------------------------------- with result


async def test_create_with_result_returns_final_variables(zb, waiting):
    """CreateProcessInstanceWithResult answers when the instance completed, with its variables."""
    pid, job_type = waiting

    async def work(amount: int) -> dict:
        return {"doubled": amount * 2}

    async with running_worker(zb.channel, {job_type: work}):
        result = await zb.client.run_process_with_result(pid, {"amount": 21}, timeout=10_000)

    assert result.bpmn_process_id == pid
    assert result.version == 1
    assert result.variables == {"amount": 21, "doubled": 42}
    await await_instance_state(zb.admin, result.process_instance_key, "COMPLETED")


async def test_create_with_result_of_a_process_without_wait_states(zb):
    """A start -> end process answers at once with its input variables."""
    pid = unique_id("instant")
    await deploy(zb, simple_process(pid))

    result = await zb.client.run_process_with_result(pid, {"x": "y"})

    assert result.variables == {"x": "y"}


async def test_create_with_result_fetch_variables_filters_the_result(zb, waiting):
    """fetchVariables limits the result to the named variables."""
    pid, job_type = waiting

    async def work() -> dict:
        return {"b": 2, "c": 3}

    async with running_worker(zb.channel, {job_type: work}):
        result = await zb.client.run_process_with_result(
            pid, {"a": 1}, timeout=10_000, variables_to_fetch=["a", "c"]
        )

    assert result.variables == {"a": 1, "c": 3}


async def test_create_with_result_fetch_of_unknown_names_returns_only_existing(zb):
    """fetchVariables naming variables that do not exist returns just those that do."""
    pid = unique_id("fetchsome")
    await deploy(zb, simple_process(pid))

    result = await zb.client.run_process_with_result(
        pid, {"a": 1, "b": 2}, variables_to_fetch=["a", "missing"]
    )

    assert result.variables == {"a": 1}


async def test_create_with_result_times_out_with_deadline_exceeded(zb, waiting):
    """When the instance does not complete within requestTimeout: DEADLINE_EXCEEDED.

    The instance itself keeps running, as in Zeebe: its job is still there to work on.
    """
    pid, job_type = waiting
    request = pb.CreateProcessInstanceWithResultRequest(
        request=_create(pid, '{"k": 1}'), requestTimeout=500
    )

    err = await rpc_error(zb.stub.CreateProcessInstanceWithResult(request, timeout=15))

    assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    job = await activate_one(zb.stub, job_type)
    view = await zb.admin.get_process_instance(job.process_instance_key)
    assert view["state"] == "ACTIVE"
    assert view["variables"] == {"k": 1}


async def test_create_with_result_unknown_process_is_not_found(zb):
    """CreateProcessInstanceWithResult of an unknown id is NOT_FOUND, like CreateProcessInstance."""
    request = pb.CreateProcessInstanceWithResultRequest(
        request=_create(unique_id("nobody"), "{}"), requestTimeout=1000
    )

    err = await rpc_error(zb.stub.CreateProcessInstanceWithResult(request, timeout=10))

    assert err.code() == grpc.StatusCode.NOT_FOUND


# --------------------------------------------------------------------------- cancel


async def test_cancel_terminates_instance_and_removes_its_jobs(zb, waiting):
    """CancelProcessInstance: the instance is TERMINATED and its activated job is gone."""
    pid, job_type = waiting
    created = await zb.client.run_process(pid)
    job = await activate_one(zb.stub, job_type)

    await zb.client.cancel_process_instance(created.process_instance_key)

    view = await await_instance_state(zb.admin, created.process_instance_key, "TERMINATED")
    assert view["elementInstances"] == []
    assert await zb.admin.list_jobs(process_instance_key=created.process_instance_key) == []
    err = await rpc_error(complete(zb.stub, job.key, late=True))
    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_cancel_removes_jobs_not_yet_activated(zb, waiting):
    """A job that was never activated disappears too: no worker can activate it afterwards."""
    pid, job_type = waiting
    created = await zb.client.run_process(pid)
    await wait_for(lambda: zb.admin.list_jobs(job_type=job_type), message="job created")

    await zb.client.cancel_process_instance(created.process_instance_key)

    assert await zb.admin.list_jobs(job_type=job_type) == []
    assert await no_jobs(zb.stub, job_type)


async def test_cancel_removes_every_job_of_parallel_and_nested_branches(zb):
    """Cancelling reaches into all branches, sub-processes included: every job is gone."""
    p = Process(unique_id("cancelwide"))
    left, inner = unique_id("left"), unique_id("inner")
    fork = p.parallel("Fork")
    sub = p.sub_process("Sub")
    sub.chain(sub.start("Sub_Start"), sub.task("Task_Inner", inner), sub.end("Sub_End"))
    p.chain(p.start(), fork, p.task("Task_Left", left), p.end("End_Left"))
    p.chain(fork, "Sub", p.end("End_Sub"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    pik = created.process_instance_key
    await activate_one(zb.stub, left)
    await wait_for(lambda: zb.admin.list_jobs(job_type=inner), message="inner job")

    await zb.client.cancel_process_instance(pik)

    view = await await_instance_state(zb.admin, pik, "TERMINATED")
    assert view["elementInstances"] == []
    assert await zb.admin.list_jobs(process_instance_key=pik) == []
    assert await no_jobs(zb.stub, inner)


async def test_cancel_instance_with_incident_removes_the_incident(zb):
    """Cancelling an instance that has an open incident also resolves that incident."""
    p = Process(unique_id("cancelinc"))
    g = p.exclusive("Gateway")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=x = 1")
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"x": 2})
    pik = created.process_instance_key
    await wait_for(lambda: zb.admin.list_incidents(pik), message="incident")

    await zb.client.cancel_process_instance(pik)

    await await_instance_state(zb.admin, pik, "TERMINATED")
    assert await zb.admin.list_incidents(pik) == []


async def test_cancel_unknown_instance_is_not_found(zb):
    """Cancelling a key that is no process instance: NOT_FOUND (pyzeebe's own error)."""
    err = await rpc_error(
        zb.stub.CancelProcessInstance(
            pb.CancelProcessInstanceRequest(processInstanceKey=(1 << 51) + 987_654_321)
        )
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND

    with pytest.raises(ProcessInstanceNotFoundError):
        await zb.client.cancel_process_instance((1 << 51) + 987_654_322)


async def test_cancel_with_an_element_instance_key_is_not_found(zb, waiting):
    """CancelProcessInstance only takes process instance keys: a task's key is NOT_FOUND,
    and the instance keeps running."""
    pid, job_type = waiting
    created = await zb.client.run_process(pid)
    job = await activate_one(zb.stub, job_type)

    err = await rpc_error(
        zb.stub.CancelProcessInstance(
            pb.CancelProcessInstanceRequest(processInstanceKey=job.element_instance_key)
        )
    )

    assert err.code() == grpc.StatusCode.NOT_FOUND
    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["state"] == "ACTIVE"


async def test_cancel_completed_instance_is_not_found(zb):
    """A completed instance cannot be cancelled: NOT_FOUND."""
    pid = unique_id("done")
    await deploy(zb, simple_process(pid))
    created = await zb.client.run_process(pid)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")

    err = await rpc_error(
        zb.stub.CancelProcessInstance(
            pb.CancelProcessInstanceRequest(processInstanceKey=created.process_instance_key)
        )
    )

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_cancel_twice_is_not_found_the_second_time(zb, waiting):
    """The second cancellation of the same instance is NOT_FOUND."""
    pid, _ = waiting
    created = await zb.client.run_process(pid)
    await zb.client.cancel_process_instance(created.process_instance_key)

    err = await rpc_error(
        zb.stub.CancelProcessInstance(
            pb.CancelProcessInstanceRequest(processInstanceKey=created.process_instance_key)
        )
    )

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_set_variables_on_unknown_scope_is_not_found(zb):
    """SetVariables on a key that is no element instance: NOT_FOUND."""
    err = await rpc_error(set_variables(zb.stub, (1 << 51) + 31_313_131, {"a": 1}))

    assert err.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("document", ["{oops", "[1]"])
async def test_set_variables_with_a_bad_document_is_invalid_argument(zb, waiting, document):
    """SetVariables with invalid JSON or a non-object root: INVALID_ARGUMENT."""
    pid, _ = waiting
    created = await zb.client.run_process(pid)

    err = await rpc_error(
        zb.stub.SetVariables(
            pb.SetVariablesRequest(
                elementInstanceKey=created.process_instance_key, variables=document
            )
        )
    )

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_set_variables_on_the_instance_updates_root_variables(zb, waiting):
    """SetVariables on the process instance key adds and overwrites root variables,
    and the next activation of a job sees them."""
    pid, job_type = waiting
    created = await zb.client.run_process(pid, {"a": 1, "b": 1})

    await set_variables(zb.stub, created.process_instance_key, {"b": 2, "c": 3})

    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["variables"] == {"a": 1, "b": 2, "c": 3}
    job = await activate_one(zb.stub, job_type)
    assert job.variables == {"a": 1, "b": 2, "c": 3}


async def test_set_variables_on_a_completed_instance_is_not_found(zb):
    """A finished instance has no scope to set variables on: NOT_FOUND."""
    pid = unique_id("finished")
    await deploy(zb, simple_process(pid))
    created = await zb.client.run_process(pid)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")

    err = await rpc_error(set_variables(zb.stub, created.process_instance_key, {"late": 1}))

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_create_with_result_answers_after_terminate_end_event(zb):
    """An instance completed through a terminate end event answers WithResult normally."""
    p = Process(unique_id("termres"))
    never = unique_id("never")
    fork = p.parallel("Fork")
    p.chain(p.start(), fork, p.task("Task_Never", never), p.end("End_Never"))
    p.chain(fork, p.end("End_Stop", terminate=True))
    await deploy(zb, p)

    result = await zb.client.run_process_with_result(p.id, {"q": 1}, timeout=10_000)

    assert result.variables == {"q": 1}
    assert await zb.admin.list_jobs(job_type=never) == []


async def test_numbers_and_odd_names_survive_gateways_and_jobs_exactly(zb):
    """64-bit integers beyond 2^53, decimals and names FEEL cannot spell come back unchanged
    after a FEEL-evaluated gateway and a job (Zeebe stores int64 exactly)."""
    p = Process(unique_id("exact"))
    job_type = unique_id("exact")
    g = p.exclusive("Gateway_Flag")
    p.chain(p.start(), g)
    p.flow(g, p.task("Task_Check", job_type), condition="=flag and precise > 0")
    p.flow(g, p.end("End_Other"), default=True)
    p.chain("Task_Check", p.end())
    await deploy(zb, p)
    variables = {
        "flag": True,
        "precise": 9007199254740993,
        "big": 2**63 - 1,
        "dec": 0.1,
        "a.b": 1,
        "tên đề tài": "x",
        "neg": -(2**62),
    }

    call = zb.stub.CreateProcessInstanceWithResult(
        pb.CreateProcessInstanceWithResultRequest(
            request=_create(p.id, json.dumps(variables)), requestTimeout=10_000
        ),
        timeout=20,
    )
    job = await activate_one(zb.stub, job_type)
    assert job.variables == variables
    await complete(zb.stub, job.key, echoed=job.variables["precise"])
    result = await call

    assert json.loads(result.variables) == {**variables, "echoed": 9007199254740993}


async def test_admin_unknown_instance_is_not_found(zb):
    """The admin view of an unknown instance key is NOT_FOUND."""
    err = await rpc_error(zb.admin.get_process_instance((1 << 51) + 55_555_555))

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_variables_document_with_nested_json_roundtrips(zb):
    """Nested objects, unicode and large integers survive the instance unchanged."""
    p = Process(unique_id("roundtrip"))
    p.chain(p.start(), p.end())
    await deploy(zb, p)
    variables = {"big": 2**53 - 1, "deep": {"a": {"b": [1, {"c": "đ"}]}}, "empty": {}}

    result = await zb.stub.CreateProcessInstanceWithResult(
        pb.CreateProcessInstanceWithResultRequest(
            request=_create(p.id, json.dumps(variables)), requestTimeout=5000
        ),
        timeout=15,
    )

    assert json.loads(result.variables) == variables
