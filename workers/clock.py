"""The one clock the workers read: dates and deadlines follow the engine's time, not the host's.

In production the engine runs on the wall clock, so `WallClock` is the default. An engine
started with `--clock controlled` (tests, demonstrations) moves its time forward on request;
`EngineClock` asks that engine for its now, so a deadline a worker computes after the engine
has jumped six months ahead lies six months after the jump, as it would in real life.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Protocol

import grpc

from models.rules import VIETNAM_TZ
from models.services.variables import today_of

GET_CLOCK = "/khcn.EngineAdmin/GetClock"


class Clock(Protocol):
    """Where a worker reads the current time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class WallClock:
    """The host's clock (production: the engine runs on it too)."""

    def now(self) -> datetime:
        """The current instant, in UTC."""
        return datetime.now(UTC)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data.decode())


class EngineClock:
    """The engine's clock, read through its admin service (GetClock), for controlled clocks.

    Synchronous gRPC on purpose: pyzeebe runs the plain `def` handlers in worker threads,
    where there is no event loop to await on.
    """

    def __init__(self, address: str, timeout: float = 5.0) -> None:
        self._channel = grpc.insecure_channel(address)
        self._get_clock = self._channel.unary_unary(
            GET_CLOCK, request_serializer=_dumps, response_deserializer=_loads
        )
        self._timeout = timeout

    def read(self) -> dict[str, Any]:
        """The engine's GetClock reply: its now (ms since epoch) and whether it is controlled."""
        reply: dict[str, Any] = self._get_clock({}, timeout=self._timeout)
        return reply

    def now(self) -> datetime:
        """The engine's now, in UTC (millisecond precision, as the engine keeps it)."""
        return datetime.fromtimestamp(int(self.read()["now"]) / 1000, UTC)

    def close(self) -> None:
        """Close the channel to the engine."""
        self._channel.close()


def now_vn(clock: Clock) -> datetime:
    """The clock's now in Vietnam time."""
    return clock.now().astimezone(VIETNAM_TZ)


def today_vn(clock: Clock) -> date:
    """The clock's calendar day in Vietnam (the office's day, whatever the server's zone)."""
    return today_of(clock.now())


def clock_of_engine(address: str) -> Clock:
    """The clock to run the workers on beside the engine at `address`.

    The engine's own clock when it runs a controlled one, the wall clock otherwise (no round
    trip to the engine for every date in production).
    """
    clock = EngineClock(address)
    try:
        controlled = bool(clock.read().get("controlled"))
    except BaseException:
        clock.close()
        raise
    if controlled:
        return clock
    clock.close()
    return WallClock()
