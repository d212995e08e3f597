"""What hosts and applicants file for a task, and when the process is waiting for it.

The processes wait for the applicant or the host at message catch events (bpmn/README.md
"Messages"): a revised proposal, the direct-assignment dossier, the completed proposal after
the council, the signed contract, the final report, the completed acceptance dossier, the
registration dossier ... A filing is the domain side of one of them: `file` keeps its
documents (attachments of the filing; an application's dossier documents too) and the
message the process needs (name, correlation key = the task's code, variables, a message id),
audited, in the caller's transaction. The portal then publishes the message and calls
`mark_published`; a filing whose message the engine did not take is sent again.

`open_filings` says which filings a task's process waits for now, from the domain alone:
each kind has a state the task must be in, and a request (an audit entry: the screening that
asked for a revision, the contract prepared, ...) newer than the last filing of that kind.
Applying to an open call is a filing too (`apply_to_call`), without a message: the call
closes on its own timer and the opening lists what was filed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.attachments import Attachment
from models.audit import AuditEntry
from models.calls import Application, Call
from models.contracts import Contract
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    AcceptanceLevel,
    ApplicationStatus,
    CallStatus,
    ChangeKind,
    ContractStatus,
    DocumentKind,
    ProposalStatus,
    Rating,
    Stage,
    TaskKind,
    TaskStatus,
)
from models.filings import Filing
from models.proposals import Proposal
from models.rules import missing_application_documents
from models.services import calls as calls_service
from models.services import implementation as implementation_service
from models.services.attachments import attach
from models.services.audit import Actor, record_audit
from models.services.documents import add_dossier_document
from models.services.errors import InvalidStateError, get_or_raise
from models.services.variables import today_of
from models.tasks import Task, TaskMember

# a message waits this long in the engine for its catch event (the process is waiting already)
MESSAGE_TTL_MS = 60 * 60 * 1000
DESCRIPTION = {
    TaskKind.RESEARCH_TOPIC: DocumentKind.PROPOSAL_RESEARCH,
    TaskKind.PILOT_PROJECT: DocumentKind.PROPOSAL_PILOT,
    TaskKind.SCHEME: DocumentKind.PROPOSAL_SCHEME,
}
# the dossier's documents in the order of TT 20/2023 Đ5
DOSSIER_ORDER = (
    DocumentKind.APPLICATION_FORM,
    *DESCRIPTION.values(),
    DocumentKind.ORGANISATION_PROFILE,
    DocumentKind.CURRICULUM_VITAE,
)
DOCUMENT_LABELS = {
    DocumentKind.APPLICATION_FORM: ("Đơn đăng ký chủ trì (B1-1-ĐON)", "Application form"),
    DocumentKind.PROPOSAL_RESEARCH: ("Thuyết minh đề tài (B1-2a)", "Research description"),
    DocumentKind.PROPOSAL_PILOT: ("Thuyết minh dự án SXTN (B1-2b)", "Pilot project description"),
    DocumentKind.PROPOSAL_SCHEME: ("Thuyết minh đề án (B1-2c)", "Scheme description"),
    DocumentKind.ORGANISATION_PROFILE: ("Tóm tắt hoạt động của tổ chức (B1-3-LLTC)", "Profile"),
    DocumentKind.CURRICULUM_VITAE: ("Lý lịch khoa học của chủ nhiệm (B1-4-LLCN)", "CV"),
    DocumentKind.CONTRACT: ("Hợp đồng đã ký", "The signed contract"),
    DocumentKind.FINAL_REPORT: ("Báo cáo tổng hợp kết quả", "Final report"),
    DocumentKind.SUMMARY_REPORT: ("Báo cáo tóm tắt", "Summary report"),
    DocumentKind.SELF_ASSESSMENT: ("Báo cáo tự đánh giá", "Self-assessment"),
    DocumentKind.REGISTRATION_FORM: ("Phiếu đăng ký kết quả (Mẫu 5)", "Registration form"),
    DocumentKind.AUTHORS_AGREEMENT: ("Thỏa thuận của các tác giả", "Authors' agreement"),
    DocumentKind.OTHER: ("Tài liệu", "Document"),
}


@dataclass(frozen=True)
class Slot:
    """One document of a filing: a file field of its form."""

    key: str
    kind: DocumentKind
    label_vi: str
    label_en: str
    required: bool = True


@dataclass(frozen=True)
class Upload:
    """A file given for a slot (its type checked by the caller)."""

    slot: str
    name: str
    content: bytes
    content_type: str


def _slot(kind: DocumentKind, required: bool = True, label: tuple[str, str] | None = None) -> Slot:
    vi, en = label or DOCUMENT_LABELS[kind]
    return Slot(kind.value.replace("-", "_").lower(), kind, vi, en, required)


def dossier_slots(task: Task) -> tuple[Slot, ...]:
    """The documents of an application dossier for the task's kind (TT 20/2023 Đ5)."""
    needed = missing_application_documents(task.kind, ())
    return tuple(_slot(kind) for kind in DOSSIER_ORDER if kind in needed)


