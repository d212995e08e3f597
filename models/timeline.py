"""A task's 5-step timeline, from the domain tables and the audit log (never from the engine).

`EVENTS` is the one table that says which audit actions the public sees, in which step, under
which words, and which of their details; an action missing from it is not shown (the rule of
models/publicity.py). New actions are added here, one line each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import (
    AcceptanceLevel,
    ChangeKind,
    Method,
    Rating,
    Stage,
    TaskStatus,
)
from models.labels import Language, label
from models.tasks import Task


@dataclass(frozen=True)
class Event:
    """How one audit action appears on the public timeline."""

    vi: str
    en: str
    # the step it belongs to (None: the audit entry's own stage)
    step: Stage | None = None
    # details of the audit entry shown, by key
    shows: tuple[str, ...] = ()
    # shown only for tasks chosen by these methods
    methods: frozenset[Method] = frozenset(Method)
    # shown only when the details say so (e.g. an approved change, a valid dossier)
    when: Callable[[dict[str, Any]], bool] | None = None


_SELECTION_ONLY = frozenset({Method.SELECTION})

EVENTS: dict[str, Event] = {
    "proposal.submit": Event("Nộp đề xuất đặt hàng", "Proposal submitted", Stage.TASK_LIST),
    "proposal.screen": Event(
        "Đề xuất hợp lệ, chuyển hội đồng tư vấn",
        "Proposal screened in for the advisory council",
        Stage.TASK_LIST,
        when=lambda d: bool(d.get("accepted")),
    ),
    "council.vote": Event(
        "Hội đồng tư vấn xác định nhiệm vụ kết luận",
        "The advisory council concluded",
        Stage.TASK_LIST,
    ),
    "task_list.approve": Event(
        "Phê duyệt danh mục nhiệm vụ", "Approved in the task list", Stage.TASK_LIST, ("method",)
    ),
    "proposal.register": Event(
        "Đưa vào danh mục nhiệm vụ", "Entered in the task list", Stage.TASK_LIST, ("task_code",)
    ),
    "call.open": Event(
        "Thông báo tuyển chọn",
        "Call for applications published",
        Stage.SELECTION,
        ("number",),
        methods=_SELECTION_ONLY,
    ),
    "selection.reopen_call": Event(
        "Thông báo tuyển chọn lần 2",
        "Call for applications published again",
        Stage.SELECTION,
        ("number",),
        methods=_SELECTION_ONLY,
    ),
    "application.check_validity": Event(
        "Mở hồ sơ, kiểm tra tính hợp lệ", "Applications opened and checked", Stage.SELECTION
    ),
    "application.valid": Event(
        "Mở hồ sơ, kiểm tra tính hợp lệ", "Applications opened and checked", Stage.SELECTION
    ),
    "council.tally_selection": Event(
        "Hội đồng tuyển chọn đánh giá hồ sơ",
        "The selection council assessed the applications",
        Stage.SELECTION,
    ),
    "selection.assign_direct": Event(
        "Giao trực tiếp tổ chức, cá nhân chủ trì",
        "Host assigned directly",
        Stage.SELECTION,
    ),
    "selection.approve": Event(
        "Phê duyệt tổ chức, cá nhân chủ trì",
        "Host organisation and investigator approved",
        Stage.SELECTION,
    ),
    "contract.sign": Event("Ký hợp đồng", "Contract signed", Stage.SELECTION, ("signed_on",)),
    "implementation.record_report": Event(
        "Nộp báo cáo định kỳ", "Progress report filed", Stage.IMPLEMENTATION, ("period",)
    ),
    "implementation.inspect": Event(
        "Kiểm tra tình hình thực hiện", "Progress inspected", Stage.IMPLEMENTATION
    ),
    "implementation.decide_change": Event(
        "Chấp thuận điều chỉnh",
        "Change approved",
        Stage.IMPLEMENTATION,
        ("kind",),
        when=lambda d: bool(d.get("approved")),
    ),
    "acceptance.submit_dossier": Event(
        "Nộp hồ sơ đánh giá nghiệm thu",
        "Acceptance dossier filed",
        Stage.ACCEPTANCE,
        ("level",),
    ),
    "acceptance.validate_dossier": Event(
        "Hồ sơ nghiệm thu hợp lệ",
        "Acceptance dossier found complete",
        Stage.ACCEPTANCE,
        when=lambda d: bool(d.get("valid")),
    ),
    "acceptance.decide": Event(
        "Quyết định công nhận kết quả nghiệm thu",
        "Acceptance decision",
        Stage.ACCEPTANCE,
        ("decision_number", "rating"),
    ),
    "registration.register": Event(
        "Đăng ký kết quả thực hiện nhiệm vụ", "Results registered", Stage.REGISTRATION
    ),
    "registration.issue_certificate": Event(
        "Cấp Giấy chứng nhận đăng ký kết quả",
        "Registration certificate issued",
        Stage.REGISTRATION,
        ("certificate_number",),
    ),
    "registration.publish": Event(
        "Công bố kết quả trên Cổng thông tin", "Results published on the portal", Stage.REGISTRATION
    ),
    "contract.close": Event("Thanh lý hợp đồng", "Contract closed", Stage.REGISTRATION),
}

# The details an event may show: their words, and the enum whose label shows a value.
DETAILS: dict[str, tuple[str, str, type[Enum] | None]] = {
    "method": ("Phương thức", "Method", Method),
    "task_code": ("Mã nhiệm vụ", "Task code", None),
    "number": ("Số thông báo", "Call number", None),
    "signed_on": ("Ngày ký", "Signed on", None),
    "period": ("Kỳ báo cáo", "Period", None),
    "kind": ("Nội dung", "What", ChangeKind),
    "level": ("Cấp", "Level", AcceptanceLevel),
    "decision_number": ("Số quyết định", "Decision number", None),
    "rating": ("Kết quả", "Rating", Rating),
    "certificate_number": ("Số giấy chứng nhận", "Certificate number", None),
}


class StepState(StrEnum):
    """Where the task stands with respect to one step."""

    DONE = "done"
    CURRENT = "current"
    FAILED = "failed"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Detail:
    """One public detail of an event."""

    name: str
    value: str


@dataclass(frozen=True)
class TimelineEvent:
    """Something that happened to the task, when."""

    action: str
    at: datetime
    text: str
    details: list[Detail] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineStep:
    """One of the five steps, its state and its events."""

    stage: Stage
    number: int
    name: str
    state: StepState
    events: list[TimelineEvent]


@dataclass(frozen=True)
class Timeline:
    """The five steps in order; `current` is the step the task is at."""

    current: Stage
    steps: list[TimelineStep]


STEPS = list(Stage)
_ENDED = {TaskStatus.FAILED, TaskStatus.CANCELLED}


def _utc(at: datetime) -> datetime:
    """A stored moment with its zone (SQLite hands back UTC without one)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _detail(key: str, value: Any, lang: Language) -> Detail:
    vi, en, enum_cls = DETAILS[key]
    shown = str(value)
    if enum_cls is not None:
        try:
            shown = label(enum_cls(value), lang)
        except ValueError:
            pass
    elif key == "signed_on" and isinstance(value, str) and len(value) == 10:
        shown = f"{value[8:10]}/{value[5:7]}/{value[0:4]}"  # ISO date as the portal writes dates
    return Detail(vi if lang == "vi" else en, shown)


