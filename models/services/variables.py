"""Values as processes carry them: ISO date-times with Vietnam's offset, ids from forms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from models.rules import VIETNAM_TZ

# A deadline falls due at the end of its last day, Vietnamese time.
END_OF_DAY = time(23, 59, 59)


def iso_vn(moment: datetime) -> str:
    """An ISO 8601 date-time with Vietnam's offset (naive values are UTC, as SQLite returns)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TZ).replace(microsecond=0).isoformat()


def deadline_at(day: date) -> str:
    """The ISO date-time (with +07:00) at which a deadline on ``day`` falls due: a BPMN
    ``timeDate`` timer waits for it."""
    return datetime.combine(day, END_OF_DAY, VIETNAM_TZ).isoformat()


def parse_date(value: Any) -> date:
    """A date from a form field or a variable: ``2026-05-04`` or a full ISO date-time."""
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        parsed = datetime.fromisoformat(text.split("[")[0])
        return parsed.astimezone(VIETNAM_TZ).date() if parsed.tzinfo else parsed.date()


def parse_moment(value: Any) -> datetime:
    """A date-time from a form field; a bare date means 08:00 that day, Vietnam time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VIETNAM_TZ)
    text = str(value or "").strip()
    if len(text) <= 10:
        return datetime.combine(date.fromisoformat(text), time(8, 0), VIETNAM_TZ)
    parsed = datetime.fromisoformat(text.split("[")[0])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TZ)


def ids(values: Iterable[Any] | None) -> list[int]:
    """Ids from a form (HTML checkboxes submit strings); the domain's ids are integers."""
    return [int(v) for v in values or [] if str(v).strip()]


def today_of(now: datetime) -> date:
    """The office's day in Vietnam at a moment."""
    return now.astimezone(VIETNAM_TZ).date()
