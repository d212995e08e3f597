"""Step 4: the acceptance dossier, the council's result, failure or completion; and the
recognition decision that follows registration (TT 11/2014 Đ7, Đ13, Đ15, Đ17)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.contracts import Contract
from models.councils import Council, CouncilItem
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    AcceptanceLevel,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    DecisionKind,
    DocumentKind,
    DossierStatus,
    Rating,
    RestrictionReason,
    Role,
    Stage,
    TaskStatus,
)
from models.labels import label
from models.registration import ResultRegistration
from models.rules import (
    VIETNAM,
    WorkingCalendar,
    completion_due,
    council_setup_due,
    dossier_too_late,
)
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.contracts import restrict
from models.services.decisions import decision_of, issuer_of, record_decision
from models.services.documents import DocumentMaker, make_document
from models.services.errors import DomainError, InvalidStateError
from models.services.notices import Notice, completion_request, money, to_host, vn_date
from models.services.tasks import edition_of, move_task, task_by_code
from models.tasks import Task
from models.users import User, UserRole


def dossier_of(session: Session, task: Task) -> AcceptanceDossier | None:
    """The Department-level acceptance dossier of a task, if filed."""
    return session.scalar(
        select(AcceptanceDossier).where(
            AcceptanceDossier.task_id == task.id,
            AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
        )
    )


def _dossier(session: Session, task: Task) -> AcceptanceDossier:
    dossier = dossier_of(session, task)
    if dossier is None:
        raise InvalidStateError(
            "no_dossier",
            f"Nhiệm vụ {task.code} chưa nộp hồ sơ nghiệm thu.",
            f"Task {task.code} has no acceptance dossier.",
        )
    return dossier


def contract_end(session: Session, task: Task) -> date:
    """The end of the task's contract, extension included."""
    ends = session.scalar(select(Contract.ends_on).where(Contract.task_id == task.id))
    found = ends or task.end_date
    if found is None:
        raise InvalidStateError("no_dates", "Nhiệm vụ chưa có hợp đồng.", "No contract dates.")
    return found


@dataclass
class Filing:
    """A filed acceptance dossier and the day staff must have checked it by."""

    dossier: AcceptanceDossier
    check_due_on: date


