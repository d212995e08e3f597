"""Timer definitions as Zeebe reads them: ISO 8601 durations, dates, repeating cycles, cron."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_MS = {
    "y": 365 * 86_400_000,
    "mo": 30 * 86_400_000,
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "mi": 60_000,
    "s": 1000,
}


class TimerError(ValueError):
    """A timer value that is not a duration, date or cycle."""


def parse_duration(text: str) -> int:
    """An ISO 8601 duration in milliseconds (years and months counted as 365 and 30 days)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise TimerError(f"'{text}' is not an ISO 8601 duration (e.g. PT5M, P1D)")
    total = sum(float(match.group(k)) * ms for k, ms in _MS.items() if match.group(k))
    return -int(total) if match.group("sign") else int(total)


def parse_date(text: str) -> int:
    """An ISO 8601 date-time (zone optional, UTC assumed) in ms since the epoch."""
    text = text.strip()
    zone = None
    if text.endswith("]") and "[" in text:
        # Java's zoned form: 2019-10-02T08:09:40+02:00[Europe/Berlin]
        text, _, zone_id = text[:-1].partition("[")
        try:
            zone = ZoneInfo(zone_id)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise TimerError(f"unknown time zone '{zone_id}'") from exc
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimerError(f"'{text}' is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or UTC)
    return int(value.timestamp() * 1000)


@dataclass(frozen=True)
class Cycle:
    """A repeating timer: `R[n]/[start/]duration` or a cron expression."""

    repetitions: int  # -1: forever
    interval_ms: int = 0
    start_ms: int | None = None
    cron: str | None = None

    def first_due(self, now_ms: int) -> int:
        """When the cycle fires first."""
        if self.cron:
            return self._next_cron(now_ms)
        if self.start_ms is not None:
            return max(self.start_ms, now_ms) if self.start_ms > now_ms else now_ms
        return now_ms + self.interval_ms

    def next_due(self, previous_due_ms: int) -> int:
        """When the cycle fires after firing at `previous_due_ms`."""
        if self.cron:
            return self._next_cron(previous_due_ms)
        return previous_due_ms + self.interval_ms

    def _next_cron(self, after_ms: int) -> int:
        base = datetime.fromtimestamp(after_ms / 1000, tz=UTC)
        nxt = croniter(self.cron, base, second_at_beginning=True).get_next(datetime)
        return int(nxt.timestamp() * 1000)

    def to_text(self) -> str:
        """The cycle written back in the form it was read."""
        if self.cron:
            return self.cron
        reps = "R" if self.repetitions < 0 else f"R{self.repetitions}"
        start = ""
        if self.start_ms is not None:
            start = datetime.fromtimestamp(self.start_ms / 1000, tz=UTC).isoformat() + "/"
        return f"{reps}/{start}PT{self.interval_ms / 1000:g}S"


def parse_cycle(text: str) -> Cycle:
    """A repeating interval `R5/PT10S`, `R/2025-01-01T00:00:00Z/PT1H`, or a 6-field cron."""
    text = text.strip()
    if text.startswith("R"):
        parts = text.split("/")
        reps_text = parts[0][1:]
        repetitions = int(reps_text) if reps_text else -1
        if len(parts) == 2:
            return Cycle(repetitions, parse_duration(parts[1]))
        if len(parts) == 3:
            return Cycle(repetitions, parse_duration(parts[2]), start_ms=parse_date(parts[1]))
        raise TimerError(f"'{text}' is not a repeating interval (e.g. R5/PT10S)")
    fields = text.split()
    if len(fields) == 6 and croniter.is_valid(text, second_at_beginning=True):
        return Cycle(-1, cron=text)
    raise TimerError(f"'{text}' is neither a repeating interval (R5/PT10S) nor a cron expression")
