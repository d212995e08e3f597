"""Jobs over Zeebe's gateway protocol: long-polling activation, timeouts, retries and back-off,
failures and incidents, job streaming, and real pyzeebe workers.

Rules from the Camunda 8.5 docs ("Job workers", "Incidents") and the gateway reference.
Timing checks here are about protocol semantics (a long poll answers when a job appears, a
back-off delays re-activation), with generous margins; speed is measured in bench/.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

import grpc
import pytest
from pyzeebe import Job
from pyzeebe.errors import ActivateJobsRequestInvalidError
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.zeebe import (
    ActivatedJob,
    Process,
    activate,
    activate_one,
    await_instance_state,
    await_jobs,
    complete,
    connect,
    create_instance,
    deploy,
    fail_job,
    fixture_xml,
    no_jobs,
    resolve_incident,
    running_worker,
    throw_error,
    unique_id,
    update_retries,
    update_timeout,
    wait_for,
)
from tests.support.zeebe_more import (
    Stopwatch,
    activatable_now,
    await_incidents,
    await_no_incidents,
    expect_code,
    probe,
    service_task,
)


@pytest.fixture
async def zb(engine_address):
    async with connect(engine_address) as conn:
        yield conn


def unknown_key() -> int:
    """A well-formed key (partition 1) that no engine has handed out."""
    return (1 << 51) + 10**12 + random.randrange(10**9)


async def single_task(
    zb, *, retries: int | None = None, headers: dict[str, str] | None = None
) -> tuple[str, str]:
    """Deploy start -> service task 'task' -> end; return (process id, job type)."""
    pid, job_type = unique_id("job-p"), unique_id("job-t")
    p = Process(pid)
    p.chain(p.start(), p.task("task", job_type, retries=retries, headers=headers), p.end())
    await deploy(zb.stub, p)
    return pid, job_type


async def await_activatable(zb, job_type: str, count: int, timeout: float = 10.0) -> None:
    """Wait until the engine holds ``count`` activatable jobs of a type (admin view)."""

    async def check() -> bool:
        jobs = await zb.admin.list_jobs(job_type=job_type)
        return len([j for j in jobs if j["state"] == "ACTIVATABLE"]) >= count

    await wait_for(check, timeout, message=f"{count} activatable {job_type} jobs")


# --------------------------------------------------------------------------- activation


async def test_long_poll_answers_as_soon_as_a_job_is_created(zb):
    pid, job_type = await single_task(zb)
    poll = asyncio.create_task(activate(zb.stub, job_type, request_timeout_ms=5000))
    await asyncio.sleep(0.3)
    assert not poll.done(), "ActivateJobs answered before any job existed"

    clock = Stopwatch()
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    jobs = await asyncio.wait_for(poll, 10)
    assert [j.process_instance_key for j in jobs] == [pik]
    assert clock() < 2.5, f"long poll answered {clock():.1f}s after the job appeared"


async def test_long_poll_without_jobs_answers_empty_after_the_request_timeout(zb):
    clock = Stopwatch()
    jobs = await activate(zb.stub, unique_id("nobody"), request_timeout_ms=1000)
    assert jobs == []
    assert 0.8 <= clock() < 5


async def test_negative_request_timeout_answers_at_once(zb):
    # Gateway reference: requestTimeout < 0 disables long polling.
    clock = Stopwatch()
    assert await activate(zb.stub, unique_id("nobody"), request_timeout_ms=-1) == []
    assert clock() < 2


async def test_max_jobs_to_activate_is_respected(zb):
    pid, job_type = await single_task(zb)
    for i in range(5):
        await create_instance(zb.stub, pid, {"i": i})
    await await_activatable(zb, job_type, 5)

    first = await activate(zb.stub, job_type, max_jobs=2)
    assert len(first) == 2
    rest = await activate(zb.stub, job_type, max_jobs=10, request_timeout_ms=-1)
    assert len(rest) == 3
    assert len({j.key for j in first + rest}) == 5
    assert sorted(j.variables["i"] for j in first + rest) == [0, 1, 2, 3, 4]


async def test_activated_job_carries_worker_deadline_headers_and_metadata(zb):
    headers = {"channel": "#ops", "prio": "1"}
    pid, job_type = unique_id("job-meta"), unique_id("job-t")
    p = Process(pid)
    p.chain(p.start(), p.task("task", job_type, retries=5, headers=headers), p.end())
    deployed = await deploy(zb.stub, p)
    process = deployed.deployments[0].process
    pik = (await create_instance(zb.stub, pid, {"v": 1})).processInstanceKey

    before_ms = time.time() * 1000
    job = await activate_one(zb.stub, job_type, worker="w-meta", timeout_ms=60_000)
    assert job.type == job_type
    assert job.worker == "w-meta"
    assert job.retries == 5
    assert job.custom_headers == headers
    assert job.bpmn_process_id == pid
    assert job.process_definition_key == process.processDefinitionKey
    assert job.process_definition_version == process.version
    assert job.process_instance_key == pik
    assert job.element_id == "task"
    assert job.element_instance_key > 0
    assert job.variables == {"v": 1}
    # deadline: epoch milliseconds of activation + timeout
    assert before_ms + 50_000 <= job.deadline <= time.time() * 1000 + 70_000

    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["key"] == job.key
    assert listed["state"] == "ACTIVATED"
    assert listed["worker"] == "w-meta"
    assert listed["retries"] == 5
    assert listed["deadline"] == job.deadline
    assert listed["elementInstanceKey"] == job.element_instance_key
    assert listed["processInstanceKey"] == pik


async def test_job_retries_default_to_three(zb):
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type)
    assert job.retries == 3


async def test_concurrent_activations_never_hand_one_job_to_two_workers(zb):
    pid, job_type = await single_task(zb)
    piks = [(await create_instance(zb.stub, pid, {"i": i})).processInstanceKey for i in range(10)]
    await await_activatable(zb, job_type, 10)

    batches = await asyncio.gather(
        *(
            activate(zb.stub, job_type, max_jobs=2, request_timeout_ms=1000, worker=f"w{n}")
            for n in range(20)
        )
    )
    keys = [j.key for batch in batches for j in batch]
    assert len(keys) == len(set(keys)) == 10
    for n, batch in enumerate(batches):
        assert all(j.worker == f"w{n}" for j in batch)

    await asyncio.gather(*(complete(zb.stub, k) for k in keys))
    for pik in piks:
        await await_instance_state(zb.admin, pik, "COMPLETED")


# --------------------------------------------------------------------------- timeouts


async def test_timed_out_job_goes_to_another_worker_and_the_late_completion_is_not_found(zb):
    # Job workers docs: "If the job is not completed or failed within the configured job
    # activation timeout, Zeebe reassigns the job to another job worker. This does not affect
    # the number of remaining retries. [...] only one worker successfully completes the job.
    # The other complete job command is rejected with a NOT FOUND error."
    # Zeebe keeps the job's key across re-activation, so the two workers hold the same key:
    # whichever completes second gets NOT_FOUND. Here B (the new holder) completes first and
    # A's late CompleteJob is the one rejected.
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey

    job_a = await activate_one(zb.stub, job_type, worker="A", timeout_ms=1500)
    assert await no_jobs(zb.stub, job_type), "an activated job must not be handed out again"

    job_b = await activate_one(zb.stub, job_type, worker="B", timeout=10)
    assert job_b.key == job_a.key
    assert job_b.worker == "B"
    assert job_b.retries == job_a.retries

    await complete(zb.stub, job_b.key, by="B")
    await expect_code(complete(zb.stub, job_a.key, by="A"), grpc.StatusCode.NOT_FOUND)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_update_job_timeout_extends_the_deadline(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type, timeout_ms=1000)

    await update_timeout(zb.stub, job.key, 60_000)
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["state"] == "ACTIVATED"
    assert listed["deadline"] >= job.deadline + 50_000

    await asyncio.sleep(1.5)  # past the original 1 s timeout
    assert await no_jobs(zb.stub, job_type), "job timed out despite UpdateJobTimeout"
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_update_job_timeout_can_shorten_it(zb):
    # Docs: the new timeout counts from now, so it can also shorten the activation.
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type, timeout_ms=300_000)

    await update_timeout(zb.stub, job.key, 500)
    again = await activate_one(zb.stub, job_type, worker="second", timeout=10)
    assert again.key == job.key


# --------------------------------------------------------------------------- failures


async def test_fail_job_decrements_retries_and_reactivates_it(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    assert job.retries == 3

    await fail_job(zb.stub, job.key, retries=2, message="try again")
    again = await activate_one(zb.stub, job_type)
    assert again.key == job.key
    assert again.retries == 2

    await complete(zb.stub, again.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_fail_job_variables_are_local_to_the_task(zb):
    # Job workers docs: "When Failing a job the variables are only created in the local
    # scope of the task."
    pid, job_type, probe_type = unique_id("job-failvars"), unique_id("job-t"), unique_id("pr")
    p = Process(pid)
    p.chain(
        p.start(), service_task(p, "task", job_type), service_task(p, "probe", probe_type), p.end()
    )
    await deploy(zb.stub, p)
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, job_type)
    await fail_job(zb.stub, job.key, retries=1, variables={"progress": 50})
    again = await activate_one(zb.stub, job_type)
    assert again.variables == {"a": 1, "progress": 50}
    view = await zb.admin.get_process_instance(pik)
    assert view["variables"] == {"a": 1}
    assert view["scopes"][str(job.element_instance_key)] == {"progress": 50}

    await complete(zb.stub, again.key)
    after = await probe(zb.stub, probe_type)
    assert after.variables == {"a": 1}
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_fail_job_without_retries_raises_incident_until_retries_are_updated(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)

    await fail_job(zb.stub, job.key, retries=0, message="boom")
    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["jobKey"] == job.key
    assert incident["elementId"] == "task"
    assert incident["elementInstanceKey"] == job.element_instance_key
    assert "boom" in incident["errorMessage"]
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["state"] == "FAILED"
    assert listed["retries"] == 0
    assert await no_jobs(zb.stub, job_type)
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"

    await update_retries(zb.stub, job.key, 3)
    await resolve_incident(zb.stub, incident["key"])
    await await_no_incidents(zb.admin, pik)
    again = await activate_one(zb.stub, job_type)
    assert again.key == job.key
    assert again.retries == 3
    await complete(zb.stub, again.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_retry_back_off_delays_reactivation(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)

    clock = Stopwatch()
    await fail_job(zb.stub, job.key, retries=2, message="later", backoff_ms=2000)
    assert await activatable_now(zb.stub, job_type) == []
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["state"] == "BACKOFF"
    assert listed["retries"] == 2

    again = await activate_one(zb.stub, job_type, timeout=10)
    assert clock() >= 1.5, f"job came back {clock():.2f}s after a 2 s back-off"
    assert again.key == job.key
    assert again.retries == 2
    await complete(zb.stub, again.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_throw_error_without_a_catch_event_raises_unhandled_error_incident(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    code = unique_id("NO_MONEY")

    await throw_error(zb.stub, job.key, code, "card declined")
    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert code in incident["errorMessage"]
    assert incident["elementId"] == "task"
    assert (await zb.admin.get_process_instance(pik))["state"] == "ACTIVE"
    assert await no_jobs(zb.stub, job_type)


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    "command",
    [
        "complete",
        "fail",
        "throw_error",
        "update_retries",
        "update_timeout",
    ],
)
async def test_commands_on_an_unknown_job_are_not_found(zb, command):
    key = unknown_key()
    calls = {
        "complete": lambda: complete(zb.stub, key),
        "fail": lambda: fail_job(zb.stub, key, retries=1, message="x"),
        "throw_error": lambda: throw_error(zb.stub, key, "CODE"),
        "update_retries": lambda: update_retries(zb.stub, key, 3),
        "update_timeout": lambda: update_timeout(zb.stub, key, 1000),
    }
    await expect_code(calls[command](), grpc.StatusCode.NOT_FOUND)


async def test_completing_a_job_twice_is_not_found_the_second_time(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    await complete(zb.stub, job.key)
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await expect_code(fail_job(zb.stub, job.key, retries=1), grpc.StatusCode.NOT_FOUND)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_complete_job_with_invalid_variables_is_invalid_argument(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    for document in ("{not json", "[1]"):
        await expect_code(
            zb.stub.CompleteJob(
                pb.CompleteJobRequest(jobKey=job.key, variables=document), timeout=10
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    # The rejected commands left the job as it was.
    await complete(zb.stub, job.key, ok=True)
    await await_instance_state(zb.admin, pik, "COMPLETED")


# --------------------------------------------------------------------------- streaming


async def test_stream_activated_jobs_pushes_a_new_job(zb):
    pid, job_type = await single_task(zb)
    call = zb.stub.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(type=job_type, worker="streamer", timeout=30_000),
        timeout=30,
    )

    async def first_job() -> pb.ActivatedJob:
        async for job in call:
            return job
        raise AssertionError("job stream ended without a job")

    reader = asyncio.create_task(first_job())
    try:
        await asyncio.sleep(0.5)  # let the stream register before the job exists
        assert not reader.done(), "the stream ended or failed before any job existed"
        pik = (await create_instance(zb.stub, pid, {"x": 1})).processInstanceKey
        job = ActivatedJob.from_proto(await asyncio.wait_for(reader, 10))
    finally:
        call.cancel()
        reader.cancel()

    assert job.process_instance_key == pik
    assert job.worker == "streamer"
    assert job.variables == {"x": 1}
    assert job.deadline > time.time() * 1000
    # A pushed job is activated: nobody else can take it.
    assert await no_jobs(zb.stub, job_type)
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_pyzeebe_worker_with_streaming_completes_jobs(zb):
    pid, job_type = await single_task(zb)
    seen: list[int] = []

    async def handle(x: int) -> dict:
        seen.append(x)
        return {"doubled": x * 2}

    async with running_worker(
        zb.channel,
        {job_type: handle},
        name="stream-worker",
        stream_enabled=True,
        stream_request_timeout=60,
    ):
        await asyncio.sleep(0.3)
        piks = [
            (await create_instance(zb.stub, pid, {"x": i})).processInstanceKey for i in range(3)
        ]
        for pik in piks:
            await await_instance_state(zb.admin, pik, "COMPLETED")
    assert sorted(seen) == [0, 1, 2]


async def test_pyzeebe_worker_completes_fifty_instances_of_a_three_task_process(zb):
    suffix = unique_id("s")
    pid = f"job-three-{suffix}"
    await deploy(
        zb.stub,
        ("job_three_tasks.bpmn", fixture_xml("job_three_tasks.bpmn", {"__SUFFIX__": suffix})),
    )
    seen_at_c: dict[int, int] = {}

    async def step_a(n: int) -> dict:
        return {"n": n + 1, "a_done": True}

    async def step_b(n: int) -> dict:
        return {"n": n + 1}

    async def step_c(i: int, n: int, a_done: bool) -> dict:
        seen_at_c[i] = n
        assert a_done
        return {"n": n + 1}

    handlers = {f"job-a-{suffix}": step_a, f"job-b-{suffix}": step_b, f"job-c-{suffix}": step_c}
    async with running_worker(zb.channel, handlers, name="three-step", request_timeout_ms=1000):
        piks = [
            (await create_instance(zb.stub, pid, {"i": i, "n": 0})).processInstanceKey
            for i in range(50)
        ]

        async def all_done() -> bool:
            views = await asyncio.gather(*(zb.admin.get_process_instance(k) for k in piks))
            return all(v["state"] == "COMPLETED" for v in views)

        await wait_for(all_done, 60, interval=0.2, message="50 instances completed")
    assert seen_at_c == {i: 2 for i in range(50)}
    # No job of the three types is left behind.
    for job_type in handlers:
        assert await zb.admin.list_jobs(job_type=job_type) == []


async def test_activate_jobs_payload_is_valid_json(zb):
    # Variables and custom headers are JSON documents on the wire, even when empty.
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    await await_activatable(zb, job_type, 1)
    call = zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=job_type,
            worker="raw",
            timeout=10_000,
            maxJobsToActivate=1,
            requestTimeout=2000,
        ),
        timeout=10,
    )
    raw = [job async for reply in call for job in reply.jobs]
    assert len(raw) == 1
    assert json.loads(raw[0].variables) == {}
    assert json.loads(raw[0].customHeaders) == {}


# --------------------------------------------------------------------------- more activation rules


@pytest.mark.parametrize(
    "request_fields",
    [
        {"type": "", "maxJobsToActivate": 1},
        {"type": "some-type", "maxJobsToActivate": 0},
        {"type": "some-type", "maxJobsToActivate": -3},
    ],
)
async def test_invalid_activate_jobs_request_is_invalid_argument(zb, request_fields):
    call = zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(worker="w", timeout=10_000, requestTimeout=-1, **request_fields),
        timeout=10,
    )

    async def drain() -> list:
        return [reply async for reply in call]

    await expect_code(drain(), grpc.StatusCode.INVALID_ARGUMENT)


@pytest.mark.parametrize("timeout", [0, -5])
async def test_activate_jobs_with_a_timeout_below_one_is_refused_and_hands_out_nothing(zb, timeout):
    """As Zeebe's job batch activation: a job that would expire at once is not handed out
    (it would come back at once and be worked on twice)."""
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    await await_activatable(zb, job_type, 1)
    call = zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=job_type, worker="w", timeout=timeout, maxJobsToActivate=1, requestTimeout=-1
        ),
        timeout=10,
    )

    async def drain() -> list:
        return [reply async for reply in call]

    err = await expect_code(drain(), grpc.StatusCode.INVALID_ARGUMENT)

    assert err.details() == (
        "Expected to activate job batch with timeout to be greater than zero, but it was "
        f"'{timeout}'"
    )
    [job] = await zb.admin.list_jobs(job_type=job_type)
    assert job["state"] == "ACTIVATABLE"


async def test_pyzeebe_worker_with_a_zero_timeout_gets_invalid_argument(zb):
    """pyzeebe's own activation path with timeout_ms=0 is refused the same way."""
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    adapter = zb.client.zeebe_adapter

    with pytest.raises(ActivateJobsRequestInvalidError) as raised:
        async for _ in adapter.activate_jobs(
            task_type=job_type,
            worker="w",
            timeout=0,
            max_jobs_to_activate=1,
            variables_to_fetch=[],
            request_timeout=1000,
            tenant_ids=None,
        ):
            pass

    cause = raised.value.__cause__
    assert isinstance(cause, grpc.aio.AioRpcError)
    assert cause.details() == (
        "Expected to activate job batch with timeout to be greater than zero, but it was '0'"
    )


