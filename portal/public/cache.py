"""What the public pages keep for a short while: statistics and the filters' choices.

A statistic over 100,000 tasks costs a tenth of a second or more to compute, and the list of
years and host organisations a few milliseconds; pages would pay them on every view, though
they change slowly. Each process keeps each for `PortalConfig.statistics_cache_seconds` (0
turns this off); after a change they catch up within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from models.services import statistics
from models.services.statistics import Dimension, Statistic
from portal.public.params import language

T = TypeVar("T")


def kept(request: Request, key: Any, session: Session, compute: Callable[..., T]) -> T:
    """`compute(session=session)`, or its value from a moment ago."""
    seconds = request.app.state.config.statistics_cache_seconds
    if seconds <= 0:
        return compute(session=session)
    store: dict[Any, tuple[float, Any]] = getattr(request.app.state, "public_cache", None) or {}
    request.app.state.public_cache = store
    now = time.monotonic()
    found = store.get(key)
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[no-any-return]
    value = compute(session=session)
    store[key] = (now + seconds, value)
    return value


def statistic(
    request: Request, session: Session, dimension: Dimension, year: int | None
) -> Statistic:
    """The statistic, computed or as computed a moment ago."""
    lang = language(request)

    def compute(session: Session) -> Statistic:
        return statistics.statistic(session=session, dimension=dimension, year=year, lang=lang)

    return kept(request, ("statistic", dimension, year, lang), session, compute)