def _state(current: Stage, status: TaskStatus, stage: Stage) -> StepState:
    here, there = STEPS.index(current), STEPS.index(stage)
    if there < here:
        return StepState.DONE
    if there > here:
        return StepState.UPCOMING
    if status in _ENDED:
        return StepState.FAILED
    if status is TaskStatus.CLOSED:
        return StepState.DONE
    return StepState.CURRENT


@dataclass(frozen=True)
class _Entry:
    """The columns of an audit entry the timeline reads."""

    id: int
    at: datetime
    action: str
    stage: Stage | None
    details: dict[str, Any]


def public_events(
    entries: list[_Entry], method: Method, lang: Language
) -> list[tuple[Stage, TimelineEvent]]:
    """The audit entries the public sees, as (step, event), repeats of one event merged."""
    shown: list[tuple[Stage, TimelineEvent]] = []
    for entry in entries:
        event = EVENTS.get(entry.action)
        details = entry.details or {}
        if event is None or method not in event.methods:
            continue
        if event.when is not None and not event.when(details):
            continue
        step = event.step or entry.stage
        if step is None:
            continue
        item = TimelineEvent(
            action=entry.action,
            at=_utc(entry.at),
            text=event.vi if lang == "vi" else event.en,
            details=[_detail(k, details[k], lang) for k in event.shows if details.get(k)],
        )
        previous = shown[-1][1] if shown else None
        if previous is not None and (previous.text, previous.details) == (item.text, item.details):
            continue  # several applications opened at one sitting: one event
        shown.append((step, item))
    return shown


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.action, AuditEntry.stage, AuditEntry.details)
# built once: the timeline is on every task page
_BY_TASK = select(*_COLUMNS).where(AuditEntry.task_id == bindparam("task_id"))
_BY_PROPOSAL = select(*_COLUMNS).where(
    AuditEntry.entity_type == "proposal", AuditEntry.entity_id == bindparam("proposal_id")
)


def timeline_of(
    *,
    session: Session,
    task_id: int,
    proposal_id: int | None,
    stage: Stage,
    status: TaskStatus,
    method: Method,
    lang: Language = "vi",
) -> Timeline:
    """The task's five steps with their states and public events, oldest first."""
    # Two indexed reads rather than one OR: the task's entries, and its proposal's from before
    # there was a task (step 1).
    reads = session.connection()
    rows = list(reads.execute(_BY_TASK, {"task_id": task_id}))
    if proposal_id is not None:
        rows += reads.execute(_BY_PROPOSAL, {"proposal_id": proposal_id})
    unique = {row[0]: _Entry(*row) for row in rows if row[2] in EVENTS}
    ordered = sorted(unique.values(), key=lambda e: (_utc(e.at), e.id))
    events = public_events(ordered, method, lang)
    return Timeline(
        current=stage,
        steps=[
            TimelineStep(
                stage=step,
                number=number,
                name=label(step, lang),
                state=_state(stage, status, step),
                events=[event for where, event in events if where is step],
            )
            for number, step in enumerate(STEPS, start=1)
        ],
    )


def task_timeline(*, session: Session, task: Task, lang: Language = "vi") -> Timeline:
    """The timeline of a loaded task."""
    return timeline_of(
        session=session,
        task_id=task.id,
        proposal_id=task.proposal_id,
        stage=task.stage,
        status=task.status,
        method=task.method,
        lang=lang,
    )
