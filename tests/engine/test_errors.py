"""BPMN errors, end to end (Camunda 8.5 docs, "Error events"):

- ThrowError from a job (pyzeebe: a handler raising BusinessError) and error end events
  throw an error with a code; it is caught by the nearest error catch event with the same
  code, walking up the scopes: a boundary event on the activity, an error event
  sub-process of the enclosing (sub-)process, a boundary event of an enclosing sub-process,
  of the call activity that started the process, of a multi-instance activity;
- a catch event without an error code catches every error (catch-all);
- catching terminates the scope the catch event belongs to (boundary: the activity;
  interrupting event sub-process: the rest of its scope);
- the error variables of ThrowError are merged at the catch event (and on into the process
  unless output mappings say otherwise);
- an error code may be an expression on throw events;
- an error nobody catches raises an incident (UNHANDLED_ERROR_EVENT) naming the code.
"""

from __future__ import annotations

import grpc
import pytest
from pyzeebe.errors import BusinessError

from tests.support.zeebe import (
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    no_jobs,
    running_worker,
    throw_error,
    unique_id,
)
from tests.support.zeebe_events import (
    EventProcess,
    await_waiting_at,
    boundary,
    end_event,
    error_def,
    event_sub_process,
    start_event,
)
from tests.support.zeebe_more import (
    await_incidents,
    call_activity,
    expect_code,
    loop,
    service_task,
    sub_process,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


def task_with_error_boundary(code: str | None, *, outputs=()) -> tuple[EventProcess, str, str]:
    """start -> task 'work' (error boundary 'caught' -> task 'handle') -> end;
    ``code`` None makes the boundary a catch-all."""
    p = EventProcess(unique_id("err"))
    ref = p.error(code) if code is not None else None
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "caught", "work", error_def(ref), outputs=outputs),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    return p, work, handle


# --------------------------------------------------------------------------- boundary on the task


async def test_thrown_error_is_caught_by_the_boundary_event_with_its_code(zb):
    p, work, handle = task_with_error_boundary("NO_FUNDS")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"a": 1})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "NO_FUNDS", "balance too low")

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_error_variables_reach_the_process_through_the_catch_event(zb):
    p, work, handle = task_with_error_boundary("NO_FUNDS")
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {"a": 1})
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "NO_FUNDS", variables={"shortBy": 40})

    handled = await activate_one(zb.stub, handle)
    assert handled.variables == {"a": 1, "shortBy": 40}


async def test_error_catch_event_output_mappings_take_only_what_they_map(zb):
    p, work, handle = task_with_error_boundary("NO_FUNDS", outputs=[("=detail.shortBy", "missing")])
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {"a": 1})
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "NO_FUNDS", variables={"detail": {"shortBy": 40}})

    handled = await activate_one(zb.stub, handle)
    assert handled.variables == {"a": 1, "missing": 40}


async def test_error_with_another_code_is_not_caught_and_raises_an_incident(zb):
    p, work, handle = task_with_error_boundary("NO_FUNDS")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "OTHER", "something else")

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert incident["elementId"] == "work"
    # Zeebe 8.5's wording names the error events in reach (CatchEventAnalyzer)
    assert incident["errorMessage"] == (
        "Expected to throw an error event with the code 'OTHER' with message 'something "
        "else', but it was not caught. Available error events are [NO_FUNDS]"
    )
    assert await no_jobs(zb.stub, handle)
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"


async def test_catch_all_boundary_catches_any_code(zb):
    p, work, handle = task_with_error_boundary(None)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, unique_id("ANY"))

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik


async def test_error_code_and_message_variables_on_the_catch_event(zb):
    """zeebe:errorCodeVariable / zeebe:errorMessageVariable (the engine's documented
    extension; Camunda 7 calls them camunda:errorCodeVariable / errorMessageVariable)."""
    p = EventProcess(unique_id("errvars"))
    ref = p.error("NO_FUNDS")
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(
            p, "caught", "work", error_def(ref, code_variable="errCode", message_variable="errMsg")
        ),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {})
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "NO_FUNDS", "balance too low")

    handled = await activate_one(zb.stub, handle)
    assert handled.variables["errCode"] == "NO_FUNDS"
    assert handled.variables["errMsg"] == "balance too low"


async def test_pyzeebe_business_error_is_caught_by_the_boundary_event(zb):
    p, work, handle = task_with_error_boundary("REJECTED")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"n": 1})).processInstanceKey

    class Rejected(BusinessError):
        def __init__(self) -> None:
            super().__init__("REJECTED")

    async def reject(n: int) -> dict:
        raise Rejected()

    async with running_worker(zb.channel, {work: reject}):
        handled = await activate_one(zb.stub, handle)

    assert handled.process_instance_key == pik


