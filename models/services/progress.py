"""Where a task stands, for the people it belongs to: its step, who it waits for, what they
must file, what they filed, and what happened so far (from the domain and the inbox alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.attachments import Attachment
from models.audit import AuditEntry
from models.calls import Application
from models.enums import Stage, TaskStatus
from models.filings import Filing
from models.inbox import InboxItem, InboxState
from models.proposals import Proposal
from models.services import filings as filings_service
from models.tasks import Task, TaskMember
from models.users import User

STEPS = list(Stage)
ENDED = (TaskStatus.CLOSED, TaskStatus.CANCELLED, TaskStatus.TERMINATED, TaskStatus.FAILED)
# What the history shows of the audit log, in words (Vietnamese, English). Filings show by
# their kind's name (a change request too: its filing is the one line of it).
HISTORY = {
    "proposal.submit": ("Nộp đề xuất", "Proposal submitted"),
    "proposal.register": ("Tiếp nhận đề xuất", "Proposal registered"),
    "proposal.screen": ("Sàng lọc đề xuất", "Proposal screened"),
    "council.establish": ("Thành lập hội đồng", "Council established"),
    "meeting.open": ("Hội đồng họp", "Council meeting"),
    "council.count": ("Kiểm phiếu", "Ballots counted"),
    "task_list.approve": ("Phê duyệt danh mục nhiệm vụ", "Task list approved"),
    "task_list.refuse": ("Không phê duyệt vào danh mục", "Not approved for the list"),
    "task_list.publish": ("Công bố danh mục", "Task list published"),
    "call.open": ("Thông báo tuyển chọn, giao trực tiếp", "Call opened"),
    "call.open_dossiers": ("Mở hồ sơ", "Dossiers opened"),
    "selection.rank": ("Xếp hạng hồ sơ", "Applications ranked"),
    "selection.approve": ("Phê duyệt tổ chức, cá nhân chủ trì", "Host approved"),
    "contract.prepare": ("Chuẩn bị hợp đồng", "Contract prepared"),
    "contract.sign": ("Ký hợp đồng", "Contract signed"),
    "implementation.plan": ("Lập lịch báo cáo định kỳ", "Reports scheduled"),
    "implementation.record_report": ("Báo cáo định kỳ", "Progress report"),
    "implementation.inspect": ("Kiểm tra, đánh giá", "Inspection"),
    "implementation.decide_change": ("Quyết định điều chỉnh", "Change decided"),
    "acceptance.submit_dossier": ("Tiếp nhận hồ sơ nghiệm thu", "Acceptance dossier received"),
    "acceptance.validate_dossier": ("Kiểm tra hồ sơ nghiệm thu", "Acceptance dossier checked"),
    "acceptance.record_result": ("Kết quả đánh giá nghiệm thu", "Acceptance result"),
    "acceptance.confirm_completion": ("Xác nhận hoàn thiện hồ sơ", "Completed dossier confirmed"),
    "registration.check": ("Kiểm tra hồ sơ đăng ký", "Registration dossier checked"),
    "registration.issue_certificate": ("Cấp giấy chứng nhận đăng ký", "Certificate issued"),
    "registration.publish": ("Công bố kết quả", "Results published"),
    "contract.close": ("Thanh lý hợp đồng", "Contract liquidated"),
    "task.close": ("Kết thúc", "Closed"),
}


@dataclass(frozen=True)
class Step:
    """One of the five steps and how far the task is with it."""

    stage: Stage
    state: str  # "done", "current", "todo"


@dataclass(frozen=True)
class Waiting:
    """Someone the task waits for: an open user task."""

    item_id: int
    name: str
    # the person it is assigned to (their name), else the candidate groups
    person: str | None
    groups: list[str]
    due_at: datetime | None


@dataclass(frozen=True)
class Event:
    """One line of the history."""

    at: datetime
    vi: str
    en: str


@dataclass
class Progress:
    """Where a task stands."""

    task: Task
    steps: list[Step]
    waiting: list[Waiting]
    expected: list[filings_service.FilingKind]
    filed: list[tuple[Filing, list[Attachment]]]
    history: list[Event] = field(default_factory=list)
    # the person may ask for a change (an extension ...): the task is under way and theirs
    may_request_change: bool = False


def steps_of(task: Task) -> list[Step]:
    """The five steps: done, the current one, still to come."""
    at = STEPS.index(task.stage)
    finished = task.status in ENDED
    return [
        Step(
            stage, "done" if i < at or (i == at and finished) else "current" if i == at else "todo"
        )
        for i, stage in enumerate(STEPS)
    ]


def tasks_of(*, session: Session, person_id: int) -> list[Task]:
    """The tasks a person proposed, leads, works on or applied for, newest first."""
    proposals = select(Proposal.id).where(Proposal.proposer_person_id == person_id)
    members = select(TaskMember.task_id).where(TaskMember.person_id == person_id)
    applied = select(Application.task_id).where(Application.principal_investigator_id == person_id)
    return list(
        session.scalars(
            select(Task)
            .where(
                or_(
                    Task.proposal_id.in_(proposals),
                    Task.principal_investigator_id == person_id,
                    Task.id.in_(members),
                    Task.id.in_(applied),
                )
            )
            .order_by(Task.id.desc())
        )
    )


def waiting_on(*, session: Session, task: Task) -> list[Waiting]:
    """The open user tasks of a task (who the procedure waits for)."""
    rows = session.scalars(
        select(InboxItem)
        .where(
            InboxItem.task_code == task.code,
            InboxItem.state.in_((InboxState.OPEN, InboxState.COMPLETING)),
        )
        .order_by(InboxItem.id)
    )
    items = list(rows)
    usernames = [i.assignee for i in items if i.assignee]
    names = {
        username: name
        for username, name in session.execute(
            select(User.username, User.display_name).where(User.username.in_(usernames))
        )
    }
    return [
        Waiting(
            i.id,
            i.name,
            names.get(i.assignee, i.assignee) if i.assignee else None,
            list(i.candidate_groups or []),
            i.due_at,
        )
        for i in items
    ]


def progress_of(*, session: Session, task: Task, person_id: int | None) -> Progress:
    """Where a task stands, and what `person_id` (when given) is expected to file."""
    expected = (
        [
            kind
            for _task, kind in filings_service.expected_of(
                session=session, person_id=person_id, tasks=[task]
            )
        ]
        if person_id is not None
        else filings_service.open_filings(session=session, task=task)
    )
    filed = filings_service.filings_of(session=session, task_id=task.id)
    documents = filings_service.documents_of(session=session, filing_ids=[f.id for f in filed])
    history = [
        Event(e.at, *HISTORY.get(e.action) or _filing_words(e.action))
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.task_id == task.id).order_by(AuditEntry.id)
        )
        if e.action in HISTORY or e.action.startswith("filing.")
    ]
    return Progress(
        task=task,
        steps=steps_of(task),
        waiting=waiting_on(session=session, task=task),
        expected=expected,
        filed=[(f, [d for d in documents if d.filing_id == f.id]) for f in filed],
        history=history,
        may_request_change=filings_service.may_request_change(
            session=session, task=task, person_id=person_id
        ),
    )


def _filing_words(action: str) -> tuple[str, str]:
    kind = filings_service.ALL_KINDS.get(action.removeprefix("filing."))
    return (kind.title_vi, kind.title_en) if kind else (action, action)


def follows(*, session: Session, task: Task, person_id: int | None) -> bool:
    """Whether a person takes part in a task (proposed it, leads it, works on or applied for
    it): they may follow its progress."""
    if person_id is None:
        return False
    return task.id in {t.id for t in tasks_of(session=session, person_id=person_id)}
