"""Step 1 (xây dựng danh mục nhiệm vụ): register proposals, ask for revisions, publish the
approved list; and closing a task at the end of khcn-task.

A proposal becomes a `Task` row as soon as it is registered: the task code (`NV-2026-001`) is
the correlation key of every later message, and the councils hang off the task. Until the
Director approves the list the task sits in stage `task-list` and the proposal's status says
how far it got (submitted, screened_in, recommended, approved, rejected ...): a task belongs to
the published list only when its proposal is `approved` (and the audit log holds a
`task_list.publish` entry with the publication time).
"""

import logging
import re
from datetime import UTC, datetime
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import Method, ProposalStatus, Stage, TaskStatus
from models.proposals import Proposal
from models.services.audit import Actor, record_audit
from models.services.errors import InvalidStateError, NotFoundError, get_or_raise
from models.services.proposals import screen_proposal
from models.services.tasks import move_task
from models.tasks import Task
from workers.clock import VIETNAM_TZ, now_vn
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps

log = logging.getLogger("workers.tasklist")

REGISTER = "khcn.proposal.register"
REQUEST_REVISION = "khcn.proposal.request-revision"
PUBLISH = "khcn.tasklist.publish"
CLOSE = "khcn.task.close"

CODE_PREFIX = "NV"


# --- shared by the feature modules of step 1 and the councils ------------------------------