@pytest.mark.parametrize("timeout", [0, -5])
async def test_stream_activated_jobs_with_a_timeout_below_one_is_refused(zb, timeout):
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    call = zb.stub.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(type=job_type, worker="s", timeout=timeout), timeout=10
    )

    async def drain() -> list:
        return [job async for job in call]

    err = await expect_code(drain(), grpc.StatusCode.INVALID_ARGUMENT)

    assert err.details() == (
        f"Expected to stream activated jobs with timeout to be greater than zero, but it was "
        f"{timeout}"
    )
    await await_activatable(zb, job_type, 1)


async def test_update_job_retries_must_be_positive(zb):
    # Zeebe rejects with INVALID_ARGUMENT: "... with a positive amount of retries, but the
    # amount given was '0'".
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type)
    for retries in (0, -1):
        await expect_code(
            update_retries(zb.stub, job.key, retries), grpc.StatusCode.INVALID_ARGUMENT
        )
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert listed["retries"] == 3


async def test_long_poll_is_woken_by_a_failed_job_coming_back(zb):
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type, worker="A")

    poll = asyncio.create_task(activate(zb.stub, job_type, worker="B", request_timeout_ms=5000))
    await asyncio.sleep(0.3)
    assert not poll.done()
    clock = Stopwatch()
    await fail_job(zb.stub, job.key, retries=2, message="retry")
    jobs = await asyncio.wait_for(poll, 10)
    assert [(j.key, j.worker, j.retries) for j in jobs] == [(job.key, "B", 2)]
    assert clock() < 2.5, f"long poll answered {clock():.1f}s after the job came back"


