"""Statistics kept for a short while: they add up every task, and change slowly.

A statistic over 100,000 tasks costs a tenth of a second or more to compute; the home page and
the statistics page would pay it on every view. Each process keeps each statistic for
`PortalConfig.statistics_cache_seconds` (0 turns this off); after a change they catch up
within that time.
"""

from __future__ import annotations

import time

from fastapi import Request
from sqlalchemy.orm import Session

from models.services import statistics
from models.services.statistics import Dimension, Statistic
from portal.public.params import language


def statistic(
    request: Request, session: Session, dimension: Dimension, year: int | None
) -> Statistic:
    """The statistic, computed or as computed a moment ago."""
    lang = language(request)
    seconds = request.app.state.config.statistics_cache_seconds
    if seconds <= 0:
        return statistics.statistic(session=session, dimension=dimension, year=year, lang=lang)
    kept: dict[tuple[Dimension, int | None, str], tuple[float, Statistic]]
    kept = getattr(request.app.state, "statistics_cache", None) or {}
    request.app.state.statistics_cache = kept
    key = (dimension, year, lang)
    now = time.monotonic()
    found = kept.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = statistics.statistic(session=session, dimension=dimension, year=year, lang=lang)
    kept[key] = (now + seconds, value)
    return value
