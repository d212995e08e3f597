"""Timers, end to end on the engine's controlled clock (Camunda 8.5 docs, "Timer events"):

- an intermediate timer catch event waits for a time duration (from when it is entered) or
  until a time date; a date in the past fires at once;
- an interrupting timer boundary event terminates its activity when it fires; a
  non-interrupting one keeps it, and with a time cycle ``R<n>/<duration>`` fires n times
  while the activity is active; the timer is cancelled when the activity completes;
- a timer start event (time date, time cycle with optional start, cron) creates instances;
  deploying a new version cancels the timers of the previous one;
- durations, dates and cycles may be FEEL expressions; a value that is not a valid timer
  raises an incident on the element, which can be resolved.

No test waits for real time: the clock moves with the admin call IncreaseTime.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest

from tests.support.engine_process import ROOT, free_port
from tests.support.zeebe import (
    activate_one,
    await_instance_state,
    complete,
    connect,
    create_instance,
    deploy,
    no_jobs,
    resolve_incident,
    rpc_error,
    set_variables,
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
    catch_event,
    controlled_engine,
    engine_now,
    event_gateway,
    open_job_count,
    start_event,
    still_waiting_at,
    timer_def,
)
from tests.support.zeebe_more import (
    await_incidents,
    expect_code,
    loop,
    service_task,
    sub_process,
)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture
async def zb(clock_engine):
    async with connect(clock_engine.address) as conn:
        yield conn


def iso(ms: int) -> str:
    """An ISO 8601 UTC date-time with a Z, from ms since the epoch."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timer_catch_process(kind: str, value: str) -> tuple[EventProcess, str]:
    """start -> timer catch 'wait' -> service task 'probe' -> end."""
    p = EventProcess(unique_id("timer"))
    probe_type = unique_id("probe")
    p.chain(
        p.start(),
        catch_event(p, "wait", timer_def(kind, value)),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


async def start_waiting(zb, p: EventProcess, variables: dict | None = None) -> int:
    pik = (await create_instance(zb.stub, p.id, variables or {})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "wait")
    return pik


# --------------------------------------------------------------------------- the clock


async def test_controlled_clock_moves_only_when_told(zb):
    clock = await zb.admin.get_clock()
    assert clock["controlled"] is True

    now = await zb.admin.increase_time(5 * MINUTE)

    assert now == clock["now"] + 5 * MINUTE
    assert await engine_now(zb.admin) == now


# --------------------------------------------------------------------------- intermediate catch


async def test_timer_duration_may_be_feel_duration_arithmetic(zb):
    """`duration("PT10M") * 3` is PT30M in Zeebe (FEEL temporal expressions), not null."""
    p, probe_type = timer_catch_process("timeDuration", '=duration("PT10M") * reminders')
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"reminders": 3})

    await advance(zb.admin, 30 * MINUTE - 1_000)
    assert await still_waiting_at(zb.admin, pik, "wait")
    await advance(zb.admin, 1_000)

    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    assert await zb.admin.list_incidents(pik) == []