async def test_long_poll_is_woken_by_a_timed_out_job(zb):
    pid, job_type = await single_task(zb)
    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type, worker="A", timeout_ms=1000)

    clock = Stopwatch()
    jobs = await activate(zb.stub, job_type, worker="B", request_timeout_ms=8000)
    assert [(j.key, j.worker) for j in jobs] == [(job.key, "B")]
    assert clock() < 5, f"a job that timed out after 1 s was handed out after {clock():.1f}s"


async def test_stream_gets_jobs_that_become_activatable_again_and_honours_fetch_variable(zb):
    # Job workers docs: "whenever a job is made activate-able (e.g. a service task is
    # activated, a job times out, a job failed and is retried, etc.), if there is one or more
    # streams for this job type, a random one is picked, the job is activated and pushed".
    pid, job_type = await single_task(zb)
    call = zb.stub.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(
            type=job_type, worker="streamer", timeout=30_000, fetchVariable=["x"]
        ),
        timeout=30,
    )
    received: asyncio.Queue[ActivatedJob] = asyncio.Queue()

    async def read() -> None:
        async for job in call:
            await received.put(ActivatedJob.from_proto(job))

    reader = asyncio.create_task(read())
    try:
        await asyncio.sleep(0.5)
        pik = (await create_instance(zb.stub, pid, {"x": 1, "y": 2})).processInstanceKey
        first = await asyncio.wait_for(received.get(), 10)
        assert first.variables == {"x": 1}
        assert first.retries == 3

        await fail_job(zb.stub, first.key, retries=2, message="again")
        second = await asyncio.wait_for(received.get(), 10)
        assert (second.key, second.retries, second.variables) == (first.key, 2, {"x": 1})
        await complete(zb.stub, second.key)
    finally:
        call.cancel()
        reader.cancel()
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_each_job_is_pushed_to_only_one_of_several_streams(zb):
    pid, job_type = await single_task(zb)
    calls = [
        zb.stub.StreamActivatedJobs(
            pb.StreamActivatedJobsRequest(type=job_type, worker=f"s{n}", timeout=30_000), timeout=30
        )
        for n in range(3)
    ]
    received: list[ActivatedJob] = []

    async def read(call) -> None:
        async for job in call:
            received.append(ActivatedJob.from_proto(job))

    readers = [asyncio.create_task(read(c)) for c in calls]
    try:
        await asyncio.sleep(0.5)
        piks = [(await create_instance(zb.stub, pid)).processInstanceKey for _ in range(6)]
        await wait_for(lambda: len(received) >= 6, 10, message="6 streamed jobs")
        await asyncio.sleep(0.3)  # a duplicate push would show up by now
        assert len(received) == 6
        assert len({j.key for j in received}) == 6
        assert {j.process_instance_key for j in received} == set(piks)
        for job in received:
            await complete(zb.stub, job.key)
    finally:
        for c in calls:
            c.cancel()
        for r in readers:
            r.cancel()
    for pik in piks:
        await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_throw_error_variables_reach_the_path_of_the_catching_boundary_event(zb):
    # Gateway reference (ThrowError.variables): the variables are set on the catch event that
    # catches the error; without output mappings they are merged into the process like any
    # event's variables.
    pid, job_type, handled_type = unique_id("job-err"), unique_id("job-t"), unique_id("handled")
    code = unique_id("DECLINED")
    p = Process(pid)
    p.chain(p.start(), p.task("task", job_type), p.end())
    p.node(
        "boundaryEvent",
        "caught",
        attrs={"attachedToRef": "task"},
        body='<bpmn:errorEventDefinition errorRef="Error_declined" />',
    )
    p.chain("caught", service_task(p, "handled", handled_type), p.end("end_error"))
    xml = p.xml().replace(
        b"<bpmn:process",
        f'<bpmn:error id="Error_declined" name="declined" errorCode="{code}" />\n'
        "<bpmn:process".encode(),
        1,
    )
    await deploy(zb.stub, (f"{pid}.bpmn", xml))
    pik = (await create_instance(zb.stub, pid, {"a": 1})).processInstanceKey

    job = await activate_one(zb.stub, job_type)
    await throw_error(zb.stub, job.key, code, "card declined", variables={"reason": "limit"})
    handled = await activate_one(zb.stub, handled_type)
    assert handled.variables == {"a": 1, "reason": "limit"}
    assert await zb.admin.list_incidents(pik) == []
    await expect_code(complete(zb.stub, job.key), grpc.StatusCode.NOT_FOUND)
    await complete(zb.stub, handled.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


# --------------------------------------------------------------------------- races and lost pollers


async def test_concurrent_completions_of_one_job_succeed_exactly_once(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)

    results = await asyncio.gather(
        *(complete(zb.stub, job.key, n=n) for n in range(6)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1
    assert all(
        isinstance(e, grpc.aio.AioRpcError) and e.code() == grpc.StatusCode.NOT_FOUND
        for e in errors
    ), errors
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_complete_racing_fail_leaves_one_outcome(zb):
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)

    completed, failed = await asyncio.gather(
        complete(zb.stub, job.key),
        fail_job(zb.stub, job.key, retries=0, message="x"),
        return_exceptions=True,
    )
    assert isinstance(completed, BaseException) != isinstance(failed, BaseException)
    if isinstance(failed, BaseException):
        await await_instance_state(zb.admin, pik, "COMPLETED")
        assert await zb.admin.list_incidents(pik) == []
    else:
        [incident] = await await_incidents(zb.admin, pik)
        assert incident["errorType"] == "JOB_NO_RETRIES"


async def test_canceled_long_poll_does_not_swallow_a_new_job(zb):
    # A worker that gives up its ActivateJobs call (pyzeebe does on stop) must not be handed
    # the next job: the job stays activatable instead of waiting out an activation timeout.
    pid, job_type = await single_task(zb)
    call = zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=job_type, worker="gone", timeout=60_000, maxJobsToActivate=5, requestTimeout=20_000
        ),
        timeout=30,
    )

    async def drain() -> None:
        async for _ in call:
            pass

    poller = asyncio.create_task(drain())
    await asyncio.sleep(0.3)
    call.cancel()
    poller.cancel()
    await asyncio.sleep(0.3)

    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type, worker="alive", timeout=5)
    assert job.worker == "alive"


