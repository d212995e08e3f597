"""Events survive a crash (issue: "timers and buffered messages present before a SIGKILL still
fire/correlate after"):

- on a controlled clock: a timer, a cycle half-way through its repetitions, a timer start
  event, a buffered message (with its TTL and its message id) and message / signal start
  subscriptions all come back after the engine is killed with SIGKILL and restarted;
- on the wall clock: a timer that fell due while the engine was down fires when it starts.

A controlled clock starts again from the wall clock after a restart (earlier tests of the
module may have moved it ahead), so each test notes the engine's now before the crash and
first moves the restarted clock back up to it.
"""

from __future__ import annotations

import time

import grpc
import pytest

from tests.support.engine_process import EngineProcess
from tests.support.zeebe import (
    activate_one,
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
    await_waiting_at,
    boundary,
    broadcast,
    catch_event,
    controlled_engine,
    engine_now,
    event_sub_process,
    message_def,
    open_job_count,
    publish,
    signal_def,
    start_event,
    still_waiting_at,
    timer_def,
)
from tests.support.zeebe_more import expect_code, service_task


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture(scope="module")
def wall_engine(clock_engine, make_database_url):
    """A wall-clock engine on the same kind of database as the controlled one."""
    kind = "sqlite" if clock_engine.database_url.startswith("sqlite") else "postgresql"
    proc = EngineProcess(make_database_url(kind))
    proc.start()
    yield proc
    proc.stop()


async def crash(engine: EngineProcess) -> int:
    """SIGKILL and restart the engine; returns the clock's now from before the crash."""
    async with connect(engine.address) as zb:
        before = await engine_now(zb.admin)
    engine.restart()
    return before


async def catch_up(admin, before: int) -> None:
    """Move a restarted controlled clock forward to where it was before the crash."""
    await advance(admin, max(0, before - await engine_now(admin)))


def catching(definition_of) -> tuple[EventProcess, str]:
    """start -> catch 'wait' (definition_of(process)) -> 'probe' -> end."""
    p = EventProcess(unique_id("restart"))
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        catch_event(p, "wait", definition_of(p)),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


# --------------------------------------------------------------------------- controlled clock


async def test_timer_created_before_a_crash_fires_after_the_restart(clock_engine):
    p, probe_type = catching(lambda p: timer_def("timeDuration", "PT1H"))
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
        await await_waiting_at(zb.admin, pik, "wait")

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        assert await still_waiting_at(zb.admin, pik, "wait")
        await advance(zb.admin, HOUR)
        job = await activate_one(zb.stub, probe_type)
        assert job.process_instance_key == pik
        await complete(zb.stub, job.key)


async def test_timer_cycle_keeps_its_remaining_repetitions_across_a_crash(clock_engine):
    p = EventProcess(unique_id("cycle"))
    work, remind = unique_id("work"), unique_id("remind")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "reminder", "work", timer_def("timeCycle", "R3/PT10M"), interrupting=False),
        service_task(p, "remind", remind),
        p.end("e2"),
    )
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        await create_instance(zb.stub, p.id, {})
        await advance(zb.admin, 10 * MINUTE)
        assert await open_job_count(zb.admin, remind) == 1

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await advance(zb.admin, 10 * MINUTE)
        assert await open_job_count(zb.admin, remind) == 2
        await advance(zb.admin, 10 * MINUTE)
        assert await open_job_count(zb.admin, remind) == 3
        await advance(zb.admin, HOUR)
        assert await open_job_count(zb.admin, remind) == 3


