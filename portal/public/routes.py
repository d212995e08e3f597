"""Public pages (no sign-in): each reads through a model service in one read-only transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from models.enums import Field, OrganisationKind, ResultStatus, Stage
from models.services import catalogue, directory, public_notices, statistics
from models.services.catalogue import TaskSort
from models.services.documents import read_file
from models.services.statistics import Dimension
from portal.public import cache, exports
from portal.public.inline import PublicRender, reads
from portal.public.params import (
    ListYearQuery,
    OrganisationQuery,
    PageQuery,
    PeopleQuery,
    TaskQuery,
    YearQuery,
    find_people,
    find_tasks,
    language,
    options,
    today,
)
from portal.rendering import Renderer

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _choose_year(asked: int | None, years: list[int]) -> int | None:
    """The year a yearly list shows: the one asked for, else the newest that has entries."""
    if asked is not None:
        return asked
    return years[0] if years else None


def _yearly(
    request: Request,
    render: Renderer,
    template: str,
    years: list[int],
    asked: int | None,
    items_of: Callable[[int], Sequence[Any]],
) -> HTMLResponse:
    """A yearly list's page: the year asked for (else the newest) and its items."""
    year = _choose_year(asked, years)
    items = items_of(year) if year is not None else []
    lang = language(request)
    return render.render(
        request, template, {"year": year, "years": options(years, lang), "items": items}
    )


@router.get("/", name="home")
@reads
def home(request: Request, session: Session, render: PublicRender) -> HTMLResponse:
    """The home page: what is happening now, open calls, newest results, a chart, search."""
    open_calls, _ = public_notices.list_calls(session=session, today=today())
    return render.render(
        request,
        "public/home.html",
        {
            "stages": statistics.stage_counts(session=session),
            "calls": open_calls[:5],
            "results": catalogue.published_results(session=session, per_page=5).items,
            "by_field": cache.statistic(request, session, Dimension.FIELD, None),
        },
    )


@router.get("/tasks", name="tasks")
@reads
def tasks(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[TaskQuery, Query()],
) -> HTMLResponse:
    """The task database: search without accents, filters, order, pages."""
    found = find_tasks(session, params)
    lang = language(request)
    return render.render(
        request,
        "public/tasks.html",
        {
            "found": found,
            "params": params,
            "sort": params.order(),
            "choices": {
                "fields": options(Field, lang),
                "stages": options(Stage, lang),
                "results": options(ResultStatus, lang),
                "sorts": list(TaskSort),
                "years": options(cache.kept(request, "years", session, catalogue.task_years), lang),
                "hosts": options(
                    cache.kept(request, "hosts", session, catalogue.host_organisations), lang
                ),
            },
        },
    )


@router.get("/tasks.csv", name="tasks_csv")
def tasks_csv(request: Request, params: Annotated[TaskQuery, Query()]) -> StreamingResponse:
    """Every task the search and filters find, as CSV (streamed)."""
    return exports.tasks_csv(request, params)


@router.get("/tasks/{code}", name="task")
@reads
def task(request: Request, code: str, session: Session, render: PublicRender) -> HTMLResponse:
    """A task's page: summary, team, budget, the 5-step timeline, registered results."""
    detail = catalogue.task_detail(session=session, code=code, lang=language(request))
    return render.render(request, "public/task.html", {"detail": detail})


@router.get("/documents/{document_id}", name="document")
@reads
def document(request: Request, document_id: int, session: Session) -> Response:
    """A public document of a published result (anything else is not found)."""
    stored = catalogue.public_document(session=session, document_id=document_id)
    content = read_file(root=Path(request.app.state.config.documents_dir), stored=stored)
    return Response(
        content,
        media_type=stored.content_type,
        headers={"Content-Disposition": exports.attachment(stored.original_name)},
    )


@router.get("/results", name="results")
@reads
def results(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[PageQuery, Query()],
) -> HTMLResponse:
    """The register of published results."""
    found = catalogue.published_results(session=session, page=params.page, per_page=params.per_page)
    return render.render(request, "public/results.html", {"found": found})


# --- notices -------------------------------------------------------------------------------


@router.get("/notices", name="notices")
@reads
def notices_index(request: Request, session: Session, render: PublicRender) -> HTMLResponse:
    """What the Department announces: lists, calls, selection results, accepted tasks."""
    open_calls, _ = public_notices.list_calls(session=session, today=today())
    return render.render(
        request,
        "public/notices.html",
        {
            "open_calls": open_calls,
            "selection_results": public_notices.selection_results(session=session, today=today()),
            "proposal_years": public_notices.proposal_years(session=session),
            "list_years": catalogue.task_years(session=session),
            "acceptance_years": public_notices.acceptance_years(session=session),
        },
    )


@router.get("/notices/proposals", name="proposals")
@reads
def proposals(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[YearQuery, Query()],
) -> HTMLResponse:
    """The proposed-task list of a year (danh mục đề xuất)."""
    return _yearly(
        request,
        render,
        "public/proposals.html",
        public_notices.proposal_years(session=session),
        params.year,
        lambda year: public_notices.proposal_list(session=session, year=year),
    )