async def test_closed_job_stream_does_not_swallow_a_new_job(zb):
    pid, job_type = await single_task(zb)
    call = zb.stub.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(type=job_type, worker="gone", timeout=60_000), timeout=30
    )

    async def drain() -> None:
        async for _ in call:
            pass

    reader = asyncio.create_task(drain())
    await asyncio.sleep(0.3)
    call.cancel()
    reader.cancel()
    await asyncio.sleep(0.3)

    await create_instance(zb.stub, pid)
    job = await activate_one(zb.stub, job_type, worker="alive", timeout=5)
    assert job.worker == "alive"


async def test_fail_job_with_negative_retries_raises_an_incident(zb):
    # Job workers docs: "If remaining retries is zero or negative, an incident is raised".
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    await fail_job(zb.stub, job.key, retries=-1, message="negative")
    [incident] = await await_incidents(zb.admin, pik)
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["jobKey"] == job.key
    assert await no_jobs(zb.stub, job_type)


async def test_update_job_retries_of_an_activated_job(zb):
    # Zeebe lets UpdateJobRetries change the retries of a job in any state.
    pid, job_type = await single_task(zb)
    pik = (await create_instance(zb.stub, pid)).processInstanceKey
    job = await activate_one(zb.stub, job_type)
    await update_retries(zb.stub, job.key, 7)
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert (listed["state"], listed["retries"]) == ("ACTIVATED", 7)
    await fail_job(zb.stub, job.key, retries=6, message="once more")
    again = await activate_one(zb.stub, job_type)
    assert again.retries == 6
    await complete(zb.stub, again.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_pyzeebe_worker_retries_a_failing_handler_until_it_succeeds(zb):
    pid, job_type = await single_task(zb)
    attempts: list[int] = []

    async def flaky(job: Job) -> dict:
        attempts.append(job.retries)
        if len(attempts) < 3:
            raise RuntimeError(f"attempt {len(attempts)} failed")
        return {"attempts": len(attempts)}

    # pyzeebe finds the Job parameter by its annotation object, which postponed annotations
    # (from __future__ import annotations) turn into a string
    flaky.__annotations__["job"] = Job

    async with running_worker(zb.channel, {job_type: flaky}, name="flaky"):
        pik = (await create_instance(zb.stub, pid)).processInstanceKey
        await await_instance_state(zb.admin, pik, "COMPLETED", timeout=20)
    # pyzeebe fails with retries - 1 each time: 3, 2, 1
    assert attempts == [3, 2, 1]


async def test_pyzeebe_worker_exhausting_retries_raises_an_incident(zb):
    pid, job_type = await single_task(zb)

    async def broken() -> dict:
        raise RuntimeError("database unreachable")

    async with running_worker(zb.channel, {job_type: broken}, name="broken"):
        pik = (await create_instance(zb.stub, pid)).processInstanceKey
        [incident] = await await_incidents(zb.admin, pik, timeout=20)
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert "database unreachable" in incident["errorMessage"]
    [listed] = await zb.admin.list_jobs(job_type=job_type)
    assert (listed["state"], listed["retries"]) == ("FAILED", 0)


async def test_back_offs_and_job_incidents_survive_an_engine_restart(zb, engine_process):
    pid, job_type = await single_task(zb)
    waiting = (await create_instance(zb.stub, pid, {"which": "backoff"})).processInstanceKey
    broken = (await create_instance(zb.stub, pid, {"which": "incident"})).processInstanceKey
    jobs = {j.variables["which"]: j for j in await await_jobs(zb.stub, job_type, 2)}
    clock = Stopwatch()
    await fail_job(zb.stub, jobs["backoff"].key, retries=2, message="later", backoff_ms=3000)
    await fail_job(zb.stub, jobs["incident"].key, retries=0, message="broken")
    [incident] = await await_incidents(zb.admin, broken)

    engine_process.restart()
    async with connect(engine_process.address) as fresh:
        assert [i["key"] for i in await fresh.admin.list_incidents(broken)] == [incident["key"]]
        again = await activate_one(fresh.stub, job_type, timeout=10)
        assert again.key == jobs["backoff"].key
        assert clock() >= 2.5, "the back-off was lost in the restart"
        await complete(fresh.stub, again.key)
        await await_instance_state(fresh.admin, waiting, "COMPLETED")

        await update_retries(fresh.stub, jobs["incident"].key, 1)
        await resolve_incident(fresh.stub, incident["key"])
        fixed = await activate_one(fresh.stub, job_type)
        assert fixed.key == jobs["incident"].key
        await complete(fresh.stub, fixed.key)
        await await_instance_state(fresh.admin, broken, "COMPLETED")
