"""Step 2: calls for applications, direct assignment, opening the dossiers, ranking, the
approval decision and its cancellation, a second call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.audit import AuditEntry
from models.calls import Application, ApplicationMember, Call, CallItem
from models.contracts import Contract
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    ApplicationStatus,
    CallStatus,
    ContractStatus,
    DecisionKind,
    Method,
    Rating,
    Stage,
    TaskMemberRole,
    TaskStatus,
)
from models.labels import label
from models.people import Affiliation, Person
from models.rules import (
    VIETNAM,
    Ranking,
    SelectionOutcome,
    TieFacts,
    WorkingCalendar,
    add_months,
    call_closes_on,
    missing_application_documents,
    rank_applications,
    second_call_allowed,
)
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.decisions import record_decision, restrictions_on
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.meetings import scored_outcome
from models.services.notices import Notice, to_host, vn_date
from models.services.tasks import add_task_member, edition_of, task_by_code
from models.tasks import Task

# A host or investigator with a task rated Xuất sắc in this many years wins a tie (Đ11.8b).
PRIOR_EXCELLENT_YEARS = 5


def call_number(task: Task, call_round: int) -> str:
    """The call's number: one per task and round, so a repeated job finds the same call."""
    return f"TB-{task.code}-L{call_round}"


def direct_number(task: Task) -> str:
    """The number of a direct assignment's own (closed) call."""
    return f"GTT-{task.code}"


