"""Multi-instance activities, end to end (Camunda 8.5 docs, "Multi-instance"):

- the body evaluates inputCollection on activation; it must be an array (else an
  EXTRACT_VALUE_ERROR incident); an empty one completes the body at once and propagates [];
- parallel: all inner instances at once; sequential: one at a time, in collection order;
- each inner instance has local inputElement and loopCounter (1-based);
- outputCollection is a local variable of the body, filled at the instance's index with the
  outputElement value when that instance completes (order of the input, not of completion;
  null when not set) and propagated to the parent scope when the body completes;
- completionCondition (numberOfInstances, numberOfActiveInstances, numberOfCompletedInstances,
  numberOfTerminatedInstances) is checked after each completed instance; when true the other
  instances are terminated and the body completes.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    Process,
    activate,
    activate_one,
    await_instance_state,
    await_jobs,
    complete,
    connect,
    create_instance,
    deploy,
    fixture_xml,
    no_jobs,
    resolve_incident,
    set_variables,
    unique_id,
    wait_for,
)
from tests.support.zeebe_more import (
    await_incidents,
    call_activity,
    element_instance,
    expect_code,
    loop,
    probe,
    service_task,
    sub_process,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


async def mi_task_process(zb, multi: str) -> tuple[str, str, str]:
    """start -> MI service task 'each' -> service task 'probe' -> end; (pid, type, probe)."""
    pid, job_type, probe_type = unique_id("mi-p"), unique_id("mi-t"), unique_id("mi-probe")
    p = Process(pid)
    p.chain(
        p.start(),
        service_task(p, "each", job_type, multi=multi),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    return pid, job_type, probe_type


async def await_job_count(zb, job_type: str, count: int) -> list[dict]:
    """Wait until the engine holds exactly ``count`` open jobs of a type (admin view)."""

    async def check() -> list[dict] | None:
        jobs = await zb.admin.list_jobs(job_type=job_type)
        return jobs if len(jobs) == count else None

    return await wait_for(check, 10, message=f"{count} jobs of {job_type}")


def by_counter(jobs) -> dict:
    return {j.variables["loopCounter"]: j for j in jobs}


async def test_parallel_instances_start_together_with_input_element_and_loop_counter(zb):
    pid, job_type, probe_type = await mi_task_process(zb, loop("=items", "item"))
    items = ["a", "b", "c"]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    await await_job_count(zb, job_type, 3)
    jobs = await activate(zb.stub, job_type, max_jobs=10)
    assert len(jobs) == 3
    counters = by_counter(jobs)
    assert sorted(counters) == [1, 2, 3]
    for n, job in counters.items():
        assert job.variables == {"items": items, "item": items[n - 1], "loopCounter": n}

    # Admin view: one body with three inner instances, each owning item and loopCounter.
    view = await zb.admin.get_process_instance(pik)
    body = [e for e in view["elementInstances"] if e["elementType"] == "MULTI_INSTANCE_BODY"]
    assert [b["elementId"] for b in body] == ["each"]
    inner = [
        e
        for e in view["elementInstances"]
        if e["elementId"] == "each" and e["elementType"] == "SERVICE_TASK"
    ]
    assert len(inner) == 3
    assert all(e["parentKey"] == body[0]["key"] for e in inner)
    for job in jobs:
        local = view["scopes"][str(job.element_instance_key)]
        assert local["item"] == job.variables["item"]
        assert local["loopCounter"] == job.variables["loopCounter"]

    for job in jobs:
        await complete(zb.stub, job.key)
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items}  # item and loopCounter stayed local
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_output_collection_follows_input_order_even_when_completed_out_of_order(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb, loop("=items", "item", output_collection="results", output_element="=result")
    )
    items = ["a", "b", "c"]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 3))

    await complete(zb.stub, jobs[3].key, result="C")
    body = await element_instance(zb.admin, pik, "each", "MULTI_INSTANCE_BODY")
    view = await zb.admin.get_process_instance(pik)
    # The collection lives on the body, one slot per input element.
    assert view["scopes"][str(body["key"])]["results"] == [None, None, "C"]
    assert "results" not in view["variables"]

    await complete(zb.stub, jobs[1].key, result="A")
    await complete(zb.stub, jobs[2].key, result="B")
    after = await probe(zb.stub, probe_type)
    # result was a local variable of each instance (outputElement accesses a plain variable)
    assert after.variables == {"items": items, "results": ["A", "B", "C"]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_output_element_not_set_is_collected_as_null(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb, loop("=items", "item", output_collection="results", output_element="=result")
    )
    pik = (await create_instance(zb.stub, pid, {"items": [1, 2]})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 2))

    await complete(zb.stub, jobs[2].key)
    await complete(zb.stub, jobs[1].key, result="x")
    after = await probe(zb.stub, probe_type)
    assert after.variables["results"] == ["x", None]
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_sequential_instances_run_one_at_a_time_in_order(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb,
        loop(
            "=items", "item", sequential=True, output_collection="seen", output_element="=item * 2"
        ),
    )
    items = [10, 20, 30]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    for n, item in enumerate(items, start=1):
        await await_job_count(zb, job_type, 1)
        job = await activate_one(zb.stub, job_type)
        assert job.variables["loopCounter"] == n
        assert job.variables["item"] == item
        assert await no_jobs(zb.stub, job_type), "a second instance ran in parallel"
        assert len(await zb.admin.list_jobs(job_type=job_type)) == 1
        await complete(zb.stub, job.key)

    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items, "seen": [20, 40, 60]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


@pytest.mark.parametrize(
    "condition",
    [
        "=numberOfCompletedInstances >= 2",
        "=numberOfCompletedInstances / numberOfInstances >= 0.5",
    ],
)
async def test_completion_condition_terminates_the_remaining_instances(zb, condition):
    pid, job_type, probe_type = await mi_task_process(
        zb,
        loop(
            "=items",
            "item",
            output_collection="results",
            output_element="=result",
            completion_condition=condition,
        ),
    )
    items = [1, 2, 3, 4]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 4))

    await complete(zb.stub, jobs[2].key, result=20)
    assert await no_jobs(zb.stub, probe_type)  # one completed: condition still false
    await complete(zb.stub, jobs[4].key, result=40)

    after = await probe(zb.stub, probe_type, complete_it=False)
    assert after.variables == {"items": items, "results": [None, 20, None, 40]}
    # The two other instances were terminated with their jobs.
    assert await zb.admin.list_jobs(job_type=job_type) == []
    for n in (1, 3):
        await expect_code(complete(zb.stub, jobs[n].key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, after.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_empty_input_collection_completes_the_body_at_once(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb, loop("=items", "item", output_collection="results", output_element="=result")
    )
    pik = (await create_instance(zb.stub, pid, {"items": []})).processInstanceKey

    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": [], "results": []}
    assert await zb.admin.list_jobs(job_type=job_type) == []
    await await_instance_state(zb.admin, pik, "COMPLETED")


@pytest.mark.parametrize("items", ["abc", 42, {"a": 1}, None])
async def test_input_collection_that_is_not_a_list_raises_extract_value_incident(zb, items):
    pid, job_type, probe_type = await mi_task_process(zb, loop("=items", "item"))
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "each"
    assert await zb.admin.list_jobs(job_type=job_type) == []

    await set_variables(zb.stub, pik, {"items": ["x"]})
    await resolve_incident(zb.stub, incident["key"])
    job = await activate_one(zb.stub, job_type)
    assert job.variables["item"] == "x"
    assert job.variables["loopCounter"] == 1
    await complete(zb.stub, job.key)
    await probe(zb.stub, probe_type)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_multi_instance_sub_process_collects_output_of_each_inner_instance(zb):
    suffix = unique_id("s")
    await deploy(zb.stub, ("mi_review.bpmn", fixture_xml("mi_review.bpmn", {"__SUFFIX__": suffix})))
    members = [{"name": "An"}, {"name": "Binh"}, {"name": "Chi"}]
    pik = (
        await create_instance(zb.stub, f"mi-review-{suffix}", {"members": members})
    ).processInstanceKey

    jobs = await await_jobs(zb.stub, f"mi-review-{suffix}", 3)
    by_name = {j.variables["reviewer"]: j for j in jobs}
    assert sorted(by_name) == ["An", "Binh", "Chi"]
    for n, member in enumerate(members, start=1):
        job = by_name[member["name"]]
        # the job sees the body's outputCollection, the inner sub-process instance's locals
        # (member, loopCounter, the outputElement variable score) and its own input mapping
        assert job.variables == {
            "members": members,
            "scores": [None, None, None],
            "member": member,
            "loopCounter": n,
            "score": None,
            "reviewer": member["name"],
        }

    # Each inner instance is a sub-process instance owning member and loopCounter.
    view = await zb.admin.get_process_instance(pik)
    inner = [
        e
        for e in view["elementInstances"]
        if e["elementId"] == "reviews" and e["elementType"] == "SUB_PROCESS"
    ]
    assert len(inner) == 3
    owned = sorted(view["scopes"][str(e["key"])]["loopCounter"] for e in inner)
    assert owned == [1, 2, 3]

    for name, score in (("Chi", 7), ("An", 9), ("Binh", 5)):
        await complete(zb.stub, by_name[name].key, score=score, note=f"by {name}")

    tally = await probe(zb.stub, f"mi-tally-{suffix}")
    assert tally.variables == {"members": members, "scores": [9, 5, 7]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_multi_instance_call_activity_collects_each_child_result(zb):
    # The docs' example: a parallel multi-instance call activity with outputElement =output
    # and an output mapping source =x target output on the call activity.
    child_pid, child_type = unique_id("mi-child"), unique_id("mi-child-t")
    child = Process(child_pid)
    child.chain(child.start(), service_task(child, "child_work", child_type), child.end())
    await deploy(zb.stub, child)

    pid, probe_type = unique_id("mi-parent"), unique_id("mi-probe")
    p = Process(pid)
    p.chain(
        p.start(),
        call_activity(
            p,
            "call",
            child_pid,
            outputs=[("=x", "output")],
            multi=loop("=items", "item", output_collection="results", output_element="=output"),
        ),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    items = [1, 2, 3]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    jobs = await await_jobs(zb.stub, child_type, 3)
    for job in jobs:
        assert job.bpmn_process_id == child_pid
        assert job.process_instance_key != pik
        assert job.variables["item"] == items[job.variables["loopCounter"] - 1]
        child_view = await zb.admin.get_process_instance(job.process_instance_key)
        assert child_view["parentProcessInstanceKey"] == pik

    # complete out of order, all at once
    await asyncio.gather(
        *(complete(zb.stub, j.key, x=j.variables["item"] * 2) for j in reversed(jobs))
    )
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items, "results": [2, 4, 6]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_multi_instance_sub_process_inner_scopes_are_separate(zb):
    # Inner instances of a parallel sub-process each own their local variables: a job
    # result for a variable the inner instance declared (input mapping) stays in that
    # instance and does not race with the others.
    pid, job_type, probe_type = unique_id("mi-sep"), unique_id("mi-t"), unique_id("mi-probe")
    p = Process(pid)
    inner = sub_process(
        p,
        "each",
        inputs=[("=null", "acc")],
        multi=loop("=items", "item", output_collection="accs", output_element="=acc"),
    )
    inner.chain(
        inner.start("inner_start"), service_task(inner, "work", job_type), inner.end("inner_end")
    )
    p.chain(p.start(), "each", service_task(p, "probe", probe_type), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, pid, {"items": ["p", "q"]})).processInstanceKey

    jobs = by_counter(await await_jobs(zb.stub, job_type, 2))
    await complete(zb.stub, jobs[2].key, acc="from-2")
    await complete(zb.stub, jobs[1].key, acc="from-1")
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": ["p", "q"], "accs": ["from-1", "from-2"]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_loop_cardinality_through_a_for_expression(zb):
    # Docs tip: "If you need to iterate n times ... use for i in 1..n return i".
    pid, job_type, probe_type = await mi_task_process(
        zb,
        loop("=for i in 1..n return i", "i", output_collection="squares", output_element="=i * i"),
    )
    pik = (await create_instance(zb.stub, pid, {"n": 3})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 3))
    assert {n: j.variables["i"] for n, j in jobs.items()} == {1: 1, 2: 2, 3: 3}
    for job in jobs.values():
        await complete(zb.stub, job.key)
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"n": 3, "squares": [1, 4, 9]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_output_element_expression_can_build_a_context(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb,
        loop("=items", "item", output_collection="results", output_element="={id: item, ok: ok}"),
    )
    pik = (await create_instance(zb.stub, pid, {"items": ["a", "b"]})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 2))
    # ok is not a plain-variable outputElement, so it is not local: give each instance its
    # own value and complete them one after the other.
    await complete(zb.stub, jobs[1].key, ok=True)
    await complete(zb.stub, jobs[2].key, ok=False)
    after = await probe(zb.stub, probe_type)
    assert after.variables["results"] == [{"id": "a", "ok": True}, {"id": "b", "ok": False}]
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_sequential_completion_condition_stops_before_the_remaining_elements(zb):
    # The completion condition is evaluated when an instance completes, with that instance's
    # variables visible (the docs' example: = result.isSuccessful).
    pid, job_type, probe_type = await mi_task_process(
        zb,
        loop(
            "=items",
            "item",
            sequential=True,
            output_collection="results",
            output_element="=result",
            completion_condition='=result = "stop"',
        ),
    )
    items = [1, 2, 3, 4]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    job = await activate_one(zb.stub, job_type)
    assert job.variables["loopCounter"] == 1
    await complete(zb.stub, job.key, result="go")
    job = await activate_one(zb.stub, job_type)
    assert job.variables["loopCounter"] == 2
    await complete(zb.stub, job.key, result="stop")

    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items, "results": ["go", "stop", None, None]}
    assert await zb.admin.list_jobs(job_type=job_type) == []
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_canceling_the_instance_terminates_all_inner_instances(zb):
    pid, job_type, _ = await mi_task_process(zb, loop("=items", "item"))
    pik = (await create_instance(zb.stub, pid, {"items": [1, 2, 3]})).processInstanceKey
    jobs = await await_jobs(zb.stub, job_type, 3)

    await zb.stub.CancelProcessInstance(
        pb.CancelProcessInstanceRequest(processInstanceKey=pik), timeout=10
    )
    await await_instance_state(zb.admin, pik, "TERMINATED")
    assert await zb.admin.list_jobs(job_type=job_type) == []
    for job in jobs:
        await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_input_mappings_apply_per_instance_and_see_the_loop_variables(zb):
    # Docs: "The input mappings can access the local variables of the instance (e.g.
    # inputElement, loopCounter)" and create local variables of each instance.
    pid, job_type, probe_type = unique_id("mi-in"), unique_id("mi-t"), unique_id("mi-probe")
    p = Process(pid)
    p.chain(
        p.start(),
        service_task(
            p,
            "each",
            job_type,
            inputs=[("=item.name", "name"), ("=loopCounter * 100", "pos")],
            multi=loop("=items", "item"),
        ),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    await deploy(zb.stub, p)
    items = [{"name": "x"}, {"name": "y"}]
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey

    jobs = by_counter(await await_jobs(zb.stub, job_type, 2))
    assert {n: (j.variables["name"], j.variables["pos"]) for n, j in jobs.items()} == {
        1: ("x", 100),
        2: ("y", 200),
    }
    for job in jobs.values():
        await complete(zb.stub, job.key)
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_new_job_variables_of_inner_instances_are_created_in_the_process_scope(zb):
    # Docs: "By default, new variables (e.g. provided by a job worker) are created in the
    # scope of the process instance and are visible to all instances [...] as well as
    # outside of it."
    pid, job_type, probe_type = await mi_task_process(zb, loop("=items", "item"))
    pik = (await create_instance(zb.stub, pid, {"items": ["a", "b"]})).processInstanceKey
    jobs = by_counter(await await_jobs(zb.stub, job_type, 2))
    await complete(zb.stub, jobs[1].key, seen_a=True)
    await complete(zb.stub, jobs[2].key, seen_b=True, item="changed")

    after = await probe(zb.stub, probe_type)
    # item existed locally in the second instance, so that write stayed there
    assert after.variables == {"items": ["a", "b"], "seen_a": True, "seen_b": True}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_many_parallel_instances_completed_concurrently_lose_no_output(zb):
    pid, job_type, probe_type = await mi_task_process(
        zb, loop("=items", "item", output_collection="results", output_element="=result")
    )
    items = list(range(25))
    pik = (await create_instance(zb.stub, pid, {"items": items})).processInstanceKey
    jobs = await await_jobs(zb.stub, job_type, 25)
    assert sorted(j.variables["item"] for j in jobs) == items

    await asyncio.gather(*(complete(zb.stub, j.key, result=j.variables["item"] * 3) for j in jobs))
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"items": items, "results": [i * 3 for i in items]}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_interrupting_boundary_event_terminates_the_body_without_partial_output(zb):
    # Docs: "When an interrupting boundary event is triggered, the multi-instance body and all
    # active instances are terminated. The outputCollection variable is not propagated to the
    # parent scope (i.e. no partial output)."
    pid, job_type, handled_type = unique_id("mi-err"), unique_id("mi-t"), unique_id("handled")
    code = unique_id("STOP")
    p = Process(pid)
    p.chain(
        p.start(),
        service_task(
            p,
            "each",
            job_type,
            multi=loop("=items", "item", output_collection="results", output_element="=result"),
        ),
        p.end(),
    )
    p.node(
        "boundaryEvent",
        "caught",
        attrs={"attachedToRef": "each"},
        body='<bpmn:errorEventDefinition errorRef="Error_stop" />',
    )
    p.chain("caught", service_task(p, "handled", handled_type), p.end("end_error"))
    xml = p.xml().replace(
        b"<bpmn:process",
        f'<bpmn:error id="Error_stop" name="stop" errorCode="{code}" />\n<bpmn:process'.encode(),
        1,
    )
    await deploy(zb.stub, (f"{pid}.bpmn", xml))
    pik = (await create_instance(zb.stub, pid, {"items": [1, 2, 3]})).processInstanceKey

    jobs = by_counter(await await_jobs(zb.stub, job_type, 3))
    await complete(zb.stub, jobs[1].key, result="done")
    await zb.stub.ThrowError(pb.ThrowErrorRequest(jobKey=jobs[2].key, errorCode=code), timeout=10)

    handled = await activate_one(zb.stub, handled_type)
    assert handled.variables == {"items": [1, 2, 3]}
    assert await zb.admin.list_jobs(job_type=job_type) == []
    await expect_code(complete(zb.stub, jobs[3].key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_multi_instance_progress_survives_an_engine_restart(zb, engine_process):
    parallel_pid, parallel_type, parallel_probe = await mi_task_process(
        zb, loop("=items", "item", output_collection="results", output_element="=result")
    )
    seq_pid, seq_type, seq_probe = await mi_task_process(
        zb,
        loop(
            "=items",
            "item",
            sequential=True,
            output_collection="results",
            output_element="=result",
        ),
    )
    items = ["a", "b", "c"]
    par_pik = (await create_instance(zb.stub, parallel_pid, {"items": items})).processInstanceKey
    seq_pik = (await create_instance(zb.stub, seq_pid, {"items": items})).processInstanceKey
    parallel = by_counter(await await_jobs(zb.stub, parallel_type, 3))
    await complete(zb.stub, parallel[2].key, result="B")
    first = await activate_one(zb.stub, seq_type)
    await complete(zb.stub, first.key, result="A")

    engine_process.restart()
    async with connect(engine_process.address) as fresh:
        await complete(fresh.stub, parallel[3].key, result="C")
        await complete(fresh.stub, parallel[1].key, result="A")
        after = await probe(fresh.stub, parallel_probe)
        assert after.variables == {"items": items, "results": ["A", "B", "C"]}
        await await_instance_state(fresh.admin, par_pik, "COMPLETED")

        for n, result in ((2, "B"), (3, "C")):
            job = await activate_one(fresh.stub, seq_type)
            assert (job.variables["loopCounter"], job.variables["item"]) == (n, items[n - 1])
            await complete(fresh.stub, job.key, result=result)
        after = await probe(fresh.stub, seq_probe)
        assert after.variables == {"items": items, "results": ["A", "B", "C"]}
        await await_instance_state(fresh.admin, seq_pik, "COMPLETED")
