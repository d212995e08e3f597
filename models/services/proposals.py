"""Step 1: proposals, their registration as tasks, screening, the approved list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.decisions import Decision
from models.editions import DEFAULT_REGULATIONS, Edition, Regulations
from models.enums import (
    DecisionKind,
    Field,
    Method,
    ProposalStatus,
    Stage,
    TaskKind,
    TaskStatus,
)
from models.labels import label
from models.proposals import Proposal
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.decisions import decision_of, record_decision, restrictions_on
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.notices import Notice, to_applicant
from models.services.tasks import bind_edition, task_by_code
from models.tasks import Task

CODE_PREFIX = "NV"
SCREENING_RESULTS = ("passed", "revise", "rejected")


def create_proposal(
    *,
    session: Session,
    year: int,
    title: str,
    field: Field,
    kind: TaskKind = TaskKind.RESEARCH_TOPIC,
    proposer_organisation_id: int | None = None,
    proposer_person_id: int | None = None,
    rationale: str = "",
    objectives: str = "",
    expected_results: str = "",
    estimated_budget: int | None = None,
    suggested_method: Method | None = None,
    submitted_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> Proposal:
    """Record a submitted proposal (đề xuất đặt hàng)."""
    if proposer_organisation_id is None and proposer_person_id is None:
        raise DomainError(
            "proposer_missing",
            "Đề xuất phải có tổ chức hoặc cá nhân đề xuất.",
            "A proposal needs a proposing organisation or person.",
        )
    proposal = Proposal(
        year=year,
        title=title,
        field=field,
        kind=kind,
        proposer_organisation_id=proposer_organisation_id,
        proposer_person_id=proposer_person_id,
        rationale=rationale,
        objectives=objectives,
        expected_results=expected_results,
        estimated_budget=estimated_budget,
        suggested_method=suggested_method,
        status=ProposalStatus.SUBMITTED,
        submitted_at=submitted_at or datetime.now(UTC),
    )
    session.add(proposal)
    session.flush()
    record_audit(
        session=session,
        action="proposal.submit",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        stage=Stage.TASK_LIST,
        details={"title": title},
    )
    return proposal


def next_task_code(session: Session, year: int) -> str:
    """The next free code of the year, `NV-<year>-<nnn>` (three digits, more when needed)."""
    prefix = f"{CODE_PREFIX}-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    codes = session.scalars(select(Task.code).where(Task.code.like(f"{prefix}%")))
    numbers = [int(m.group(1)) for code in codes if (m := pattern.match(code))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


@dataclass
class Registered:
    """A proposal registered as a task, and the receipt to send."""

    task: Task
    notices: list[Notice] = field(default_factory=list)


def register_proposal(
    *,
    session: Session,
    proposal_id: int,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Registered:
    """Give a proposal its task and code (the messages' correlation key) and acknowledge it;
    the task follows the edition of the day until its list is approved (idempotent)."""
    proposal = get_or_raise(session, Proposal, proposal_id)
    task = session.scalar(select(Task).where(Task.proposal_id == proposal.id))
    if task is None:
        task = Task(
            code=next_task_code(session, proposal.year),
            year=proposal.year,
            title=proposal.title,
            field=proposal.field,
            kind=proposal.kind,
            # provisional: the leader chooses the method when approving the list
            method=proposal.suggested_method or Method.SELECTION,
            stage=Stage.TASK_LIST,
            status=TaskStatus.APPROVED,
            objectives=proposal.objectives,
            expected_results=proposal.expected_results,
            proposal_id=proposal.id,
            edition=regulations.in_force(today).id,
            # the root instance, when the portal that started it recorded its key
            process_instance_key=proposal.process_instance_key,
        )
        session.add(task)
        session.flush()
        record_audit(
            session=session,
            action="proposal.register",
            entity_type="proposal",
            entity_id=proposal.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.TASK_LIST,
            details={"task_code": task.code, "title": proposal.title},
        )
    notice = to_applicant(
        proposal,
        f"Đã tiếp nhận đề xuất {task.code} / Proposal received",
        f"Sở Khoa học và Công nghệ đã tiếp nhận đề xuất nhiệm vụ KH&CN:\n\n  {proposal.title}\n"
        f"  Mã đề xuất: {task.code}\n\nĐề xuất sẽ được sàng lọc và đưa ra Hội đồng tư vấn xác "
        "định nhiệm vụ.",
        f"The Department has received your proposal '{proposal.title}' (code {task.code}).",
    )
    return Registered(task, [notice])


def screen_proposal(
    *,
    session: Session,
    task_code: str,
    result: str,
    note: str = "",
    now: datetime | None = None,
    actor: Actor = SYSTEM,
) -> Proposal:
    """Staff screen a proposal: pass it to the advisory council, send it back for revision,
    or reject it (the same answer twice changes nothing)."""
    if result not in SCREENING_RESULTS:
        raise DomainError(
            "screening_result",
            "Kết quả sàng lọc phải là: hợp lệ, cần bổ sung hoặc không hợp lệ.",
            f"The screening result must be one of {', '.join(SCREENING_RESULTS)}.",
        )
    task = task_by_code(session, task_code)
    proposal = get_or_raise(session, Proposal, task.proposal_id)
    wanted = {
        "passed": ProposalStatus.SCREENED_IN,
        "revise": ProposalStatus.SUBMITTED,
        "rejected": ProposalStatus.REJECTED,
    }[result]
    if proposal.status not in (ProposalStatus.SUBMITTED, wanted):
        raise InvalidStateError(
            "proposal_not_submitted",
            "Chỉ sàng lọc được đề xuất vừa nộp.",
            f"Only submitted proposals can be screened (this one is {proposal.status}).",
        )
    proposal.status = wanted
    proposal.screening_note = note
    proposal.screened_by_id = actor.user_id
    proposal.screened_at = now or datetime.now(UTC)
    session.flush()
    record_audit(
        session=session,
        action="proposal.screen",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.TASK_LIST,
        details={"result": result, "note": note},
    )
    return proposal


def revision_request(
    *,
    session: Session,
    task_code: str,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
) -> tuple[Notice, date]:
    """The letter asking the applicant to revise a proposal screening sent back, and the day
    the revision is due."""
    task = task_by_code(session, task_code)
    proposal = get_or_raise(session, Proposal, task.proposal_id)
    days = regulations.edition(task.edition).advisory.proposal_revision_days
    note = proposal.screening_note or ""
    due_on = today + timedelta(days=days)
    letter = to_applicant(
        proposal,
        f"Đề nghị bổ sung, chỉnh sửa đề xuất {task.code} / Revision requested",
        f"Đề xuất '{proposal.title}' (mã {task.code}) cần được bổ sung, chỉnh sửa:\n\n{note}\n\n"
        f"Đề nghị nộp lại đề xuất trong vòng {days} ngày; quá hạn, đề xuất không còn được "
        "xem xét.",
        f"Your proposal '{proposal.title}' ({task.code}) needs revision: {note}. "
        f"Please resubmit it within {days} days.",
    )
    return letter, due_on


@dataclass
class ListApproval:
    """The leader's answer on the task list, and the edition the task is bound to."""

    approved: bool
    edition: Edition | None


def approve_task_list(
    *,
    session: Session,
    task_code: str,
    approved: bool,
    method: Method,
    decision_number: str,
    decision_date: date,
    today: date,
    note: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> ListApproval:
    """The leader approves the task list with the method of each task, by a numbered decision
    of the People's Committee or the Department it delegated to (NĐ 08/2014 Đ27.2): the same
    decision number covers the whole batch. The task is bound to the edition in force on the
    decision's date. Not approved: the proposal is rejected."""
    task = task_by_code(session, task_code)
    proposal = get_or_raise(session, Proposal, task.proposal_id)
    if not approved:
        if proposal.status is ProposalStatus.RECOMMENDED:
            proposal.status = ProposalStatus.REJECTED
        record_audit(
            session=session,
            action="task_list.refuse",
            entity_type="task",
            entity_id=task.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.TASK_LIST,
            details={"note": note},
        )
        return ListApproval(False, None)
    if proposal.status not in (ProposalStatus.RECOMMENDED, ProposalStatus.APPROVED):
        raise InvalidStateError(
            "proposal_not_recommended",
            "Chỉ phê duyệt đề xuất được hội đồng tư vấn đề nghị thực hiện.",
            f"Only recommended proposals go on the list (this one is {proposal.status}).",
        )
    if method is Method.DIRECT:
        # direct assignment goes to the proposer: one barred from hosting cannot get it
        # (TT 20/2023 Đ4.2, Đ4.4; TT 11/2014 Đ15.4)
        barred = restrictions_on(
            session, proposal.proposer_organisation_id, proposal.proposer_person_id, decision_date
        )
        if barred:
            reasons = "; ".join(label(r.reason) for r in barred)
            raise DomainError(
                "direct_host_restricted",
                f"Không thể giao trực tiếp: tổ chức hoặc cá nhân đề xuất đang bị hạn chế đăng ký "
                f"chủ trì nhiệm vụ ({reasons}). Chọn phương thức tuyển chọn.",
                "Cannot assign directly: the proposer may not host tasks ("
                + "; ".join(label(r.reason, "en") for r in barred)
                + "). Choose selection.",
            )
    record_decision(
        session=session,
        kind=DecisionKind.LIST_APPROVAL,
        number=decision_number,
        signed_on=decision_date,
        edition=regulations.in_force(decision_date),
        tasks=[task],
        today=today,
        note=note,
        actor=actor,
    )
    edition = bind_edition(
        session=session,
        task_id=task.id,
        approved_on=decision_date,
        regulations=regulations,
        actor=actor,
    )
    proposal.status = ProposalStatus.APPROVED
    task.method = method
    session.flush()
    record_audit(
        session=session,
        action="task_list.approve",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.TASK_LIST,
        details={"method": method.value, "edition": edition.id},
    )
    return ListApproval(True, edition)


def publish_list_entry(
    *, session: Session, task_code: str, now: datetime, actor: Actor = SYSTEM
) -> tuple[datetime, Notice]:
    """Publish the approved task on the list and tell the applicant (idempotent)."""
    task = task_by_code(session, task_code)
    proposal = get_or_raise(session, Proposal, task.proposal_id)
    done = session.scalar(
        select(AuditEntry).where(
            AuditEntry.task_id == task.id, AuditEntry.action == "task_list.publish"
        )
    )
    if done is None:
        if proposal.status is not ProposalStatus.APPROVED:
            raise InvalidStateError(
                "not_approved",
                "Nhiệm vụ chưa được phê duyệt vào danh mục.",
                f"Task {task.code} is not on the approved list.",
            )
        done = record_audit(
            session=session,
            action="task_list.publish",
            entity_type="task",
            entity_id=task.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.TASK_LIST,
            details={"published_at": now.isoformat()},
        )
    published_at = datetime.fromisoformat(done.details["published_at"])
    decision: Decision | None = decision_of(session, task, DecisionKind.LIST_APPROVAL)
    number = decision.number if decision else "—"
    how = "tuyển chọn" if task.method is Method.SELECTION else "giao trực tiếp"
    notice = to_applicant(
        proposal,
        f"Đề xuất {task.code} được phê duyệt vào danh mục / Approved",
        f"Đề xuất '{task.title}' (mã {task.code}) đã được phê duyệt vào danh mục nhiệm vụ KH&CN "
        f"(quyết định số {number}), phương thức: {how}.",
        f"Your proposal '{task.title}' ({task.code}) is on the approved task list "
        f"(decision {number}), method: {task.method.value}.",
    )
    return published_at, notice


def close_proposal(
    session: Session, proposal: Proposal, screening_result: str | None, actor: Actor
) -> tuple[str, str]:
    """Give a proposal that did not make the list its final status; why (to tell the
    applicant). ``screening_result`` is the staff's last screening answer."""
    status = proposal.status
    if status is ProposalStatus.SUBMITTED and screening_result == "revise":
        proposal.status = ProposalStatus.WITHDRAWN
        why = ("quá hạn bổ sung, chỉnh sửa", "the time for a revision ran out")
    elif status is ProposalStatus.REJECTED and screening_result == "rejected":
        why = ("đề xuất không đạt yêu cầu sàng lọc", "it did not pass screening")
    elif status is ProposalStatus.NOT_RECOMMENDED:
        why = (
            "Hội đồng tư vấn không đề nghị thực hiện",
            "the advisory council did not recommend it",
        )
    else:
        proposal.status = ProposalStatus.REJECTED
        why = ("Lãnh đạo không phê duyệt", "the leader did not approve it")
    session.flush()
    record_audit(
        session=session,
        action="proposal.close",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=actor,
        task_id=session.scalar(select(Task.id).where(Task.proposal_id == proposal.id)),
        stage=Stage.TASK_LIST,
        details={"from": status.value, "to": proposal.status.value},
    )
    return why