# --------------------------------------------------------------------------- up the scopes


async def test_error_in_a_sub_process_is_caught_by_the_boundary_of_the_sub_process(zb):
    p = EventProcess(unique_id("errsub"))
    ref = p.error("BAD")
    work, handle, after = unique_id("work"), unique_id("handle"), unique_id("after")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    p.chain(p.start(), "sub", service_task(p, "after", after), p.end())
    p.chain(
        boundary(p, "caught", "sub", error_def(ref)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    assert await no_jobs(zb.stub, after)
    assert "sub" not in [
        e["elementId"] for e in (await zb.admin.get_process_instance(pik))["elementInstances"]
    ]


async def test_the_nearest_matching_catch_event_wins(zb):
    p = EventProcess(unique_id("nearest"))
    ref = p.error("BAD")
    work, inner, outer = unique_id("work"), unique_id("inner"), unique_id("outer")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    sub.chain(
        boundary(sub, "inner_caught", "work", error_def(ref)),
        service_task(sub, "inner", inner),
        sub.end("sub_end2"),
    )
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "outer_caught", "sub", error_def(ref)),
        service_task(p, "outer", outer),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    assert (await activate_one(zb.stub, inner)).process_instance_key == pik
    assert await no_jobs(zb.stub, outer)


async def test_a_non_matching_inner_catch_event_lets_the_error_through_to_an_outer_one(zb):
    p = EventProcess(unique_id("through"))
    other, bad = p.error("OTHER"), p.error("BAD")
    work, inner, outer = unique_id("work"), unique_id("inner"), unique_id("outer")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    sub.chain(
        boundary(sub, "inner_caught", "work", error_def(other)),
        service_task(sub, "inner", inner),
        sub.end("sub_end2"),
    )
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "outer_caught", "sub", error_def(bad)),
        service_task(p, "outer", outer),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    assert (await activate_one(zb.stub, outer)).process_instance_key == pik
    assert await no_jobs(zb.stub, inner)


async def test_error_from_a_job_inside_a_call_activity_is_caught_by_the_parents_boundary(zb):
    child = EventProcess(unique_id("child"))
    child_work = unique_id("child-work")
    child.chain(child.start(), service_task(child, "child_work", child_work), child.end())
    parent = EventProcess(unique_id("parent"))
    ref = parent.error("CHILD_FAILED")
    handle, after = unique_id("handle"), unique_id("after")
    parent.chain(
        parent.start(),
        call_activity(parent, "call", child.id),
        service_task(parent, "after", after),
        parent.end(),
    )
    parent.chain(
        boundary(parent, "caught", "call", error_def(ref)),
        service_task(parent, "handle", handle),
        parent.end("end_caught"),
    )
    await deploy(zb.stub, child, parent)
    pik = (await create_instance(zb.stub, parent.id, {"x": 1})).processInstanceKey
    job = await activate_one(zb.stub, child_work)
    child_pik = job.process_instance_key
    assert child_pik != pik

    await throw_error(zb.stub, job.key, "CHILD_FAILED", "no", variables={"why": "broken"})

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"x": 1, "why": "broken"}
    await await_instance_state(zb.admin, child_pik, "TERMINATED")
    assert await no_jobs(zb.stub, after)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_error_end_event_in_a_called_process_is_caught_by_the_call_activity(zb):
    child = EventProcess(unique_id("child"))
    child_ref = child.error("CHILD_FAILED")
    child.chain(child.start(), end_event(child, "fail", error_def(child_ref)))
    parent = EventProcess(unique_id("parent"))
    ref = parent.error("CHILD_FAILED")
    handle = unique_id("handle")
    parent.chain(parent.start(), call_activity(parent, "call", child.id), parent.end())
    parent.chain(
        boundary(parent, "caught", "call", error_def(ref)),
        service_task(parent, "handle", handle),
        parent.end("end_caught"),
    )
    await deploy(zb.stub, child, parent)

    pik = (await create_instance(zb.stub, parent.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik


async def test_error_in_a_called_process_is_caught_by_an_event_sub_process_of_the_parent(zb):
    child = EventProcess(unique_id("child"))
    child_work = unique_id("child-work")
    child.chain(child.start(), service_task(child, "child_work", child_work), child.end())
    parent = EventProcess(unique_id("parent"))
    ref = parent.error("CHILD_FAILED")
    handle = unique_id("handle")
    parent.chain(parent.start(), call_activity(parent, "call", child.id), parent.end())
    esp = event_sub_process(parent, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def(ref)),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, child, parent)
    pik = (await create_instance(zb.stub, parent.id, {})).processInstanceKey
    job = await activate_one(zb.stub, child_work)

    await throw_error(zb.stub, job.key, "CHILD_FAILED")

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    await await_instance_state(zb.admin, job.process_instance_key, "TERMINATED")


async def test_error_in_a_multi_instance_inner_instance_is_caught_by_the_boundary(zb):
    p = EventProcess(unique_id("errmi"))
    ref = p.error("BAD_ITEM")
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work, multi=loop("=items", "item")), p.end())
    p.chain(
        boundary(p, "caught", "work", error_def(ref)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"items": [1, 2, 3]})).processInstanceKey
    jobs = [await activate_one(zb.stub, work) for _ in range(3)]

    await throw_error(zb.stub, jobs[1].key, "BAD_ITEM")

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    for j in (jobs[0], jobs[2]):
        await expect_code(complete(zb.stub, j.key), grpc.StatusCode.NOT_FOUND)


