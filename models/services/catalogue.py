"""The public task database: search with filters and sorting, export, and one task's page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from models import search as search_module
from models.acceptance import AcceptanceDossier
from models.contracts import Contract
from models.documents import DossierDocument, StoredFile
from models.enums import (
    AcceptanceLevel,
    DocumentKind,
    Field,
    FundingSource,
    Method,
    Rating,
    ResultStatus,
    Stage,
    TaskKind,
    TaskMemberRole,
    TaskStatus,
)
from models.labels import Language
from models.people import Organisation, Person
from models.publicity import document_public
from models.registration import ResultRegistration
from models.search import (
    TASK_TEXT,
    SearchQuery,
    Segment,
    TaskSearch,
    count_matching,
    highlight,
    matching,
    page_matching,
    snippet,
    task_facets,
)
from models.services.errors import InvalidRequestError, NotFoundError
from models.services.listing import (
    OrganisationRef,
    PersonRef,
    honorific,
    organisation_ref,
    paging,
)
from models.tasks import BudgetLine, Task, TaskMember
from models.timeline import Timeline, timeline_of


class TaskSort(StrEnum):
    """Orders of the task list."""

    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"
    BUDGET_HIGH = "budget_high"
    BUDGET_LOW = "budget_low"


@dataclass(frozen=True)
class TaskFilters:
    """What the task list is narrowed to (None: any)."""

    field: Field | None = None
    year: int | None = None
    stage: Stage | None = None
    organisation_id: int | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    result: ResultStatus | None = None


@dataclass(frozen=True)
class TaskRow:
    """A task as lists show it."""

    code: str
    title: str
    year: int
    field: Field
    kind: TaskKind
    method: Method
    stage: Stage
    status: TaskStatus
    result: ResultStatus
    total_budget: int | None
    start_date: date | None
    end_date: date | None
    host: OrganisationRef | None
    leader: PersonRef | None


@dataclass(frozen=True)
class TaskHit:
    """A task found by a search, with the words that matched marked."""

    task: TaskRow
    title: list[Segment]
    summary: list[Segment]
    rank: float | None = None


@dataclass(frozen=True)
class TaskPage:
    """One page of the task list; `more`: more tasks match than `total` (counting stopped)."""

    items: list[TaskHit]
    total: int
    page: int
    per_page: int
    pages: int
    more: bool = False


Host = aliased(Organisation, name="host")
Leader = aliased(Person, name="leader")


def check_filters(*, session: Session, filters: TaskFilters) -> None:
    """Refuse filters that cannot mean anything (an unknown organisation, an empty range)."""
    if (
        filters.budget_min is not None
        and filters.budget_max is not None
        and filters.budget_min > filters.budget_max
    ):
        raise InvalidRequestError(
            "budget_range",
            "Kinh phí tối thiểu lớn hơn kinh phí tối đa.",
            "The minimum budget is above the maximum.",
        )
    if (
        filters.organisation_id is not None
        and session.get(Organisation, filters.organisation_id) is None
    ):
        raise InvalidRequestError(
            "unknown_organisation",
            f"Không có tổ chức số {filters.organisation_id}.",
            f"There is no organisation {filters.organisation_id}.",
        )


def _facets(filters: TaskFilters) -> list[str]:
    """The index tokens of the filters the full-text index answers by itself."""
    return task_facets(
        field=filters.field,
        year=filters.year,
        stage=filters.stage,
        organisation_id=filters.organisation_id,
        result=filters.result,
    )


def _budget(filters: TaskFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.budget_min is not None:
        found.append(TaskSearch.total_budget >= filters.budget_min)
    if filters.budget_max is not None:
        found.append(TaskSearch.total_budget <= filters.budget_max)
    return found


def _matching(
    session: Session, query: SearchQuery | None, filters: TaskFilters, sort: TaskSort
) -> tuple[Select[*tuple[Any, ...]], Any]:
    """(task ids with their rank, the rank column) of the tasks a search and filters select."""
    ranked = sort is TaskSort.RELEVANCE
    found = matching(session, TASK_TEXT, query, _facets(filters), ranked=ranked)
    # The index row holds every fact these orders and ranges need: the task row is not read.
    if found is not None:
        matches = found.subquery("matches")
        stmt = select(TaskSearch.task_id, matches.c.rank).join(
            matches, matches.c.id == TaskSearch.task_id
        )
        rank = matches.c.rank if ranked else None
    else:
        stmt = select(TaskSearch.task_id)
        rank = None
    budget = _budget(filters)
    if budget:
        stmt = stmt.where(*budget)
    return stmt, rank


def _order(sort: TaskSort, rank: Any) -> list[Any]:
    # "Newest" is the order tasks were approved in (ids grow with each year's list).
    key = TaskSearch.task_id
    if sort is TaskSort.RELEVANCE and rank is not None:
        return [rank.desc(), key.desc()]
    if sort is TaskSort.OLDEST:
        return [key]
    if sort is TaskSort.TITLE:
        return [TaskSearch.title_key, key]
    # Tasks without a budget last, as plain column orders an index can give (PostgreSQL reads
    # "highest first" from ix_task_search_budget_high, "lowest first" from the budget index).
    if sort is TaskSort.BUDGET_HIGH:
        return [TaskSearch.total_budget.desc().nulls_last(), key]
    if sort is TaskSort.BUDGET_LOW:
        return [TaskSearch.total_budget.asc().nulls_last(), key]
    return [key.desc()]


_ROW_COLUMNS = (
    Task.code,
    Task.title,
    Task.year,
    Task.field,
    Task.kind,
    Task.method,
    Task.stage,
    Task.status,
    TaskSearch.result,
    TaskSearch.total_budget,
    Task.start_date,
    Task.end_date,
    Host.id,
    Host.name,
    Host.short_name,
    Leader.id,
    Leader.full_name,
    Leader.degree,
    Leader.academic_title,
    Leader.public_profile,
)


def _rows(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """The list columns of the tasks `stmt` selects (it selects from tasks and task_search)."""
    return stmt.outerjoin(Host, Host.id == Task.host_organisation_id).outerjoin(
        Leader, Leader.id == Task.principal_investigator_id
    )


def _task_row(values: Any) -> TaskRow:
    (code, title, year, field_, kind, method, stage, status, result, budget, start, end) = values[
        :12
    ]
    host_id, host_name, host_short, leader_id, leader_name, degree, title_, public = values[12:20]
    return TaskRow(
        code=code,
        title=title,
        year=year,
        field=field_,
        kind=kind,
        method=method,
        stage=stage,
        status=status,
        result=result,
        total_budget=budget,
        start_date=start,
        end_date=end,
        host=OrganisationRef(host_id, host_name, host_short) if host_id is not None else None,
        leader=(
            PersonRef(leader_name, honorific(degree, title_), leader_id if public else None)
            if leader_id is not None
            else None
        ),
    )


_PAGE_ROWS = _rows(
    select(*_ROW_COLUMNS, Task.id, Task.objectives).select_from(Task).join(TaskSearch)
).where(Task.id.in_(bindparam("ids", expanding=True)))


def _counted(total: int) -> tuple[int, bool]:
    """(total shown, whether more match): a count that passed the limit stops at it."""
    limit = search_module.COUNT_LIMIT
    return (limit, True) if total > limit else (total, False)


def _page_ids(
    session: Session,
    query: SearchQuery | None,
    filters: TaskFilters,
    sort: TaskSort,
    page: int,
    per_page: int,
) -> tuple[list[tuple[int, float | None]], int, bool, int]:
    """(ids and ranks of one page, total, more, pages): from the index alone when it can."""
    facets = _facets(filters)
    limit = search_module.COUNT_LIMIT
    if not _budget(filters) and sort in (TaskSort.RELEVANCE, TaskSort.NEWEST, TaskSort.OLDEST):
        counted = count_matching(session, TASK_TEXT, query, facets, limit=limit)
        newest_first = sort is not TaskSort.OLDEST
        if counted is None:  # no search, no filter: every public task, counted exactly
            key = TaskSearch.task_id
            total = session.scalar(select(func.count()).select_from(TaskSearch)) or 0
            window = paging(page, per_page, total)
            ids = session.scalars(
                select(key)
                .order_by(key.desc() if newest_first else key)
                .limit(per_page)
                .offset(window.offset)
            )
            return [(i, None) for i in ids], total, False, window.pages
        total, more = _counted(counted)
        window = paging(page, per_page, total)
        found = page_matching(
            session,
            TASK_TEXT,
            query,
            facets,
            ranked=sort is TaskSort.RELEVANCE,
            newest_first=newest_first,
            offset=window.offset,
            limit=per_page,
            matched=counted,
        )
        return found, total, more, window.pages
    # A budget range or an order by title or budget needs the rows themselves.
    stmt, rank = _matching(session, query, filters, sort)
    counted = session.scalar(select(func.count()).select_from(stmt.limit(limit + 1).subquery()))
    total, more = _counted(counted or 0)
    window = paging(page, per_page, total)
    ordered = stmt.order_by(*_order(sort, rank)).limit(per_page).offset(window.offset)
    rows = session.execute(ordered).all()
    found = [(r[0], float(r[1]) if rank is not None else None) for r in rows]
    return found, total, more, window.pages


def search_tasks(
    *,
    session: Session,
    query: SearchQuery | None = None,
    filters: TaskFilters = TaskFilters(),
    sort: TaskSort = TaskSort.RELEVANCE,
    page: int = 1,
    per_page: int = 20,
) -> TaskPage:
    """One page of the tasks a search and filters find, best matches first by default."""
    check_filters(session=session, filters=filters)
    ids, total, more, pages = _page_ids(session, query, filters, sort, page, per_page)
    wanted = {"ids": [i for i, _ in ids]}
    rows = {values[20]: values for values in session.connection().execute(_PAGE_ROWS, wanted)}
    items = []
    for task_id, rank in ids:
        values = rows[task_id]
        task = _task_row(values)
        items.append(
            TaskHit(
                task=task,
                title=highlight(task.title, query),
                summary=snippet(values[21], query),
                rank=rank,
            )
        )
    return TaskPage(items=items, total=total, page=page, per_page=per_page, pages=pages, more=more)


def export_tasks(
    *,
    session: Session,
    query: SearchQuery | None = None,
    filters: TaskFilters = TaskFilters(),
    sort: TaskSort = TaskSort.RELEVANCE,
    batch: int = 1000,
) -> Iterator[TaskRow]:
    """Every task a search and filters find, in the list's order (for the CSV export)."""
    check_filters(session=session, filters=filters)
    matching, rank = _matching(session, query, filters, sort)
    with_tasks = matching.join(Task, Task.id == TaskSearch.task_id)
    stmt = _rows(with_tasks.with_only_columns(*_ROW_COLUMNS)).order_by(*_order(sort, rank))
    for values in session.execute(stmt.execution_options(yield_per=batch)):
        yield _task_row(values)


