"""Escalations and signals, end to end (Camunda 8.5 docs, "Escalation events", "Signal events").

Escalation:
- an intermediate throw or end escalation event is caught by the nearest escalation catch
  event with its code (or a catch-all) up the scopes: a boundary event of an enclosing
  sub-process or of the call activity, an escalation event sub-process;
- a non-interrupting catch lets the thrower continue; an interrupting one terminates the
  activity it is attached to;
- an escalation nobody catches is not an incident: the instance just continues.

Signals:
- BroadcastSignal triggers every open signal subscription of that name (catch events,
  boundary events) in every instance, and starts an instance of every process with a signal
  start event of that name, with the signal's variables; signals are not buffered;
- signal end and intermediate throw events broadcast a signal, its variables taken from the
  event's input mappings.
"""

from __future__ import annotations

import grpc
import pytest

from tests.support.zeebe import (
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    no_jobs,
    unique_id,
)
from tests.support.zeebe_events import (
    EventProcess,
    await_waiting_at,
    boundary,
    broadcast,
    catch_event,
    end_event,
    escalation_def,
    event_gateway,
    message_def,
    open_job_count,
    signal_def,
    start_event,
    still_waiting_at,
    throw_event,
)
from tests.support.zeebe_more import (
    call_activity,
    expect_code,
    io_mapping,
    service_task,
    sub_process,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


# --------------------------------------------------------------------------- escalation


def escalating_sub_process(
    code: str, *, interrupting: bool, catch_all: bool = False, end: bool = False
) -> tuple[EventProcess, dict[str, str]]:
    """start -> sub-process [start -> escalate (throw or end) -> 'inner_next' -> end]
    -> 'after' -> end, with an escalation boundary 'caught' on the sub-process -> 'handle'."""
    p = EventProcess(unique_id("esc"))
    ref = p.escalation(code)
    types = {n: unique_id(n) for n in ("inner_next", "after", "handle")}
    sub = sub_process(p, "sub")
    if end:
        sub.chain(sub.start("sub_start"), end_event(sub, "escalate", escalation_def(ref)))
    else:
        sub.chain(
            sub.start("sub_start"),
            throw_event(sub, "escalate", escalation_def(ref)),
            service_task(sub, "inner_next", types["inner_next"]),
            sub.end("sub_end"),
        )
    p.chain(p.start(), "sub", service_task(p, "after", types["after"]), p.end())
    catch_ref = None if catch_all else ref
    p.chain(
        boundary(p, "caught", "sub", escalation_def(catch_ref), interrupting=interrupting),
        service_task(p, "handle", types["handle"]),
        p.end("end_caught"),
    )
    return p, types


async def test_non_interrupting_escalation_boundary_lets_the_thrower_continue(zb):
    p, t = escalating_sub_process("LATE", interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    handled = await activate_one(zb.stub, t["handle"])
    inner = await activate_one(zb.stub, t["inner_next"])

    assert handled.process_instance_key == inner.process_instance_key == pik
    await complete(zb.stub, handled.key)
    await complete(zb.stub, inner.key)
    await complete(zb.stub, (await activate_one(zb.stub, t["after"])).key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_interrupting_escalation_boundary_terminates_the_sub_process(zb):
    p, t = escalating_sub_process("LATE", interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    handled = await activate_one(zb.stub, t["handle"])

    assert handled.process_instance_key == pik
    assert await no_jobs(zb.stub, t["inner_next"])
    assert await no_jobs(zb.stub, t["after"])
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_escalation_end_event_is_caught_by_a_non_interrupting_boundary(zb):
    p, t = escalating_sub_process("LATE", interrupting=False, end=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    handled = await activate_one(zb.stub, t["handle"])
    # the end event completes, so the sub-process completes and its flow goes on too
    after = await activate_one(zb.stub, t["after"])

    assert handled.process_instance_key == after.process_instance_key == pik


async def test_catch_all_escalation_boundary_catches_any_code(zb):
    p, t = escalating_sub_process(unique_id("ANY"), interrupting=True, catch_all=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, t["handle"])).process_instance_key == pik


async def test_escalation_with_another_code_is_not_caught(zb):
    p = EventProcess(unique_id("escmiss"))
    thrown, other = p.escalation("LATE"), p.escalation("OTHER")
    nxt, handle = unique_id("next"), unique_id("handle")
    sub = sub_process(p, "sub")
    sub.chain(
        sub.start("sub_start"),
        throw_event(sub, "escalate", escalation_def(thrown)),
        service_task(sub, "inner_next", nxt),
        sub.end("sub_end"),
    )
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "caught", "sub", escalation_def(other)),
        service_task(p, "handle", handle),
        p.end("end_caught"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, nxt)).process_instance_key == pik
    assert await no_jobs(zb.stub, handle)


async def test_uncaught_escalation_continues_without_an_incident(zb):
    p = EventProcess(unique_id("escfree"))
    ref = p.escalation("NOBODY")
    nxt = unique_id("next")
    p.chain(
        p.start(),
        throw_event(p, "escalate", escalation_def(ref)),
        service_task(p, "next", nxt),
        p.end(),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    job = await activate_one(zb.stub, nxt)

    assert job.process_instance_key == pik
    assert await zb.admin.list_incidents(pik) == []


async def test_uncaught_escalation_end_event_completes_the_instance(zb):
    p = EventProcess(unique_id("escend"))
    ref = p.escalation("NOBODY")
    p.chain(p.start(), end_event(p, "escalate", escalation_def(ref)))
    await deploy(zb.stub, p)

    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await await_instance_state(zb.admin, pik, "COMPLETED")
    assert await zb.admin.list_incidents(pik) == []


async def test_escalation_from_a_called_process_is_caught_by_the_call_activity(zb):
    child = EventProcess(unique_id("child"))
    child_ref = child.escalation("NEEDS_LEADER")
    child_next = unique_id("child-next")
    child.chain(
        child.start(),
        throw_event(child, "escalate", escalation_def(child_ref)),
        service_task(child, "child_next", child_next),
        child.end(),
    )
    parent = EventProcess(unique_id("parent"))
    ref = parent.escalation("NEEDS_LEADER")
    handle = unique_id("handle")
    parent.chain(parent.start(), call_activity(parent, "call", child.id), parent.end())
    parent.chain(
        boundary(parent, "caught", "call", escalation_def(ref), interrupting=False),
        service_task(parent, "handle", handle),
        parent.end("end_caught"),
    )
    await deploy(zb.stub, child, parent)

    pik = (await create_instance(zb.stub, parent.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    child_job = await activate_one(zb.stub, child_next)
    assert child_job.process_instance_key != pik


async def test_escalation_boundary_on_a_task_is_refused_at_deploy(zb):
    """Zeebe: an escalation boundary event may only be attached to a sub-process or a call
    activity (nothing else can throw an escalation)."""
    from tests.support.zeebe import rpc_error

    p = EventProcess(unique_id("escbad"))
    ref = p.escalation("X")
    p.chain(p.start(), service_task(p, "work", unique_id("work")), p.end())
    p.chain(boundary(p, "caught", "work", escalation_def(ref)), p.end("e2"))

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "caught" in err.details()


# --------------------------------------------------------------------------- signals


def signal_catch_process(name: str) -> tuple[EventProcess, str]:
    """start -> signal catch 'wait' -> service task 'probe' -> end."""
    p = EventProcess(unique_id("sig"))
    ref = p.signal(name)
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        catch_event(p, "wait", signal_def(ref)),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


def signal_start_process(name: str) -> tuple[EventProcess, str]:
    """signal start 'start' -> service task 'probe' -> end."""
    p = EventProcess(unique_id("sigstart"))
    ref = p.signal(name)
    probe_type = unique_id("probe")
    p.chain(start_event(p, "start", signal_def(ref)), service_task(p, "probe", probe_type), p.end())
    return p, probe_type


async def test_pyzeebe_broadcast_signal_starts_a_process_with_its_variables(zb):
    name = unique_id("call-opened")
    p, probe_type = signal_start_process(name)
    await deploy(zb.stub, p)

    reply = await zb.client.broadcast_signal(name, {"callId": 7})

    assert reply.key > 0
    job = await activate_one(zb.stub, probe_type)
    assert job.bpmn_process_id == p.id
    assert job.variables == {"callId": 7}


async def test_signal_starts_every_process_with_that_signal_start(zb):
    name = unique_id("call-opened")
    p1, probe1 = signal_start_process(name)
    p2, probe2 = signal_start_process(name)
    await deploy(zb.stub, p1, p2)

    await broadcast(zb.stub, name)
    await broadcast(zb.stub, name)

    await zb.admin.wait_idle()
    assert await open_job_count(zb.admin, probe1) == 2
    assert await open_job_count(zb.admin, probe2) == 2


async def test_signal_triggers_every_waiting_instance(zb):
    name = unique_id("stop")
    p, probe_type = signal_catch_process(name)
    await deploy(zb.stub, p)
    piks = []
    for _ in range(3):
        pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
        await await_waiting_at(zb.admin, pik, "wait")
        piks.append(pik)

    await broadcast(zb.stub, name, {"reason": "halt"})

    jobs = [await activate_one(zb.stub, probe_type) for _ in piks]
    assert sorted(j.process_instance_key for j in jobs) == sorted(piks)
    assert all(j.variables == {"reason": "halt"} for j in jobs)


async def test_signal_is_not_buffered(zb):
    name = unique_id("early")
    p, probe_type = signal_catch_process(name)
    await deploy(zb.stub, p)
    await broadcast(zb.stub, name)

    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)


def task_with_signal_boundary(name: str, *, interrupting: bool) -> tuple[EventProcess, str, str]:
    p = EventProcess(unique_id("sigbound"))
    ref = p.signal(name)
    work, on_signal = unique_id("work"), unique_id("on-signal")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "sig", "work", signal_def(ref), interrupting=interrupting),
        service_task(p, "on_signal", on_signal),
        p.end("end_sig"),
    )
    return p, work, on_signal


async def test_interrupting_signal_boundary_event_terminates_the_task(zb):
    name = unique_id("withdrawn")
    p, work, on_signal = task_with_signal_boundary(name, interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await broadcast(zb.stub, name)

    assert (await activate_one(zb.stub, on_signal)).process_instance_key == pik
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_non_interrupting_signal_boundary_event_keeps_the_task(zb):
    name = unique_id("notice")
    p, work, on_signal = task_with_signal_boundary(name, interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await broadcast(zb.stub, name)

    notice = await activate_one(zb.stub, on_signal)
    assert notice.process_instance_key == pik
    await complete(zb.stub, notice.key)
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_signal_end_event_broadcasts_to_waiting_instances(zb):
    name = unique_id("done")
    waiting, probe_type = signal_catch_process(name)
    thrower = EventProcess(unique_id("thrower"))
    ref = thrower.signal(name)
    thrower.chain(thrower.start(), end_event(thrower, "send", signal_def(ref)))
    await deploy(zb.stub, waiting, thrower)
    pik = (await create_instance(zb.stub, waiting.id, {})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait")

    thrower_pik = (await create_instance(zb.stub, thrower.id, {})).processInstanceKey

    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik
    await await_instance_state(zb.admin, thrower_pik, "COMPLETED")


async def test_signal_throw_event_sends_its_input_mappings_as_variables(zb):
    name = unique_id("done")
    waiting, probe_type = signal_catch_process(name)
    thrower = EventProcess(unique_id("thrower"))
    ref = thrower.signal(name)
    after = unique_id("after")
    thrower.chain(
        thrower.start(),
        thrower.node(
            "intermediateThrowEvent",
            "send",
            extensions=io_mapping([("=total * 2", "doubled")]),
            body=signal_def(ref),
        ),
        service_task(thrower, "after", after),
        thrower.end(),
    )
    await deploy(zb.stub, waiting, thrower)
    pik = (await create_instance(zb.stub, waiting.id, {})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait")

    await create_instance(zb.stub, thrower.id, {"total": 21, "secret": "s"})

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert job.variables == {"doubled": 42}
    # the thrower continues after its throw event
    await activate_one(zb.stub, after)


async def test_broadcast_signal_without_a_name_is_invalid_argument(zb):
    await expect_code(broadcast(zb.stub, ""), grpc.StatusCode.INVALID_ARGUMENT)


async def test_event_based_gateway_with_a_signal(zb):
    name = unique_id("go")
    p = EventProcess(unique_id("sig-gw"))
    sig = p.signal(name)
    msg = p.message(unique_id("never"), "=k")
    on_signal, on_message = unique_id("on-signal"), unique_id("on-message")
    gw = event_gateway(p, "gw")
    p.chain(p.start(), gw)
    p.chain(
        gw,
        catch_event(p, "sig", signal_def(sig)),
        service_task(p, "on_signal", on_signal),
        p.end("end_sig"),
    )
    p.chain(
        gw,
        catch_event(p, "msg", message_def(msg)),
        service_task(p, "on_message", on_message),
        p.end("end_msg"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"k": "x"})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "gw")

    await broadcast(zb.stub, name)

    assert (await activate_one(zb.stub, on_signal)).process_instance_key == pik
    assert await no_jobs(zb.stub, on_message)