async def test_timer_start_event_survives_a_crash(clock_engine):
    p = EventProcess(unique_id("tstart"))
    probe_type = unique_id("probe")
    p.chain(
        start_event(p, "start", timer_def("timeCycle", "R1/PT1H")),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await advance(zb.admin, HOUR)
        job = await activate_one(zb.stub, probe_type)
        assert job.bpmn_process_id == p.id


async def test_buffered_message_is_correlated_after_a_crash(clock_engine):
    name = unique_id("paid")
    p, probe_type = catching(lambda p: message_def(p.message(name, "=orderId")))
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        await publish(zb.stub, name, "o-1", ttl_ms=HOUR, variables={"amount": 9})

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
        job = await activate_one(zb.stub, probe_type)
        assert job.process_instance_key == pik
        assert job.variables == {"orderId": "o-1", "amount": 9}


async def test_buffered_message_still_expires_after_a_crash(clock_engine):
    name = unique_id("paid")
    p, probe_type = catching(lambda p: message_def(p.message(name, "=orderId")))
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        await publish(zb.stub, name, "o-1", ttl_ms=10 * MINUTE)

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await advance(zb.admin, 11 * MINUTE)
        pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
        assert await still_waiting_at(zb.admin, pik, "wait")
        assert await no_jobs(zb.stub, probe_type)


async def test_message_id_of_a_buffered_message_is_still_taken_after_a_crash(clock_engine):
    name, message_id = unique_id("paid"), unique_id("mid")
    async with connect(clock_engine.address) as zb:
        await publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id)

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await expect_code(
            publish(zb.stub, name, "o-1", ttl_ms=HOUR, message_id=message_id),
            grpc.StatusCode.ALREADY_EXISTS,
        )


async def test_open_message_subscription_correlates_after_a_crash(clock_engine):
    name = unique_id("paid")
    p, probe_type = catching(lambda p: message_def(p.message(name, "=orderId")))
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        pik = (await create_instance(zb.stub, p.id, {"orderId": "o-1"})).processInstanceKey
        await await_waiting_at(zb.admin, pik, "wait")

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await publish(zb.stub, name, "o-1")
        assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_message_and_signal_start_events_work_after_a_crash(clock_engine):
    message, signal = unique_id("m"), unique_id("s")
    by_message = EventProcess(unique_id("mstart"))
    m_type = unique_id("probe-m")
    by_message.chain(
        start_event(by_message, "start", message_def(by_message.message(message))),
        service_task(by_message, "probe", m_type),
        by_message.end(),
    )
    by_signal = EventProcess(unique_id("sstart"))
    s_type = unique_id("probe-s")
    by_signal.chain(
        start_event(by_signal, "start", signal_def(by_signal.signal(signal))),
        service_task(by_signal, "probe", s_type),
        by_signal.end(),
    )
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, by_message, by_signal)

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        await publish(zb.stub, message, "k")
        await broadcast(zb.stub, signal)
        assert (await activate_one(zb.stub, m_type)).bpmn_process_id == by_message.id
        assert (await activate_one(zb.stub, s_type)).bpmn_process_id == by_signal.id


# --------------------------------------------------------------------------- wall clock


async def test_timer_due_while_the_engine_was_down_fires_when_it_starts(wall_engine):
    p, probe_type = catching(lambda p: timer_def("timeDuration", "PT1S"))
    async with connect(wall_engine.address) as zb:
        await deploy(zb.stub, p)
        pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    wall_engine.kill()
    time.sleep(1.0)  # the timer falls due while nothing runs
    wall_engine.start()

    async with connect(wall_engine.address) as zb:
        job = await activate_one(zb.stub, probe_type, timeout=5)
        assert job.process_instance_key == pik


async def test_open_signal_subscription_is_triggered_after_a_crash(clock_engine):
    name = unique_id("halt")
    p, probe_type = catching(lambda p: signal_def(p.signal(name)))
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
        await await_waiting_at(zb.admin, pik, "wait")

    await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await broadcast(zb.stub, name, {"why": "audit"})
        job = await activate_one(zb.stub, probe_type)
        assert job.process_instance_key == pik
        assert job.variables == {"why": "audit"}


async def test_timer_event_sub_process_of_a_running_instance_survives_a_crash(clock_engine):
    p = EventProcess(unique_id("esp-timer"))
    work, late = unique_id("work"), unique_id("late")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    esp = event_sub_process(p, "esp")
    esp.chain(
        start_event(esp, "esp_start", timer_def("timeDuration", "PT2H")),
        service_task(esp, "late", late),
        esp.end("esp_end"),
    )
    async with connect(clock_engine.address) as zb:
        await deploy(zb.stub, p)
        pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
        await activate_one(zb.stub, work)
        await advance(zb.admin, HOUR)

    before = await crash(clock_engine)

    async with connect(clock_engine.address) as zb:
        await catch_up(zb.admin, before)
        assert await open_job_count(zb.admin, late) == 0
        await advance(zb.admin, HOUR)
        assert (await activate_one(zb.stub, late)).process_instance_key == pik