async def test_timer_catch_event_waits_for_its_duration(zb):
    p, probe_type = timer_catch_process("timeDuration", "PT10M")
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p)

    await advance(zb.admin, 10 * MINUTE - 1_000)
    assert await still_waiting_at(zb.admin, pik, "wait")
    assert await no_jobs(zb.stub, probe_type)

    await advance(zb.admin, 1_000)
    job = await activate_one(zb.stub, probe_type)
    assert job.process_instance_key == pik
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_timer_duration_from_a_feel_expression(zb):
    p, probe_type = timer_catch_process("timeDuration", "=delay")
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"delay": "PT2H"})

    await advance(zb.admin, HOUR)
    assert await still_waiting_at(zb.admin, pik, "wait")

    await advance(zb.admin, HOUR)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_duration_from_a_feel_duration_value(zb):
    p, probe_type = timer_catch_process("timeDuration", '=duration("PT" + string(minutes) + "M")')
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p, {"minutes": 30})

    await advance(zb.admin, 29 * MINUTE)
    assert await still_waiting_at(zb.admin, pik, "wait")
    await advance(zb.admin, MINUTE)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_catch_event_waits_until_its_date(zb):
    p, probe_type = timer_catch_process("timeDate", "=dueAt")
    await deploy(zb.stub, p)
    due = await engine_now(zb.admin) + 3 * HOUR
    pik = await start_waiting(zb, p, {"dueAt": iso(due)})

    await advance(zb.admin, 2 * HOUR)
    assert await still_waiting_at(zb.admin, pik, "wait")

    await advance(zb.admin, HOUR + 1_000)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_date_with_a_zone_offset(zb):
    now = await engine_now(zb.admin)
    # the instant 2 hours ahead, written in the +02:00 zone
    plus2 = datetime.fromtimestamp((now + 2 * HOUR) / 1000, tz=timezone(timedelta(hours=2)))
    plus2 = plus2.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    p, probe_type = timer_catch_process("timeDate", plus2)
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p)

    await advance(zb.admin, HOUR)
    assert await still_waiting_at(zb.admin, pik, "wait")
    await advance(zb.admin, HOUR + 1_000)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_date_with_a_zone_id(zb):
    """Zeebe's docs: a time date may carry a zone id, e.g. 2019-10-02T08:09:40+02:00[Europe/Berlin]
    (also what FEEL gives for a zoned date-time)."""
    now = await engine_now(zb.admin)
    due = datetime.fromtimestamp((now + 2 * HOUR) / 1000, tz=timezone(timedelta(hours=7)))
    p, probe_type = timer_catch_process("timeDate", "=dueAt")
    await deploy(zb.stub, p)
    pik = await start_waiting(
        zb, p, {"dueAt": due.strftime("%Y-%m-%dT%H:%M:%S+07:00") + "[Asia/Ho_Chi_Minh]"}
    )

    assert await zb.admin.list_incidents(pik) == []
    await advance(zb.admin, HOUR)
    assert await still_waiting_at(zb.admin, pik, "wait")
    await advance(zb.admin, HOUR + 1_000)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_date_in_the_past_fires_at_once(zb):
    p, probe_type = timer_catch_process("timeDate", "2020-01-01T00:00:00Z")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey

    await zb.admin.wait_idle()
    assert (await activate_one(zb.stub, probe_type, timeout=5)).process_instance_key == pik


async def test_timer_expression_of_the_wrong_type_raises_an_incident(zb):
    p, probe_type = timer_catch_process("timeDuration", "=delay")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"delay": 42})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "wait"
    assert "delay" in incident["errorMessage"]

    await set_variables(zb.stub, pik, {"delay": "PT5M"})
    await resolve_incident(zb.stub, incident["key"])
    await await_waiting_at(zb.admin, pik, "wait")
    await advance(zb.admin, 5 * MINUTE)
    assert (await activate_one(zb.stub, probe_type)).process_instance_key == pik


async def test_timer_value_that_is_not_a_duration_raises_an_incident(zb):
    p, _ = timer_catch_process("timeDuration", "=delay")
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"delay": "soon"})).processInstanceKey

    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "wait"


async def test_static_timer_that_is_not_a_duration_is_refused_at_deploy(zb):
    """Zeebe validates static timer values of start and boundary events at deployment."""
    p, _, _ = task_with_timer_boundary("timeDuration", "five minutes", interrupting=True)

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "timer" in err.details()


async def test_cancelling_the_instance_cancels_its_timer(zb):
    p, probe_type = timer_catch_process("timeDuration", "PT1M")
    await deploy(zb.stub, p)
    pik = await start_waiting(zb, p)

    await zb.client.cancel_process_instance(pik)
    await advance(zb.admin, 2 * MINUTE)

    assert await no_jobs(zb.stub, probe_type)
    assert (await zb.admin.get_process_instance(pik))["state"] == "TERMINATED"


# --------------------------------------------------------------------------- boundary events


def task_with_timer_boundary(
    kind: str, value: str, *, interrupting: bool
) -> tuple[EventProcess, str, str]:
    """start -> task 'work' (timer boundary 'timer' -> task 'on_timer') -> end."""
    p = EventProcess(unique_id("tbound"))
    work, on_timer = unique_id("work"), unique_id("on-timer")
    p.chain(p.start(), service_task(p, "work", work), p.end())
    p.chain(
        boundary(p, "timer", "work", timer_def(kind, value), interrupting=interrupting),
        service_task(p, "on_timer", on_timer),
        p.end("end_timer"),
    )
    return p, work, on_timer