def iso_vn(moment: datetime) -> str:
    """An ISO 8601 date-time with Vietnam's offset (naive values are UTC, as SQLite returns)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TZ).replace(microsecond=0).isoformat()


def applicant_addresses(proposal: Proposal) -> list[str]:
    """Where to mail the applicant: the proposing person and organisation."""
    found = [
        proposal.proposer_person.email if proposal.proposer_person else None,
        proposal.proposer_organisation.email if proposal.proposer_organisation else None,
    ]
    return list(dict.fromkeys(a for a in found if a))


def next_task_code(session: Session, year: int) -> str:
    """The next free code of the year, `NV-<year>-<nnn>` (three digits, more when needed)."""
    prefix = f"{CODE_PREFIX}-{year}-"
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    codes = session.scalars(select(Task.code).where(Task.code.like(f"{prefix}%")))
    numbers = [int(m.group(1)) for code in codes if (m := pattern.match(code))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


# --- the handlers ---------------------------------------------------------------------------


def _mail(deps: WorkerDeps, to: list[str], subject: str, body: str, key: str) -> None:
    if not to:
        log.warning("no address for %r, mail not sent", subject)
        return
    deps.mailer.send(to, subject, body, idempotency_key=key)


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 1 and of closing a task."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REGISTER)
    def register(job: Job, proposalId: int) -> dict[str, Any]:
        """Create (or find) the task of a proposal and acknowledge receipt to the applicant."""
        with deps.transaction() as session:
            proposal = get_or_raise(session, Proposal, int(proposalId))
            task = session.scalar(select(Task).where(Task.proposal_id == proposal.id))
            if task is None:
                task = Task(
                    code=next_task_code(session, proposal.year),
                    year=proposal.year,
                    title=proposal.title,
                    field=proposal.field,
                    kind=proposal.kind,
                    # provisional: the Director chooses the method when approving the list
                    method=proposal.suggested_method or Method.SELECTION,
                    stage=Stage.TASK_LIST,
                    status=TaskStatus.APPROVED,
                    objectives=proposal.objectives,
                    expected_results=proposal.expected_results,
                    proposal_id=proposal.id,
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
                    actor=actor_of(job),
                    task_id=task.id,
                    stage=Stage.TASK_LIST,
                    details={"task_code": task.code, "title": proposal.title},
                )
            code, title = task.code, proposal.title
            to = applicant_addresses(proposal)
        _mail(
            deps,
            to,
            f"[Sở KH&CN] Đã tiếp nhận đề xuất {code} / Proposal received",
            f"Sở Khoa học và Công nghệ đã tiếp nhận đề xuất nhiệm vụ KH&CN của Quý vị:\n\n"
            f"  {title}\n  Mã đề xuất: {code}\n\n"
            "Đề xuất sẽ được sàng lọc và gửi Hội đồng tư vấn xác định nhiệm vụ.\n\n"
            f"--\nThe Department of Science and Technology has received your proposal "
            f"'{title}' (code {code}).",
            f"proposal-{proposalId}-received",
        )
        return {"taskCode": code, "proposalTitle": title}

    @r.task(task_type=REQUEST_REVISION)
    def request_revision(
        job: Job,
        taskCode: str,
        screeningNote: str | None = None,
    ) -> dict[str, Any]:
        """Record that screening sent the proposal back, and tell the applicant what to fix."""
        note = screeningNote or ""
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            proposal = get_or_raise(session, Proposal, task.proposal_id)
            # still "submitted": the revised proposal is screened again
            proposal.screening_note = note
            proposal.screened_at = deps.clock.now()
            record_audit(
                session=session,
                action="proposal.screen",
                entity_type="proposal",
                entity_id=proposal.id,
                actor=actor_of(job),
                task_id=task.id,
                stage=Stage.TASK_LIST,
                details={"result": "revise", "note": note},
            )
            title, to = proposal.title, applicant_addresses(proposal)
        _mail(
            deps,
            to,
            f"[Sở KH&CN] Đề nghị bổ sung, chỉnh sửa đề xuất {taskCode} / Revision requested",
            f"Đề xuất '{title}' (mã {taskCode}) cần được bổ sung, chỉnh sửa:\n\n{note}\n\n"
            "Quý vị vui lòng nộp lại đề xuất trong vòng 30 ngày; quá hạn, đề xuất không còn "
            "được xem xét.\n\n"
            f"--\nYour proposal '{title}' ({taskCode}) needs revision: {note}\n"
            "Please resubmit it within 30 days.",
            f"job-{job.key}",
        )
        return {}

    @r.task(task_type=PUBLISH)
    def publish(
        job: Job,
        taskCode: str,
        method: str,
        listDecisionNumber: str | None = None,
    ) -> dict[str, Any]:
        """Put the task on the approved list with the Director's method, and publish it."""
        chosen = Method(method)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            done = session.scalar(
                select(AuditEntry).where(
                    AuditEntry.task_id == task.id, AuditEntry.action == "task_list.publish"
                )
            )
            if done is not None:
                return {"listPublishedAt": done.details["published_at"]}
            proposal = get_or_raise(session, Proposal, task.proposal_id)
            if proposal.status not in (ProposalStatus.RECOMMENDED, ProposalStatus.APPROVED):
                raise InvalidStateError(
                    "proposal_not_recommended",
                    "Chỉ đưa vào danh mục đề xuất được hội đồng tư vấn kiến nghị.",
                    f"Only recommended proposals go on the list (this one is {proposal.status}).",
                )
            proposal.status = ProposalStatus.APPROVED
            task.method = chosen
            published_at = iso_vn(now_vn(deps.clock).replace(microsecond=0))
            actor = actor_of(job)
            for action, details in (
                (
                    "task_list.approve",
                    {"method": chosen.value, "decision_number": listDecisionNumber},
                ),
                ("task_list.publish", {"published_at": published_at}),
            ):
                record_audit(
                    session=session,
                    action=action,
                    entity_type="task",
                    entity_id=task.id,
                    actor=actor,
                    task_id=task.id,
                    stage=Stage.TASK_LIST,
                    details=details,
                )
            title, to = task.title, applicant_addresses(proposal)
        how = "tuyển chọn" if chosen is Method.SELECTION else "giao trực tiếp"
        _mail(
            deps,
            to,
            f"[Sở KH&CN] Đề xuất {taskCode} được phê duyệt vào danh mục / Approved",
            f"Đề xuất '{title}' (mã {taskCode}) đã được phê duyệt vào danh mục nhiệm vụ KH&CN "
            f"(quyết định số {listDecisionNumber or '—'}), phương thức: {how}.\n\n"
            f"--\nYour proposal '{title}' ({taskCode}) is on the approved task list "
            f"(decision {listDecisionNumber or '—'}), method: {chosen.value}.",
            f"task-{taskCode}-published",
        )
        return {"listPublishedAt": published_at}

    @r.task(task_type=CLOSE)
    def close(
        job: Job,
        outcome: str,
        taskCode: str | None = None,
        proposalId: int | None = None,
        screeningResult: str | None = None,
        screeningNote: str | None = None,
    ) -> dict[str, Any]:
        """End a task: completed, rejected in step 1, or failed at acceptance."""
        if outcome not in ("completed", "rejected", "failed"):
            raise ValueError(f"unknown outcome {outcome!r}")
        mail: tuple[list[str], str, str] | None = None
        with deps.transaction() as session:
            if taskCode:
                task = task_by_code(session, taskCode)
            else:
                found = session.scalar(select(Task).where(Task.proposal_id == proposalId))
                if found is None:
                    raise NotFoundError(
                        "task_not_found",
                        f"Không tìm thấy nhiệm vụ của đề xuất #{proposalId}.",
                        f"No task for proposal #{proposalId}.",
                    )
                task = found
            actor = actor_of(job)
            if outcome == "completed":
                move_task(
                    session=session,
                    task_id=task.id,
                    stage=Stage.REGISTRATION,
                    status=TaskStatus.CLOSED,
                    actor=actor,
                )
            elif outcome == "failed":
                move_task(
                    session=session,
                    task_id=task.id,
                    stage=task.stage,
                    status=TaskStatus.FAILED,
                    actor=actor,
                )
            else:
                proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
                if proposal is not None:
                    mail = _close_proposal(session, proposal, screeningResult, screeningNote, actor)
                move_task(
                    session=session,
                    task_id=task.id,
                    stage=Stage.TASK_LIST,
                    status=TaskStatus.CANCELLED,
                    actor=actor,
                )
            record_audit(
                session=session,
                action="task.close",
                entity_type="task",
                entity_id=task.id,
                actor=actor,
                task_id=task.id,
                stage=task.stage,
                details={"outcome": outcome, "status": task.status.value},
            )
            code = task.code
        if mail is not None:
            to, why_vi, why_en = mail
            _mail(
                deps,
                to,
                f"[Sở KH&CN] Kết quả xét đề xuất {code} / Proposal outcome",
                f"Đề xuất mã {code} không được đưa vào danh mục nhiệm vụ: {why_vi}.\n\n"
                f"--\nProposal {code} was not put on the task list: {why_en}.",
                f"task-{code}-closed",
            )
        return {}

    return r


