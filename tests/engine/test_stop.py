"""A clean stop: SIGTERM/SIGINT end the open long polls and job streams as normal replies.

Cancelled by the server's stop instead, each open call would end in a CancelledError
traceback from grpc. The engine's last log lines say what stopped.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from tests.support.engine_process import EngineProcess
from tests.support.zeebe import connect, create_instance, deploy, simple_process, unique_id

QUIET_STOP_PROBLEMS = ("Traceback", "CancelledError", "Aborting method", "ERROR")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    """An engine of its own: the test stops it."""
    proc = EngineProcess(f"sqlite:///{tmp_path / 'engine.sqlite3'}")
    proc.log_path = tmp_path / "engine.log"
    proc.start()
    yield proc
    proc.kill()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
async def test_stop_answers_long_polls_and_ends_streams_without_tracebacks(engine, stop_signal):
    streamed, polled, pid = unique_id("streamed"), unique_id("polled"), unique_id("p")
    async with connect(engine.address) as zb:
        await deploy(zb, simple_process(pid, streamed))
        stream = zb.stub.StreamActivatedJobs(
            pb.StreamActivatedJobsRequest(type=streamed, worker="streamer", timeout=60_000),
            timeout=60,
        )
        stream_items = stream.__aiter__()
        first = asyncio.create_task(stream_items.__anext__())
        await asyncio.sleep(0.2)
        await create_instance(zb.stub, pid)
        assert (await asyncio.wait_for(first, 10)).type == streamed  # the stream is open
        poll = zb.stub.ActivateJobs(
            pb.ActivateJobsRequest(
                type=polled, worker="poller", timeout=60_000, maxJobsToActivate=1,
                requestTimeout=30_000,
            ),
            timeout=60,
        )  # fmt: skip
        replies = asyncio.create_task(_collect(poll))
        # a round trip after the poll on the same channel: the poll is waiting by now
        await zb.stub.Topology(pb.TopologyRequest(), timeout=10)

        assert engine.proc is not None
        engine.proc.send_signal(stop_signal)

        # the poll is answered (no jobs) and the stream ends, both as normal replies
        assert [list(r.jobs) for r in await asyncio.wait_for(replies, 10)] == [[]]
        assert await asyncio.wait_for(_collect(stream_items), 10) == []
        assert await poll.code() == grpc.StatusCode.OK
        assert await stream.code() == grpc.StatusCode.OK
    assert await asyncio.to_thread(engine.proc.wait, 15) == 0

    log = engine.log_path.read_text()
    assert not [p for p in QUIET_STOP_PROBLEMS if p in log], log
    lines = log.strip().splitlines()
    assert f"khcn engine stopping ({stop_signal.name})" in lines[-2]
    assert lines[-1].endswith(
        "khcn engine stopped: 1 waiting long polls answered, 1 job streams ended, "
        f"state written to {engine.database_url}"
    )


async def _collect(call) -> list:
    return [item async for item in call]
