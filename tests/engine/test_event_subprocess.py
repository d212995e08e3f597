"""Event sub-processes, end to end (Camunda 8.5 docs, "Event subprocess"):

- an event sub-process's start event subscription (message, timer, signal) is opened when
  its enclosing scope (process or sub-process) is activated, and closed when it ends; error
  and escalation starts catch what is thrown inside the scope;
- an interrupting one terminates every active element of its scope, then runs; once it has
  run, the other event sub-processes of the scope cannot be triggered any more;
- a non-interrupting one runs beside the scope's flow, and may be triggered again;
- the scope completes when its flow and its running event sub-processes have completed;
- the event sub-process sees the variables of its scope.

The module runs its own engine on a controlled clock for the timer starts.
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
    DATABASE_KINDS,
    HOUR,
    MINUTE,
    EventProcess,
    advance,
    broadcast,
    controlled_engine,
    end_event,
    escalation_def,
    event_sub_process,
    message_def,
    open_job_count,
    publish,
    signal_def,
    start_event,
    still_waiting_at,
    throw_event,
    timer_def,
)
from tests.support.zeebe_more import expect_code, service_task, sub_process


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture
async def zb(clock_engine):
    async with connect(clock_engine.address) as conn:
        yield conn


def process_with_esp(definition_of, *, interrupting: bool) -> tuple[EventProcess, str, str]:
    """start -> task 'work' -> end, plus an event sub-process 'esp' whose start event has the
    definition ``definition_of(process)`` -> task 'handle' -> end."""
    p = EventProcess(unique_id("esp"))
    work, handle = unique_id("work"), unique_id("handle")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    esp = event_sub_process(p, "esp")
    esp.chain(
        start_event(esp, "esp_start", definition_of(p), interrupting=interrupting),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    return p, work, handle


# --------------------------------------------------------------------------- message starts


async def test_interrupting_message_event_sub_process_terminates_the_flow(zb):
    name = unique_id("cancel")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=True
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1", variables={"reason": "withdrawn"})

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"key": "k1", "reason": "withdrawn"}
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_non_interrupting_message_event_sub_process_runs_beside_the_flow(zb):
    name = unique_id("note")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=False
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1")

    handled = await activate_one(zb.stub, handle)
    await complete(zb.stub, handled.key)
    assert await still_waiting_at(zb.admin, pik, "work")
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_non_interrupting_event_sub_process_can_be_triggered_again(zb):
    name = unique_id("note")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=False
    )
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {"key": "k1"})
    await activate_one(zb.stub, work)

    await publish(zb.stub, name, "k1")
    await publish(zb.stub, name, "k1")

    await zb.admin.wait_idle()
    assert await open_job_count(zb.admin, handle) == 2


async def test_the_instance_completes_after_its_running_event_sub_process(zb):
    name = unique_id("note")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=False
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    job = await activate_one(zb.stub, work)
    await publish(zb.stub, name, "k1")
    handled = await activate_one(zb.stub, handle)

    await complete(zb.stub, job.key)
    assert await still_waiting_at(zb.admin, pik, "esp")

    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_after_an_interrupting_event_sub_process_no_other_one_triggers(zb):
    cancel, note = unique_id("cancel"), unique_id("note")
    p = EventProcess(unique_id("esp2"))
    work, on_cancel, on_note = unique_id("work"), unique_id("on-cancel"), unique_id("on-note")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    esp1 = event_sub_process(p, "esp_cancel")
    esp1.chain(
        start_event(esp1, "cancel_start", message_def(p.message(cancel, "=key"))),
        service_task(esp1, "on_cancel", on_cancel),
        esp1.end("cancel_end"),
    )
    esp2 = event_sub_process(p, "esp_note")
    esp2.chain(
        start_event(esp2, "note_start", message_def(p.message(note, "=key")), interrupting=False),
        service_task(esp2, "on_note", on_note),
        esp2.end("note_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    await activate_one(zb.stub, work)
    await publish(zb.stub, cancel, "k1")
    handled = await activate_one(zb.stub, on_cancel)

    await publish(zb.stub, note, "k1")

    assert await no_jobs(zb.stub, on_note)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_event_sub_process_sees_the_variables_of_its_scope(zb):
    name = unique_id("note")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=False
    )
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {"key": "k1", "budget": 100})

    await publish(zb.stub, name, "k1")

    handled = await activate_one(zb.stub, handle)
    assert handled.variables == {"key": "k1", "budget": 100}


async def test_buffered_message_triggers_the_event_sub_process_when_the_scope_starts(zb):
    name = unique_id("early")
    p, work, handle = process_with_esp(
        lambda p: message_def(p.message(name, "=key")), interrupting=False
    )
    await deploy(zb.stub, p)
    await publish(zb.stub, name, "k1", ttl_ms=HOUR, variables={"early": True})

    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"key": "k1", "early": True}
    assert (await activate_one(zb.stub, work)).process_instance_key == pik


# --------------------------------------------------------------------------- inside a sub-process


def sub_process_with_esp(name: str) -> tuple[EventProcess, dict[str, str]]:
    """start -> sub [start -> 'inner' -> end; esp (message, interrupting) -> 'handle'] ->
    'after' -> end."""
    p = EventProcess(unique_id("subesp"))
    t = {n: unique_id(n) for n in ("inner", "handle", "after")}
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "inner", t["inner"]), sub.end("sub_end"))
    esp = event_sub_process(sub, "esp")
    esp.chain(
        start_event(esp, "esp_start", message_def(p.message(name, "=key"))),
        service_task(esp, "handle", t["handle"]),
        esp.end("esp_end"),
    )
    p.chain(p.start(), "sub", service_task(p, "after", t["after"]), p.end())
    return p, t


async def test_event_sub_process_of_a_sub_process_interrupts_only_that_sub_process(zb):
    name = unique_id("redo")
    p, t = sub_process_with_esp(name)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    inner = await activate_one(zb.stub, t["inner"])

    await publish(zb.stub, name, "k1")

    handled = await activate_one(zb.stub, t["handle"])
    await expect_code(complete(zb.stub, inner.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    # the sub-process completes and the process flow continues after it
    after = await activate_one(zb.stub, t["after"])
    assert after.process_instance_key == pik


async def test_event_sub_process_subscription_closes_with_its_scope(zb):
    name = unique_id("redo")
    p, t = sub_process_with_esp(name)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "k1"})).processInstanceKey
    await complete(zb.stub, (await activate_one(zb.stub, t["inner"])).key)
    await activate_one(zb.stub, t["after"])

    await publish(zb.stub, name, "k1")

    assert await no_jobs(zb.stub, t["handle"])
    assert await still_waiting_at(zb.admin, pik, "after")


async def test_event_sub_process_correlation_key_is_evaluated_in_its_scope(zb):
    name = unique_id("redo")
    p = EventProcess(unique_id("subesp-key"))
    inner, handle = unique_id("inner"), unique_id("handle")
    sub = sub_process(p, "sub", inputs=[('="S-" + key', "subKey")])
    sub.chain(sub.start("sub_start"), service_task(sub, "inner", inner), sub.end("sub_end"))
    esp = event_sub_process(sub, "esp")
    esp.chain(
        start_event(esp, "esp_start", message_def(p.message(name, "=subKey")), interrupting=False),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    p.chain(p.start(), "sub", p.end())
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"key": "1"})).processInstanceKey
    await activate_one(zb.stub, inner)

    await publish(zb.stub, name, "S-1")

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"key": "1", "subKey": "S-1"}


# --------------------------------------------------------------------------- timer starts


async def test_interrupting_timer_event_sub_process(zb):
    p, work, handle = process_with_esp(
        lambda p: timer_def("timeDuration", "PT30M"), interrupting=True
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await advance(zb.admin, 29 * MINUTE)
    assert await no_jobs(zb.stub, handle)
    await advance(zb.admin, MINUTE)

    assert (await activate_one(zb.stub, handle)).process_instance_key == pik
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_non_interrupting_timer_cycle_event_sub_process_fires_per_interval(zb):
    p, work, handle = process_with_esp(
        lambda p: timer_def("timeCycle", "R2/PT1H"), interrupting=False
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    await activate_one(zb.stub, work)

    counts = []
    for _ in range(3):
        await advance(zb.admin, HOUR)
        counts.append(await open_job_count(zb.admin, handle))

    assert counts == [1, 2, 2]
    assert await still_waiting_at(zb.admin, pik, "work")


async def test_timer_event_sub_process_is_cancelled_when_the_instance_completes(zb):
    p, work, handle = process_with_esp(
        lambda p: timer_def("timeDuration", "PT30M"), interrupting=True
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    await complete(zb.stub, (await activate_one(zb.stub, work)).key)
    await await_instance_state(zb.admin, pik, "COMPLETED")

    await advance(zb.admin, HOUR)

    assert await no_jobs(zb.stub, handle)


# --------------------------------------------------------------------------- signal / escalation


async def test_signal_event_sub_process(zb):
    name = unique_id("halt")
    p, work, handle = process_with_esp(lambda p: signal_def(p.signal(name)), interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await broadcast(zb.stub, name, {"why": "audit"})

    handled = await activate_one(zb.stub, handle)
    assert handled.process_instance_key == pik
    assert handled.variables == {"why": "audit"}
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_non_interrupting_escalation_event_sub_process_catches_from_a_sub_process(zb):
    p = EventProcess(unique_id("escesp"))
    ref = p.escalation("LATE")
    inner_next, handle = unique_id("inner-next"), unique_id("handle")
    sub = sub_process(p, "sub")
    sub.chain(
        sub.start("sub_start"),
        throw_event(sub, "escalate", escalation_def(ref)),
        service_task(sub, "inner_next", inner_next),
        sub.end("sub_end"),
    )
    p.chain(p.start(), "sub", p.end())
    esp = event_sub_process(p, "esp")
    esp.chain(
        start_event(esp, "esp_start", escalation_def(ref), interrupting=False),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    handled = await activate_one(zb.stub, handle)
    inner = await activate_one(zb.stub, inner_next)

    assert handled.process_instance_key == inner.process_instance_key == pik
    await complete(zb.stub, handled.key)
    await complete(zb.stub, inner.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_interrupting_escalation_event_sub_process_ends_the_thrower(zb):
    p = EventProcess(unique_id("escesp2"))
    ref = p.escalation("STOP")
    inner_next, handle = unique_id("inner-next"), unique_id("handle")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), end_event(sub, "escalate", escalation_def(ref)))
    p.chain(p.start(), "sub", service_task(p, "inner_next", inner_next), p.end())
    esp = event_sub_process(p, "esp")
    esp.chain(
        start_event(esp, "esp_start", escalation_def(ref), interrupting=True),
        service_task(esp, "handle", handle),
        esp.end("esp_end"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    handled = await activate_one(zb.stub, handle)

    assert handled.process_instance_key == pik
    assert await no_jobs(zb.stub, inner_next)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")