def tasks_where(
    *, session: Session, condition: ColumnElement[bool], limit: int | None = None
) -> list[TaskRow]:
    """Tasks meeting a condition on the tasks table, newest first (profiles list them)."""
    stmt = _rows(select(*_ROW_COLUMNS).select_from(Task).join(TaskSearch)).where(condition)
    stmt = stmt.order_by(Task.year.desc(), Task.id.desc()).limit(limit)
    return [_task_row(values) for values in session.execute(stmt)]


def task_years(*, session: Session) -> list[int]:
    """The years that have public tasks, newest first (the year filter's choices)."""
    # the year index gives the few years at once; one probe each keeps those with public tasks
    years = session.scalars(select(Task.year).distinct().order_by(Task.year.desc())).all()
    public = exists().where(Task.id == TaskSearch.task_id, Task.year == bindparam("year"))
    return [y for y in years if session.scalar(select(public), {"year": y})]


def host_organisations(*, session: Session) -> list[OrganisationRef]:
    """Organisations hosting at least one task, by name (the host filter's choices)."""
    # per organisation a probe of the host index: far fewer organisations than tasks
    hosts = exists().where(
        Task.host_organisation_id == Organisation.id, TaskSearch.task_id == Task.id
    )
    rows = session.execute(
        select(Organisation.id, Organisation.name, Organisation.short_name)
        .where(hosts)
        .order_by(Organisation.name)
    )
    return [OrganisationRef(id=i, name=n, short_name=s) for i, n, s in rows]