@dataclass(frozen=True)
class FilingKind:
    """What is filed, the message it sends, and how its documents reach the process."""

    kind: str
    message: str
    title_vi: str
    title_en: str
    # the slots of the form (a function of the task: a dossier depends on its kind)
    slots: Callable[[Task], tuple[Slot, ...]]
    # message variables from the stored file ids by slot key
    variables: Callable[[dict[str, list[int]]], dict[str, Any]]


def _all_ids(ids: dict[str, list[int]]) -> list[int]:
    return [i for found in ids.values() for i in found]


def _first(name: str) -> Callable[[dict[str, list[int]]], dict[str, Any]]:
    def variables(ids: dict[str, list[int]]) -> dict[str, Any]:
        every = _all_ids(ids)
        return {name: every[0] if every else None, "documentIds": every}

    return variables


def _listed(name: str) -> Callable[[dict[str, list[int]]], dict[str, Any]]:
    return lambda ids: {name: _all_ids(ids)}


def _fixed(*slots: Slot) -> Callable[[Task], tuple[Slot, ...]]:
    return lambda _task: slots


OTHER = _slot(DocumentKind.OTHER, label=("Tài liệu bổ sung", "Additional documents"))
KINDS: dict[str, FilingKind] = {
    k.kind: k
    for k in (
        FilingKind(
            "proposal-revision",
            "khcn.proposal.revised",
            "Nộp lại đề xuất đã bổ sung, chỉnh sửa",
            "File the revised proposal",
            _fixed(_slot(DocumentKind.OTHER, label=("Đề xuất đã chỉnh sửa", "Revised proposal"))),
            _listed("revisedDocumentIds"),
        ),
        FilingKind(
            "direct-dossier",
            "khcn.selection.dossier-submitted",
            "Nộp hồ sơ đăng ký chủ trì (giao trực tiếp)",
            "File the dossier of the direct assignment",
            dossier_slots,
            _listed("documentIds"),
        ),
        FilingKind(
            "completed-proposal",
            "khcn.selection.proposal-completed",
            "Nộp thuyết minh đã hoàn thiện theo kết luận của hội đồng",
            "File the proposal completed after the council",
            lambda task: (_slot(DESCRIPTION[task.kind]),),
            _first("completedProposalDocumentId"),
        ),
        FilingKind(
            "signed-contract",
            "khcn.contract.signed",
            "Nộp hợp đồng đã ký",
            "File the signed contract",
            _fixed(_slot(DocumentKind.CONTRACT)),
            _first("signedContractDocumentId"),
        ),
        FilingKind(
            "final-report",
            "khcn.implementation.final-report",
            "Nộp hồ sơ đánh giá, nghiệm thu (báo cáo tổng hợp)",
            "File the acceptance dossier (final report)",
            _fixed(
                _slot(DocumentKind.FINAL_REPORT),
                _slot(DocumentKind.SUMMARY_REPORT, required=False),
                _slot(DocumentKind.SELF_ASSESSMENT, required=False),
            ),
            _first("finalReportDocumentId"),
        ),
        FilingKind(
            "acceptance-revision",
            "khcn.acceptance.dossier-revised",
            "Bổ sung hồ sơ đánh giá, nghiệm thu",
            "Complete the acceptance dossier",
            _fixed(OTHER),
            _listed("documentIds"),
        ),
        FilingKind(
            "acceptance-completion",
            "khcn.acceptance.dossier-completed",
            "Nộp hồ sơ đã hoàn thiện sau nghiệm thu",
            "File the dossier completed after acceptance",
            _fixed(_slot(DocumentKind.FINAL_REPORT, label=("Báo cáo đã hoàn thiện", "Report"))),
            _first("completedDossierDocumentId"),
        ),
        FilingKind(
            "registration-dossier",
            "khcn.registration.dossier-submitted",
            "Nộp hồ sơ đăng ký kết quả",
            "File the results' registration dossier",
            _fixed(
                _slot(DocumentKind.REGISTRATION_FORM),
                _slot(DocumentKind.SUMMARY_REPORT, required=False),
                _slot(DocumentKind.AUTHORS_AGREEMENT, required=False),
            ),
            _first("registrationFormDocumentId"),
        ),
        FilingKind(
            "registration-revision",
            "khcn.registration.dossier-revised",
            "Bổ sung hồ sơ đăng ký kết quả",
            "Complete the registration dossier",
            _fixed(OTHER),
            _listed("documentIds"),
        ),
    )
}