def open_call(
    *,
    session: Session,
    number: str,
    title: str,
    year: int,
    opens_on: date,
    closes_on: date,
    task_ids: Sequence[int],
    reopens_call_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Call:
    """Publish a call for applications for some tasks; they move to step 2 (idempotent)."""
    if closes_on < opens_on:
        raise DomainError(
            "call_dates", "Ngày đóng trước ngày mở.", "The call closes before it opens."
        )
    existing = session.scalar(select(Call).where(Call.number == number))
    if existing is not None:
        return existing
    call = Call(
        number=number,
        title=title[:500],
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        status=CallStatus.OPEN,
        reopens_call_id=reopens_call_id,
    )
    for task_id in task_ids:
        task = get_or_raise(session, Task, task_id)
        task.stage, task.status = Stage.SELECTION, TaskStatus.SELECTING
        call.items.append(CallItem(task_id=task_id))
    if reopens_call_id is not None:
        get_or_raise(session, Call, reopens_call_id).status = CallStatus.CLOSED
    session.add(call)
    session.flush()
    for task_id in task_ids:
        record_audit(
            session=session,
            action="call.open",
            entity_type="call",
            entity_id=call.id,
            actor=actor,
            task_id=task_id,
            stage=Stage.SELECTION,
            details={"number": number, "reopens_call_id": reopens_call_id},
        )
    return call


def calls_of(session: Session, task: Task) -> list[Call]:
    """The calls (rounds) of a task, oldest first, without the direct assignment's."""
    return list(
        session.scalars(
            select(Call)
            .join(CallItem, CallItem.call_id == Call.id)
            .where(CallItem.task_id == task.id, Call.number.like("TB-%"))
            .order_by(Call.id)
        )
    )


def publish_call(
    *,
    session: Session,
    task_code: str,
    today: date,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Call:
    """Publish the call for applications (thông báo tuyển chọn), open 30 days (TT 20/2023
    Đ3.2); a round whose call is still open is returned as it is."""
    task = task_by_code(session, task_code)
    rules = edition_of(task, regulations).selection
    rounds = calls_of(session, task)
    if rounds and rounds[-1].status is CallStatus.OPEN:
        return rounds[-1]
    call_round = len(rounds) + 1
    return open_call(
        session=session,
        number=call_number(task, call_round),
        title=(
            f"Thông báo tuyển chọn tổ chức, cá nhân chủ trì nhiệm vụ {task.code}"
            f" (lần {call_round}): {task.title}"
        ),
        year=task.year,
        opens_on=today,
        closes_on=call_closes_on(today, rules, calendar),
        task_ids=[task.id],
        reopens_call_id=rounds[-1].id if rounds else None,
        actor=actor,
    )


def submit_application(
    *,
    session: Session,
    call_id: int,
    task_id: int,
    organisation_id: int,
    principal_investigator_id: int,
    team_person_ids: Iterable[int] = (),
    requested_budget: int | None = None,
    submitted_at: datetime | None = None,
) -> Application:
    """Receive an organisation's application for a task in an open call (idempotent); an
    organisation or investigator under a restriction is refused (TT 20/2023 Đ4.2, Đ4.4)."""
    call = get_or_raise(session, Call, call_id)
    if call.status != CallStatus.OPEN:
        raise InvalidStateError(
            "call_not_open", "Thông báo không còn nhận hồ sơ.", "The call is not open."
        )
    if task_id not in {item.task_id for item in call.items}:
        raise DomainError(
            "task_not_in_call",
            "Nhiệm vụ không thuộc thông báo này.",
            "The task is not offered in this call.",
        )
    existing = session.scalar(
        select(Application).where(
            Application.call_id == call_id,
            Application.task_id == task_id,
            Application.organisation_id == organisation_id,
        )
    )
    if existing is not None:
        return existing
    moment = submitted_at or datetime.now(UTC)
    barred = restrictions_on(session, organisation_id, principal_investigator_id, moment.date())
    if barred:
        reasons = "; ".join(label(r.reason) for r in barred)
        raise DomainError(
            "applicant_restricted",
            f"Tổ chức hoặc chủ nhiệm đang bị hạn chế đăng ký nhiệm vụ: {reasons}.",
            "The organisation or investigator may not apply: "
            + "; ".join(label(r.reason, "en") for r in barred),
        )
    application = Application(
        call_id=call_id,
        task_id=task_id,
        organisation_id=organisation_id,
        principal_investigator_id=principal_investigator_id,
        requested_budget=requested_budget,
        submitted_at=moment,
        status=ApplicationStatus.SUBMITTED,
    )
    for person_id in dict.fromkeys(team_person_ids):
        if person_id != principal_investigator_id:
            application.team.append(ApplicationMember(person_id=person_id))
    session.add(application)
    session.flush()
    return application


def application_options(session: Session, call_id: int) -> list[dict[str, object]]:
    """The applications of a call as the options of the opening form."""
    rows = session.scalars(
        select(Application).where(Application.call_id == call_id).order_by(Application.id)
    )
    return [
        {"label": f"Hồ sơ #{a.id}: {a.organisation.name}", "value": a.id}
        for a in rows
        if a.status is not ApplicationStatus.WITHDRAWN
    ]


def missing_documents(session: Session, application: Application) -> set[object]:
    """What the dossier of an application lacks (TT 20/2023 Đ5)."""
    task = get_or_raise(session, Task, application.task_id)
    return set(missing_application_documents(task.kind, {d.kind for d in application.documents}))


@dataclass
class Opening:
    """The result of opening the dossiers of a call (biên bản mở hồ sơ, TT 20/2023 Đ7)."""

    valid: list[Application] = field(default_factory=list)
    invalid: list[Application] = field(default_factory=list)


def open_applications(
    *,
    session: Session,
    task_code: str,
    call_id: int,
    valid_ids: Iterable[int],
    note: str = "",
    actor: Actor = SYSTEM,
) -> Opening:
    """Staff open the dossiers after the call closed: the ones they name are valid, the rest
    invalid; the call receives no more (idempotent)."""
    task = task_by_code(session, task_code)
    call = get_or_raise(session, Call, call_id)
    valid = set(valid_ids)
    applications = list(
        session.scalars(
            select(Application)
            .where(Application.call_id == call.id, Application.task_id == task.id)
            .order_by(Application.id)
        )
    )
    unknown = valid - {a.id for a in applications}
    if unknown:
        raise DomainError(
            "not_in_call",
            "Có hồ sơ không thuộc thông báo này.",
            f"Applications {sorted(unknown)} were not filed in call {call.number}.",
        )
    opening = Opening()
    for application in applications:
        if application.status in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.VALID,
            ApplicationStatus.INVALID,
        ):
            application.status = (
                ApplicationStatus.VALID if application.id in valid else ApplicationStatus.INVALID
            )
            application.validity_note = note or None
        (opening.valid if application.id in valid else opening.invalid).append(application)
    if call.status is CallStatus.OPEN:
        call.status = CallStatus.CLOSED
    session.flush()
    record_audit(
        session=session,
        action="call.open_dossiers",
        entity_type="call",
        entity_id=call.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"valid": sorted(valid), "invalid": [a.id for a in opening.invalid], "note": note},
    )
    return opening


