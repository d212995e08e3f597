"""The workers' clock: the engine's time on a controlled engine, the wall clock otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.engine_process import EngineProcess
from tests.support.zeebe import connect
from tests.support.zeebe_events import advance
from workers.clock import VIETNAM_TZ, EngineClock, WallClock, clock_of_engine, now_vn, today_vn

DAY_MS = 24 * 60 * 60 * 1000


@pytest.fixture(scope="module")
def engines(make_database_url: Any) -> Iterator[tuple[EngineProcess, EngineProcess]]:
    """A controlled-clock engine and a wall-clock one (SQLite: the clock is the engine's)."""
    controlled = EngineProcess(make_database_url("sqlite"), extra_args=["--clock", "controlled"])
    wall = EngineProcess(make_database_url("sqlite"))
    controlled.start()
    try:
        wall.start()
        try:
            yield controlled, wall
        finally:
            wall.stop()
    finally:
        controlled.stop()


async def test_the_engine_clock_follows_a_controlled_engine(engines) -> None:
    controlled, _ = engines
    clock = await asyncio.to_thread(clock_of_engine, controlled.address)
    assert isinstance(clock, EngineClock)
    try:
        before = await asyncio.to_thread(clock.now)
        assert before.tzinfo is not None and before.utcoffset() == timedelta(0)
        assert abs(before - datetime.now(UTC)) < timedelta(minutes=5)
        async with connect(controlled.address) as zb:
            await advance(zb.admin, 40 * DAY_MS)
        after = await asyncio.to_thread(clock.now)
        assert after - before >= timedelta(days=40)
        # a worker thread reads it synchronously: dates in Vietnam follow the engine
        assert await asyncio.to_thread(today_vn, clock) == after.astimezone(VIETNAM_TZ).date()
        assert (await asyncio.to_thread(now_vn, clock)).utcoffset() == timedelta(hours=7)
    finally:
        clock.close()


async def test_a_wall_clock_engine_leaves_the_workers_on_the_wall_clock(engines) -> None:
    _, wall = engines
    clock = await asyncio.to_thread(clock_of_engine, wall.address)
    assert isinstance(clock, WallClock)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
