"""Job activation: long-polling ActivateJobs waiters, job streams, and the timer loop.

A job that becomes activatable wakes a waiter or a stream at once (activation latency lives
here). Everything runs on the event loop thread, so a job is handed to exactly one worker.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pyzeebe.proto import gateway_pb2 as pb

from engine.runtime import Engine
from engine.state import Job

log = logging.getLogger(__name__)

# Zeebe's gateway holds a long poll for 10 s by default; pyzeebe's own deadline is 20 s.
DEFAULT_LONG_POLL_MS = 10_000
MAX_LONG_POLL_MS = 15_000


@dataclass
class Waiter:
    """One ActivateJobs call waiting for jobs."""

    max_jobs: int
    worker: str
    timeout_ms: int
    fetch: list[str]
    future: asyncio.Future


@dataclass
class Stream:
    """One open StreamActivatedJobs call."""

    worker: str
    timeout_ms: int
    fetch: list[str]
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    closed: bool = False
    delivering: int | None = None  # a job taken from the queue but not yet sent


class JobBroker:
    """Matches activatable jobs with waiting workers and streams."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.waiters: dict[str, list[Waiter]] = {}
        self.streams: dict[str, list[Stream]] = {}
        self._rr = itertools.count()
        self._pending: set[str] = set()
        self._wakeup = asyncio.Event()
        self.closing = False
        engine.on_jobs_available = self.notify
        engine.on_timer_added = self._wakeup.set

    # ------------------------------------------------------------------ conversion
    def to_activated(self, job: Job, fetch: list[str]) -> pb.ActivatedJob:
        """The wire form of an activated job with the variables its worker asked for."""
        visible = self.engine.visible(job.element_instance_key)
        if fetch:
            visible = {name: visible[name] for name in fetch if name in visible}
        return pb.ActivatedJob(
            key=job.key,
            type=job.type,
            processInstanceKey=job.process_instance_key,
            bpmnProcessId=job.bpmn_process_id,
            processDefinitionVersion=job.version,
            processDefinitionKey=job.process_definition_key,
            elementId=job.element_id,
            elementInstanceKey=job.element_instance_key,
            customHeaders=json.dumps(job.headers),
            worker=job.worker,
            retries=job.retries,
            deadline=job.deadline,
            variables=json.dumps(visible),
            tenantId="<default>",
        )

    # ------------------------------------------------------------------ dispatch
    def notify(self, job_type: str) -> None:
        """Jobs of a type became activatable: hand them out soon (after the current command)."""
        if job_type in self._pending:
            return
        self._pending.add(job_type)
        asyncio.get_running_loop().call_soon(self._dispatch, job_type)

    def _dispatch(self, job_type: str) -> None:
        self._pending.discard(job_type)
        engine = self.engine
        while engine.activatable.get(job_type):
            streams = [s for s in self.streams.get(job_type, []) if not s.closed]
            if streams:
                # spread the waiting jobs over the open streams, a batch each
                waiting = len(engine.activatable[job_type])
                share = max(1, -(-waiting // len(streams)))
                stream = streams[next(self._rr) % len(streams)]
                jobs = engine.run(
                    engine.activate_jobs, job_type, share, stream.worker, stream.timeout_ms
                )
                durable = engine.durable()
                for job in jobs:
                    stream.queue.put_nowait((self.to_activated(job, stream.fetch), durable))
                continue
            waiters = self.waiters.get(job_type, [])
            while waiters and waiters[0].future.done():
                waiters.pop(0)
            if not waiters:
                return
            waiter = waiters.pop(0)
            jobs = engine.run(
                engine.activate_jobs, job_type, waiter.max_jobs, waiter.worker, waiter.timeout_ms
            )
            activated = [self.to_activated(j, waiter.fetch) for j in jobs]
            waiter.future.set_result((activated, engine.durable()))

    async def activate(
        self,
        job_type: str,
        max_jobs: int,
        worker: str,
        timeout_ms: int,
        fetch: list[str],
        request_timeout_ms: int,
    ) -> list[pb.ActivatedJob]:
        """ActivateJobs with long polling: answer at once if jobs exist, else wait for some."""
        engine = self.engine
        jobs = engine.run(engine.activate_jobs, job_type, max_jobs, worker, timeout_ms)
        if jobs or request_timeout_ms < 0 or self.closing:
            activated = [self.to_activated(j, fetch) for j in jobs]
            await engine.durable()
            return activated
        wait_ms = request_timeout_ms or DEFAULT_LONG_POLL_MS
        wait_ms = min(wait_ms, MAX_LONG_POLL_MS)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        waiter = Waiter(max_jobs, worker, timeout_ms, fetch, future)
        self.waiters.setdefault(job_type, []).append(waiter)
        try:
            activated, durable = await asyncio.wait_for(asyncio.shield(future), wait_ms / 1000)
        except TimeoutError:
            if not future.done():
                future.cancel()
                return []
            activated, durable = future.result()
        finally:
            queue = self.waiters.get(job_type, [])
            if waiter in queue:
                queue.remove(waiter)
        # the hand-out is answered only once it is written (a crash then re-offers the jobs
        # after their timeout instead of losing track of who holds them)
        await durable
        return activated

    async def next_streamed(self, stream: Stream) -> pb.ActivatedJob | None:
        """The next job pushed to a stream, once its activation is written; None at the end."""
        item = await stream.queue.get()
        if item is None:
            return None
        job, durable = item
        stream.delivering = job.key
        await durable
        stream.delivering = None
        return job

    def open_stream(self, job_type: str, worker: str, timeout_ms: int, fetch: list[str]) -> Stream:
        """Register a job stream; jobs already waiting are pushed to it at once."""
        stream = Stream(worker, timeout_ms, fetch)
        if self.closing:
            stream.queue.put_nowait(None)
            return stream
        self.streams.setdefault(job_type, []).append(stream)
        self.notify(job_type)
        return stream

    def close_stream(self, job_type: str, stream: Stream) -> None:
        """Unregister a stream and give back the jobs it never delivered."""
        stream.closed = True
        streams = self.streams.get(job_type, [])
        if stream in streams:
            streams.remove(stream)
        undelivered = [stream.delivering] if stream.delivering is not None else []
        while not stream.queue.empty():
            item = stream.queue.get_nowait()
            if item is not None:
                undelivered.append(item[0].key)
        if undelivered:
            self.engine.run(self.engine.yield_jobs, undelivered)

    def close(self) -> tuple[int, int]:
        """Stopping: answer every waiting long poll (no jobs) and end every stream.

        The calls then end as a normal reply does, instead of being cancelled by the server's
        stop (which grpc reports with a CancelledError traceback per call). Returns how many
        long polls and streams were ended.
        """
        self.closing = True
        polls = 0
        for waiters in self.waiters.values():
            for waiter in waiters:
                if not waiter.future.done():
                    done = asyncio.get_running_loop().create_future()
                    done.set_result(None)
                    waiter.future.set_result(([], done))
                    polls += 1
        streams = 0
        for open_streams in self.streams.values():
            for stream in open_streams:
                if not stream.closed:
                    stream.closed = True  # no more jobs for it
                    stream.queue.put_nowait(None)
                    streams += 1
        return polls, streams

    # ------------------------------------------------------------------ timers
    def wake(self) -> None:
        """Make the timer loop look at the clock again (it moved, or a timer was added)."""
        self._wakeup.set()

    async def timer_loop(self, on_tick: Callable[[], None] | None = None) -> None:
        """Wake for the earliest due timer (job deadlines, back-offs) and apply it."""
        engine = self.engine
        while True:
            due = engine.next_due()
            delay = None if due is None else max(0, due - engine.clock.now_ms()) / 1000
            try:
                await asyncio.wait_for(self._wakeup.wait(), delay)
            except TimeoutError:
                pass
            self._wakeup.clear()
            try:
                engine.run(engine.fire_due_timers)
            except Exception:
                log.exception("timer processing failed")
            if on_tick is not None:
                on_tick()