# --- one task -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A person on the task's team."""

    person: PersonRef
    role: TaskMemberRole


@dataclass(frozen=True)
class Funding:
    """The budget from one source."""

    source: FundingSource
    amount: int


@dataclass(frozen=True)
class ContractInfo:
    """The public facts of the task's contract."""

    number: str
    signed_on: date | None
    starts_on: date
    ends_on: date
    value: int


@dataclass(frozen=True)
class AcceptanceDecision:
    """The Director's acceptance decision."""

    decision_number: str
    decision_on: date | None
    rating: Rating | None


@dataclass(frozen=True)
class PublicDocument:
    """A document of a published result that anyone may download."""

    id: int
    kind: DocumentKind
    name: str
    size: int


@dataclass(frozen=True)
class RegisteredResult:
    """A registered result and, once published, its public documents."""

    title: str
    submitted_on: date
    certificate_number: str | None
    certificate_issued_on: date | None
    published_on: date | None
    documents: list[PublicDocument] = field(default_factory=list)


@dataclass(frozen=True)
class TaskDetail:
    """Everything public about one task."""

    task: TaskRow
    objectives: str
    expected_results: str
    members: list[Member]
    funding: list[Funding]
    contract: ContractInfo | None
    acceptance: AcceptanceDecision | None
    results: list[RegisteredResult]
    timeline: Timeline


