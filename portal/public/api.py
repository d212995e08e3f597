"""The public JSON API, /api/v1: the same public data as the pages, paginated, in the OpenAPI.

Responses are the model services' own dataclasses, so the API can never show a field the
public pages do not (models/publicity.py decides for both). Labels the services write (the
timeline's words, statistic groups) follow `?lang=` like the pages; codes never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from models.services import catalogue, directory, public_notices, statistics
from models.services.statistics import Dimension
from portal.public import cache
from portal.public.inline import reads
from portal.public.params import (
    OrganisationQuery,
    PageQuery,
    PeopleQuery,
    TaskQuery,
    YearQuery,
    find_people,
    find_tasks,
    language,
    today,
)

router = APIRouter(prefix="/api/v1", tags=["public data"])


@router.get("/tasks", response_model=catalogue.TaskPage, summary="Search the task database")
@reads
def tasks(session: Session, params: Annotated[TaskQuery, Query()]) -> catalogue.TaskPage:
    """Tasks found by a search text (accents optional) and filters; `title` and `summary`
    carry the matched words marked as segments."""
    return find_tasks(session, params)


@router.get("/tasks/{code}", response_model=catalogue.TaskDetail, summary="One task")
@reads
def task(request: Request, code: str, session: Session) -> catalogue.TaskDetail:
    """A task with its team, budget, 5-step timeline and registered results."""
    return catalogue.task_detail(session=session, code=code, lang=language(request))


@router.get("/people", response_model=directory.PeoplePage, summary="The experts directory")
@reads
def people(session: Session, params: Annotated[PeopleQuery, Query()]) -> directory.PeoplePage:
    """Experts and scientists with a public profile, by search text, field and organisation."""
    return find_people(session, params)


@router.get("/people/{person_id}", response_model=directory.Profile, summary="One profile")
@reads
def person(person_id: int, session: Session) -> directory.Profile:
    """A public profile: degrees, expertise, positions, tasks led or joined, results."""
    return directory.person_profile(session=session, person_id=person_id)


@router.get("/organisations", response_model=directory.OrganisationPage, summary="Organisations")
@reads
def organisations(
    session: Session, params: Annotated[OrganisationQuery, Query()]
) -> directory.OrganisationPage:
    """Organisations by name, with how many tasks each hosts."""
    return directory.list_organisations(
        session=session, kind=params.kind, page=params.page, per_page=params.per_page
    )


@router.get(
    "/organisations/{organisation_id}",
    response_model=directory.OrganisationProfile,
    summary="One organisation",
)
@reads
def organisation(
    organisation_id: int, session: Session, params: Annotated[PageQuery, Query()]
) -> directory.OrganisationProfile:
    """An organisation with a page of the tasks it hosts and its listed experts."""
    return directory.organisation_profile(
        session=session,
        organisation_id=organisation_id,
        page=params.page,
        per_page=params.per_page,
    )


@router.get("/statistics/{dimension}", response_model=statistics.Statistic, summary="Statistics")
@reads
def statistic(
    request: Request,
    dimension: Dimension,
    session: Session,
    params: Annotated[YearQuery, Query()],
) -> statistics.Statistic:
    """Tasks and funding grouped by field, year, organisation, step or funding band."""
    return cache.statistic(request, session, dimension, params.year)


@dataclass(frozen=True)
class CallList:
    """Open calls (closing soonest first) and recent closed ones."""

    open: list[public_notices.CallNotice]
    past: list[public_notices.CallNotice]


@router.get("/calls", response_model=CallList, summary="Calls for applications")
@reads
def calls(session: Session) -> CallList:
    """Calls for applications with their tasks, deadlines and dossier requirements."""
    open_calls, past = public_notices.list_calls(session=session, today=today())
    return CallList(open=open_calls, past=past)


@router.get(
    "/selection-results",
    response_model=list[public_notices.SelectionResult],
    summary="Selection results being posted",
)
@reads
def selection_results(session: Session) -> list[public_notices.SelectionResult]:
    """Selection results within their legal posting period (TT 20/2023/TT-BKHCN Đ16.2b)."""
    return public_notices.selection_results(session=session, today=today())


@router.get("/results", response_model=catalogue.ResultPage, summary="Published results")
@reads
def results(session: Session, params: Annotated[PageQuery, Query()]) -> catalogue.ResultPage:
    """The register of published results, newest first."""
    return catalogue.published_results(session=session, page=params.page, per_page=params.per_page)