def _direct_host(session: Session, task: Task) -> tuple[int, int]:
    """The organisation and investigator a task is assigned to directly: the proposer's."""
    proposal = task.proposal
    organisation_id = task.host_organisation_id or (
        proposal.proposer_organisation_id if proposal else None
    )
    person_id = task.principal_investigator_id or (
        proposal.proposer_person_id if proposal else None
    )
    if organisation_id is not None and person_id is None:
        person_id = session.scalar(
            select(Person.id)
            .join(Affiliation)
            .where(Affiliation.organisation_id == organisation_id, Affiliation.ended_on.is_(None))
            .order_by(Person.id)
        )
    if organisation_id is None or person_id is None:
        raise InvalidStateError(
            "no_direct_host",
            f"Nhiệm vụ {task.code} chưa có tổ chức và chủ nhiệm để giao trực tiếp.",
            f"Task {task.code} has no host organisation and investigator to assign to.",
        )
    return organisation_id, person_id


@dataclass
class DirectInvitation:
    """A direct assignment: the host's application to complete, and when it is due."""

    call: Call
    application: Application
    due_on: date
    notices: list[Notice] = field(default_factory=list)


def invite_direct_assignment(
    *,
    session: Session,
    task_code: str,
    today: date,
    requested_budget: int | None = None,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> DirectInvitation:
    """Direct assignment (giao trực tiếp): the chosen host files its dossier as for a call
    (TT 20/2023 Đ21.1b, Đ21.2), which the council then scores like any (idempotent)."""
    task = task_by_code(session, task_code)
    rules = edition_of(task, regulations).selection
    due_on = today + timedelta(days=rules.direct_dossier_days)
    call = open_call(
        session=session,
        number=direct_number(task),
        title=f"Giao trực tiếp nhiệm vụ {task.code}: {task.title}",
        year=task.year,
        opens_on=today,
        closes_on=due_on,
        task_ids=[task.id],
        actor=actor,
    )
    application = session.scalar(select(Application).where(Application.call_id == call.id))
    if application is None:
        organisation_id, person_id = _direct_host(session, task)
        budget = requested_budget
        if budget is None and task.proposal is not None:
            budget = task.proposal.estimated_budget
        application = submit_application(
            session=session,
            call_id=call.id,
            task_id=task.id,
            organisation_id=organisation_id,
            principal_investigator_id=person_id,
            requested_budget=budget,
            submitted_at=datetime.combine(today, datetime.min.time(), UTC),
        )
        record_audit(
            session=session,
            action="selection.invite_direct",
            entity_type="application",
            entity_id=application.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.SELECTION,
            details={"organisation_id": organisation_id, "person_id": person_id},
        )
    org = application.organisation
    notice = Notice(
        tuple(a for a in (org.email, application.principal_investigator.email) if a),
        f"[Sở KH&CN] Giao trực tiếp nhiệm vụ {task.code} / Direct assignment",
        f"Kính gửi {org.name},\n\nNhiệm vụ “{task.title}” (mã {task.code}) được giao trực tiếp cho "
        f"Quý cơ quan chủ trì. Đề nghị nộp hồ sơ đăng ký chủ trì (Thông tư 20/2023/TT-BKHCN) "
        f"chậm nhất ngày {vn_date(due_on)} để Hội đồng tư vấn giao trực tiếp đánh giá.\n\n---\n"
        f"Task {task.code} is assigned directly to you: file the dossier by {due_on.isoformat()}.",
        "direct",
    )
    return DirectInvitation(call, application, due_on, [notice])


def _prior_excellent(session: Session, application: Application, on: date) -> bool:
    """Whether the host or the investigator had a task rated Xuất sắc in the last 5 years."""
    since = add_months(on, -12 * PRIOR_EXCELLENT_YEARS)
    rows = session.execute(
        select(Task.host_organisation_id, Task.principal_investigator_id, AcceptanceDossier)
        .join(AcceptanceDossier, AcceptanceDossier.task_id == Task.id)
        .where(Task.id != application.task_id)
    )
    for org_id, pi_id, dossier in rows:
        rated = dossier.final_rating or dossier.council_rating
        when = dossier.decision_on or dossier.rated_on
        if rated is Rating.EXCELLENT and when is not None and when >= since:
            if (
                org_id == application.organisation_id
                or pi_id == application.principal_investigator_id
            ):
                return True
    return False


@dataclass
class RankResult:
    """The ranking, and (with a winner) when its completed proposal is due (TT 20/2023
    Đ11.12) and the letter telling it."""

    ranking: Ranking[int]
    proposal_due_on: date | None = None
    notices: list[Notice] = field(default_factory=list)


def rank_candidates(
    *,
    session: Session,
    task_code: str,
    verdicts: Mapping[int, bool],
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> RankResult:
    """Rank the applications the council scored and name the one to approve.

    ``verdicts`` is the decision table's answer per application (recommended or not); it must
    agree with the rule the count applied (one owner of the rule: a table that disagrees is
    a configuration error, not a business outcome). Ties go by TT 20/2023 Đ11.8b.
    """
    task = task_by_code(session, task_code)
    rules = edition_of(task, regulations).selection
    outcomes: dict[int, SelectionOutcome] = {}
    facts: dict[int, TieFacts] = {}
    for application_id, recommended in verdicts.items():
        application = get_or_raise(session, Application, application_id)
        ruled = application.status in (ApplicationStatus.RECOMMENDED, ApplicationStatus.SELECTED)
        if bool(recommended) != ruled:
            raise InvalidStateError(
                "table_disagrees",
                f"Bảng quyết định selection-recommendation và quy tắc TT 20/2023 Đ11.8 cho kết "
                f"quả khác nhau ở hồ sơ #{application.id}.",
                f"The decision table selection-recommendation says {recommended} for "
                f"application #{application.id}; TT 20/2023 Đ11.8 says {ruled}.",
            )
        outcomes[application.id] = scored_outcome(
            session=session, application_id=application.id, regulations=regulations
        )
        facts[application.id] = TieFacts(
            requested_state_budget=application.requested_budget,
            prior_excellent=_prior_excellent(session, application, today),
        )
    ranking = rank_applications(outcomes, facts, rules.tie_breaks)
    record_audit(
        session=session,
        action="selection.rank",
        entity_type="application",
        entity_id=ranking.winner,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={
            "averages": {str(k): o.average for k, o in outcomes.items()},
            "ranked": list(ranking.ranked),
            "winner": ranking.winner,
            "tied": ranking.tied,
            "decided_by": ranking.decided_by,
        },
    )
    chosen = ranking.winner if ranking.winner is not None else (ranking.ranked or (None,))[0]
    if chosen is None:
        return RankResult(ranking)
    application = get_or_raise(session, Application, chosen)
    due_on = today + timedelta(days=rules.proposal_completion_days)
    org = application.organisation
    notice = Notice(
        tuple(a for a in (org.email, application.principal_investigator.email) if a),
        f"[Sở KH&CN] Hoàn thiện thuyết minh nhiệm vụ {task.code} / Complete the proposal",
        f"Kính gửi {org.name},\n\nHội đồng tư vấn kiến nghị Quý cơ quan chủ trì nhiệm vụ "
        f"“{task.title}” (mã {task.code}). Đề nghị hoàn thiện thuyết minh theo kết luận của hội "
        f"đồng và gửi lại chậm nhất ngày {vn_date(due_on)} (Thông tư 20/2023/TT-BKHCN, Điều 11); "
        "quá hạn, kết quả tuyển chọn bị hủy.\n\n---\nThe council recommends you for task "
        f"{task.code}: send the completed proposal by {due_on.isoformat()}.",
        "winner",
    )
    return RankResult(ranking, due_on, [notice])


@dataclass
class RoundEnd:
    """A round of the call that produced no host, and whether another call may follow."""

    recall_allowed: bool
    reason: str


def close_round(
    *,
    session: Session,
    task_code: str,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> RoundEnd:
    """End a round without a host (no valid or qualified application, a result cancelled):
    the call may be published once more within 6 months of the first (TT 20/2023 Đ3.3);
    a direct assignment cannot (idempotent per round)."""
    task = task_by_code(session, task_code)
    rules = edition_of(task, regulations).selection
    rounds = calls_of(session, task)
    for call in rounds:
        if call.status is CallStatus.OPEN:
            call.status = CallStatus.CLOSED
    applications = list(session.scalars(select(Application).where(Application.task_id == task.id)))
    cancelled = session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.task_id == task.id,
            AuditEntry.action == "selection.cancel",
            AuditEntry.id
            > (
                select(func.coalesce(func.max(AuditEntry.id), 0))
                .where(AuditEntry.task_id == task.id, AuditEntry.action == "call.open")
                .scalar_subquery()
            ),
        )
    )
    if cancelled is not None:
        reason = "result_cancelled"
    elif not applications or all(
        a.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.INVALID) for a in applications
    ):
        reason = "no_valid_application"
    else:
        reason = "no_qualified_application"
    allowed = (
        task.method is Method.SELECTION
        and bool(rounds)
        and second_call_allowed(rounds[0].opens_on, len(rounds), today, rules)
    )
    session.flush()
    record_audit(
        session=session,
        action="selection.round_end",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"reason": reason, "rounds": len(rounds), "recall_allowed": allowed},
    )
    return RoundEnd(allowed, reason)