def _not_found(code: str) -> NotFoundError:
    return NotFoundError(
        "task_not_found",
        f"Không có nhiệm vụ mã {code}.",
        f"There is no task with code {code}.",
    )


# The statements of a task's page, built once: a page is read far more often than anything
# changes, and building and ORM-executing seven statements cost more than running them.
_TASK_ROW = _rows(select(*_ROW_COLUMNS).select_from(Task).join(TaskSearch)).where(
    Task.code == bindparam("code")
)
_TASK_DETAIL = _rows(
    select(
        *_ROW_COLUMNS,
        Task.id,
        Task.proposal_id,
        Task.objectives,
        Task.expected_results,
        Contract.number,
        Contract.signed_on,
        Contract.starts_on,
        Contract.ends_on,
        Contract.value,
        AcceptanceDossier.decision_number,
        AcceptanceDossier.decision_on,
        AcceptanceDossier.final_rating,
    )
    .select_from(Task)
    .join(TaskSearch)
    .outerjoin(Contract, Contract.task_id == Task.id)
    .outerjoin(
        AcceptanceDossier,
        and_(
            AcceptanceDossier.task_id == Task.id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            AcceptanceDossier.decision_number.is_not(None),
        ),
    )
).where(Task.code == bindparam("code"))
_MEMBERS = (
    select(
        Person.id,
        Person.full_name,
        Person.degree,
        Person.academic_title,
        Person.public_profile,
        TaskMember.role,
    )
    .join(TaskMember, TaskMember.person_id == Person.id)
    .where(TaskMember.task_id == bindparam("task_id"))
    .order_by(TaskMember.role != TaskMemberRole.PRINCIPAL_INVESTIGATOR, TaskMember.id)
)
_FUNDING = (
    select(BudgetLine.source, BudgetLine.amount)
    .where(BudgetLine.task_id == bindparam("task_id"))
    .order_by(BudgetLine.id)
)
_REGISTRATIONS = (
    select(
        ResultRegistration.id,
        ResultRegistration.title,
        ResultRegistration.submitted_on,
        ResultRegistration.certificate_number,
        ResultRegistration.certificate_issued_on,
        ResultRegistration.published_on,
    )
    .where(ResultRegistration.task_id == bindparam("task_id"))
    .order_by(ResultRegistration.id)
)
_DOCUMENTS = (
    select(
        DossierDocument.registration_id,
        DossierDocument.id,
        DossierDocument.kind,
        StoredFile.original_name,
        StoredFile.size,
    )
    .join(StoredFile, StoredFile.id == DossierDocument.stored_file_id)
    .where(DossierDocument.registration_id.in_(bindparam("registrations", expanding=True)))
    .order_by(DossierDocument.id)
)


def task_row(*, session: Session, code: str) -> TaskRow:
    """A task as lists show it, by its code."""
    found = session.connection().execute(_TASK_ROW, {"code": code}).first()
    if found is None:
        raise _not_found(code)
    return _task_row(found)