async def test_error_inside_a_multi_instance_sub_process_is_caught_on_the_body(zb):
    p = EventProcess(unique_id("errmisub"))
    ref = p.error("BAD_ITEM")
    work, handle = unique_id("work"), unique_id("handle")
    sub = sub_process(p, "sub", multi=loop("=items", "item"))
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "caught", "sub", error_def(ref)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"items": ["a", "b"]})).processInstanceKey
    first = await activate_one(zb.stub, work)
    second = await activate_one(zb.stub, work)

    await throw_error(zb.stub, first.key, "BAD_ITEM")

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    await expect_code(complete(zb.stub, second.key), grpc.StatusCode.NOT_FOUND)


# --------------------------------------------------------------------------- event sub-processes


async def test_error_event_sub_process_of_the_process_catches_a_job_error(zb):
    p = EventProcess(unique_id("erresp"))
    ref = p.error("BAD")
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    esp = event_sub_process(p, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def(ref)),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"a": 1})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "BAD", variables={"why": "x"})

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"a": 1, "why": "x"}
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_error_event_sub_process_inside_a_sub_process_catches_its_errors(zb):
    p = EventProcess(unique_id("erresp2"))
    ref = p.error("BAD")
    work, handle, after = unique_id("work"), unique_id("handle"), unique_id("after")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    esp = event_sub_process(sub, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def(ref)),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    p.chain(p.start(), "sub", service_task(p, "after", after), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    handled = await activate_one(zb.stub, handle)
    await complete(zb.stub, handled.key)
    # the sub-process completes through its event sub-process and the flow goes on
    nxt = await activate_one(zb.stub, after)
    assert nxt.process_instance_key == pik


async def test_error_end_event_is_caught_by_the_boundary_of_its_sub_process(zb):
    p = EventProcess(unique_id("errend"))
    ref = p.error("INVALID")
    handle, after = unique_id("handle"), unique_id("after")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), end_event(sub, "fail", error_def(ref)))
    p.chain(p.start(), "sub", service_task(p, "after", after), p.end())
    p.chain(
        boundary(p, "caught", "sub", error_def(ref)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    assert await no_jobs(zb.stub, after)


async def test_error_end_event_code_may_be_an_expression(zb):
    p = EventProcess(unique_id("errexpr"))
    thrown = p.error("=code")
    caught = p.error("DYNAMIC")
    handle = unique_id("handle")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), end_event(sub, "fail", error_def(thrown)))
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "caught", "sub", error_def(caught)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {"code": "DYNAMIC"})).processInstanceKey

    assert (await activate_one(zb.stub, handle, timeout=3)).process_instance_key == pik


# --------------------------------------------------------------------------- uncaught


async def test_uncaught_error_from_a_job_raises_an_incident_naming_the_code(zb):
    p = EventProcess(unique_id("uncaught"))
    work = unique_id("work")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "NOBODY_CATCHES", "lost")

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert incident["elementId"] == "work"
    assert incident["errorMessage"] == (
        "Expected to throw an error event with the code 'NOBODY_CATCHES' with message 'lost', "
        "but it was not caught. No error events are available in the scope."
    )
    assert incident["jobKey"] == job.key
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"


async def test_uncaught_error_end_event_raises_an_incident(zb):
    p = EventProcess(unique_id("uncaught-end"))
    ref = p.error("LOST")
    p.chain(p.start(), end_event(p, "fail", error_def(ref)))
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert incident["elementId"] == "fail"
    assert incident["errorMessage"] == (
        "Expected to throw an error event with the code 'LOST', but it was not caught. No "
        "error events are available in the scope."
    )
    await await_waiting_at(zb.admin, pik, "fail")