# A change request (extension, budget, personnel, content) is the host's own initiative: the
# implementation's event sub-process takes it at any time, so it is never "awaited" and stays
# out of KINDS (what the process waits for); its message carries the request, not documents.
CHANGE_REQUEST = FilingKind(
    "change-request",
    "khcn.implementation.change-requested",
    "Đề nghị điều chỉnh, gia hạn",
    "Request a change or an extension",
    _fixed(_slot(DocumentKind.OTHER, required=False, label=("Văn bản đề nghị", "Request letter"))),
    lambda _ids: {},
)
# every kind a filing may have: their names on the task's page and in its history
ALL_KINDS: dict[str, FilingKind] = {**KINDS, CHANGE_REQUEST.kind: CHANGE_REQUEST}


# ----------------------------------------------------------------------------- when


def _latest(
    session: Session, task: Task, actions: Sequence[str], where: Callable[[AuditEntry], bool]
) -> int:
    """The id of the newest audit entry of the task among `actions` that `where` accepts (0)."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.task_id == task.id, AuditEntry.action.in_(actions))
        .order_by(AuditEntry.id.desc())
    )
    return next((entry.id for entry in rows if where(entry)), 0)


def _any(_entry: AuditEntry) -> bool:
    return True


def _detail(name: str, *values: Any) -> Callable[[AuditEntry], bool]:
    return lambda entry: (entry.details or {}).get(name) in values


def _waiting(session: Session, task: Task, kind: str, request: int) -> bool:
    """A request (audit entry id) newer than the last filing of the kind."""
    filed = _latest(session, task, [f"filing.{kind}"], _any)
    return request > filed


def _direct_application(session: Session, task: Task) -> Application | None:
    """The application of the task's open direct assignment, when it lacks documents."""
    rows = session.scalars(
        select(Application)
        .join(Call, Call.id == Application.call_id)
        .where(
            Application.task_id == task.id,
            Call.status == CallStatus.OPEN,
            Call.number == calls_service.direct_number(task),
        )
    )
    return next((a for a in rows if calls_service.missing_documents(session, a)), None)


def _winner(session: Session, task: Task) -> Application | None:
    """The application the council recommended and the ranking chose, not yet approved."""
    entry_id = _latest(session, task, ["selection.rank"], lambda e: bool(e.details.get("winner")))
    if not entry_id or task.status is not TaskStatus.SELECTING:
        return None
    entry = session.get(AuditEntry, entry_id)
    application = session.get(Application, int(entry.details["winner"])) if entry else None
    if application is None or application.status is not ApplicationStatus.RECOMMENDED:
        return None
    return application


def _dossier(session: Session, task: Task) -> AcceptanceDossier | None:
    return session.scalar(
        select(AcceptanceDossier).where(
            AcceptanceDossier.task_id == task.id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
        )
    )