def _close_proposal(
    session: Session,
    proposal: Proposal,
    screening_result: str | None,
    screening_note: str | None,
    actor: Actor,
) -> tuple[list[str], str, str]:
    """Give a proposal that did not make the list its final status; what to tell the applicant."""
    status = proposal.status
    if status is ProposalStatus.SUBMITTED and screening_result == "revise":
        # the 30 days for a revision ran out
        proposal.status = ProposalStatus.WITHDRAWN
        why = ("quá hạn bổ sung, chỉnh sửa", "the time for a revision ran out")
    elif status is ProposalStatus.SUBMITTED:
        screen_proposal(
            session=session,
            proposal_id=proposal.id,
            accept=False,
            note=screening_note or proposal.screening_note or "",
            actor=actor,
        )
        why = ("đề xuất không đạt yêu cầu sàng lọc", "it did not pass screening")
    elif status is ProposalStatus.REJECTED and screening_result == "rejected":
        # screened out by staff in the portal's form (the proposal is rejected already)
        why = ("đề xuất không đạt yêu cầu sàng lọc", "it did not pass screening")
    elif status is ProposalStatus.NOT_RECOMMENDED:
        why = ("Hội đồng tư vấn không kiến nghị", "the advisory council did not recommend it")
    else:
        # recommended (or screened in) but the Director did not approve it
        proposal.status = ProposalStatus.REJECTED
        why = ("Lãnh đạo Sở không phê duyệt", "the Director did not approve it")
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
    return applicant_addresses(proposal), why[0], why[1]
