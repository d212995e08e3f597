"""SIGKILL the engine while real pyzeebe workers run: nothing acknowledged is lost or doubled."""

# No `from __future__ import annotations` here: pyzeebe finds the Job parameter of a handler by
# comparing the evaluated annotation with `Job`, which string annotations would defeat.

import asyncio
import json
import logging
import os
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import grpc
import pytest
from pyzeebe import Job, ZeebeClient, ZeebeWorker, create_insecure_channel
from pyzeebe.errors import ZeebeGatewayUnavailableError
from pyzeebe.proto import gateway_pb2, gateway_pb2_grpc

from engine.admin_client import AdminClient
from tests.support.engine_process import EngineProcess

FIXTURES = Path(__file__).parent / "fixtures"
INSTANCES = 30
KILLS = 5
SEED = int(os.environ.get("KHCN_CRASH_SEED", "0")) or random.randrange(1, 10**6)

# Quick reconnects after each restart: gRPC's default back-off grows towards two minutes.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)

log = logging.getLogger(__name__)


def expected_variables(i: int, n: int) -> dict[str, Any]:
    """The final variables of instance i with input n, computed without any engine."""
    even = n % 2 == 0
    value = n * 2 if even else n * 3
    return {
        "i": i,
        "n": n,
        "even": even,
        "value": value,
        "left": value + 1,
        "right": value + 2,
        "total": 2 * value + 3,
    }


def expected_elements(n: int) -> set[str]:
    """The service tasks an instance with input n passes through."""
    return {"prepare", "double" if n % 2 == 0 else "triple", "left", "right", "finish"}


def root_variables(instance: dict[str, Any]) -> dict[str, Any]:
    """The process-instance-scope variables from the admin API's GetProcessInstance."""
    return instance["variables"]


async def retry_unavailable(call: Callable[[], Awaitable[Any]], deadline: float = 40.0) -> Any:
    """Retry a gateway call while the engine is down (UNAVAILABLE), up to a deadline."""
    end = time.monotonic() + deadline
    while True:
        try:
            return await call()
        except (ZeebeGatewayUnavailableError, grpc.aio.AioRpcError) as error:
            code = error.code() if isinstance(error, grpc.aio.AioRpcError) else None
            if code not in (None, grpc.StatusCode.UNAVAILABLE) or time.monotonic() > end:
                raise
            await asyncio.sleep(0.1)


async def instance_state(admin: AdminClient, key: int) -> str:
    """The admin API's state of an instance, or MISSING when the engine does not know it."""
    try:
        instance = await retry_unavailable(partial(admin.get_process_instance, key))
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return "MISSING"
        raise
    return str(instance["state"])


async def deploy(client: ZeebeClient, name: str) -> None:
    """Deploy one fixture BPMN file."""
    await retry_unavailable(lambda: client.deploy_resource(str(FIXTURES / name)))


class Recorder:
    """What the workers did, keyed by (processInstanceKey, elementId): re-deliveries are counted."""

    def __init__(self) -> None:
        self.deliveries: dict[tuple[int, str], int] = defaultdict(int)
        self.job_keys: dict[tuple[int, str], set[int]] = defaultdict(set)
        self.results: dict[tuple[int, str], dict[str, Any]] = {}
        self.mismatches: list[str] = []
        self.in_flight = 0

    async def handle(self, job: Job, result: dict[str, Any]) -> dict[str, Any]:
        """Take a moment of "work", then note the delivery and return the (pure) result."""
        self.in_flight += 1
        try:
            # Work that takes time, so that kills land while handlers hold activated jobs.
            await asyncio.sleep(random.uniform(0.05, 0.3))
        finally:
            self.in_flight -= 1
        return self.record(job, result)

    def record(self, job: Job, result: dict[str, Any]) -> dict[str, Any]:
        """Note one delivery; a re-delivery must see the same inputs and compute the same result."""
        key = (job.process_instance_key, job.element_id)
        self.deliveries[key] += 1
        self.job_keys[key].add(job.key)
        previous = self.results.setdefault(key, result)
        if previous != result:
            # Not an assert: pyzeebe would turn it into a FailJob and hide it.
            self.mismatches.append(f"re-delivery of {key} computed {result}, first {previous}")
        return result

    @property
    def total(self) -> int:
        """Number of deliveries so far."""
        return sum(self.deliveries.values())