def _is_open(session: Session, task: Task, kind: str) -> bool:
    """Whether the task's process waits for a filing of `kind` now."""
    if kind == "proposal-revision":
        proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
        last_screen = _latest(session, task, ["proposal.screen"], _any)
        asked = _latest(session, task, ["proposal.screen"], _detail("result", "revise"))
        return (
            proposal is not None
            and proposal.status is ProposalStatus.SUBMITTED
            and task.stage is Stage.TASK_LIST
            and asked == last_screen
            and _waiting(session, task, kind, asked)
        )
    if kind == "direct-dossier":
        return task.stage is Stage.SELECTION and _direct_application(session, task) is not None
    if kind == "completed-proposal":
        asked = _latest(session, task, ["selection.rank"], lambda e: bool(e.details.get("winner")))
        return _winner(session, task) is not None and _waiting(session, task, kind, asked)
    if kind == "signed-contract":
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        asked = _latest(session, task, ["contract.prepare"], _any)
        return (
            contract is not None
            and contract.status is ContractStatus.DRAFT
            and _waiting(session, task, kind, asked)
        )
    if kind == "final-report":
        asked = _latest(session, task, ["implementation.plan"], _any)
        return (
            task.stage is Stage.IMPLEMENTATION
            and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.CONTRACTED)
            and _waiting(session, task, kind, asked)
        )
    dossier = _dossier(session, task)
    if kind == "acceptance-revision":
        asked = _latest(session, task, ["acceptance.validate_dossier"], _detail("valid", False))
        return (
            dossier is not None
            and dossier.status.value == "invalid"
            and _waiting(session, task, kind, asked)
        )
    if kind == "acceptance-completion":
        asked = max(
            _latest(session, task, ["acceptance.record_result"], _any),
            _latest(session, task, ["acceptance.confirm_completion"], _detail("completed", False)),
        )
        return (
            dossier is not None
            and dossier.council_rating in (Rating.EXCELLENT, Rating.PASS)
            and dossier.completed_on is None
            and _waiting(session, task, kind, asked)
        )
    registering = task.stage is Stage.REGISTRATION and task.status is TaskStatus.ACCEPTED
    if kind == "registration-dossier":
        asked = _latest(
            session,
            task,
            ["task.move"],
            lambda e: (e.details.get("to") or {}).get("stage") == Stage.REGISTRATION.value,
        )
        return registering and _waiting(session, task, kind, asked)
    if kind == "registration-revision":
        asked = _latest(session, task, ["registration.check"], _detail("valid", False))
        return registering and _waiting(session, task, kind, asked)
    return False


def open_filings(*, session: Session, task: Task) -> list[FilingKind]:
    """The filings the task's process waits for now."""
    return [k for k in KINDS.values() if _is_open(session, task, k.kind)]


def filers(*, session: Session, task: Task, kind: str) -> set[int]:
    """The people who may make a filing of `kind` for the task."""
    proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
    proposer = {proposal.proposer_person_id} if proposal and proposal.proposer_person_id else set()
    if kind == "proposal-revision":
        return proposer
    if kind == "direct-dossier":
        application = _direct_application(session, task)
        pi = {application.principal_investigator_id} if application else set()
        return proposer | pi
    if kind == "completed-proposal":
        winner = _winner(session, task)
        return {winner.principal_investigator_id} if winner else set()
    members = set(
        session.scalars(select(TaskMember.person_id).where(TaskMember.task_id == task.id))
    )
    lead = {task.principal_investigator_id} if task.principal_investigator_id else set()
    return lead | members


def expected_of(
    *, session: Session, person_id: int, tasks: Sequence[Task]
) -> list[tuple[Task, FilingKind]]:
    """What a person is expected to file now, among the tasks given (their own)."""
    return [
        (task, kind)
        for task in tasks
        for kind in open_filings(session=session, task=task)
        if person_id in filers(session=session, task=task, kind=kind.kind)
    ]


# ----------------------------------------------------------------------------- filing


def _store(
    session: Session,
    *,
    root: Any,
    uploads: Sequence[Upload],
    slots: Sequence[Slot],
    actor: Actor,
    task_id: int,
    filing_id: int | None = None,
    application_id: int | None = None,
) -> dict[str, list[int]]:
    """Keep the uploads as attachments (and an application's dossier documents): the stored
    file ids by slot."""
    by_key = {slot.key: slot for slot in slots}
    ids: dict[str, list[int]] = {}
    for upload in uploads:
        slot = by_key[upload.slot]
        attachment = attach(
            session=session,
            root=root,
            content=upload.content,
            name=upload.name,
            content_type=upload.content_type,
            actor=actor,
            field_key=slot.key,
            task_id=task_id,
            filing_id=filing_id,
        )
        if application_id is not None:
            add_dossier_document(
                session=session,
                stored_file_id=attachment.stored_file_id,
                kind=slot.kind,
                application_id=application_id,
            )
        ids.setdefault(slot.key, []).append(attachment.stored_file_id)
    return ids


