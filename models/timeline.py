"""A task's 5-step timeline, from the domain tables and the audit log (never from the engine).

`EVENTS` is the one table that says which audit actions the public sees, in which step, under
which words, and which of their details (`DETAILS`); an action missing from it is not shown
(the rule of models/publicity.py). One action may have several lines, told apart by the task's
method or by its details (`when`): the first line that fits is shown. New actions are added
here, one line each.

Left out on purpose: council proposals, reviews, ballots, attendance and rankings (who sat and
how they judged), the budget appraisal team's forming, dossiers filed or found incomplete,
progress and change requests not decided, contracts not yet signed, refused list entries and
closed proposals (their task is never public).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import ChangeKind, CouncilType, Method, Rating, Stage, TaskStatus
from models.labels import Language, label
from models.tasks import Task

Details = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """How one audit action appears on the public timeline."""

    action: str
    vi: str
    en: str
    # the step it belongs to (None: the audit entry's own stage)
    step: Stage | None = None
    # the details shown, by their name in DETAILS
    shows: tuple[str, ...] = ()
    # shown only for tasks chosen by these methods
    methods: frozenset[Method] = frozenset(Method)
    # shown only when the details say so (e.g. an approved change, a valid dossier)
    when: Callable[[Details], bool] | None = None
    # one act recorded as two entries: this one's details join the event of `adds_to` just
    # before it instead of making a line of their own (a decision, then what it decided)
    adds_to: str | None = None


_SELECTION = frozenset({Method.SELECTION})
_DIRECT = frozenset({Method.DIRECT})


def _is(key: str, *values: object) -> Callable[[Details], bool]:
    """Details whose ``key`` holds one of ``values``."""
    return lambda d: d.get(key) in values


def _council(kind: CouncilType) -> Callable[[Details], bool]:
    return _is("type", kind.value)


EVENTS: tuple[Event, ...] = (
    # -- 1. the task list ------------------------------------------------------------------
    Event("proposal.submit", "Nộp đề xuất đặt hàng", "Proposal submitted", Stage.TASK_LIST),
    Event(
        "proposal.register",
        "Tiếp nhận đề xuất, cấp mã nhiệm vụ",
        "Proposal received and given its code",
        Stage.TASK_LIST,
        ("task_code",),
    ),
    Event(
        "proposal.screen",
        "Đề xuất hợp lệ, chuyển hội đồng tư vấn",
        "Proposal screened in for the advisory council",
        Stage.TASK_LIST,
        when=_is("result", "passed"),
    ),
    Event(
        "council.establish",
        "Thành lập Hội đồng tư vấn xác định nhiệm vụ",
        "Advisory council established",
        Stage.TASK_LIST,
        ("council_decision",),
        when=_council(CouncilType.ADVISORY),
    ),
    Event(
        "council.count",
        "Hội đồng tư vấn xác định nhiệm vụ kết luận",
        "The advisory council concluded",
        Stage.TASK_LIST,
        when=_council(CouncilType.ADVISORY),
    ),
    Event(
        "decision.list_approval",
        "Phê duyệt danh mục nhiệm vụ",
        "Approved in the task list",
        Stage.TASK_LIST,
        ("decision_number", "signed_on"),
    ),
    Event(
        "task_list.approve",
        "Phê duyệt danh mục nhiệm vụ",
        "Approved in the task list",
        Stage.TASK_LIST,
        ("method",),
        adds_to="decision.list_approval",
    ),
    Event(
        "task_list.publish",
        "Công bố danh mục nhiệm vụ",
        "Task list published",
        Stage.TASK_LIST,
    ),
    # -- 2. selection or direct assignment -------------------------------------------------
    Event(
        "call.open",
        "Thông báo tuyển chọn",
        "Call for applications published",
        Stage.SELECTION,
        ("call_number",),
        methods=_SELECTION,
        when=lambda d: not d.get("reopens_call_id"),
    ),
    Event(
        "call.open",
        "Thông báo tuyển chọn lần 2",
        "Call for applications published again",
        Stage.SELECTION,
        ("call_number",),
        methods=_SELECTION,
    ),
    Event(
        "selection.invite_direct",
        "Giao trực tiếp: đề nghị tổ chức, cá nhân nộp hồ sơ đăng ký chủ trì",
        "Direct assignment: the host asked to file its dossier",
        Stage.SELECTION,
        methods=_DIRECT,
    ),
    Event(
        "call.open_dossiers",
        "Mở hồ sơ, kiểm tra tính hợp lệ",
        "Applications opened and checked",
        Stage.SELECTION,
    ),
    Event(
        "council.establish",
        "Thành lập Hội đồng tư vấn tuyển chọn",
        "Selection council established",
        Stage.SELECTION,
        ("council_decision",),
        methods=_SELECTION,
        when=_council(CouncilType.SELECTION),
    ),
    Event(
        "council.establish",
        "Thành lập Hội đồng tư vấn giao trực tiếp",
        "Direct assignment council established",
        Stage.SELECTION,
        ("council_decision",),
        methods=_DIRECT,
        when=_council(CouncilType.SELECTION),
    ),
    Event(
        "council.count",
        "Hội đồng tuyển chọn đánh giá hồ sơ",
        "The selection council assessed the applications",
        Stage.SELECTION,
        methods=_SELECTION,
        when=_council(CouncilType.SELECTION),
    ),
    Event(
        "council.count",
        "Hội đồng giao trực tiếp đánh giá hồ sơ",
        "The council assessed the host's dossier",
        Stage.SELECTION,
        methods=_DIRECT,
        when=_council(CouncilType.SELECTION),
    ),
    Event(
        "selection.round_end",
        "Kết thúc lần tuyển chọn chưa có tổ chức, cá nhân chủ trì",
        "Round ended without a host",
        Stage.SELECTION,
    ),
    Event("appraisal.conclude", "Thẩm định kinh phí", "Budget appraised", Stage.SELECTION),
    Event(
        "decision.selection_approval",
        "Phê duyệt tổ chức, cá nhân chủ trì",
        "Host organisation and investigator approved",
        Stage.SELECTION,
        ("decision_number", "signed_on"),
    ),
    Event(
        "selection.cancel",
        "Hủy kết quả tuyển chọn, giao trực tiếp",
        "Selection result cancelled",
        Stage.SELECTION,
    ),
    Event("contract.sign", "Ký hợp đồng", "Contract signed", Stage.SELECTION, ("signed_on",)),
    # -- 3. implementation -----------------------------------------------------------------
    Event(
        "implementation.record_report",
        "Nộp báo cáo định kỳ",
        "Progress report filed",
        Stage.IMPLEMENTATION,
        ("period",),
    ),
    Event(
        "implementation.inspect",
        "Đánh giá hằng năm",
        "Yearly evaluation",
        Stage.IMPLEMENTATION,
        when=_is("kind", "annual_evaluation"),
    ),
    Event(
        "implementation.inspect",
        "Kiểm tra tình hình thực hiện",
        "Progress inspected",
        Stage.IMPLEMENTATION,
    ),
    Event(
        "implementation.decide_change",
        "Chấp thuận điều chỉnh",
        "Change approved",
        Stage.IMPLEMENTATION,
        ("change_kind",),
        when=_is("approved", True),
    ),
    Event(
        "decision.termination",
        "Quyết định chấm dứt hợp đồng",
        "Contract terminated by decision",
        Stage.IMPLEMENTATION,
        ("decision_number", "signed_on"),
    ),
    # -- 4. acceptance ---------------------------------------------------------------------
    Event(
        "acceptance.submit_dossier",
        "Nộp hồ sơ đánh giá, nghiệm thu",
        "Acceptance dossier filed",
        Stage.ACCEPTANCE,
    ),
    Event(
        "acceptance.validate_dossier",
        "Hồ sơ nghiệm thu hợp lệ",
        "Acceptance dossier found complete",
        Stage.ACCEPTANCE,
        when=_is("valid", True),
    ),
    Event(
        "council.establish",
        "Thành lập Hội đồng tư vấn đánh giá, nghiệm thu",
        "Acceptance council established",
        Stage.ACCEPTANCE,
        ("council_decision",),
        when=_council(CouncilType.ACCEPTANCE),
    ),
    Event(
        "acceptance.record_result",
        "Hội đồng đánh giá, nghiệm thu xếp loại",
        "The acceptance council's rating",
        Stage.ACCEPTANCE,
        ("rating",),
    ),
    Event(
        "acceptance.confirm_completion",
        "Hoàn thiện hồ sơ sau nghiệm thu",
        "Dossier completed after the acceptance council",
        Stage.ACCEPTANCE,
        when=_is("completed", True),
    ),
    Event(
        "acceptance.settle_failure",
        "Xác định kinh phí hoàn trả của nhiệm vụ không đạt",
        "Refund of the failed task determined",
        Stage.ACCEPTANCE,
    ),
    # -- 5. registration, archive, publication ---------------------------------------------
    Event(
        "registration.register",
        "Đăng ký kết quả thực hiện nhiệm vụ",
        "Results registered",
        Stage.REGISTRATION,
    ),
    Event(
        "registration.check",
        "Hồ sơ đăng ký kết quả hợp lệ",
        "Registration dossier found complete",
        Stage.REGISTRATION,
        when=_is("valid", True),
    ),
    Event(
        "registration.issue_certificate",
        "Cấp Giấy chứng nhận đăng ký kết quả",
        "Registration certificate issued",
        Stage.REGISTRATION,
        ("certificate_number",),
    ),
    Event(
        "decision.recognition",
        "Quyết định công nhận kết quả thực hiện nhiệm vụ",
        "Results recognised by decision",
        Stage.REGISTRATION,
        ("decision_number", "signed_on"),
    ),
    Event(
        "registration.archive",
        "Lưu giữ hồ sơ, kết quả",
        "Results archived",
        Stage.REGISTRATION,
    ),
    Event(
        "registration.publish",
        "Công bố kết quả trên Cổng thông tin",
        "Results published on the portal",
        Stage.REGISTRATION,
    ),
    Event(
        "contract.close",
        "Thanh lý hợp đồng",
        "Contract closed",
        Stage.REGISTRATION,
        ("liquidated_on",),
    ),
    # -- the end, in the step where the task ended -----------------------------------------
    Event(
        "task.close",
        "Hoàn thành nhiệm vụ",
        "Task completed",
        when=_is("outcome", "completed"),
    ),
    Event(
        "task.close",
        "Kết thúc nhiệm vụ: không đạt",
        "Task closed: not passed",
        when=_is("outcome", "failed"),
    ),
    Event(
        "task.close",
        "Kết thúc nhiệm vụ: không nộp hồ sơ đánh giá, nghiệm thu đúng hạn",
        "Task closed: no acceptance dossier in time",
        when=_is("outcome", "late"),
    ),
    Event(
        "task.close",
        "Dừng nhiệm vụ: không chọn được tổ chức, cá nhân chủ trì",
        "Task stopped: no host was found",
        when=_is("outcome", "cancelled"),
    ),
    Event(
        "task.close",
        "Kết thúc nhiệm vụ: chấm dứt hợp đồng",
        "Task closed: contract terminated",
        when=_is("outcome", "terminated"),
    ),
)

# The lines of each action, in the table's order.
BY_ACTION: dict[str, tuple[Event, ...]] = {}
for _event in EVENTS:
    BY_ACTION[_event.action] = (*BY_ACTION.get(_event.action, ()), _event)


@dataclass(frozen=True)
class DetailKind:
    """A detail an event may show: the audit details' key, its words, how its value reads."""

    key: str
    vi: str
    en: str
    # the enum whose label shows the value
    enum: type[Enum] | None = None
    # an ISO date, shown as the portal writes dates
    is_date: bool = False


