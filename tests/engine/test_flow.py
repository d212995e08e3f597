"""BPMN flow semantics as Zeebe 8.5 documents them (BPMN coverage, gateways, sub-processes,
terminate end events, job-based tasks).

Each test deploys its own small process under a unique id, and looks at the engine through
the wire: the jobs a worker can activate, and the admin view of instances and incidents.
"""

import grpc
import pytest
from pyzeebe import Job

from tests.support.zeebe import (
    USER_TASK_JOB_TYPE,
    Process,
    activate,
    activate_one,
    active_elements,
    await_incident,
    await_instance_state,
    await_jobs,
    complete,
    connect,
    deploy,
    fixture_xml,
    no_jobs,
    resolve_incident,
    rpc_error,
    running_worker,
    set_variables,
    unique_id,
    wait_for,
)

# Joining inclusive gateways are tested here, so this module's engine allows them (as Zeebe
# 8.6 does); by default the engine refuses them at deploy as Zeebe 8.5 does (test_deploy).
ENGINE_ARGS = ["--allow-joining-inclusive-gateway"]


@pytest.fixture
async def zb(engine_address):
    """A connection to the module's engine."""
    async with connect(engine_address) as conn:
        yield conn


async def _job_elements(zb, process_instance_key: int) -> list[str]:
    """Element ids of the open jobs of an instance, sorted (admin view)."""
    jobs = await zb.admin.list_jobs(process_instance_key=process_instance_key)
    return sorted(j["elementId"] for j in jobs)


async def _await_job_elements(zb, process_instance_key: int) -> list[str]:
    """Wait until an instance has at least one open job; return their element ids."""
    return await wait_for(
        lambda: _job_elements(zb, process_instance_key),
        message=f"a job of instance {process_instance_key}",
    )


# --------------------------------------------------------------------------- events


async def test_none_start_to_none_end_completes(zb):
    """start -> end: the instance completes at once with its variables."""
    p = Process(unique_id("startend"))
    p.chain(p.start(), p.end())
    await deploy(zb, p)

    result = await zb.client.run_process_with_result(p.id, {"v": 1}, timeout=10_000)

    assert result.variables == {"v": 1}
    view = await await_instance_state(zb.admin, result.process_instance_key, "COMPLETED")
    assert view["elementInstances"] == []