@router.get("/notices/task-lists", name="task_lists")
@reads
def task_lists(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[ListYearQuery, Query()],
) -> HTMLResponse:
    """The approved task list of a year."""
    years = catalogue.task_years(session=session)
    year = _choose_year(params.year, years)
    found = (
        public_notices.approved_list(session=session, year=year, page=params.page)
        if year is not None
        else None
    )
    return render.render(
        request,
        "public/task_lists.html",
        {"year": year, "years": options(years, language(request)), "found": found},
    )


@router.get("/notices/calls", name="calls")
@reads
def calls(request: Request, session: Session, render: PublicRender) -> HTMLResponse:
    """Open calls for applications (deadlines, dossiers), then recent closed ones."""
    open_calls, past = public_notices.list_calls(session=session, today=today())
    return render.render(request, "public/calls.html", {"open_calls": open_calls, "past": past})


@router.get("/notices/calls/{call_id}", name="call")
@reads
def call(request: Request, call_id: int, session: Session, render: PublicRender) -> HTMLResponse:
    """One call for applications."""
    notice = public_notices.call_notice(session=session, call_id=call_id, today=today())
    return render.render(request, "public/call.html", {"call": notice})


@router.get("/notices/selection-results", name="selection_results")
@reads
def selection_results(request: Request, session: Session, render: PublicRender) -> HTMLResponse:
    """Selection results within their legal posting period."""
    return render.render(
        request,
        "public/selection_results.html",
        {
            "items": public_notices.selection_results(session=session, today=today()),
            "days": public_notices.DEFAULT_NOTICE_RULES.selection_result_posting_days,
        },
    )


@router.get("/notices/accepted", name="accepted")
@reads
def accepted(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[YearQuery, Query()],
) -> HTMLResponse:
    """The yearly list of accepted tasks."""
    return _yearly(
        request,
        render,
        "public/accepted.html",
        public_notices.acceptance_years(session=session),
        params.year,
        lambda year: public_notices.accepted_tasks(session=session, year=year),
    )


# --- experts, people, organisations ----------------------------------------------------------


@router.get("/experts", name="experts")
@reads
def experts(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[PeopleQuery, Query()],
) -> HTMLResponse:
    """The directory of experts and scientists with a public profile."""
    found = find_people(session, params)
    return render.render(
        request,
        "public/experts.html",
        {
            "found": found,
            "params": params,
            "fields": options(Field, language(request)),
            "organisations": options(
                cache.kept(request, "organisations", session, directory.organisation_refs),
                language(request),
            ),
        },
    )


@router.get("/people/{person_id}", name="person")
@reads
def person(
    request: Request, person_id: int, session: Session, render: PublicRender
) -> HTMLResponse:
    """A scientist's public profile."""
    profile = directory.person_profile(session=session, person_id=person_id)
    return render.render(request, "public/person.html", {"profile": profile})


@router.get("/organisations", name="organisations")
@reads
def organisations(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[OrganisationQuery, Query()],
) -> HTMLResponse:
    """Organisations and the tasks they host."""
    found = directory.list_organisations(
        session=session, kind=params.kind, page=params.page, per_page=params.per_page
    )
    return render.render(
        request,
        "public/organisations.html",
        {"found": found, "params": params, "kinds": options(OrganisationKind, language(request))},
    )


@router.get("/organisations/{organisation_id}", name="organisation")
@reads
def organisation(
    request: Request,
    organisation_id: int,
    session: Session,
    render: PublicRender,
    params: Annotated[PageQuery, Query()],
) -> HTMLResponse:
    """An organisation's page with its tasks."""
    profile = directory.organisation_profile(
        session=session,
        organisation_id=organisation_id,
        page=params.page,
        per_page=params.per_page,
    )
    return render.render(request, "public/organisation.html", {"org": profile})


# --- statistics ----------------------------------------------------------------------------


@router.get("/statistics", name="statistics")
@reads
def statistics_page(
    request: Request,
    session: Session,
    render: PublicRender,
    params: Annotated[YearQuery, Query()],
) -> HTMLResponse:
    """Statistics by field, year, organisation, step and funding: charts and tables."""
    return render.render(
        request,
        "public/statistics.html",
        {
            "year": params.year,
            "years": options(
                cache.kept(request, "years", session, catalogue.task_years), language(request)
            ),
            "stats": [
                cache.statistic(
                    request,
                    session,
                    dimension,
                    None if dimension is Dimension.YEAR else params.year,
                )
                for dimension in Dimension
            ],
        },
    )


@router.get("/statistics/{dimension}.csv", name="statistics_csv")
@reads
def statistics_csv(
    request: Request,
    dimension: Dimension,
    session: Session,
    params: Annotated[YearQuery, Query()],
) -> Response:
    """One statistic as CSV."""
    return exports.statistic_csv(request, cache.statistic(request, session, dimension, params.year))
