"""Query parameters of the public pages and the API, validated once for both.

A filter left empty in an HTML form arrives as `name=`: it means "any", not an error. Anything
else that does not fit (page=-1, an unknown field, a 10 KB search text) is refused by
validation with a 400 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from models.enums import Field as ScienceField
from models.enums import OrganisationKind, ResultStatus, Stage
from models.labels import Language, label
from models.search import MAX_QUERY_LENGTH, SearchQuery, parse_query
from models.services import catalogue, directory
from models.services.catalogue import TaskFilters, TaskSort
from models.services.listing import MAX_PAGE

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MILLION = 1_000_000
MIN_YEAR, MAX_YEAR = 1990, 2100


class PublicQuery(BaseModel):
    """Base of the query models: an empty parameter is as good as an absent one."""

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data


class PageQuery(PublicQuery):
    """Which page of a list, and how long a page is."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=100, description="Items per page (at most 100).")


class TaskQuery(PageQuery):
    """The task database's search, filters and order."""

    q: str | None = Field(
        None,
        max_length=MAX_QUERY_LENGTH,
        description="Search text; accents optional ('nong nghiep' finds 'nông nghiệp', đ = d).",
    )
    field: ScienceField | None = Field(None, description="Field of science and technology.")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Year of the task list.")
    stage: Stage | None = Field(None, description="The step the task is at.")
    organisation: int | None = Field(None, ge=1, description="Host organisation id.")
    funding_min: int | None = Field(
        None, ge=0, le=10**7, description="Total budget at least, in millions of dong."
    )
    funding_max: int | None = Field(
        None, ge=0, le=10**7, description="Total budget at most, in millions of dong."
    )
    result: ResultStatus | None = Field(None, description="Where the results stand.")
    sort: TaskSort | None = Field(
        None, description="Order (default: relevance with a search text, else newest)."
    )

    def search(self) -> SearchQuery | None:
        """The parsed search text (refused when too wordy)."""
        return parse_query(self.q)

    def filters(self) -> TaskFilters:
        """The filters as the catalogue service takes them."""
        return TaskFilters(
            field=self.field,
            year=self.year,
            stage=self.stage,
            organisation_id=self.organisation,
            budget_min=self.funding_min * MILLION if self.funding_min is not None else None,
            budget_max=self.funding_max * MILLION if self.funding_max is not None else None,
            result=self.result,
        )

    def order(self) -> TaskSort:
        """The order asked for, or the natural one."""
        if self.sort is not None:
            return self.sort
        return TaskSort.RELEVANCE if self.q and self.q.strip() else TaskSort.NEWEST


class PeopleQuery(PageQuery):
    """The directory's search and filters."""

    q: str | None = Field(
        None, max_length=MAX_QUERY_LENGTH, description="Name, expertise or organisation."
    )
    field: ScienceField | None = Field(None, description="Field of expertise.")
    organisation: int | None = Field(None, ge=1, description="Current organisation id.")

    def search(self) -> SearchQuery | None:
        """The parsed search text (refused when too wordy)."""
        return parse_query(self.q)


class OrganisationQuery(PageQuery):
    """The organisations list."""

    per_page: int = Field(50, ge=1, le=100, description="Items per page (at most 100).")
    kind: OrganisationKind | None = Field(None, description="Kind of organisation.")


class YearQuery(PublicQuery):
    """An optional year."""

    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Only this year.")


class ListYearQuery(YearQuery):
    """A year and a page."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")


def find_tasks(session: Session, params: TaskQuery) -> catalogue.TaskPage:
    """The page of tasks the query asks for (the same for the page and the API)."""
    return catalogue.search_tasks(
        session=session,
        query=params.search(),
        filters=params.filters(),
        sort=params.order(),
        page=params.page,
        per_page=params.per_page,
    )


def find_people(session: Session, params: PeopleQuery) -> directory.PeoplePage:
    """The page of the directory the query asks for (the same for the page and the API)."""
    return directory.search_people(
        session=session,
        query=params.search(),
        field=params.field,
        organisation_id=params.organisation,
        page=params.page,
        per_page=params.per_page,
    )


def options(items: Iterable[Any], lang: Language) -> list[tuple[Any, str]]:
    """(value, text) pairs of a filter's choices: enums with their labels, organisations with
    their names, years as they are (made here: a template would take longer)."""
    found: list[tuple[Any, str]] = []
    for item in items:
        if isinstance(item, Enum):
            found.append((item.value, label(item, lang)))
        elif isinstance(item, int):
            found.append((item, str(item)))
        else:
            found.append((item.id, item.name))
    return found


def language(request: Request) -> Language:
    """The request's language, for labels the services write."""
    return "en" if getattr(request.state, "language", "vi") == "en" else "vi"


def today() -> date:
    """Today in Vietnam (deadlines and posting periods are Vietnamese days)."""
    return datetime.now(VIETNAM).date()