async def test_terminate_end_event_terminates_concurrent_branch(zb):
    """Reaching a terminate end event at process level cancels the waiting parallel task's job
    and completes the instance (Zeebe: "After the termination, the process instance completes").
    """
    pid = unique_id("term")
    xml = fixture_xml("flow_terminate.bpmn", {"flow-terminate": pid})
    await deploy(zb, ("terminate.bpmn", xml))
    created = await zb.client.run_process(pid)
    waiting = await activate_one(zb.stub, f"{pid}-wait")
    quick = await activate_one(zb.stub, f"{pid}-quick")

    await complete(zb.stub, quick.key)

    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert await zb.admin.list_jobs(job_type=f"{pid}-wait") == []
    err = await rpc_error(complete(zb.stub, waiting.key))
    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_terminate_end_event_inside_subprocess_only_ends_the_subprocess(zb):
    """A terminate end event in an embedded sub-process ends only it: a concurrent branch
    outside the sub-process keeps its job, and the parent takes the sub-process's flow."""
    p = Process(unique_id("subterm"))
    types = {n: unique_id(n) for n in ("wait", "quick", "after", "outer")}
    sub = p.sub_process("Sub")
    fork = sub.parallel("Sub_Fork")
    sub.chain(sub.start("Sub_Start"), fork)
    sub.chain(fork, sub.task("Sub_Wait", types["wait"]), sub.end("Sub_End"))
    sub.chain(fork, sub.task("Sub_Quick", types["quick"]), sub.end("Sub_Terminate", terminate=True))
    root_fork = p.parallel("Root_Fork")
    p.chain(p.start(), root_fork, "Sub", p.task("After", types["after"]), p.end())
    p.chain(root_fork, p.task("Outer", types["outer"]), p.end("End_Outer"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    waiting = await activate_one(zb.stub, types["wait"])
    quick = await activate_one(zb.stub, types["quick"])
    outer = await activate_one(zb.stub, types["outer"])

    await complete(zb.stub, quick.key)

    after = await activate_one(zb.stub, types["after"])
    assert after.process_instance_key == created.process_instance_key
    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["state"] == "ACTIVE"
    assert active_elements(view) == ["After", "Outer"]
    err = await rpc_error(complete(zb.stub, waiting.key))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    await complete(zb.stub, outer.key)
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_terminate_end_event_reaches_into_active_subprocess(zb):
    """A process-level terminate end event also ends a concurrent sub-process and its job."""
    p = Process(unique_id("termsub"))
    inner_type, quick_type = unique_id("inner"), unique_id("quick")
    sub = p.sub_process("Sub_Busy")
    sub.chain(sub.start("Sub_Start"), sub.task("Task_Inner", inner_type), sub.end("Sub_End"))
    fork = p.parallel("Fork")
    p.chain(p.start(), fork, "Sub_Busy", p.end("End_Sub"))
    p.chain(fork, p.task("Task_Quick", quick_type), p.end("End_Terminate", terminate=True))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    inner = await activate_one(zb.stub, inner_type)
    quick = await activate_one(zb.stub, quick_type)

    await complete(zb.stub, quick.key)

    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["elementInstances"] == []
    err = await rpc_error(complete(zb.stub, inner.key))
    assert err.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("gateway", ["parallel", "inclusive"])
async def test_instance_completes_only_when_every_branch_has_ended(zb, gateway):
    """A fork whose first branch ends at once and whose second waits on a job: the instance
    stays active until the last token is consumed (Zeebe completes a flow scope only when
    no element instance or taken sequence flow is left in it)."""
    p = Process(unique_id(f"twoends-{gateway}"))
    slow_type = unique_id("slow")
    fork = p.parallel("Fork") if gateway == "parallel" else p.inclusive("Fork")
    condition = None if gateway == "parallel" else "=true"
    p.chain(p.start(), fork)
    p.flow(fork, p.end("End_Fast"), condition=condition)
    p.flow(fork, p.task("Task_Slow", slow_type), condition=condition)
    p.chain("Task_Slow", p.end("End_Slow"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    slow = await activate_one(zb.stub, slow_type)

    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert view["state"] == "ACTIVE"
    assert active_elements(view) == ["Task_Slow"]
    await complete(zb.stub, slow.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_subprocess_completes_only_when_every_inner_branch_has_ended(zb):
    """Inside an embedded sub-process, a branch that ends at once does not complete the
    sub-process while another inner branch still waits."""
    p = Process(unique_id("subends"))
    slow_type, after_type = unique_id("slow"), unique_id("after")
    sub = p.sub_process("Sub")
    fork = sub.parallel("Sub_Fork")
    sub.chain(sub.start("Sub_Start"), fork, sub.end("Sub_End_Fast"))
    sub.chain(fork, sub.task("Sub_Slow", slow_type), sub.end("Sub_End_Slow"))
    p.chain(p.start(), "Sub", p.task("After", after_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    slow = await activate_one(zb.stub, slow_type)

    assert await no_jobs(zb.stub, after_type)
    view = await zb.admin.get_process_instance(created.process_instance_key)
    assert active_elements(view) == ["Sub", "Sub_Slow"]
    await complete(zb.stub, slow.key)
    after = await activate_one(zb.stub, after_type)
    assert after.process_instance_key == created.process_instance_key


async def test_pass_through_elements_complete_immediately(zb):
    """Undefined tasks, manual tasks and intermediate none throw events are pass-through."""
    p = Process(unique_id("passthru"))
    p.chain(
        p.start(),
        p.node("task", "Task_Undefined"),
        p.node("manualTask", "Task_Manual"),
        p.node("intermediateThrowEvent", "Event_Milestone"),
        p.end(),
    )
    await deploy(zb, p)

    result = await zb.client.run_process_with_result(p.id, {"v": 1}, timeout=10_000)

    assert result.variables == {"v": 1}
    await await_instance_state(zb.admin, result.process_instance_key, "COMPLETED")


async def test_modeler_file_with_lanes_artifacts_and_embedded_form_runs(zb):
    """A Modeler file with a pool and lanes, documentation, a text annotation, a group, data
    object/store references and an embedded form deploys and runs: these are modelling
    elements only (Zeebe's BPMN coverage), the form key reaches the user-task job."""
    pid = unique_id("annotated")
    xml = fixture_xml("flow_annotated.bpmn", {"flow-annotated": pid})
    reply = await deploy(zb, ("annotated.bpmn", xml))
    assert reply.deployments[0].process.bpmnProcessId == pid
    created = await zb.client.run_process(pid, {"proposalId": 5})
    pik = created.process_instance_key

    jobs = await await_jobs(zb.stub, USER_TASK_JOB_TYPE, 1)
    (screen,) = [j for j in jobs if j.process_instance_key == pik]
    assert screen.element_id == "Task_Screen"
    assert screen.custom_headers["io.camunda.zeebe:formKey"] == (
        "camunda-forms:bpmn:userTaskForm_screen"
    )
    await complete(zb.stub, screen.key, eligible=True)
    notify = await activate_one(zb.stub, f"{pid}-notify")
    assert notify.variables == {"proposalId": 5, "eligible": True}
    await complete(zb.stub, notify.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


# --------------------------------------------------------------------------- exclusive gateway


@pytest.fixture
async def exclusive_process(zb):
    """XOR gateway: =x > 10 -> Big, =x > 5 -> Medium, default -> Small; returns (pid, types)."""
    p = Process(unique_id("xor"))
    types = {name: unique_id(name.lower()) for name in ("Big", "Medium", "Small")}
    g = p.exclusive("Gateway_Size")
    p.chain(p.start(), g)
    end = p.end()
    for name, condition in (("Big", "=x > 10"), ("Medium", "=x > 5"), ("Small", None)):
        task = p.task(f"Task_{name}", types[name])
        p.flow(g, task, condition=condition, default=condition is None)
        p.flow(task, end)
    await deploy(zb, p)
    return p.id, types


async def test_exclusive_gateway_takes_first_true_condition(zb, exclusive_process):
    """x = 20 satisfies both conditions: only the first flow (in model order) is taken."""
    pid, types = exclusive_process

    created = await zb.client.run_process(pid, {"x": 20})

    assert await _await_job_elements(zb, created.process_instance_key) == ["Task_Big"]
    job = await activate_one(zb.stub, types["Big"])
    assert job.process_instance_key == created.process_instance_key


async def test_exclusive_gateway_takes_the_only_true_condition(zb, exclusive_process):
    """x = 7 satisfies only the second condition."""
    pid, _ = exclusive_process

    created = await zb.client.run_process(pid, {"x": 7})

    assert await _await_job_elements(zb, created.process_instance_key) == ["Task_Medium"]


async def test_exclusive_gateway_takes_default_flow_when_nothing_is_true(zb, exclusive_process):
    """x = 1 satisfies no condition: the default flow is taken."""
    pid, types = exclusive_process

    created = await zb.client.run_process(pid, {"x": 1})

    assert await _await_job_elements(zb, created.process_instance_key) == ["Task_Small"]
    job = await activate_one(zb.stub, types["Small"])
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_exclusive_gateway_without_true_condition_or_default_raises_incident(zb):
    """No condition true and no default flow: a CONDITION_ERROR incident on the gateway;
    SetVariables then ResolveIncident makes the gateway evaluate again and continue."""
    p = Process(unique_id("xorinc"))
    big_type, neg_type = unique_id("big"), unique_id("neg")
    g = p.exclusive("Gateway_NoDefault")
    p.chain(p.start(), g)
    p.flow(g, p.task("Task_Big", big_type), condition="=x > 10")
    p.flow(g, p.task("Task_Negative", neg_type), condition="=x < 0")
    p.chain("Task_Big", p.end("End_Big"))
    p.chain("Task_Negative", p.end("End_Negative"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"x": 5})
    pik = created.process_instance_key

    incident = await await_incident(zb.admin, pik)

    assert incident["errorType"] == "CONDITION_ERROR"
    assert incident["elementId"] == "Gateway_NoDefault"
    assert incident["processInstanceKey"] == pik
    assert incident["jobKey"] in (None, 0, -1)
    view = await zb.admin.get_process_instance(pik)
    assert view["state"] == "ACTIVE"
    assert "Gateway_NoDefault" in active_elements(view)
    assert await _job_elements(zb, pik) == []

    await set_variables(zb.stub, pik, {"x": 20})
    await resolve_incident(zb.stub, incident["key"])

    job = await activate_one(zb.stub, big_type)
    assert job.process_instance_key == pik
    assert job.variables["x"] == 20
    assert await zb.admin.list_incidents(pik) == []
    again = await rpc_error(resolve_incident(zb.stub, incident["key"]))
    assert again.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("condition", "variables"),
    [
        ("=count(members) >= 3", {"members": ["a", "b", "c"]}),
        ('=list contains(roles, "chair")', {"roles": ["member", "chair"]}),
        ("=score >= 7.5 and recommended", {"score": 8, "recommended": True}),
        (
            '=application.kind = "basic" or application.budget > 100',
            {"application": {"kind": "applied", "budget": 500}},
        ),
        ('=contains(upper case(title), "AI")', {"title": "Ứng dụng ai trong nông nghiệp"}),
        ('=date(deadline) < date("2030-01-01")', {"deadline": "2029-12-31"}),
        ("=not(rejected)", {"rejected": False}),
        # FEEL numbers are decimals (DMN spec; Zeebe uses BigDecimal), not binary floats
        ("=a + b = 0.3", {"a": 0.1, "b": 0.2}),
        ("=total * 1.1 = 110", {"total": 100}),
        pytest.param(
            "=id != 9007199254740992",
            {"id": 9007199254740993},
            marks=pytest.mark.xfail(
                strict=True,
                reason="FEEL numbers are doubles in feelin: integers beyond 2**53 lose precision",
            ),
        ),
    ],
)
async def test_exclusive_gateway_evaluates_feel_conditions(zb, condition, variables):
    """Typical FEEL conditions (functions, paths, dates, boolean logic) select their flow."""
    p = Process(unique_id("feelcond"))
    yes_type, no_type = unique_id("yes"), unique_id("no")
    g = p.exclusive("Gateway_Check")
    p.chain(p.start(), g)
    p.flow(g, p.task("Task_Yes", yes_type), condition=condition)
    p.flow(g, p.task("Task_No", no_type), default=True)
    p.chain("Task_Yes", p.end("End_Yes"))
    p.chain("Task_No", p.end("End_No"))
    await deploy(zb, p)

    created = await zb.client.run_process(p.id, variables)

    assert await _await_job_elements(zb, created.process_instance_key) == ["Task_Yes"]


@pytest.mark.parametrize(
    ("condition", "variables"),
    [
        ("=score", {"score": "high"}),
        ("=score > 10", {}),
    ],
)
async def test_non_boolean_condition_raises_incident_even_with_default_flow(
    zb, condition, variables
):
    """A condition that evaluates to a non-boolean (a string; null from a missing variable)
    is an expression failure: Zeebe raises an EXTRACT_VALUE_ERROR incident on the gateway
    instead of falling back to the default flow."""
    p = Process(unique_id("nonbool"))
    yes_type, no_type = unique_id("yes"), unique_id("no")
    g = p.exclusive("Gateway_Score")
    p.chain(p.start(), g)
    p.flow(g, p.task("Task_Yes", yes_type), condition=condition)
    p.flow(g, p.task("Task_No", no_type), default=True)
    p.chain("Task_Yes", p.end("End_Yes"))
    p.chain("Task_No", p.end("End_No"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, variables)

    incident = await await_incident(zb.admin, created.process_instance_key, timeout=5)

    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "Gateway_Score"
    assert await _job_elements(zb, created.process_instance_key) == []


async def test_inclusive_gateway_without_true_condition_or_default_raises_incident(zb):
    """OR fork with no true condition and no default flow: CONDITION_ERROR on the gateway."""
    p = Process(unique_id("orinc"))
    g = p.inclusive("Gateway_Or")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=a")
    p.flow(g, p.end("End_B"), condition="=b")
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"a": False, "b": False})

    incident = await await_incident(zb.admin, created.process_instance_key)

    assert incident["errorType"] == "CONDITION_ERROR"
    assert incident["elementId"] == "Gateway_Or"


async def test_resolve_unknown_incident_is_not_found(zb):
    """ResolveIncident of a key that is no incident: NOT_FOUND."""
    err = await rpc_error(resolve_incident(zb.stub, (1 << 51) + 424_242_424))

    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_exclusive_gateways_loop_back_and_merge(zb):
    """A loop (XOR merge -> task -> XOR split back to the merge) re-enters the task with a
    new element instance each time until the exit condition holds."""
    p = Process(unique_id("loop"))
    work_type = unique_id("revise")
    merge, split = p.exclusive("Gateway_Merge"), p.exclusive("Gateway_Done")
    p.chain(p.start(), merge, p.task("Task_Revise", work_type), split)
    p.flow(split, p.end(), condition="=done")
    p.flow(split, merge, default=True)
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"round": 0})
    element_instances = set()

    for round_no in (1, 2, 3):
        job = await activate_one(zb.stub, work_type)
        assert job.variables["round"] == round_no - 1
        element_instances.add(job.element_instance_key)
        await complete(zb.stub, job.key, round=round_no, done=round_no == 3)

    assert len(element_instances) == 3
    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["variables"] == {"round": 3, "done": True}


async def test_resolving_without_fixing_the_cause_raises_a_new_incident(zb):
    """ResolveIncident re-evaluates the gateway; still no true condition: a new incident."""
    p = Process(unique_id("xorresolve"))
    g = p.exclusive("Gateway_Strict")
    p.chain(p.start(), g)
    p.flow(g, p.end("End_A"), condition="=x = 1")
    p.flow(g, p.end("End_B"), condition="=x = 2")
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"x": 3})
    pik = created.process_instance_key
    first = await await_incident(zb.admin, pik)

    await resolve_incident(zb.stub, first["key"])

    incidents = await wait_for(
        lambda: _other_incidents(zb, pik, first["key"]), message="a new incident"
    )
    assert [(i["errorType"], i["elementId"]) for i in incidents] == [
        ("CONDITION_ERROR", "Gateway_Strict")
    ]
    view = await zb.admin.get_process_instance(pik)
    assert view["state"] == "ACTIVE"


async def _other_incidents(zb, pik: int, known: int) -> list[dict]:
    """Open incidents of an instance other than the one with key ``known``."""
    return [i for i in await zb.admin.list_incidents(pik) if i["key"] != known]


# --------------------------------------------------------------------------- parallel gateway


async def test_parallel_gateway_forks_and_joins(zb):
    """AND fork creates both branch jobs; the join waits for both; the next task runs once
    and sees the variables both branches produced."""
    p = Process(unique_id("and"))
    a_type, b_type, c_type = unique_id("a"), unique_id("b"), unique_id("c")
    fork, join = p.parallel("Fork"), p.parallel("Join")
    p.chain(p.start(), fork)
    p.chain(fork, p.task("Task_A", a_type), join)
    p.chain(fork, p.task("Task_B", b_type), join)
    p.chain(join, p.task("Task_C", c_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"start": 0})
    pik = created.process_instance_key

    job_a = await activate_one(zb.stub, a_type)
    job_b = await activate_one(zb.stub, b_type)
    assert await _job_elements(zb, pik) == ["Task_A", "Task_B"]

    await complete(zb.stub, job_a.key, fromA="a")
    assert await no_jobs(zb.stub, c_type)
    view = await zb.admin.get_process_instance(pik)
    assert "Task_B" in active_elements(view)
    assert "Task_C" not in active_elements(view)

    await complete(zb.stub, job_b.key, fromB="b")
    job_c = await activate_one(zb.stub, c_type)
    assert job_c.variables == {"start": 0, "fromA": "a", "fromB": "b"}
    assert await _job_elements(zb, pik) == ["Task_C"]

    await complete(zb.stub, job_c.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")
    assert await no_jobs(zb.stub, c_type)


async def test_exclusive_gateway_merge_passes_every_token_through(zb):
    """An XOR gateway used to merge does not synchronise: after an AND fork, the task
    behind the merge runs once per arriving token."""
    p = Process(unique_id("xormerge"))
    c_type = unique_id("c")
    fork, merge = p.parallel("Fork"), p.exclusive("Merge")
    p.chain(p.start(), fork)
    p.chain(fork, p.node("manualTask", "Task_A"), merge)
    p.chain(fork, p.node("manualTask", "Task_B"), merge)
    p.chain(merge, p.task("Task_C", c_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    jobs = await await_jobs(zb.stub, c_type, 2)

    assert {j.process_instance_key for j in jobs} == {created.process_instance_key}
    assert len({j.element_instance_key for j in jobs}) == 2
    for job in jobs:
        await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_activity_with_two_outgoing_flows_splits_and_without_gateway_merges_twice(zb):
    """Uncontrolled flow: all outgoing flows of an activity are taken (implicit parallel
    split), and an activity with two incoming flows is entered once per token."""
    p = Process(unique_id("implicit"))
    b_type, c_type, d_type = unique_id("b"), unique_id("c"), unique_id("d")
    p.chain(p.start(), p.node("manualTask", "Task_A"))
    p.chain("Task_A", p.task("Task_B", b_type), p.task("Task_D", d_type), p.end())
    p.chain("Task_A", p.task("Task_C", c_type), "Task_D")
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    pik = created.process_instance_key

    b = await activate_one(zb.stub, b_type)
    c = await activate_one(zb.stub, c_type)
    await complete(zb.stub, b.key)
    await complete(zb.stub, c.key)

    d_jobs = await await_jobs(zb.stub, d_type, 2)
    assert {j.process_instance_key for j in d_jobs} == {pik}
    for job in d_jobs:
        await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


# --------------------------------------------------------------------------- inclusive gateway


@pytest.fixture
async def inclusive_process(zb):
    """OR fork: =amount > 100 -> Audit, =vip -> Desk, =express -> Ship, default -> Standard;
    all join in an OR join before After. Returns (pid, job types)."""
    p = Process(unique_id("or"))
    names = ("Audit", "Desk", "Ship", "Standard", "After")
    types = {name: unique_id(name.lower()) for name in names}
    fork, join = p.inclusive("Fork"), p.inclusive("Join")
    p.chain(p.start(), fork)
    for name, condition in (
        ("Audit", "=amount > 100"),
        ("Desk", "=vip"),
        ("Ship", "=express"),
        ("Standard", None),
    ):
        task = p.task(f"Task_{name}", types[name])
        p.flow(fork, task, condition=condition, default=condition is None)
        p.flow(task, join)
    p.chain(join, p.task("Task_After", types["After"]), p.end())
    await deploy(zb, p)
    return p.id, types


async def test_inclusive_gateway_takes_every_true_flow_and_joins_them(zb, inclusive_process):
    """Two conditions true: both branches run (not the default); the join waits for both."""
    pid, types = inclusive_process
    created = await zb.client.run_process(pid, {"amount": 500, "vip": True, "express": False})
    pik = created.process_instance_key

    audit = await activate_one(zb.stub, types["Audit"])
    desk = await activate_one(zb.stub, types["Desk"])
    assert await _job_elements(zb, pik) == ["Task_Audit", "Task_Desk"]

    await complete(zb.stub, audit.key, audited=True)
    assert await no_jobs(zb.stub, types["After"])
    assert await _job_elements(zb, pik) == ["Task_Desk"]

    await complete(zb.stub, desk.key, desk="ok")
    after = await activate_one(zb.stub, types["After"])
    assert after.variables["audited"] is True
    assert after.variables["desk"] == "ok"
    assert await _job_elements(zb, pik) == ["Task_After"]
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_inclusive_gateway_takes_default_when_no_condition_is_true(zb, inclusive_process):
    """No condition true: only the default flow; the join lets the single token through."""
    pid, types = inclusive_process
    created = await zb.client.run_process(pid, {"amount": 1, "vip": False, "express": False})
    pik = created.process_instance_key

    assert await _await_job_elements(zb, pik) == ["Task_Standard"]
    standard = await activate_one(zb.stub, types["Standard"])
    await complete(zb.stub, standard.key)

    after = await activate_one(zb.stub, types["After"])
    assert after.process_instance_key == pik


async def test_inclusive_gateway_single_true_flow_passes_the_join(zb, inclusive_process):
    """One condition true: one branch, and the join does not wait for branches never taken."""
    pid, types = inclusive_process
    created = await zb.client.run_process(pid, {"amount": 1, "vip": False, "express": True})
    pik = created.process_instance_key

    assert await _await_job_elements(zb, pik) == ["Task_Ship"]
    ship = await activate_one(zb.stub, types["Ship"])
    await complete(zb.stub, ship.key)

    after = await activate_one(zb.stub, types["After"])
    assert after.process_instance_key == pik


async def test_inclusive_join_does_not_wait_for_a_branch_that_left_for_an_end_event(zb):
    """Two OR branches are taken; one of them ends at its own end event instead of reaching
    the join; the other then arrives at the join, which passes since no token can follow."""
    p = Process(unique_id("orleft"))
    a_type, b_type, after_type = unique_id("a"), unique_id("b"), unique_id("after")
    fork, join, xor = p.inclusive("Fork"), p.inclusive("Join"), p.exclusive("Gateway_Skip")
    p.chain(p.start(), fork)
    p.flow(fork, p.task("Task_A", a_type), condition="=true")
    p.flow(fork, p.task("Task_B", b_type), condition="=true")
    p.chain("Task_A", join)
    p.chain("Task_B", xor)
    p.flow(xor, p.end("End_Skip"), condition="=skip")
    p.flow(xor, join, default=True)
    p.chain(join, p.task("Task_After", after_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    a = await activate_one(zb.stub, a_type)
    b = await activate_one(zb.stub, b_type)

    await complete(zb.stub, b.key, skip=True)
    assert await _job_elements(zb, created.process_instance_key) == ["Task_A"]
    await complete(zb.stub, a.key)

    after = await activate_one(zb.stub, after_type)
    assert after.process_instance_key == created.process_instance_key
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


# --------------------------------------------------------------------------- sub-process


async def test_embedded_subprocess_runs_then_parent_continues(zb):
    """The sub-process is an element instance scoping its inner task; when its end event is
    reached the parent takes the sub-process's outgoing flow; job results reach the root."""
    p = Process(unique_id("sub"))
    inner_type, after_type = unique_id("inner"), unique_id("after")
    sub = p.sub_process("Sub_Review")
    sub.chain(sub.start("Sub_Start"), sub.task("Task_Inner", inner_type), sub.end("Sub_End"))
    p.chain(p.start(), "Sub_Review", p.task("Task_After", after_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"input": "x"})
    pik = created.process_instance_key

    inner = await activate_one(zb.stub, inner_type)
    assert inner.variables == {"input": "x"}
    view = await zb.admin.get_process_instance(pik)
    assert active_elements(view) == ["Sub_Review", "Task_Inner"]
    by_id = {e["elementId"]: e for e in view["elementInstances"]}
    assert by_id["Task_Inner"]["parentKey"] == by_id["Sub_Review"]["key"]
    assert by_id["Task_Inner"]["key"] == inner.element_instance_key

    await complete(zb.stub, inner.key, innerResult=42)

    after = await activate_one(zb.stub, after_type)
    assert after.variables == {"input": "x", "innerResult": 42}
    view = await zb.admin.get_process_instance(pik)
    assert active_elements(view) == ["Task_After"]
    assert view["variables"] == {"input": "x", "innerResult": 42}
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_subprocess_local_variables_shadow_and_stay_in_the_subprocess(zb):
    """Variables local to the sub-process scope shadow root variables for inner jobs; a job
    result for a variable that exists locally updates the local one (Zeebe propagates to
    the nearest scope holding the name), so it disappears when the sub-process ends; new
    names propagate to the root."""
    p = Process(unique_id("subscope"))
    inner_type, after_type = unique_id("inner"), unique_id("after")
    sub = p.sub_process("Sub_Scope")
    sub.chain(sub.start("Sub_Start"), sub.task("Task_Inner", inner_type), sub.end("Sub_End"))
    p.chain(p.start(), "Sub_Scope", p.task("Task_After", after_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"input": "root"})
    pik = created.process_instance_key
    inner = await activate_one(zb.stub, inner_type, timeout_ms=1_000)
    view = await zb.admin.get_process_instance(pik)
    sub_key = next(e["key"] for e in view["elementInstances"] if e["elementId"] == "Sub_Scope")

    await set_variables(zb.stub, sub_key, {"input": "shadow", "tmp": 1}, local=True)
    view = await zb.admin.get_process_instance(pik)
    assert view["scopes"][str(sub_key)] == {"input": "shadow", "tmp": 1}
    assert view["variables"] == {"input": "root"}
    inner = await activate_one(zb.stub, inner_type, timeout=10)
    assert inner.variables == {"input": "shadow", "tmp": 1}

    await complete(zb.stub, inner.key, tmp=2, result="done")

    after = await activate_one(zb.stub, after_type)
    assert after.variables == {"input": "root", "result": "done"}


async def test_gateway_inside_subprocess_sees_the_subprocess_local_variables(zb):
    """A sub-process input mapping creates a local variable; a gateway inside the
    sub-process routes on it, and it does not leak to the root after the sub-process."""
    p = Process(unique_id("subgw"))
    big_type, small_type, after_type = unique_id("big"), unique_id("small"), unique_id("after")
    sub = p.sub_process(
        "Sub_Route",
        extensions=(
            '<zeebe:ioMapping><zeebe:input source="=amount * 2" target="double" />'
            "</zeebe:ioMapping>"
        ),
    )
    g = sub.exclusive("Sub_Gateway")
    sub.chain(sub.start("Sub_Start"), g)
    sub.flow(g, sub.task("Task_Big", big_type), condition="=double > 10")
    sub.flow(g, sub.task("Task_Small", small_type), default=True)
    sub.chain("Task_Big", sub.end("Sub_End_Big"))
    sub.chain("Task_Small", sub.end("Sub_End_Small"))
    p.chain(p.start(), "Sub_Route", p.task("Task_After", after_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"amount": 6})

    big = await activate_one(zb.stub, big_type)

    assert big.variables == {"amount": 6, "double": 12}
    await complete(zb.stub, big.key)
    after = await activate_one(zb.stub, after_type)
    assert after.variables == {"amount": 6}
    assert after.process_instance_key == created.process_instance_key


async def test_nested_subprocesses_form_an_element_instance_tree(zb):
    """A sub-process inside a sub-process: each level is the parent of the next."""
    p = Process(unique_id("nested"))
    job_type = unique_id("deep")
    outer = p.sub_process("Sub_Outer")
    inner = outer.sub_process("Sub_Inner")
    inner.chain(
        inner.start("Inner_Start"), inner.task("Task_Deep", job_type), inner.end("Inner_End")
    )
    outer.chain(outer.start("Outer_Start"), "Sub_Inner", outer.end("Outer_End"))
    p.chain(p.start(), "Sub_Outer", p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    pik = created.process_instance_key

    job = await activate_one(zb.stub, job_type)

    view = await zb.admin.get_process_instance(pik)
    by_id = {e["elementId"]: e for e in view["elementInstances"]}
    assert sorted(by_id) == ["Sub_Inner", "Sub_Outer", "Task_Deep"]
    assert by_id["Sub_Outer"]["parentKey"] == pik
    assert by_id["Sub_Inner"]["parentKey"] == by_id["Sub_Outer"]["key"]
    assert by_id["Task_Deep"]["parentKey"] == by_id["Sub_Inner"]["key"]
    assert job.element_instance_key == by_id["Task_Deep"]["key"]
    await complete(zb.stub, job.key, deep=True)
    view = await await_instance_state(zb.admin, pik, "COMPLETED")
    assert view["variables"] == {"deep": True}


# --------------------------------------------------------------------------- job-based tasks


@pytest.mark.parametrize("kind", ["serviceTask", "sendTask", "scriptTask", "businessRuleTask"])
async def test_job_based_tasks_create_jobs_of_their_type(zb, kind):
    """Service, send, script and business rule tasks with zeebe:taskDefinition create a job of
    that type; completing it completes the task."""
    p = Process(unique_id(kind.lower()))
    job_type = unique_id(f"{kind.lower()}-job")
    p.chain(p.start(), p.task("Task_Job", job_type, kind=kind), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"in": 1})

    job = await activate_one(zb.stub, job_type)

    assert job.type == job_type
    assert job.element_id == "Task_Job"
    assert job.process_instance_key == created.process_instance_key
    assert job.bpmn_process_id == p.id
    assert job.variables == {"in": 1}
    await complete(zb.stub, job.key, out=2)
    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["variables"] == {"in": 1, "out": 2}


async def test_feel_script_task_stores_its_result_variable(zb):
    """A script task with zeebe:script (no job) evaluates its FEEL expression and stores the
    result in resultVariable, visible to the next task and in the instance's variables."""
    p = Process(unique_id("script"))
    next_type = unique_id("next")
    script = p.node(
        "scriptTask",
        "Task_Sum",
        extensions='<zeebe:script expression="=sum(amounts) * rate" resultVariable="total" />',
    )
    p.chain(p.start(), script, p.task("Task_Next", next_type), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"amounts": [100, 250], "rate": 2})

    job = await activate_one(zb.stub, next_type)

    assert job.variables["total"] == 700
    await complete(zb.stub, job.key)
    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["variables"]["total"] == 700


async def test_script_task_and_output_mapping_compute_with_durations(zb):
    """FEEL temporal arithmetic (Camunda 8.5 "Temporal expressions") in a script task and an
    output mapping, through pyzeebe: in Zeebe these are durations, not null."""
    p = Process(unique_id("durations"))
    script = p.node(
        "scriptTask",
        "Task_Plan",
        extensions=(
            '<zeebe:script expression="=duration(&quot;P1D&quot;) * days" resultVariable="span" />'
            "<zeebe:ioMapping>"
            '<zeebe:output source="=duration(span) / 5" target="slice" />'
            '<zeebe:output source="=duration(&quot;P1Y&quot;) / duration(&quot;P1M&quot;)" '
            'target="months" />'
            '<zeebe:output source="=years and months duration(date(start), date(end))" '
            'target="term" />'
            '<zeebe:output source="=span" target="span" />'
            "</zeebe:ioMapping>"
        ),
    )
    p.chain(p.start(), script, p.end())
    await deploy(zb, p)

    result = await zb.client.run_process_with_result(
        p.id, {"days": 5, "start": "2011-12-22", "end": "2013-08-24"}, timeout=10_000
    )

    assert result.variables["span"] == "P5D"
    assert result.variables["slice"] == "P1D"
    assert result.variables["months"] == 12
    assert result.variables["term"] == "P1Y8M"


async def test_tasks_in_sequence_each_create_their_job(zb):
    """A chain of different job-based tasks produces their jobs one after the other."""
    p = Process(unique_id("chain"))
    kinds = ["serviceTask", "sendTask", "scriptTask", "businessRuleTask"]
    types = [unique_id(k.lower()) for k in kinds]
    ids = [
        p.task(f"Task_{i}", t, kind=k) for i, (k, t) in enumerate(zip(kinds, types, strict=True))
    ]
    p.chain(p.start(), *ids, p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    for i, job_type in enumerate(types):
        job = await activate_one(zb.stub, job_type)
        assert job.element_id == f"Task_{i}"
        await complete(zb.stub, job.key, **{f"step{i}": True})

    view = await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")
    assert view["variables"] == {f"step{i}": True for i in range(len(types))}


async def test_default_job_retries_are_three(zb):
    """Without a retries attribute a job starts with Zeebe's default of 3 retries."""
    p = Process(unique_id("retries"))
    job_type = unique_id("job")
    p.chain(p.start(), p.task("Task", job_type), p.end())
    await deploy(zb, p)
    await zb.client.run_process(p.id)

    job = await activate_one(zb.stub, job_type)

    assert job.retries == 3


async def test_task_type_and_retries_as_feel_expressions(zb):
    """type="=\"pay-\" + region" and retries="=r" are evaluated when the job is created."""
    p = Process(unique_id("feeltype"))
    region = unique_id("north")
    p.chain(p.start(), p.task("Task_Pay", '="pay-" + region', retries="=r"), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"region": region, "r": 5})

    job = await activate_one(zb.stub, f"pay-{region}")

    assert job.type == f"pay-{region}"
    assert job.retries == 5
    assert job.process_instance_key == created.process_instance_key
    jobs = await zb.admin.list_jobs(process_instance_key=created.process_instance_key)
    assert [(j["type"], j["retries"]) for j in jobs] == [(f"pay-{region}", 5)]


async def test_task_type_expression_failing_raises_incident_until_fixed(zb):
    """A job type expression that cannot be evaluated (missing variable) raises an
    EXTRACT_VALUE_ERROR incident instead of creating a job; after SetVariables and
    ResolveIncident the job is created with the evaluated type."""
    p = Process(unique_id("feelbad"))
    region = unique_id("south")
    p.chain(p.start(), p.task("Task_Pay", '="pay-" + missingRegion'), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    pik = created.process_instance_key

    incident = await await_incident(zb.admin, pik)

    assert incident["elementId"] == "Task_Pay"
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert await _job_elements(zb, pik) == []
    await set_variables(zb.stub, pik, {"missingRegion": region})
    await resolve_incident(zb.stub, incident["key"])
    job = await activate_one(zb.stub, f"pay-{region}")
    assert job.process_instance_key == pik


@pytest.mark.parametrize(
    ("job_type", "retries", "variables"),
    [
        ("=n", None, {"n": 5}),
        ("static-type", "=r", {"r": "five"}),
    ],
)
async def test_task_type_or_retries_of_the_wrong_type_raise_incident(
    zb, job_type, retries, variables
):
    """The type must evaluate to a string and retries to a number: EXTRACT_VALUE_ERROR."""
    p = Process(unique_id("wrongtype"))
    p.chain(p.start(), p.task("Task_Typed", job_type, retries=retries), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, variables)

    incident = await await_incident(zb.admin, created.process_instance_key, timeout=5)

    assert incident["elementId"] == "Task_Typed"
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert await _job_elements(zb, created.process_instance_key) == []


async def test_task_headers_reach_the_worker_as_custom_headers(zb):
    """zeebe:taskHeaders arrive at a real pyzeebe worker as the job's customHeaders, as static
    strings (a value starting with "=" is not an expression)."""
    p = Process(unique_id("headers"))
    job_type = unique_id("notify")
    headers = {"channel": "email", "template": "welcome <b>&</b>", "literal": "=not evaluated"}
    p.chain(p.start(), p.task("Task_Notify", job_type, headers=headers), p.end())
    await deploy(zb, p)
    seen: list[dict] = []

    async def notify(job: Job) -> dict:
        seen.append(dict(job.custom_headers))
        return {"notified": True}

    async with running_worker(zb.channel, {job_type: notify}):
        result = await zb.client.run_process_with_result(p.id, timeout=10_000)

    assert seen == [headers]
    assert result.variables == {"notified": True}


async def test_job_without_headers_has_empty_custom_headers(zb):
    """A task without zeebe:taskHeaders gives an empty customHeaders object."""
    p = Process(unique_id("noheaders"))
    job_type = unique_id("plain")
    p.chain(p.start(), p.task("Task_Plain", job_type), p.end())
    await deploy(zb, p)
    await zb.client.run_process(p.id)

    (job,) = await await_jobs(zb.stub, job_type, 1)

    assert job.custom_headers == {}


async def test_activated_job_is_not_activated_twice_within_its_timeout(zb):
    """An activated job is invisible to other ActivateJobs calls until its timeout."""
    p = Process(unique_id("once"))
    job_type = unique_id("once")
    p.chain(p.start(), p.task("Task_Once", job_type), p.end())
    await deploy(zb, p)
    await zb.client.run_process(p.id)

    first = await activate_one(zb.stub, job_type, timeout_ms=60_000)
    again = await activate(zb.stub, job_type, request_timeout_ms=-1)

    assert again == []
    assert first.worker == "test-worker"
    assert first.deadline > 0