def file_acceptance_dossier(
    *,
    session: Session,
    task_code: str,
    filed_on: date,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Filing:
    """The host filed its final report and acceptance dossier: the task moves to step 4; a
    dossier more than 6 months after the contract ended is marked too late (TT 11/2014
    Đ13.1c) (idempotent)."""
    task = task_by_code(session, task_code)
    rules = edition_of(task, regulations).acceptance
    dossier = dossier_of(session, task)
    if dossier is not None:
        due = calendar.add_working_days(dossier.submitted_on, rules.dossier_check_working_days)
        return Filing(dossier, due)
    dossier = AcceptanceDossier(
        task_id=task.id,
        level=AcceptanceLevel.DEPARTMENT,
        submitted_on=filed_on,
        too_late=dossier_too_late(contract_end(session, task), filed_on, rules),
    )
    session.add(dossier)
    task.stage, task.status = Stage.ACCEPTANCE, TaskStatus.UNDER_ACCEPTANCE
    session.flush()
    record_audit(
        session=session,
        action="acceptance.submit_dossier",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={"filed_on": filed_on.isoformat(), "too_late": dossier.too_late},
    )
    return Filing(dossier, calendar.add_working_days(filed_on, rules.dossier_check_working_days))


@dataclass
class DossierCheck:
    """Staff's check of the dossier: valid (the council is due), or what the host must add."""

    dossier: AcceptanceDossier
    due_on: date


def check_acceptance_dossier(
    *,
    session: Session,
    task_code: str,
    valid: bool,
    checked_on: date,
    missing: str = "",
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> DossierCheck:
    """Staff check the dossier within 3 working days (TT 11/2014 Đ7.3): a valid one starts the
    15 working days to establish the council (Đ9.1); an incomplete one gives the host 5
    working days to complete it (Đ7.3)."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    rules = edition_of(task, regulations).acceptance
    if valid:
        dossier.status = DossierStatus.VALID
        dossier.valid_on = checked_on
        dossier.council_due_on = council_setup_due(checked_on, rules, calendar)
        due_on = dossier.council_due_on
    else:
        dossier.status = DossierStatus.INVALID
        due_on = calendar.add_working_days(checked_on, rules.dossier_fix_working_days)
    session.flush()
    record_audit(
        session=session,
        action="acceptance.validate_dossier",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={"valid": valid, "missing": missing, "due_on": due_on.isoformat()},
    )
    return DossierCheck(dossier, due_on)


def dossier_revision_letter(*, session: Session, task_code: str, due_on: date) -> Notice:
    """The letter asking the host to complete the acceptance dossier by ``due_on``."""
    return completion_request(
        task_by_code(session, task_code),
        "hồ sơ đánh giá, nghiệm thu",
        "acceptance dossier",
        due_on,
        "Thông tư 11/2014/TT-BKHCN, Điều 7",
    )


def council_setup_reminder(
    *, session: Session, task_code: str, regulations: Regulations = DEFAULT_REGULATIONS
) -> list[Notice]:
    """A note to the leaders when the acceptance council is not established by its due day
    (TT 11/2014 Đ9.1); nothing when it was."""
    task = task_by_code(session, task_code)
    leaders = list(
        session.scalars(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.LEADER, User.is_active.is_(True))
        )
    )
    established = session.scalar(
        select(Council.id)
        .join(CouncilItem, CouncilItem.council_id == Council.id)
        .where(
            CouncilItem.task_id == task.id,
            Council.type == CouncilType.ACCEPTANCE,
            Council.status != CouncilStatus.FORMING,
        )
    )
    dossier = dossier_of(session, task)
    if established is not None or dossier is None or not leaders:
        return []
    days = edition_of(task, regulations).acceptance.setup_working_days
    due = dossier.council_due_on
    return [
        Notice(
            tuple(leaders),
            f"[Sở KH&CN] Quá hạn thành lập hội đồng nghiệm thu nhiệm vụ {task.code}",
            f"Hội đồng nghiệm thu nhiệm vụ “{task.title}” (mã {task.code}) phải được thành lập "
            f"trong {days} ngày làm việc kể từ khi hồ sơ hợp lệ"
            + (f", tức chậm nhất ngày {vn_date(due)}" if due else "")
            + ", nhưng đến nay chưa có quyết định thành lập (Thông tư 11/2014/TT-BKHCN, Điều 9)."
            "\n\n---\nThe acceptance council of task "
            f"{task.code} is overdue.",
            "council-setup",
        )
    ]


@dataclass
class AcceptanceResult:
    """The council's verdict as recorded, and what to tell the host."""

    rating: Rating
    completion_due_on: date | None
    chair_username: str | None = None
    notices: list[Notice] = field(default_factory=list)


def record_acceptance_result(
    *,
    session: Session,
    task_code: str,
    table_rating: str,
    rated_on: date,
    calendar: WorkingCalendar = VIETNAM,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> AcceptanceResult:
    """Record the council's verdict. The decision table acceptance-rating must give what the
    count found by TT 11/2014 Đ13.2 (one owner of the rule: a table that disagrees is a
    configuration error). Đạt or better: the host completes the dossier within 30 working days
    (Đ13.3); Không đạt: the task fails."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    counted = dossier.council_rating
    if counted is None:
        raise InvalidStateError(
            "not_counted",
            "Ban kiểm phiếu chưa công bố kết quả.",
            "The council's ballots were not counted yet.",
        )
    if table_rating != counted.value:
        raise InvalidStateError(
            "table_disagrees",
            f"Bảng quyết định acceptance-rating cho '{table_rating}', quy tắc TT 11/2014 Đ13.2 "
            f"cho '{counted.value}'.",
            f"The decision table acceptance-rating says {table_rating!r}; TT 11/2014 Đ13.2 "
            f"says {counted.value!r}.",
        )
    rules = edition_of(task, regulations).acceptance
    due_on = None
    if counted is Rating.FAIL:
        move_task(
            session=session,
            task_id=task.id,
            stage=Stage.ACCEPTANCE,
            status=TaskStatus.FAILED,
            actor=actor,
        )
        lead = (
            f"Hội đồng đánh giá, nghiệm thu nhiệm vụ “{task.title}” (mã {task.code}) xếp loại: "
            f"{label(counted)}. Sở sẽ xác định nội dung đã thực hiện và kinh phí phải hoàn trả "
            "(Thông tư 11/2014/TT-BKHCN, Điều 15)."
        )
    else:
        due_on = dossier.completion_due_on or completion_due(rated_on, rules, calendar)
        dossier.completion_due_on = due_on
        lead = (
            f"Hội đồng đánh giá, nghiệm thu nhiệm vụ “{task.title}” (mã {task.code}) xếp loại: "
            f"{label(counted)}. Đề nghị chủ nhiệm hoàn thiện hồ sơ theo kết luận của hội đồng "
            f"chậm nhất ngày {vn_date(due_on)}; chủ tịch hội đồng xác nhận việc hoàn thiện "
            "(Thông tư 11/2014/TT-BKHCN, Điều 13)."
        )
    session.flush()
    record_audit(
        session=session,
        action="acceptance.record_result",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={
            "rating": counted.value,
            "completion_due_on": due_on.isoformat() if due_on else None,
        },
    )
    notice = to_host(
        task,
        f"Kết quả đánh giá, nghiệm thu nhiệm vụ {task.code}: {label(counted)}",
        lead,
        f"Task {task.code}: the acceptance council rated it {label(counted, 'en')}.",
    )
    council = session.scalar(
        select(Council)
        .join(CouncilItem, CouncilItem.council_id == Council.id)
        .where(CouncilItem.task_id == task.id, Council.type == CouncilType.ACCEPTANCE)
        .order_by(Council.id.desc())
    )
    chair = chair_username(session, council.id) if council is not None else None
    return AcceptanceResult(counted, due_on, chair, [notice])


def store_council_verdict(session: Session, task: Task, rating: Rating, rated_on: date) -> None:
    """Keep the counted verdict on the dossier (what record_acceptance_result checks)."""
    dossier = _dossier(session, task)
    dossier.council_rating, dossier.rated_on = rating, rated_on
    session.flush()


def settle_failed_task(
    *,
    session: Session,
    task_code: str,
    refund_amount: int,
    work_done: str,
    today: date,
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """After Không đạt: what was done under the contract, the money to refund to the state
    budget (TT 11/2014 Đ15.2, Đ10.5h), and the host and investigator barred from applying
    (Đ15.4; until the refund is repaid, TT 20/2023 Đ4.2d)."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    ceiling = contract.value if contract is not None else 0
    if not 0 <= refund_amount <= ceiling:
        raise DomainError(
            "refund_amount",
            f"Số kinh phí hoàn trả phải từ 0 đến {money(ceiling)} đồng.",
            f"The refund must be between 0 and {ceiling}.",
        )
    if not work_done.strip():
        raise DomainError(
            "work_done",
            "Cần ghi rõ nội dung đã thực hiện theo hợp đồng.",
            "Record what was done under the contract.",
        )
    dossier.work_done, dossier.refund_amount = work_done, refund_amount
    dossier.final_rating = Rating.FAIL
    if contract is not None:
        contract.refund_amount = refund_amount
    restrict(session, task, RestrictionReason.FAILED_ACCEPTANCE, today, refund_amount)
    move_task(
        session=session,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        status=TaskStatus.FAILED,
        actor=actor,
    )
    record_audit(
        session=session,
        action="acceptance.settle_failure",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={"refund_amount": refund_amount},
    )
    return dossier


def chair_username(session: Session, council_id: int) -> str | None:
    """The user name of a council's chair (who confirms the completed dossier)."""
    council = session.get(Council, council_id)
    if council is None:
        return None
    chair = next((m for m in council.members if m.role is CouncilRole.CHAIR), None)
    if chair is None:
        return None
    return session.scalar(select(User.username).where(User.person_id == chair.person_id))


def confirm_completion(
    *,
    session: Session,
    task_code: str,
    completed: bool,
    today: date,
    note: str = "",
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """The council's chair confirms the host completed the dossier (TT 11/2014 Đ13.3): the
    acceptance is official and registration's 30 days start."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    if dossier.council_rating in (None, Rating.FAIL):
        raise InvalidStateError(
            "not_passed",
            "Chỉ hoàn thiện hồ sơ của nhiệm vụ được đánh giá Đạt trở lên.",
            "Only a task rated Đạt or better completes its dossier.",
        )
    if completed and dossier.completed_on is None:
        dossier.completed_on = today
        move_task(
            session=session,
            task_id=task.id,
            stage=Stage.ACCEPTANCE,
            status=TaskStatus.ACCEPTED,
            actor=actor,
        )
    session.flush()
    record_audit(
        session=session,
        action="acceptance.confirm_completion",
        entity_type="acceptance_dossier",
        entity_id=dossier.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.ACCEPTANCE,
        details={"completed": completed, "note": note},
    )
    return dossier


def record_recognition_decision(
    *,
    session: Session,
    task_code: str,
    decision_number: str,
    decision_date: date,
    today: date,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> AcceptanceDossier:
    """The decision recognising the results (TT 11/2014 Đ17), after the council's minutes,
    the completed dossier and the registration certificate; signed by the People's Committee
    or the Department it delegated to."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    if dossier.completed_on is None:
        raise InvalidStateError(
            "not_completed",
            "Hồ sơ chưa được chủ tịch hội đồng xác nhận hoàn thiện.",
            "The chair has not confirmed the completed dossier.",
        )
    certified = session.scalar(
        select(ResultRegistration.id).where(
            ResultRegistration.task_id == task.id,
            ResultRegistration.certificate_number.is_not(None),
        )
    )
    if certified is None:
        raise InvalidStateError(
            "certificate_missing",
            "Chưa có giấy chứng nhận đăng ký kết quả (Thông tư 11/2014/TT-BKHCN, Điều 17.1b).",
            "The registration certificate is missing (TT 11/2014 Đ17.1b).",
        )
    decision = record_decision(
        session=session,
        kind=DecisionKind.RECOGNITION,
        number=decision_number,
        signed_on=decision_date,
        edition=edition_of(task, regulations),
        tasks=[task],
        today=today,
        actor=actor,
    )
    dossier.decision_number, dossier.decision_on = decision.number, decision.signed_on
    dossier.final_rating = dossier.council_rating
    session.flush()
    return dossier


def recognition_document(
    *,
    session: Session,
    task_code: str,
    maker: DocumentMaker,
    regulations: Regulations = DEFAULT_REGULATIONS,
) -> AcceptanceDossier:
    """Render the recognition decision (once) on the acceptance dossier, with the letterhead
    and signer of whoever signed it."""
    task = task_by_code(session, task_code)
    dossier = _dossier(session, task)
    decision = decision_of(session, task, DecisionKind.RECOGNITION)
    if decision is None or dossier.decision_on is None:
        raise InvalidStateError("not_decided", "Chưa có quyết định công nhận.", "Not decided.")
    if any(d.kind is DocumentKind.DECISION for d in dossier.documents):
        return dossier
    edition = edition_of(task, regulations)
    rating = dossier.final_rating or Rating.PASS
    day = decision.signed_on
    make_document(
        session=session,
        maker=maker,
        template="decision",
        context={
            **maker.letterhead(issuer_of(edition, DecisionKind.RECOGNITION)),
            "number": decision.number,
            "day": f"{day.day:02d}",
            "month": f"{day.month:02d}",
            "year": str(day.year),
            "title": "Về việc công nhận kết quả thực hiện nhiệm vụ khoa học và công nghệ: "
            f"{task.title}",
            "bases": [
                *edition.texts[:2],
                f"Kết quả đánh giá, nghiệm thu của Hội đồng: {label(rating)}",
            ],
            "articles": [
                f"Công nhận kết quả thực hiện nhiệm vụ {task.title} (mã số {task.code}), "
                f"xếp loại: {label(rating)}.",
                "Tổ chức chủ trì và chủ nhiệm nhiệm vụ thực hiện việc chuyển giao, ứng dụng "
                "kết quả và thanh lý hợp đồng theo quy định.",
                "Quyết định này có hiệu lực kể từ ngày ký.",
            ],
            "signer": "(Đã ký)",
        },
        name=f"quyet-dinh-cong-nhan-{task.code}.docx",
        kind=DocumentKind.DECISION,
        acceptance_dossier_id=dossier.id,
    )
    session.refresh(dossier)
    return dossier
