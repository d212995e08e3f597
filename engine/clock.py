"""The engine's notion of now: the wall clock, or one a test moves by hand."""

from __future__ import annotations

import time


class Clock:
    """Wall-clock time in milliseconds since the epoch."""

    def now_ms(self) -> int:
        """Now, in ms since the epoch."""
        return int(time.time() * 1000)


class ControlledClock(Clock):
    """A clock that only moves when told to (tests of timers and deadlines)."""

    def __init__(self, start_ms: int | None = None) -> None:
        self._now = start_ms if start_ms is not None else int(time.time() * 1000)

    def now_ms(self) -> int:
        """The controlled now."""
        return self._now

    def advance(self, ms: int) -> int:
        """Move time forward by `ms` and return the new now."""
        if ms < 0:
            raise ValueError("the clock only moves forward")
        self._now += ms
        return self._now