def build_workers(channel: grpc.aio.Channel, recorder: Recorder) -> list[ZeebeWorker]:
    """Workers for crash_flow.bpmn whose results feed the later steps.

    The first half of the flow is served by a polling worker, the second by a streaming one
    (StreamActivatedJobs plus polling), so both ways of activation live through the kills.
    """
    polling, streaming = (
        ZeebeWorker(
            channel,
            name=f"crash-{kind}",
            max_connection_retries=-1,
            poll_retry_delay=1,
            request_timeout=2000,
            stream_enabled=kind == "streaming",
        )
        for kind in ("polling", "streaming")
    )
    options: dict[str, Any] = {"timeout_ms": 3000, "max_jobs_to_activate": 8}

    @polling.task("crash.prepare", **options)
    async def prepare(job: Job, n: int) -> dict[str, Any]:
        return await recorder.handle(job, {"even": n % 2 == 0})

    @polling.task("crash.double", **options)
    async def double(job: Job, n: int) -> dict[str, Any]:
        return await recorder.handle(job, {"value": n * 2})

    @polling.task("crash.triple", **options)
    async def triple(job: Job, n: int) -> dict[str, Any]:
        return await recorder.handle(job, {"value": n * 3})

    @streaming.task("crash.left", **options)
    async def left(job: Job, value: int) -> dict[str, Any]:
        return await recorder.handle(job, {"left": value + 1})

    @streaming.task("crash.right", **options)
    async def right(job: Job, value: int) -> dict[str, Any]:
        return await recorder.handle(job, {"right": value + 2})

    @streaming.task("crash.finish", **options)
    async def finish(job: Job, left: int, right: int) -> dict[str, Any]:
        return await recorder.handle(job, {"total": left + right})

    return [polling, streaming]


@pytest.fixture
async def channel(engine_process: EngineProcess) -> AsyncIterator[grpc.aio.Channel]:
    """A pyzeebe channel to the engine that reconnects quickly after restarts."""
    ch = create_insecure_channel(engine_process.address, channel_options=CHANNEL_OPTIONS)
    try:
        yield ch
    finally:
        await ch.close()


@pytest.fixture
async def engine(engine_process: EngineProcess) -> AsyncIterator[EngineProcess]:
    """The module's engine, guaranteed running again after each test (even a failed one)."""
    yield engine_process
    if engine_process.proc is None or engine_process.proc.poll() is not None:
        await asyncio.to_thread(engine_process.start)


async def wait_for_work(recorder: Recorder, limit: float) -> None:
    """Wait until some handler holds an activated job, or the limit passes."""
    end = time.monotonic() + limit
    while recorder.in_flight == 0 and time.monotonic() < end:
        await asyncio.sleep(0.02)


