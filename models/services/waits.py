"""Deadlines on every wait for the host: remind, and give up where the law says so.

A process waits for the host (a final report, a completed dossier, a registration) with a
timer at the due day; when it fires, ``host_wait_overdue`` says whether the wait is really
over (an extension may have moved the day), reminds the host, or gives up: a final report or
an acceptance dossier more than 6 months after the contract ended makes the task Không đạt
(TT 11/2014 Đ13.1c). The waits of step 2 (a direct assignment's dossier, a proposal to
complete, a contract to sign) end the round at their due day without this service: their
timers lead straight to the cancellation (TT 20/2023 Đ17).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from models.editions import DEFAULT_REGULATIONS, Regulations
from models.rules import add_months, dossier_due_day
from models.services.acceptance import contract_end
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError
from models.services.notices import Notice, to_host, vn_date
from models.services.tasks import edition_of, task_by_code

Wait = Literal[
    "final-report",
    "acceptance-revision",
    "acceptance-completion",
    "registration-dossier",
    "registration-revision",
]

WHAT: dict[str, tuple[str, str]] = {
    "final-report": ("báo cáo tổng kết và hồ sơ đánh giá, nghiệm thu", "the final report"),
    "acceptance-revision": ("hồ sơ nghiệm thu bổ sung", "the completed acceptance dossier"),
    "acceptance-completion": (
        "hồ sơ hoàn thiện theo kết luận của hội đồng",
        "the dossier completed after the council",
    ),
    "registration-dossier": ("hồ sơ đăng ký kết quả", "the registration dossier"),
    "registration-revision": (
        "hồ sơ đăng ký kết quả bổ sung",
        "the completed registration dossier",
    ),
}


@dataclass
class WaitCheck:
    """What a passed due day means: wait on till ``due_on``, or give up."""

    give_up: bool
    due_on: date
    notices: list[Notice] = field(default_factory=list)


def host_wait_overdue(
    *,
    session: Session,
    task_code: str,
    wait: str,
    due_on: date,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> WaitCheck:
    """The due day of a wait for the host has come: remind, wait on, or give up."""
    if wait not in WHAT:
        raise DomainError("wait_kind", f"Không biết chờ '{wait}'.", f"Unknown wait {wait!r}.")
    task = task_by_code(session, task_code)
    edition = edition_of(task, regulations)
    vi, en = WHAT[wait]
    limit: date | None = None
    if wait == "final-report":
        # the contract's end may have moved (an extension): the due day follows it
        due_on = max(due_on, dossier_due_day(contract_end(session, task), edition.acceptance))
        limit = add_months(contract_end(session, task), edition.acceptance.late_limit_months)
    elif wait == "acceptance-revision":
        limit = add_months(contract_end(session, task), edition.acceptance.late_limit_months)
    if today < due_on:
        return WaitCheck(False, due_on)
    give_up = limit is not None and today > limit
    next_due = today + timedelta(days=edition.host_reminder_days)
    if limit is not None and not give_up:
        next_due = min(next_due, limit + timedelta(days=1))
    record_audit(
        session=session,
        action="wait.overdue",
        entity_type="task",
        entity_id=task.id,
        actor=actor,
        task_id=task.id,
        stage=task.stage,
        details={"wait": wait, "due_on": due_on.isoformat(), "give_up": give_up},
    )
    if give_up:
        lead = (
            f"Đến ngày {vn_date(today)}, Sở chưa nhận được {vi} của nhiệm vụ “{task.title}” "
            f"(mã {task.code}), hạn cuối ngày {vn_date(limit or due_on)}. "
            "Nhiệm vụ bị đánh giá Không đạt do nộp hồ sơ chậm quá "
            f"{edition.acceptance.late_limit_months:02d} tháng (Thông tư 11/2014/TT-BKHCN, "
            "Điều 13)."
        )
        english = f"Task {task.code}: {en} did not come in time; the Department gives up waiting."
    else:
        lead = (
            f"Đề nghị nộp {vi} của nhiệm vụ “{task.title}” (mã {task.code}); hạn đã qua ngày "
            f"{vn_date(due_on)}. Sở sẽ nhắc lại sau {edition.host_reminder_days} ngày."
            + (f" Quá ngày {vn_date(limit)}, nhiệm vụ bị đánh giá Không đạt." if limit else "")
        )
        english = f"Task {task.code}: {en} is overdue since {due_on.isoformat()}."
    notice = to_host(task, f"Quá hạn nộp {vi} — nhiệm vụ {task.code}", lead, english, wait)
    return WaitCheck(give_up, next_due, [notice])
