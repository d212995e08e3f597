"""Aggregate statistics of S&T tasks: by field, year, host organisation, step and funding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from models.enums import Field, Stage
from models.labels import Language, label
from models.people import Organisation
from models.search import TaskSearch
from models.tasks import Task


class Dimension(StrEnum):
    """What the tasks are counted by."""

    FIELD = "field"
    YEAR = "year"
    ORGANISATION = "organisation"
    STAGE = "stage"
    FUNDING = "funding"


# Funding bands in dong: (lower bound inclusive, upper bound exclusive or None).
FUNDING_BANDS: list[tuple[int, int | None]] = [
    (0, 300_000_000),
    (300_000_000, 500_000_000),
    (500_000_000, 1_000_000_000),
    (1_000_000_000, 2_000_000_000),
    (2_000_000_000, None),
]
# The group of tasks without a value yet (no host, no budget).
_NONE = "none"


@dataclass(frozen=True)
class StatRow:
    """One group: its key (stable, for links and CSV), its words, tasks and funding."""

    key: str
    label: str
    tasks: int
    funding: int


@dataclass(frozen=True)
class Statistic:
    """Tasks counted by one dimension (optionally within one year)."""

    dimension: Dimension
    year: int | None
    rows: list[StatRow]
    total_tasks: int
    total_funding: int


def _millions(amount: int) -> str:
    return f"{amount // 1_000_000:,}".replace(",", ".")


def band_label(low: int, high: int | None, lang: Language) -> str:
    """The words of a funding band, in millions of dong."""
    if high is None:
        return f"≥ {_millions(low)} tr.đ" if lang == "vi" else f"≥ {_millions(low)} M VND"
    if lang == "vi":
        return f"{_millions(low)} – < {_millions(high)} tr.đ"
    return f"{_millions(low)} – < {_millions(high)} M VND"


def _band_key(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}-"


def _band() -> ColumnElement[str]:
    budget = TaskSearch.total_budget
    whens: list[Any] = [(budget.is_(None), _NONE)]
    for low, high in FUNDING_BANDS:
        condition = budget >= low if high is None else (budget >= low) & (budget < high)
        whens.append((condition, _band_key(low, high)))
    return case(*whens, else_=_NONE)


def _grouped(
    session: Session, base: Select[*tuple[Any, ...]], key: Any, funding: Any
) -> dict[Any, tuple[int, int]]:
    """{group key: (tasks, funding)} of the tasks `base` selects."""
    stmt = base.with_only_columns(key, func.count(Task.id), funding).group_by(key)
    return {k: (int(n), int(m)) for k, n, m in session.execute(stmt)}


def statistic(
    *, session: Session, dimension: Dimension, year: int | None = None, lang: Language = "vi"
) -> Statistic:
    """Tasks and their funding grouped by `dimension` (within `year` when given)."""
    funding = func.coalesce(func.sum(TaskSearch.total_budget), 0)
    base = select(func.count(Task.id), funding).join(TaskSearch, TaskSearch.task_id == Task.id)
    if year is not None:
        base = base.where(Task.year == year)
    rows: list[StatRow]
    if dimension is Dimension.FIELD:
        by_field = _grouped(session, base, Task.field, funding)
        rows = [StatRow(f.value, label(f, lang), *by_field.get(f, (0, 0))) for f in Field]
    elif dimension is Dimension.STAGE:
        by_stage = _grouped(session, base, Task.stage, funding)
        rows = [StatRow(s.value, label(s, lang), *by_stage.get(s, (0, 0))) for s in Stage]
    elif dimension is Dimension.YEAR:
        rows = [
            StatRow(str(y), str(y), int(n), int(m or 0))
            for y, n, m in session.execute(
                base.with_only_columns(Task.year, func.count(Task.id), funding)
                .group_by(Task.year)
                .order_by(Task.year)
            )
        ]
    elif dimension is Dimension.ORGANISATION:
        rows = [
            StatRow(str(i), name, int(n), int(m or 0))
            for i, name, n, m in session.execute(
                base.with_only_columns(
                    Organisation.id, Organisation.name, func.count(Task.id), funding
                )
                .join(Organisation, Organisation.id == Task.host_organisation_id)
                .group_by(Organisation.id, Organisation.name)
                .order_by(func.count(Task.id).desc(), Organisation.name)
            )
        ]
        unhosted = session.execute(base.where(Task.host_organisation_id.is_(None))).one()
        if unhosted[0]:
            words = "Chưa có tổ chức chủ trì" if lang == "vi" else "No host yet"
            rows.append(StatRow(_NONE, words, int(unhosted[0]), int(unhosted[1] or 0)))
    else:
        found_bands = _grouped(session, base, _band(), funding)
        rows = []
        for low, high in FUNDING_BANDS:
            key = _band_key(low, high)
            rows.append(StatRow(key, band_label(low, high, lang), *found_bands.get(key, (0, 0))))
        if _NONE in found_bands:
            rows.append(
                StatRow(
                    _NONE,
                    "Chưa có kinh phí" if lang == "vi" else "No budget yet",
                    *found_bands[_NONE],
                )
            )
    return Statistic(
        dimension=dimension,
        year=year,
        rows=rows,
        total_tasks=sum(r.tasks for r in rows),
        total_funding=sum(r.funding for r in rows),
    )


def stage_counts(*, session: Session) -> dict[Stage, int]:
    """How many public tasks are at each step now (the home page)."""
    found = dict(
        session.execute(
            select(Task.stage, func.count())
            .join(TaskSearch, TaskSearch.task_id == Task.id)
            .group_by(Task.stage)
        ).all()
    )
    return {stage: int(found.get(stage, 0)) for stage in Stage}