async def test_random_kills_lose_nothing(engine: EngineProcess, channel: grpc.aio.Channel) -> None:
    """30 instances, 5 SIGKILLs at random moments: all complete with exactly the right variables."""
    rng = random.Random(SEED)
    log.warning("crash test seed %s (set KHCN_CRASH_SEED to replay)", SEED)
    client = ZeebeClient(channel, max_connection_retries=-1)
    admin = AdminClient(channel)
    await deploy(client, "crash_flow.bpmn")

    # Odd i gets odd n and even i even n, so both branches of the exclusive gateway run.
    inputs = {i: 2 * rng.randrange(1, 500) + i % 2 for i in range(INSTANCES)}
    acknowledged: dict[int, int] = {}  # instance key -> i
    kills_done = 0

    async def create(i: int) -> None:
        reply = await retry_unavailable(
            lambda: client.run_process("crash-flow", {"i": i, "n": inputs[i]})
        )
        acknowledged[reply.process_instance_key] = i

    recorder = Recorder()
    workers = build_workers(channel, recorder)
    work = [asyncio.create_task(worker.work()) for worker in workers]
    creating: asyncio.Task[None] = asyncio.create_task(asyncio.sleep(0))
    try:
        for i in range(INSTANCES // 3):
            await create(i)

        async def create_rest() -> None:
            # Spread over the kills, so that creations also meet a dead or restarting engine.
            for i in range(INSTANCES // 3, INSTANCES):
                await create(i)
                await asyncio.sleep(rng.uniform(0.2, 1.2))

        creating = asyncio.create_task(create_rest())
        for kill in range(KILLS):
            await wait_for_work(recorder, limit=10)
            await asyncio.sleep(rng.uniform(0.0, 0.4))
            acked_before = set(acknowledged)
            log.warning(
                "kill %d: %d deliveries so far, %d handlers busy, %d instances acknowledged",
                kill, recorder.total, recorder.in_flight, len(acked_before),
            )  # fmt: skip
            await asyncio.to_thread(engine.kill)
            kills_done += 1
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            await asyncio.to_thread(engine.start)
            for key in acked_before:
                state = await instance_state(admin, key)
                assert state in ("ACTIVE", "COMPLETED"), (SEED, kill, key, state)
        await creating

        pending = set(acknowledged)
        end = time.monotonic() + 45
        while pending and time.monotonic() < end:
            for key in sorted(pending):
                if await instance_state(admin, key) != "ACTIVE":
                    pending.discard(key)
            await asyncio.sleep(0.3)
    finally:
        if not creating.done():
            creating.cancel()
        for worker in workers:
            await worker.stop()
        await asyncio.wait_for(asyncio.gather(*work), timeout=10)

    assert kills_done == KILLS
    assert not recorder.mismatches, recorder.mismatches
    assert sorted(acknowledged.values()) == list(range(INSTANCES)), "a create was never acked"
    assert not pending, (
        f"seed {SEED}: {len(pending)} instances not finished: {sorted(pending)[:5]}; "
        f"incidents: {await admin.list_incidents()}"
    )
    for key, i in acknowledged.items():
        instance = await admin.get_process_instance(key)
        assert instance["state"] == "COMPLETED", (SEED, key, instance)
        assert root_variables(instance) == expected_variables(i, inputs[i]), (SEED, key, i)
        done = {element for (pi, element) in recorder.deliveries if pi == key}
        assert done == expected_elements(inputs[i]), (SEED, key, done)
    # A re-delivery reuses its job key; a second key means the element itself ran twice.
    doubled = {k: keys for k, keys in recorder.job_keys.items() if len(keys) > 1}
    assert not doubled, (SEED, doubled)
    assert await admin.list_incidents() == []

    # Any instance the workers saw was acknowledged (or a lost reply's twin, which must also end).
    for pi in {pi for (pi, _) in recorder.deliveries} - set(acknowledged):
        assert (await admin.get_process_instance(pi))["state"] == "COMPLETED", pi
    log.warning(
        "seed %s: %d deliveries for %d element runs (%d re-deliveries)",
        SEED,
        recorder.total,
        len(recorder.deliveries),
        recorder.total - len(recorder.deliveries),
    )


async def kill_now(engine: EngineProcess) -> None:
    """SIGKILL with no pause after the last acknowledged reply, then start again."""
    assert engine.proc is not None
    engine.proc.kill()
    await asyncio.to_thread(engine.proc.wait)
    await asyncio.to_thread(engine.start)


async def activate(
    stub: gateway_pb2_grpc.GatewayStub, job_type: str, timeout_ms: int, poll_ms: int = 1000
) -> list[gateway_pb2.ActivatedJob]:
    """One ActivateJobs call with a short long-poll."""
    jobs: list[gateway_pb2.ActivatedJob] = []
    request = gateway_pb2.ActivateJobsRequest(
        type=job_type,
        worker="crash-test",
        timeout=timeout_ms,
        maxJobsToActivate=10,
        requestTimeout=poll_ms,
    )
    async for response in stub.ActivateJobs(request, timeout=poll_ms / 1000 + 10):
        jobs.extend(response.jobs)
    return jobs


async def test_activated_job_times_out_after_restart(
    engine: EngineProcess, channel: grpc.aio.Channel
) -> None:
    """Activations survive a SIGKILL: a 2 s job comes back after its timeout, a 10 min one not."""
    client = ZeebeClient(channel, max_connection_retries=-1)
    admin = AdminClient(channel)
    stub = gateway_pb2_grpc.GatewayStub(channel)
    await deploy(client, "crash_timeout.bpmn")
    pi = (await client.run_process("crash-timeout", {"n": 1})).process_instance_key

    (short,) = await activate(stub, "crash.timeout.short", timeout_ms=2000)
    (long,) = await activate(stub, "crash.timeout.long", timeout_ms=600_000)
    assert short.processInstanceKey == pi and long.processInstanceKey == pi

    await asyncio.to_thread(engine.kill)
    await asyncio.to_thread(engine.start)

    again: list[gateway_pb2.ActivatedJob] = []
    end = time.monotonic() + 20
    while not again and time.monotonic() < end:
        again = await retry_unavailable(lambda: activate(stub, "crash.timeout.short", 600_000))
    assert [job.key for job in again] == [short.key], "timed-out job not activatable again"
    assert again[0].retries == short.retries

    assert await activate(stub, "crash.timeout.long", 600_000) == [], "job activated twice"

    await stub.CompleteJob(gateway_pb2.CompleteJobRequest(jobKey=short.key, variables="{}"))
    await stub.CompleteJob(
        gateway_pb2.CompleteJobRequest(jobKey=long.key, variables='{"done": true}')
    )
    instance = await admin.get_process_instance(pi)
    assert instance["state"] == "COMPLETED"
    assert root_variables(instance) == {"n": 1, "done": True}


async def test_acknowledged_create_survives_immediate_kill(
    engine: EngineProcess, channel: grpc.aio.Channel
) -> None:
    """A deployment or instance the engine acknowledged exists after a SIGKILL right after it."""
    client = ZeebeClient(channel, max_connection_retries=-1)
    admin = AdminClient(channel)
    await deploy(client, "crash_ack.bpmn")
    await asyncio.to_thread(engine.kill)
    await asyncio.to_thread(engine.start)

    rounds: list[list[int]] = []
    for round_no in range(3):
        keys = []
        for j in range(5):
            reply = await retry_unavailable(
                partial(client.run_process, "crash-ack", {"round": round_no, "j": j})
            )
            keys.append(reply.process_instance_key)
        rounds.append(keys)
        await kill_now(engine)

    all_keys = [key for keys in rounds for key in keys]
    assert len(set(all_keys)) == len(all_keys), "instance keys reused after a restart"
    # Zeebe's keys grow monotonically within a partition, across restarts too.
    assert all_keys == sorted(all_keys), all_keys
    for round_no, keys in enumerate(rounds):
        for j, key in enumerate(keys):
            instance = await retry_unavailable(partial(admin.get_process_instance, key))
            assert instance["state"] == "ACTIVE", (round_no, j, instance)
            assert root_variables(instance) == {"round": round_no, "j": j}
            jobs = await admin.list_jobs("crash.ack", key)
            assert len(jobs) == 1, (round_no, j, jobs)
        for key in keys:
            await client.cancel_process_instance(key)


async def test_messages_subscriptions_and_timers_survive_kill(
    engine: EngineProcess, channel: grpc.aio.Channel
) -> None:
    """A buffered message, a waiting subscription and a due timer each live through a SIGKILL."""
    client = ZeebeClient(channel, max_connection_retries=-1)
    admin = AdminClient(channel)
    stub = gateway_pb2_grpc.GatewayStub(channel)
    await deploy(client, "crash_durable.bpmn")

    # Published before anyone waits, with a TTL: buffered, and the buffer survives.
    await client.publish_message("crash-durable.go", "early", {"early": True}, 60_000)
    await kill_now(engine)
    early = await retry_unavailable(
        partial(client.run_process, "crash-durable", {"orderKey": "early"})
    )

    # An instance waiting on the message: its subscription survives.
    late = await client.run_process("crash-durable", {"orderKey": "late"})
    view = await admin.get_process_instance(late.process_instance_key)
    assert "go" in {e["elementId"] for e in view["elementInstances"]}, view
    await kill_now(engine)
    await retry_unavailable(
        partial(client.publish_message, "crash-durable.go", "late", {"late": True}, 60_000)
    )
    # Correlated, now in its one-second timer: the timer survives and fires after the restart.
    await kill_now(engine)

    jobs: dict[int, gateway_pb2.ActivatedJob] = {}
    end = time.monotonic() + 30
    while len(jobs) < 2 and time.monotonic() < end:
        for job in await retry_unavailable(partial(activate, stub, "crash.durable", 60_000)):
            jobs[job.processInstanceKey] = job
    assert set(jobs) == {early.process_instance_key, late.process_instance_key}, jobs
    expected = {
        early.process_instance_key: {"orderKey": "early", "early": True},
        late.process_instance_key: {"orderKey": "late", "late": True},
    }
    for pi, job in jobs.items():
        assert json.loads(job.variables) == expected[pi]
        await stub.CompleteJob(gateway_pb2.CompleteJobRequest(jobKey=job.key, variables="{}"))
        instance = await admin.get_process_instance(pi)
        assert instance["state"] == "COMPLETED"
        assert root_variables(instance) == expected[pi]