DETAILS: dict[str, DetailKind] = {
    "method": DetailKind("method", "Phương thức", "Method", Method),
    "task_code": DetailKind("task_code", "Mã nhiệm vụ", "Task code"),
    "call_number": DetailKind("number", "Số thông báo", "Call number"),
    "decision_number": DetailKind("number", "Số quyết định", "Decision number"),
    "council_decision": DetailKind(
        "decision_number", "Quyết định thành lập số", "Established by decision"
    ),
    "signed_on": DetailKind("signed_on", "Ngày ký", "Signed on", is_date=True),
    "period": DetailKind("period", "Kỳ báo cáo", "Period"),
    "change_kind": DetailKind("kind", "Nội dung", "What", ChangeKind),
    "rating": DetailKind("rating", "Kết quả", "Rating", Rating),
    "certificate_number": DetailKind("certificate_number", "Số giấy chứng nhận", "Certificate"),
    "liquidated_on": DetailKind("liquidated_on", "Ngày thanh lý", "Closed on", is_date=True),
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
_ENDED = {TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TERMINATED}


def _utc(at: datetime) -> datetime:
    """A stored moment with its zone (SQLite hands back UTC without one)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _detail(name: str, value: Any, lang: Language) -> Detail:
    kind = DETAILS[name]
    shown = str(value)
    if kind.enum is not None:
        try:
            shown = label(kind.enum(value), lang)
        except ValueError:
            pass
    elif kind.is_date and isinstance(value, str) and len(value) == 10:
        shown = f"{value[8:10]}/{value[5:7]}/{value[0:4]}"  # ISO date as the portal writes dates
    return Detail(kind.vi if lang == "vi" else kind.en, shown)


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


def event_of(action: str, method: Method, details: Details) -> Event | None:
    """The line of the table an audit entry shows as (None: the public does not see it)."""
    for event in BY_ACTION.get(action, ()):
        if method in event.methods and (event.when is None or event.when(details)):
            return event
    return None


def public_events(
    entries: list[_Entry], method: Method, lang: Language
) -> list[tuple[Stage, TimelineEvent]]:
    """The audit entries the public sees, as (step, event), repeats of one event merged."""
    shown: list[tuple[Stage, TimelineEvent]] = []
    for entry in entries:
        details = entry.details or {}
        event = event_of(entry.action, method, details)
        if event is None:
            continue
        step = event.step or entry.stage
        if step is None:
            continue
        found = [
            _detail(name, details[DETAILS[name].key], lang)
            for name in event.shows
            if details.get(DETAILS[name].key) not in (None, "")
        ]
        previous = shown[-1][1] if shown else None
        if previous is not None and event.adds_to == previous.action:
            joined = previous.details + [d for d in found if d not in previous.details]
            shown[-1] = (
                shown[-1][0],
                TimelineEvent(previous.action, previous.at, previous.text, joined),
            )
            continue
        item = TimelineEvent(
            action=entry.action,
            at=_utc(entry.at),
            text=event.vi if lang == "vi" else event.en,
            details=found,
        )
        if previous is not None and (previous.text, previous.details) == (item.text, item.details):
            continue  # one act recorded twice (a job delivered again): one event
        shown.append((step, item))
    return shown


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.action, AuditEntry.stage, AuditEntry.details)
# built once: the timeline is on every task page
_BY_TASK = select(*_COLUMNS).where(AuditEntry.task_id == bindparam("task_id"))
_BY_PROPOSAL = select(*_COLUMNS).where(
    AuditEntry.entity_type == "proposal", AuditEntry.entity_id == bindparam("proposal_id")
)
_BY_TASK_AND_PROPOSAL = union_all(_BY_TASK, _BY_PROPOSAL)


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
    # Two indexed reads in one statement (UNION ALL, not an OR that no index answers): the
    # task's entries, and its proposal's from before there was a task (step 1).
    reads = session.connection()
    if proposal_id is None:
        rows = list(reads.execute(_BY_TASK, {"task_id": task_id}))
    else:
        found = reads.execute(
            _BY_TASK_AND_PROPOSAL, {"task_id": task_id, "proposal_id": proposal_id}
        )
        rows = list(found)
    unique = {row[0]: _Entry(*row) for row in rows if row[2] in BY_ACTION}
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
