"""Public notices: the proposed-task list, approved task lists, calls for applications, selection
results for their legal posting period, and the yearly list of accepted tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.audit import AuditEntry
from models.calls import Application, Call, CallItem
from models.contracts import Contract
from models.decisions import Decision, decision_tasks
from models.enums import (
    AcceptanceLevel,
    ApplicationStatus,
    CallStatus,
    DecisionKind,
    DocumentKind,
    Field,
    Method,
    ProposalStatus,
    Rating,
    TaskKind,
)
from models.people import Organisation, Person
from models.proposals import Proposal
from models.publicity import PUBLIC_CALL_STATUSES, proposal_details_public
from models.rules import required_application_documents
from models.search import TaskSearch
from models.services.catalogue import TaskRow, tasks_where
from models.services.errors import NotFoundError
from models.services.listing import OrganisationRef, PersonRef, organisation_ref, paging, person_ref
from models.tasks import Task

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class NoticeRules:
    """How long notices stay posted (settable: each province copies the rules in its decisions)."""

    # TT 20/2023/TT-BKHCN Đ16.2b: within 15 days of the approval decision the selection result
    # is announced and stays posted for at least 60 days. The circular binds the Ministry's own
    # tasks; provinces apply it through their decisions, hence a setting.
    selection_result_posting_days: int = 60
    # How many closed calls the calls page still lists (a page, not a rule).
    past_calls_shown: int = 20


DEFAULT_NOTICE_RULES = NoticeRules()


def _day(at: datetime) -> date:
    """The calendar day in Vietnam of a stored moment (SQLite returns it without a zone)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(VIETNAM).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VIETNAM).astimezone(UTC)


# --- step 1: proposals and the approved lists ------------------------------------------------


@dataclass(frozen=True)
class ProposalNotice:
    """A proposal in the proposed-task list; a withheld one shows its title only."""

    title: str
    year: int
    withheld: bool
    field: Field | None = None
    kind: TaskKind | None = None
    proposer: OrganisationRef | None = None
    status: ProposalStatus | None = None
    submitted_on: date | None = None
    task_code: str | None = None


def proposal_years(*, session: Session) -> list[int]:
    """Years with proposals, newest first."""
    return list(session.scalars(select(Proposal.year).distinct().order_by(Proposal.year.desc())))


def proposal_list(*, session: Session, year: int) -> list[ProposalNotice]:
    """The proposed-task list of a year (danh mục đề xuất), in order of submission."""
    rows = session.execute(
        select(Proposal, Organisation, Task.code)
        .outerjoin(Organisation, Organisation.id == Proposal.proposer_organisation_id)
        .outerjoin(Task, Task.proposal_id == Proposal.id)
        .where(Proposal.year == year)
        .order_by(Proposal.submitted_at, Proposal.id)
    )
    notices = []
    for proposal, org, code in rows:
        if not proposal_details_public(proposal.status):
            notices.append(ProposalNotice(title=proposal.title, year=proposal.year, withheld=True))
            continue
        notices.append(
            ProposalNotice(
                title=proposal.title,
                year=proposal.year,
                withheld=False,
                field=proposal.field,
                kind=proposal.kind,
                proposer=organisation_ref(org),
                status=proposal.status,
                submitted_on=_day(proposal.submitted_at),
                # the task of a proposal is public once the proposal is approved
                task_code=code if proposal.status is ProposalStatus.APPROVED else None,
            )
        )
    return notices


@dataclass(frozen=True)
class ListedTask:
    """A task of an approved list, with the decision that approved it."""

    task: TaskRow
    approved_on: date | None
    decision_number: str | None = None


@dataclass(frozen=True)
class ListedTaskPage:
    """One page of a year's approved task list."""

    items: list[ListedTask]
    total: int
    page: int
    per_page: int
    pages: int


