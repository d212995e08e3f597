"""The end of a task: completed, rejected in step 1, failed, without a host, terminated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import RestrictionReason, Stage, TaskStatus
from models.proposals import Proposal
from models.services.audit import SYSTEM, Actor, done_by_job, record_audit
from models.services.contracts import restrict
from models.services.errors import DomainError, NotFoundError
from models.services.notices import Notice, to_applicant, to_host
from models.services.proposals import close_proposal
from models.services.tasks import edition_of, move_task, task_by_code
from models.tasks import Task

OUTCOMES = ("completed", "rejected", "failed", "late", "cancelled", "terminated")


@dataclass
class Closed:
    """A closed task and the letter that tells its applicant or host."""

    task: Task
    notices: list[Notice] = field(default_factory=list)


def close_task(
    *,
    session: Session,
    outcome: str,
    today: date,
    task_code: str | None = None,
    proposal_id: int | None = None,
    screening_result: str | None = None,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Closed:
    """End a task with the outcome its process reached (once per job)."""
    if outcome not in OUTCOMES:
        raise DomainError("outcome", f"Kết quả '{outcome}' không hợp lệ.", f"Unknown {outcome!r}.")
    if task_code:
        task = task_by_code(session, task_code)
    else:
        found = session.scalar(select(Task).where(Task.proposal_id == proposal_id))
        if found is None:
            raise NotFoundError(
                "task_not_found",
                f"Không tìm thấy nhiệm vụ của đề xuất #{proposal_id}.",
                f"No task for proposal #{proposal_id}.",
            )
        task = found
    done = done_by_job(session, "task.close", actor, task.id)
    notices: list[Notice] = []
    if done is None:
        notices = _close(session, task, outcome, screening_result, today, regulations, actor)
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
    return Closed(task, notices)


def _close(
    session: Session,
    task: Task,
    outcome: str,
    screening_result: str | None,
    today: date,
    regulations: Regulations,
    actor: Actor,
) -> list[Notice]:
    if outcome == "completed":
        move_task(
            session=session,
            task_id=task.id,
            stage=Stage.REGISTRATION,
            status=TaskStatus.CLOSED,
            actor=actor,
        )
        return []
    if outcome == "rejected":
        proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
        move_task(
            session=session,
            task_id=task.id,
            stage=Stage.TASK_LIST,
            status=TaskStatus.CANCELLED,
            actor=actor,
        )
        if proposal is None:
            return []
        why_vi, why_en = close_proposal(session, proposal, screening_result, actor)
        return [
            to_applicant(
                proposal,
                f"Kết quả xét đề xuất {task.code} / Proposal outcome",
                f"Đề xuất mã {task.code} không được đưa vào danh mục nhiệm vụ: {why_vi}.",
                f"Proposal {task.code} was not put on the task list: {why_en}.",
            )
        ]
    if outcome == "late":
        # no dossier within 6 months of the contract's end: Không đạt (TT 11/2014 Đ13.1c)
        months = edition_of(task, regulations).acceptance.late_limit_months
        restrict(session, task, RestrictionReason.FAILED_ACCEPTANCE, today, None)
        move_task(
            session=session,
            task_id=task.id,
            stage=task.stage,
            status=TaskStatus.FAILED,
            actor=actor,
        )
        return [
            to_host(
                task,
                f"Nhiệm vụ {task.code} không đạt",
                f"Nhiệm vụ “{task.title}” (mã {task.code}) bị đánh giá Không đạt do không nộp hồ "
                f"sơ đánh giá, nghiệm thu trong {months:02d} tháng kể từ khi kết thúc hợp đồng. "
                "Tổ chức chủ trì và chủ nhiệm bị hạn chế đăng ký nhiệm vụ mới (Thông tư "
                "11/2014/TT-BKHCN, Điều 13, Điều 15).",
                f"Task {task.code} failed: no acceptance dossier within six months.",
            )
        ]
    status = {
        "failed": TaskStatus.FAILED,
        "cancelled": TaskStatus.CANCELLED,
        "terminated": TaskStatus.TERMINATED,
    }[outcome]
    move_task(session=session, task_id=task.id, stage=task.stage, status=status, actor=actor)
    proposal = session.get(Proposal, task.proposal_id) if task.proposal_id else None
    if outcome == "cancelled" and proposal is not None:
        return [
            to_applicant(
                proposal,
                f"Nhiệm vụ {task.code} không có tổ chức chủ trì / No host",
                f"Nhiệm vụ “{task.title}” (mã {task.code}) không chọn được tổ chức, cá nhân "
                "chủ trì sau các đợt tuyển chọn, giao trực tiếp; nhiệm vụ dừng lại.",
                f"Task {task.code} found no host and is stopped.",
            )
        ]
    return []