async def test_interrupting_timer_boundary_event_terminates_the_task(zb):
    p, work, on_timer = task_with_timer_boundary("timeDuration", "PT15M", interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    await advance(zb.admin, 15 * MINUTE)

    escalated = await activate_one(zb.stub, on_timer)
    assert escalated.process_instance_key == pik
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, escalated.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_timer_boundary_is_cancelled_when_the_task_completes_first(zb):
    p, work, on_timer = task_with_timer_boundary("timeDuration", "PT15M", interrupting=True)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    await complete(zb.stub, (await activate_one(zb.stub, work)).key)
    await await_instance_state(zb.admin, pik, "COMPLETED")

    await advance(zb.admin, HOUR)

    assert await no_jobs(zb.stub, on_timer)


async def test_non_interrupting_timer_cycle_fires_three_times(zb):
    p, work, on_timer = task_with_timer_boundary("timeCycle", "R3/PT10M", interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    counts = []
    for _ in range(5):
        await advance(zb.admin, 10 * MINUTE)
        counts.append(await open_job_count(zb.admin, on_timer))

    assert counts == [1, 2, 3, 3, 3]
    assert await still_waiting_at(zb.admin, pik, "work")
    await complete(zb.stub, job.key)
    for _ in range(3):
        await complete(zb.stub, (await activate_one(zb.stub, on_timer)).key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_non_interrupting_timer_cycle_fires_every_interval_when_the_clock_jumps(zb):
    p, _, on_timer = task_with_timer_boundary("timeCycle", "R3/PT10M", interrupting=False)
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {})

    await advance(zb.admin, 2 * HOUR)

    assert await open_job_count(zb.admin, on_timer) == 3


async def test_non_interrupting_timer_cycle_stops_when_the_task_completes(zb):
    p, work, on_timer = task_with_timer_boundary("timeCycle", "R5/PT10M", interrupting=False)
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {})
    job = await activate_one(zb.stub, work)
    await advance(zb.admin, 10 * MINUTE)
    assert await open_job_count(zb.admin, on_timer) == 1

    await complete(zb.stub, job.key)
    await advance(zb.admin, HOUR)

    assert await open_job_count(zb.admin, on_timer) == 1


async def test_non_interrupting_timer_duration_fires_once(zb):
    p, work, on_timer = task_with_timer_boundary("timeDuration", "PT10M", interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    await activate_one(zb.stub, work)

    await advance(zb.admin, HOUR)

    assert await open_job_count(zb.admin, on_timer) == 1
    assert await still_waiting_at(zb.admin, pik, "work")


async def test_non_interrupting_timer_cycle_from_a_feel_expression(zb):
    p, _, on_timer = task_with_timer_boundary(
        "timeCycle", '="R" + string(times) + "/PT1H"', interrupting=False
    )
    await deploy(zb.stub, p)
    await create_instance(zb.stub, p.id, {"times": 2})

    await advance(zb.admin, 5 * HOUR)

    assert await open_job_count(zb.admin, on_timer) == 2


# --------------------------------------------------------------------------- timer start events


def timer_start_process(
    kind: str, value: str, process_id: str | None = None, probe_type: str | None = None
) -> tuple[EventProcess, str]:
    """timer start 'start' -> service task 'probe' -> end."""
    p = EventProcess(process_id or unique_id("tstart"))
    probe_type = probe_type or unique_id("probe")
    p.chain(
        start_event(p, "start", timer_def(kind, value)),
        service_task(p, "probe", probe_type),
        p.end(),
    )
    return p, probe_type


async def test_timer_start_cycle_creates_an_instance_per_interval_up_to_its_repetitions(zb):
    p, probe_type = timer_start_process("timeCycle", "R2/PT1H")
    await deploy(zb.stub, p)

    counts = []
    for _ in range(3):
        await advance(zb.admin, HOUR)
        counts.append(await open_job_count(zb.admin, probe_type))

    assert counts == [1, 2, 2]
    job = await activate_one(zb.stub, probe_type)
    assert job.bpmn_process_id == p.id


async def test_timer_start_cycle_with_a_start_date(zb):
    start = await engine_now(zb.admin) + 5 * HOUR
    p, probe_type = timer_start_process("timeCycle", f"R2/{iso(start)}/PT1H")
    await deploy(zb.stub, p)

    await advance(zb.admin, 4 * HOUR)
    assert await open_job_count(zb.admin, probe_type) == 0

    await advance(zb.admin, HOUR + 1_000)
    assert await open_job_count(zb.admin, probe_type) == 1
    await advance(zb.admin, HOUR)
    assert await open_job_count(zb.admin, probe_type) == 2
    await advance(zb.admin, 3 * HOUR)
    assert await open_job_count(zb.admin, probe_type) == 2


async def test_timer_start_date_creates_one_instance(zb):
    due = await engine_now(zb.admin) + 2 * HOUR
    p, probe_type = timer_start_process("timeDate", iso(due))
    await deploy(zb.stub, p)

    await advance(zb.admin, HOUR)
    assert await open_job_count(zb.admin, probe_type) == 0
    await advance(zb.admin, HOUR + 1_000)
    assert await open_job_count(zb.admin, probe_type) == 1
    await advance(zb.admin, 10 * HOUR)
    assert await open_job_count(zb.admin, probe_type) == 1


async def test_timer_start_cron_expression(zb):
    # every hour on the hour: within any 60 minutes exactly one firing
    p, probe_type = timer_start_process("timeCycle", "0 0 * * * *")
    await deploy(zb.stub, p)

    await advance(zb.admin, HOUR)
    assert await open_job_count(zb.admin, probe_type) == 1
    await advance(zb.admin, HOUR)
    assert await open_job_count(zb.admin, probe_type) == 2
    # a new version without it stops the cron
    v2 = EventProcess(p.id)
    v2.chain(v2.start(), v2.end())
    await deploy(zb.stub, v2)


async def test_new_version_replaces_the_timer_start_of_the_previous_one(zb):
    pid = unique_id("tstart")
    v1, old_type = timer_start_process("timeCycle", "R1/PT1H", pid)
    v2, new_type = timer_start_process("timeCycle", "R1/PT2H", pid)
    await deploy(zb.stub, v1)
    await deploy(zb.stub, v2)

    await advance(zb.admin, 3 * HOUR)

    assert await open_job_count(zb.admin, old_type) == 0
    assert await open_job_count(zb.admin, new_type) == 1
    job = await activate_one(zb.stub, new_type)
    assert job.process_definition_version == 2


async def test_new_version_without_a_timer_start_cancels_the_timer(zb):
    pid = unique_id("tstart")
    v1, old_type = timer_start_process("timeCycle", "R1/PT1H", pid)
    await deploy(zb.stub, v1)
    v2 = EventProcess(pid)
    v2.chain(v2.start(), v2.end())
    await deploy(zb.stub, v2)

    await advance(zb.admin, 2 * HOUR)

    assert await open_job_count(zb.admin, old_type) == 0


async def test_timer_start_with_an_invalid_cycle_is_refused_at_deploy(zb):
    p, _ = timer_start_process("timeCycle", "every tuesday")
    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start" in err.details()


async def test_timer_start_date_in_the_past_fires_at_once(zb):
    p, probe_type = timer_start_process("timeDate", "2020-01-01T00:00:00Z")
    await deploy(zb.stub, p)

    await zb.admin.wait_idle()
    job = await activate_one(zb.stub, probe_type, timeout=5)
    assert job.bpmn_process_id == p.id


# --------------------------------------------------------------------------- more placements


async def test_interrupting_timer_boundary_on_a_sub_process_terminates_what_runs_inside(zb):
    p = EventProcess(unique_id("tsub"))
    inner, late = unique_id("inner"), unique_id("late")
    sub = sub_process(p, "sub")
    sub.chain(sub.start("sub_start"), service_task(sub, "inner", inner), sub.end("sub_end"))
    p.chain(p.start(), "sub", p.end())
    p.chain(
        boundary(p, "deadline", "sub", timer_def("timeDuration", "P15D")),
        service_task(p, "late", late),
        p.end("end_late"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, inner)

    await advance(zb.admin, 15 * 24 * HOUR)

    assert (await activate_one(zb.stub, late)).process_instance_key == pik
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_event_based_gateway_takes_the_earlier_of_two_timers(zb):
    p = EventProcess(unique_id("gw2t"))
    early, late = unique_id("early"), unique_id("late")
    gw = event_gateway(p, "gw")
    p.chain(p.start(), gw)
    p.chain(
        gw,
        catch_event(p, "t_early", timer_def("timeDuration", "PT1H")),
        service_task(p, "early", early),
        p.end("end_early"),
    )
    p.chain(
        gw,
        catch_event(p, "t_late", timer_def("timeDuration", "PT2H")),
        service_task(p, "late", late),
        p.end("end_late"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    await await_waiting_at(zb.admin, pik, "gw")

    await advance(zb.admin, 3 * HOUR)

    assert await open_job_count(zb.admin, early) == 1
    assert await open_job_count(zb.admin, late) == 0


async def test_interrupting_timer_boundary_with_a_cycle_is_refused_at_deploy(zb):
    p, _, _ = task_with_timer_boundary("timeCycle", "R3/PT10M", interrupting=True)

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "timer" in err.details()


async def test_intermediate_timer_catch_with_a_cycle_is_refused_at_deploy(zb):
    p, _ = timer_catch_process("timeCycle", "R3/PT10M")

    err = await rpc_error(deploy(zb.stub, p))

    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "wait" in err.details()


async def test_timer_boundary_on_a_multi_instance_activity_is_one_timer_for_the_body(zb):
    p = EventProcess(unique_id("tmi"))
    review, late = unique_id("review"), unique_id("late")
    p.chain(p.start(), service_task(p, "review", review, multi=loop("=members", "member")), p.end())
    p.chain(
        boundary(p, "deadline", "review", timer_def("timeDuration", "PT1H")),
        service_task(p, "late", late),
        p.end("end_late"),
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {"members": ["a", "b", "c"]})).processInstanceKey
    jobs = [await activate_one(zb.stub, review) for _ in range(3)]

    await advance(zb.admin, HOUR)

    assert await open_job_count(zb.admin, late) == 1
    assert (await activate_one(zb.stub, late)).process_instance_key == pik
    for job in jobs:
        await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)


async def test_non_interrupting_cron_boundary_fires_every_hour(zb):
    p, work, on_timer = task_with_timer_boundary("timeCycle", "0 0 * * * *", interrupting=False)
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, p.id, {})).processInstanceKey
    job = await activate_one(zb.stub, work)

    counts = []
    for _ in range(3):
        await advance(zb.admin, HOUR)
        counts.append(await open_job_count(zb.admin, on_timer))

    assert counts == [1, 2, 3]
    await complete(zb.stub, job.key)
    await advance(zb.admin, HOUR)
    assert await open_job_count(zb.admin, on_timer) == 3
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"


# --------------------------------------------------------------------------- the clock's guard


def run_engine_cli(
    *args: str, env: dict[str, str] | None = None, command: tuple[str, ...] = ("engine",)
) -> subprocess.CompletedProcess:
    """Run ``python -m engine`` (or another command) with arguments that must make it refuse
    to start."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            *command,
            "--address",
            f"127.0.0.1:{free_port()}",
            "--database",
            "sqlite:///:memory:",
            *args,
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_controlled_clock_is_refused_in_production():
    # KHCN_ENV is a khcn setting: `khcn engine` checks it (python -m engine reads no settings)
    done = run_engine_cli(
        "--clock", "controlled", env={"KHCN_ENV": "production"}, command=("khcn.cli", "engine")
    )

    assert done.returncode != 0
    assert "controlled clock" in done.stdout + done.stderr


def test_unknown_clock_is_refused():
    done = run_engine_cli("--clock", "sundial")

    assert done.returncode != 0
    assert "--clock" in done.stdout + done.stderr


async def test_increase_time_on_the_wall_clock_is_a_failed_precondition(engine_address):
    async with connect(engine_address) as zb:
        assert (await zb.admin.get_clock())["controlled"] is False
        err = await rpc_error(zb.admin.increase_time(1_000))

    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