def approved_list(
    *, session: Session, year: int, page: int = 1, per_page: int = 50
) -> ListedTaskPage:
    """The approved task list of a year (danh mục nhiệm vụ được phê duyệt), by code."""
    listed = (
        select(Task.id).join(TaskSearch, TaskSearch.task_id == Task.id).where(Task.year == year)
    )
    total = session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    window = paging(page, per_page, total)
    ids = list(session.scalars(listed.order_by(Task.code).limit(per_page).offset(window.offset)))
    # the list approval decision (NĐ 08/2014 Đ27.2): its number and the day it was signed
    approved: dict[int, tuple[str, date]] = {}
    for task_id, number, signed_on in session.execute(
        select(decision_tasks.c.task_id, Decision.number, Decision.signed_on)
        .join(Decision, Decision.id == decision_tasks.c.decision_id)
        .where(decision_tasks.c.task_id.in_(ids), Decision.kind == DecisionKind.LIST_APPROVAL)
        .order_by(Decision.signed_on, Decision.id)
    ):
        approved.setdefault(task_id, (number, signed_on))
    codes = dict(session.execute(select(Task.code, Task.id).where(Task.id.in_(ids))).all())
    rows = sorted(tasks_where(session=session, condition=Task.id.in_(ids)), key=lambda r: r.code)
    items = []
    for row in rows:
        number, signed_on = approved.get(codes[row.code], (None, None))
        items.append(ListedTask(task=row, approved_on=signed_on, decision_number=number))
    return ListedTaskPage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        pages=window.pages,
    )


# --- step 2: calls and selection results -----------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """The dossier an application for a kind of task must hold (TT 20/2023 forms)."""

    kind: TaskKind
    documents: list[DocumentKind]


@dataclass(frozen=True)
class CallNotice:
    """A call for applications, its deadline, tasks and dossier requirements."""

    id: int
    number: str
    title: str
    year: int
    opens_on: date
    closes_on: date
    status: CallStatus
    is_open: bool
    days_left: int | None
    tasks: list[TaskRow]
    requirements: list[Requirement]


def _public_calls():  # type: ignore[no-untyped-def]
    # a direct assignment is recorded as a call of its own; only real calls are notices
    offered = (
        exists()
        .where(CallItem.call_id == Call.id)
        .where(Task.id == CallItem.task_id, Task.method == Method.SELECTION)
    )
    return select(Call).where(Call.status.in_(PUBLIC_CALL_STATUSES), offered)


def _notice(session: Session, call: Call, today: date) -> CallNotice:
    tasks = tasks_where(
        session=session,
        condition=Task.id.in_(select(CallItem.task_id).where(CallItem.call_id == call.id)),
    )
    kinds = list(dict.fromkeys(t.kind for t in tasks))
    is_open = call.status is CallStatus.OPEN and call.opens_on <= today <= call.closes_on
    return CallNotice(
        id=call.id,
        number=call.number,
        title=call.title,
        year=call.year,
        opens_on=call.opens_on,
        closes_on=call.closes_on,
        status=call.status,
        is_open=is_open,
        days_left=(call.closes_on - today).days if is_open else None,
        tasks=sorted(tasks, key=lambda t: t.code),
        requirements=[
            Requirement(
                kind=kind,
                documents=sorted(required_application_documents(kind), key=lambda d: d.value),
            )
            for kind in kinds
        ],
    )


def list_calls(
    *,
    session: Session,
    today: date,
    notice_rules: NoticeRules = DEFAULT_NOTICE_RULES,
) -> tuple[list[CallNotice], list[CallNotice]]:
    """(open calls, closing soonest first; recent closed calls, newest first)."""
    calls = list(session.scalars(_public_calls().order_by(Call.closes_on.desc(), Call.id.desc())))
    notices = [_notice(session, call, today) for call in calls]
    open_ = sorted((n for n in notices if n.is_open), key=lambda n: (n.closes_on, n.id))
    past = [n for n in notices if not n.is_open][: notice_rules.past_calls_shown]
    return open_, past


def call_notice(*, session: Session, call_id: int, today: date) -> CallNotice:
    """One call for applications (a draft or a direct assignment: not found)."""
    call = session.scalar(_public_calls().where(Call.id == call_id))
    if call is None:
        raise NotFoundError(
            "call_not_found",
            f"Không có thông báo tuyển chọn số {call_id}.",
            f"There is no call for applications {call_id}.",
        )
    return _notice(session, call, today)