def _check_uploads(slots: Sequence[Slot], uploads: Sequence[Upload]) -> None:
    keys = {slot.key for slot in slots}
    given = {upload.slot for upload in uploads}
    missing = [slot for slot in slots if slot.required and slot.key not in given]
    stray = given - keys
    if missing or stray:
        names = [f"{s.label_vi}" for s in missing] + sorted(stray)
        raise InvalidStateError(
            "filing_documents",
            "Hồ sơ thiếu hoặc thừa tài liệu: " + ", ".join(names),
            "The filing lacks or has unknown documents: "
            + ", ".join([s.label_en for s in missing] + sorted(stray)),
        )


def _new_filing(
    session: Session, task: Task, what: FilingKind, *, actor: Actor, now: datetime, note: str
) -> Filing:
    """A filing's row with its message's name, correlation key and id (variables to come)."""
    filing = Filing(
        task_id=task.id,
        kind=what.kind,
        message_name=what.message,
        correlation_key=task.code,
        message_id="",
        variables={},
        note=note[:2000],
        filed_by_id=actor.user_id,
        filed_at=now,
    )
    session.add(filing)
    session.flush()
    filing.message_id = f"filing-{filing.id}-{what.kind}-{task.code}"
    return filing


def _audit_filing(
    session: Session, task: Task, filing: Filing, actor: Actor, ids: dict[str, list[int]]
) -> None:
    record_audit(
        session=session,
        action=f"filing.{filing.kind}",
        entity_type="filing",
        entity_id=filing.id,
        actor=actor,
        task_id=task.id,
        stage=task.stage,
        details={"message": filing.message_name, "documents": _all_ids(ids)},
    )


def file(
    *,
    session: Session,
    task_id: int,
    kind: str,
    person_id: int | None,
    uploads: Sequence[Upload],
    root: Any,
    now: datetime,
    actor: Actor,
    note: str = "",
) -> Filing:
    """A filing the process waits for: its documents kept, its message prepared (published by
    the caller after the commit), audited."""
    task = get_or_raise(session, Task, task_id)
    what = KINDS.get(kind)
    if what is None or not _is_open(session, task, kind):
        raise InvalidStateError(
            "filing_not_expected",
            f"Nhiệm vụ {task.code} hiện không chờ hồ sơ này.",
            f"Task {task.code} is not waiting for this filing ({kind}).",
        )
    if person_id is None or person_id not in filers(session=session, task=task, kind=kind):
        raise InvalidStateError(
            "filing_not_yours",
            "Chỉ tổ chức chủ trì, chủ nhiệm nhiệm vụ (hoặc người đề xuất) được nộp hồ sơ này.",
            "Only the task's host, its investigator (or the proposer) may file this.",
        )
    slots = what.slots(task)
    _check_uploads(slots, uploads)
    filing = _new_filing(session, task, what, actor=actor, now=now, note=note)
    application = _direct_application(session, task) if kind == "direct-dossier" else None
    ids = _store(
        session,
        root=root,
        uploads=uploads,
        slots=slots,
        actor=actor,
        task_id=task.id,
        filing_id=filing.id,
        application_id=application.id if application else None,
    )
    filing.variables = what.variables(ids)
    if application is not None:
        filing.variables["applicationId"] = application.id
    session.flush()
    _audit_filing(session, task, filing, actor, ids)
    return filing


def _change_open(session: Session, task: Task) -> bool:
    """Whether the task is being carried out under a signed contract (a change may be asked)."""
    if task.stage is not Stage.IMPLEMENTATION:
        return False
    if task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.CONTRACTED):
        return False
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    return contract is not None and contract.status is ContractStatus.SIGNED


def may_request_change(*, session: Session, task: Task, person_id: int | None) -> bool:
    """Whether the person may ask a change of the task now (theirs, under contract)."""
    return (
        person_id is not None
        and _change_open(session, task)
        and person_id in filers(session=session, task=task, kind=CHANGE_REQUEST.kind)
    )