def approve_selection(
    *,
    session: Session,
    task_code: str,
    application_id: int,
    decision_number: str,
    decision_date: date,
    today: date,
    note: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Application:
    """The decision approving the host, investigator, budget and duration (TT 20/2023 Đ15.3),
    signed by the People's Committee or the Department it delegated to; the result is public
    (Đ16). The application's organisation hosts the task with its team."""
    task = task_by_code(session, task_code)
    application = get_or_raise(session, Application, application_id)
    if application.task_id != task.id:
        raise DomainError(
            "wrong_task", "Hồ sơ không thuộc nhiệm vụ này.", "The application is for another task."
        )
    if application.status not in (ApplicationStatus.RECOMMENDED, ApplicationStatus.SELECTED):
        raise InvalidStateError(
            "application_not_recommended",
            "Chỉ phê duyệt hồ sơ được hội đồng kiến nghị.",
            f"Only a recommended application can be approved (this one is {application.status}).",
        )
    record_decision(
        session=session,
        kind=DecisionKind.SELECTION_APPROVAL,
        number=decision_number,
        signed_on=decision_date,
        edition=edition_of(task, regulations),
        tasks=[task],
        today=today,
        note=note,
        actor=actor,
    )
    if application.status is not ApplicationStatus.SELECTED:
        application.status = ApplicationStatus.SELECTED
        task.host_organisation_id = application.organisation_id
        add_task_member(
            session=session,
            task_id=task.id,
            person_id=application.principal_investigator_id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
        for member in application.team:
            add_task_member(
                session=session,
                task_id=task.id,
                person_id=member.person_id,
                role=TaskMemberRole.MEMBER,
            )
        session.flush()
        record_audit(
            session=session,
            action="selection.approve",
            entity_type="application",
            entity_id=application.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.SELECTION,
            details={"organisation_id": application.organisation_id},
        )
    return application


def cancel_selection(
    *,
    session: Session,
    task_code: str,
    reason: str,
    today: date,
    actor: Actor = SYSTEM,
) -> list[Notice]:
    """Cancel the result of a round: the chosen host did not complete its proposal in time
    (TT 20/2023 Đ17.1d) or did not sign the contract (Đ17.2). The unsigned contract is
    withdrawn, the task has no host again; the host is told (idempotent)."""
    task = task_by_code(session, task_code)
    chosen = session.scalar(
        select(Application).where(
            Application.task_id == task.id,
            Application.status.in_([ApplicationStatus.SELECTED, ApplicationStatus.RECOMMENDED]),
        )
    )
    notices: list[Notice] = []
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    if contract is not None and contract.status is ContractStatus.SIGNED:
        raise InvalidStateError(
            "contract_signed",
            "Hợp đồng đã ký, không thể hủy kết quả tuyển chọn.",
            "The contract is signed: the selection can no longer be cancelled.",
        )
    if chosen is not None:
        notices.append(
            to_host(
                task,
                f"Hủy kết quả tuyển chọn, giao trực tiếp nhiệm vụ {task.code}",
                f"Kết quả tuyển chọn, giao trực tiếp nhiệm vụ “{task.title}” (mã {task.code}) "
                f"bị hủy: {reason}.",
                f"The selection result of task {task.code} is cancelled: {reason}.",
            )
        )
        chosen.status = ApplicationStatus.NOT_RECOMMENDED
    if contract is not None:
        session.delete(contract)  # never signed: it bound nobody (its number stays audited)
    task.host_organisation_id = None
    task.principal_investigator_id = None
    session.flush()
    record_audit(
        session=session,
        action="selection.cancel",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={
            "reason": reason,
            "application_id": chosen.id if chosen else None,
            "contract": contract.number if contract else None,
            "on": today.isoformat(),
        },
    )
    return notices