@dataclass(frozen=True)
class SelectionResult:
    """An approved selection or direct assignment, posted for the legal period."""

    task: TaskRow
    method: Method
    organisation: OrganisationRef | None
    leader: PersonRef | None
    decided_on: date
    posted_until: date
    budget: int | None
    starts_on: date | None
    ends_on: date | None


def selection_results(
    *, session: Session, today: date, rules: NoticeRules = DEFAULT_NOTICE_RULES
) -> list[SelectionResult]:
    """Selection results still within their posting period (TT 20/2023 Đ16.2b), newest first."""
    period = timedelta(days=rules.selection_result_posting_days)
    since = _start_of(today - period)
    decisions = session.execute(
        select(AuditEntry.task_id, AuditEntry.entity_id, AuditEntry.at)
        .where(AuditEntry.action == "selection.approve", AuditEntry.at >= since)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    decided: dict[int, tuple[int | None, datetime]] = {}
    for task_id, application_id, at in decisions:
        if task_id is not None:
            decided.setdefault(task_id, (application_id, at))
    if not decided:
        return []
    rows = {r.code: r for r in tasks_where(session=session, condition=Task.id.in_(decided))}
    by_id = dict(session.execute(select(Task.id, Task.code).where(Task.id.in_(decided))).all())
    contracts = {
        c.task_id: c for c in session.scalars(select(Contract).where(Contract.task_id.in_(decided)))
    }
    applications = {
        a.id: a
        for a in session.scalars(
            select(Application).where(
                Application.id.in_([app for app, _ in decided.values() if app is not None]),
                Application.status == ApplicationStatus.SELECTED,
            )
        )
    }
    results = []
    for task_id, (application_id, at) in decided.items():
        day = _day(at)
        row = rows.get(by_id.get(task_id, ""))
        if day + period < today or row is None:
            continue
        application = applications.get(application_id) if application_id else None
        if application is None:
            continue  # the result was cancelled since (TT 20/2023 Đ17): no longer posted
        contract = contracts.get(task_id)
        leader = person_ref(session.get(Person, application.principal_investigator_id))
        organisation = organisation_ref(session.get(Organisation, application.organisation_id))
        results.append(
            SelectionResult(
                task=row,
                method=row.method,
                organisation=organisation,
                leader=leader,
                decided_on=day,
                posted_until=day + period,
                budget=row.total_budget,
                starts_on=contract.starts_on if contract else None,
                ends_on=contract.ends_on if contract else None,
            )
        )
    return results


# --- step 4: accepted tasks ------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedTask:
    """A task accepted in a year, with the decision."""

    task: TaskRow
    decision_number: str
    decision_on: date
    rating: Rating


def acceptance_years(*, session: Session) -> list[int]:
    """Years in which acceptance decisions were taken, newest first."""
    days = session.scalars(
        select(AcceptanceDossier.decision_on)
        .where(AcceptanceDossier.decision_on.is_not(None))
        .distinct()
    )
    return sorted({d.year for d in days if d is not None}, reverse=True)


def accepted_tasks(*, session: Session, year: int) -> list[AcceptedTask]:
    """The year's list of accepted tasks (rated Đạt or Xuất sắc), in order of decision."""
    dossiers = list(
        session.scalars(
            select(AcceptanceDossier)
            .where(
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
                AcceptanceDossier.decision_on >= date(year, 1, 1),
                AcceptanceDossier.decision_on <= date(year, 12, 31),
                AcceptanceDossier.final_rating.in_([Rating.PASS, Rating.EXCELLENT]),
            )
            .order_by(AcceptanceDossier.decision_on, AcceptanceDossier.id)
        )
    )
    ids = [d.task_id for d in dossiers]
    codes = dict(session.execute(select(Task.id, Task.code).where(Task.id.in_(ids))).all())
    rows = {r.code: r for r in tasks_where(session=session, condition=Task.id.in_(ids))}
    return [
        AcceptedTask(
            task=rows[codes[d.task_id]],
            decision_number=d.decision_number or "",
            decision_on=d.decision_on,  # type: ignore[arg-type]
            rating=d.final_rating,  # type: ignore[arg-type]
        )
        for d in dossiers
        if codes.get(d.task_id) in rows
    ]