def request_change(
    *,
    session: Session,
    task_id: int,
    person_id: int | None,
    kind: ChangeKind,
    reason: str,
    uploads: Sequence[Upload],
    root: Any,
    now: datetime,
    actor: Actor,
    requested_end_date: date | None = None,
    requested_budget: int | None = None,
    details: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
) -> Filing:
    """The host asks for a change (an extension checked against TT 04/2015 Đ12 at once): the
    request and its letter kept, the message to the implementation prepared, audited."""
    task = get_or_raise(session, Task, task_id)
    if not _change_open(session, task):
        raise InvalidStateError(
            "change_not_open",
            f"Nhiệm vụ {task.code} không trong thời gian thực hiện hợp đồng: không thể đề nghị "
            "điều chỉnh.",
            f"Task {task.code} is not being carried out under a signed contract: no change "
            "can be requested.",
        )
    if person_id is None or person_id not in filers(
        session=session, task=task, kind=CHANGE_REQUEST.kind
    ):
        raise InvalidStateError(
            "filing_not_yours",
            "Chỉ chủ nhiệm và thành viên của nhiệm vụ được đề nghị điều chỉnh.",
            "Only the task's investigator and members may request a change.",
        )
    slots = CHANGE_REQUEST.slots(task)
    _check_uploads(slots, uploads)
    change = implementation_service.request_change(
        session=session,
        task_id=task.id,
        kind=kind,
        reason=reason,
        requested_on=today_of(now),
        requested_end_date=requested_end_date,
        requested_budget=requested_budget,
        details=details,
        regulations=regulations,
        actor=actor,
    )
    filing = _new_filing(session, task, CHANGE_REQUEST, actor=actor, now=now, note=reason)
    filing.variables = {"changeRequestId": change.id, "changeKind": kind.value}
    ids = _store(
        session,
        root=root,
        uploads=uploads,
        slots=slots,
        actor=actor,
        task_id=task.id,
        filing_id=filing.id,
    )
    session.flush()
    _audit_filing(session, task, filing, actor, ids)
    return filing


def mark_published(*, session: Session, filing_id: int, at: datetime) -> Filing:
    """The engine took the filing's message."""
    filing = get_or_raise(session, Filing, filing_id)
    if filing.published_at is None:
        filing.published_at = at
        session.flush()
    return filing


def unpublished(*, session: Session) -> list[Filing]:
    """Filings whose message the engine has not taken yet, oldest first."""
    return list(
        session.scalars(select(Filing).where(Filing.published_at.is_(None)).order_by(Filing.id))
    )


def filings_of(*, session: Session, task_id: int) -> list[Filing]:
    """A task's filings, oldest first."""
    return list(
        session.scalars(select(Filing).where(Filing.task_id == task_id).order_by(Filing.id))
    )


def documents_of(*, session: Session, filing_ids: Sequence[int]) -> list[Attachment]:
    """The documents of some filings, oldest first."""
    if not filing_ids:
        return []
    return list(
        session.scalars(
            select(Attachment).where(Attachment.filing_id.in_(filing_ids)).order_by(Attachment.id)
        )
    )


# ----------------------------------------------------------------------------- open calls


def apply_to_call(
    *,
    session: Session,
    call_id: int,
    task_id: int,
    organisation_id: int,
    person_id: int,
    requested_budget: int | None,
    uploads: Sequence[Upload],
    root: Any,
    actor: Actor,
) -> Application:
    """An organisation applies to an open call for one of its tasks, with the complete dossier
    (TT 20/2023 Đ5); the investigator is the person applying."""
    task = get_or_raise(session, Task, task_id)
    slots = dossier_slots(task)
    _check_uploads(slots, uploads)
    application = calls_service.submit_application(
        session=session,
        call_id=call_id,
        task_id=task_id,
        organisation_id=organisation_id,
        principal_investigator_id=person_id,
        requested_budget=requested_budget,
    )
    _store(
        session,
        root=root,
        uploads=uploads,
        slots=slots,
        actor=actor,
        task_id=task.id,
        application_id=application.id,
    )
    return application


def open_calls(*, session: Session) -> list[Call]:
    """The calls for applications open now (not the direct assignments), newest first."""
    rows = session.scalars(
        select(Call).where(Call.status == CallStatus.OPEN).order_by(Call.id.desc())
    )
    return [
        c for c in rows if not any(c.number == calls_service.direct_number(i.task) for i in c.items)
    ]


def applications_of(*, session: Session, person_id: int) -> list[Application]:
    """The applications a person leads, newest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.principal_investigator_id == person_id)
            .order_by(Application.id.desc())
        )
    )


def count_unpublished(*, session: Session) -> int:
    """How many filings wait for their message to be taken."""
    return int(
        session.scalar(
            select(func.count()).select_from(Filing).where(Filing.published_at.is_(None))
        )
        or 0
    )