async def test_uncaught_error_in_a_called_process_raises_the_incident_in_the_child(zb):
    child = EventProcess(unique_id("child"))
    child_work = unique_id("child-work")
    child.chain(child.start(), service_task(child, "child_work", child_work), child.end())
    parent = EventProcess(unique_id("parent"))
    parent.chain(parent.start(), call_activity(parent, "call", child.id), parent.end())
    await deploy(zb.stub, child, parent)
    pik = (await create_instance(zb.stub, parent.id, {})).processInstanceKey
    job = await activate_one(zb.stub, child_work)

    await throw_error(zb.stub, job.key, "UNKNOWN")

    [incident] = await await_incidents(zb.admin, job.process_instance_key)
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"


async def test_uncaught_error_names_every_error_event_in_reach_inner_scope_first(zb):
    """Zeebe lists the codes of the error catch events it passed on its way out, from the
    thrower's own boundary events out to the sub-process's and the process's, and leaves out
    the job error message when the worker sent none."""
    p = EventProcess(unique_id("reach"))
    inner_ref, outer_ref, process_ref = p.error("INNER"), p.error("OUTER"), p.error("TOP")
    work = unique_id("work")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    boundary(sub, "on_work", "work", error_def(inner_ref))
    sub.chain("on_work", sub.end("inner_end"))
    p.chain(p.start(), "sub", p.end())
    p.chain(boundary(p, "on_sub", "sub", error_def(outer_ref)), p.end("outer_end"))
    handler = event_sub_process(p, "handler")
    handler.chain(start_event(handler, "top_start", error_def(process_ref)), handler.end("h_end"))
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await throw_error(zb.stub, job.key, "ELSEWHERE")

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorMessage"] == (
        "Expected to throw an error event with the code 'ELSEWHERE', but it was not caught. "
        "Available error events are [INNER, OUTER, TOP]"
    )


async def test_error_boundary_must_be_interrupting(zb):
    from tests.support.zeebe import rpc_error

    p = EventProcess(unique_id("nonint"))
    ref = p.error("X")
    work = unique_id("work")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(boundary(p, "caught", "work", error_def(ref), interrupting=False), p.end("e2"))

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "caught" in err.details()


async def test_boundary_on_the_task_wins_over_an_event_sub_process_of_the_process(zb):
    p = EventProcess(unique_id("prec"))
    ref = p.error("BAD")
    work, on_boundary, on_esp = unique_id("work"), unique_id("on-b"), unique_id("on-esp")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "caught", "work", error_def(ref)),
        service_task(p, "on_boundary", on_boundary),
        p.end("end_caught"),
    )
    esp = event_sub_process(p, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def(ref)),
        service_task(esp, "on_esp", on_esp),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    assert (await activate_one(zb.stub, on_boundary)).process_instance_key == pik
    assert await no_jobs(zb.stub, on_esp)


async def test_event_sub_process_inside_a_sub_process_wins_over_the_sub_process_boundary(zb):
    p = EventProcess(unique_id("prec2"))
    ref = p.error("BAD")
    work, on_boundary, on_esp = unique_id("work"), unique_id("on-b"), unique_id("on-esp")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "work", work), sub.end("sub_end"))
    esp = event_sub_process(sub, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def(ref)),
        service_task(esp, "on_esp", on_esp),
        esp.end("esp_end"),
    )
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "caught", "sub", error_def(ref)),
        service_task(p, "on_boundary", on_boundary),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, "BAD")

    assert (await activate_one(zb.stub, on_esp)).process_instance_key == pik
    assert await no_jobs(zb.stub, on_boundary)


async def test_catch_all_error_event_sub_process(zb):
    p = EventProcess(unique_id("espall"))
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    esp = event_sub_process(p, "on_error")
    esp.chain(
        start_event(esp, "esp_start", error_def()),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await throw_error(zb.stub, (await activate_one(zb.stub, work)).key, unique_id("WHATEVER"))

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik


async def test_throw_error_for_an_unknown_job_is_not_found(zb):
    await expect_code(throw_error(zb.stub, 2251799813999999, "X"), grpc.StatusCode.NOT_FOUND)


async def test_throw_error_for_a_job_already_caught_is_not_found(zb):
    p, work, handle = task_with_error_boundary("NO_FUNDS")
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {})
    job = await activate_one(zb.stub, work)
    await throw_error(zb.stub, job.key, "NO_FUNDS")
    await activate_one(zb.stub, handle)

    await expect_code(throw_error(zb.stub, job.key, "NO_FUNDS"), grpc.StatusCode.NOT_FOUND)