def task_detail(*, session: Session, code: str, lang: Language = "vi") -> TaskDetail:
    """The public page of a task: summary, team, budget, timeline and registered results."""
    reads = session.connection()
    # one read for the task and its one-to-one facts
    found = reads.execute(_TASK_DETAIL, {"code": code}).first()
    if found is None:
        raise _not_found(code)
    row = _task_row(found)
    task_id, proposal_id, objectives, expected = found[20:24]
    number, signed_on, starts_on, ends_on, value = found[24:29]
    decision_number, decision_on, rating = found[29:32]
    members = [
        Member(person=PersonRef(name, honorific(degree, title), pid if public else None), role=role)
        for pid, name, degree, title, public, role in reads.execute(_MEMBERS, {"task_id": task_id})
    ]
    funding = [
        Funding(source=source, amount=amount)
        for source, amount in reads.execute(_FUNDING, {"task_id": task_id})
    ]
    return TaskDetail(
        task=row,
        objectives=objectives,
        expected_results=expected,
        members=members,
        funding=funding,
        contract=(
            ContractInfo(
                number=number,
                signed_on=signed_on,
                starts_on=starts_on,
                ends_on=ends_on,
                value=value,
            )
            if signed_on is not None
            else None
        ),
        acceptance=(
            AcceptanceDecision(
                decision_number=decision_number, decision_on=decision_on, rating=rating
            )
            if decision_number is not None
            else None
        ),
        results=_results(session, task_id),
        timeline=timeline_of(
            session=session,
            task_id=task_id,
            proposal_id=proposal_id,
            stage=row.stage,
            status=row.status,
            method=row.method,
            lang=lang,
        ),
    )


def _results(session: Session, task_id: int) -> list[RegisteredResult]:
    reads = session.connection()
    registrations = reads.execute(_REGISTRATIONS, {"task_id": task_id}).all()
    documents: dict[int | None, list[PublicDocument]] = {}
    published = [r.id for r in registrations if r.published_on is not None]
    if published:
        for registration_id, doc_id, kind, name, size in reads.execute(
            _DOCUMENTS, {"registrations": published}
        ):
            if document_public(kind, result_published=True):
                documents.setdefault(registration_id, []).append(
                    PublicDocument(id=doc_id, kind=kind, name=name, size=size)
                )
    return [
        RegisteredResult(
            title=r.title,
            submitted_on=r.submitted_on,
            certificate_number=r.certificate_number,
            certificate_issued_on=r.certificate_issued_on,
            published_on=r.published_on,
            documents=documents.get(r.id, []),
        )
        for r in registrations
    ]


def public_document(*, session: Session, document_id: int) -> StoredFile:
    """The stored file of a public document of a published result (anything else: not found)."""
    found = session.execute(
        select(DossierDocument, StoredFile, ResultRegistration.published_on)
        .join(StoredFile, StoredFile.id == DossierDocument.stored_file_id)
        .join(ResultRegistration, ResultRegistration.id == DossierDocument.registration_id)
        .where(DossierDocument.id == document_id)
    ).first()
    if found is None or not document_public(found[0].kind, found[2] is not None):
        raise NotFoundError(
            "document_not_found",
            f"Không có tài liệu công khai số {document_id}.",
            f"There is no public document {document_id}.",
        )
    return found[1]  # type: ignore[no-any-return]


# --- the register of results -----------------------------------------------------------------


@dataclass(frozen=True)
class PublishedResult:
    """A published result in the register."""

    title: str
    certificate_number: str | None
    published_on: date
    task_code: str
    task_title: str
    host: OrganisationRef | None


@dataclass(frozen=True)
class ResultPage:
    """One page of the register of published results."""

    items: list[PublishedResult]
    total: int
    page: int
    per_page: int
    pages: int


def published_results(*, session: Session, page: int = 1, per_page: int = 20) -> ResultPage:
    """Published results, newest first (the register, and the home page's latest)."""
    published = ResultRegistration.published_on.is_not(None)
    total = (
        session.scalar(select(func.count()).select_from(ResultRegistration).where(published)) or 0
    )
    window = paging(page, per_page, total)
    rows = session.execute(
        select(ResultRegistration, Task.code, Task.title, Organisation)
        .join(Task, Task.id == ResultRegistration.task_id)
        .join(TaskSearch, TaskSearch.task_id == Task.id)
        .outerjoin(Organisation, Organisation.id == Task.host_organisation_id)
        .where(published)
        .order_by(ResultRegistration.published_on.desc(), ResultRegistration.id.desc())
        .limit(per_page)
        .offset(window.offset)
    )
    items = [
        PublishedResult(
            title=r.title,
            certificate_number=r.certificate_number,
            published_on=r.published_on,  # type: ignore[arg-type]
            task_code=code,
            task_title=title,
            host=organisation_ref(org),
        )
        for r, code, title, org in rows
    ]
    return ResultPage(items=items, total=total, page=page, per_page=per_page, pages=window.pages)
