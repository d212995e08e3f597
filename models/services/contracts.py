"""Contracts: drawing up, signature and tranches, suspension, termination, liquidation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.calls import Application
from models.contracts import Contract, Tranche
from models.decisions import Restriction
from models.documents import DossierDocument
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import (
    ApplicationStatus,
    ContractStatus,
    DecisionKind,
    DocumentKind,
    FundingSource,
    RestrictionReason,
    Stage,
    TaskStatus,
)
from models.registration import ResultRegistration
from models.rules import add_months
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.decisions import decision_of, issuer_of, record_decision
from models.services.documents import DocumentMaker, add_dossier_document, make_document
from models.services.errors import DomainError, InvalidStateError, get_or_raise
from models.services.notices import Notice, money, to_host, vn_date
from models.services.tasks import edition_of, move_task, task_by_code
from models.tasks import BudgetLine, Task

CONTRACT_SUFFIX = "HĐ-KHCN"
# A task without planned dates runs this long from the contract (unverified: the approval
# decision sets the duration; staff correct the dates before signing).
DEFAULT_DURATION_MONTHS = 24
# Funding tranches as shares of the value, due at the start, half-way and at the end
# (unverified: the province's contract template decides).
TRANCHE_SHARES = (0.5, 0.3, 0.2)


def next_contract_number(*, session: Session, year: int) -> str:
    """The next free contract number of a year, like ``07/2027/HĐ-KHCN``."""
    pattern = f"%/{year}/{CONTRACT_SUFFIX}"
    used = session.scalar(
        select(func.count()).select_from(Contract).where(Contract.number.like(pattern))
    )
    return f"{(used or 0) + 1:02d}/{year}/{CONTRACT_SUFFIX}"


def create_contract(
    *,
    session: Session,
    task_id: int,
    value: int,
    starts_on: date,
    ends_on: date,
    number: str | None = None,
    actor: Actor = SYSTEM,
) -> Contract:
    """Draw up the contract of a task with its host organisation (one per task, idempotent)."""
    task = get_or_raise(session, Task, task_id)
    existing = session.scalar(select(Contract).where(Contract.task_id == task_id))
    if existing is not None:
        return existing
    if task.host_organisation_id is None:
        raise InvalidStateError(
            "no_host", "Nhiệm vụ chưa có tổ chức chủ trì.", "The task has no host organisation yet."
        )
    if ends_on <= starts_on:
        raise DomainError(
            "contract_dates",
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The contract must end after it starts.",
        )
    numbers = session.scalars(select(Contract.number)).all()
    chosen = number or next_contract_number(session=session, year=starts_on.year)
    while chosen in numbers:  # a withdrawn contract's number is never given again
        head, rest = chosen.split("/", 1)
        chosen = f"{int(head) + 1:02d}/{rest}"
    contract = Contract(
        number=chosen,
        task_id=task.id,
        organisation_id=task.host_organisation_id,
        value=value,
        starts_on=starts_on,
        ends_on=ends_on,
        status=ContractStatus.DRAFT,
    )
    session.add(contract)
    session.flush()
    record_audit(
        session=session,
        action="contract.create",
        entity_type="contract",
        entity_id=contract.id,
        actor=actor,
        task_id=task.id,
        stage=Stage.SELECTION,
        details={"number": contract.number, "value": value},
    )
    return contract


def planned_tranches(value: int, starts_on: date, ends_on: date) -> list[tuple[int, date]]:
    """The funding tranches (amount, due date) of a contract; they add up to its value."""
    half_way = starts_on + timedelta(days=(ends_on - starts_on).days // 2)
    dues = (starts_on, half_way, ends_on)
    amounts = [int(value * share) for share in TRANCHE_SHARES[:-1]]
    amounts.append(value - sum(amounts))
    return [(amount, due) for amount, due in zip(amounts, dues, strict=True) if amount > 0]


@dataclass
class PreparedContract:
    """The contract drawn up, its document, and the day the host must sign by."""

    contract: Contract
    document: DossierDocument
    signature_due_on: date
    notices: list[Notice] = field(default_factory=list)


def prepare_contract(
    *,
    session: Session,
    task_code: str,
    today: date,
    maker: DocumentMaker,
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> PreparedContract:
    """Draw up the numbered contract for the approved budget and render it for signature;
    the People's Committee or the Department it delegated to is party A (NĐ 08/2014 Đ27.2)."""
    task = task_by_code(session, task_code)
    edition = edition_of(task, regulations)
    application = session.scalar(
        select(Application).where(
            Application.task_id == task.id, Application.status == ApplicationStatus.SELECTED
        )
    )
    if application is None:
        raise InvalidStateError(
            "not_selected", "Chưa có quyết định phê duyệt tổ chức chủ trì.", "No host approved yet."
        )
    budget = session.scalar(
        select(BudgetLine.amount).where(
            BudgetLine.task_id == task.id, BudgetLine.source == FundingSource.STATE_BUDGET
        )
    )
    if budget is None:
        raise InvalidStateError(
            "not_appraised", "Kinh phí chưa được thẩm định.", "The budget was not appraised."
        )
    starts_on = task.start_date or today
    ends_on = task.end_date or add_months(starts_on, DEFAULT_DURATION_MONTHS) - timedelta(days=1)
    contract = create_contract(
        session=session,
        task_id=task.id,
        value=budget,
        starts_on=starts_on,
        ends_on=ends_on,
        actor=actor,
    )
    document = session.scalar(
        select(DossierDocument)
        .where(
            DossierDocument.application_id == application.id,
            DossierDocument.kind == DocumentKind.CONTRACT,
        )
        .order_by(DossierDocument.id)
    )
    if document is None:
        head = maker.letterhead(issuer_of(edition, DecisionKind.SELECTION_APPROVAL))
        document = make_document(
            session=session,
            maker=maker,
            template="contract",
            context={
                **head,
                "number": contract.number,
                "task_title": task.title,
                "task_code": task.code,
                "host_organisation": application.organisation.name,
                "principal_investigator": application.principal_investigator.full_name,
                "start_date": vn_date(contract.starts_on),
                "end_date": vn_date(contract.ends_on),
                "value": money(contract.value),
                "tranches": [
                    {"amount": money(amount), "due_on": vn_date(due)}
                    for amount, due in planned_tranches(
                        contract.value, contract.starts_on, contract.ends_on
                    )
                ],
            },
            name=f"hop-dong-{contract.id}.docx",
            kind=DocumentKind.CONTRACT,
            application_id=application.id,
        )
        record_audit(
            session=session,
            action="contract.prepare",
            entity_type="contract",
            entity_id=contract.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.SELECTION,
            details={"number": contract.number, "stored_file_id": document.stored_file_id},
        )
    due_on = today + timedelta(days=edition.selection.contract_signature_days)
    notice = to_host(
        task,
        f"Ký hợp đồng thực hiện nhiệm vụ {task.code}",
        f"Sở Khoa học và Công nghệ gửi hợp đồng số {contract.number} thực hiện nhiệm vụ "
        f"“{task.title}” (mã {task.code}), kinh phí {money(contract.value)} đồng. Đề nghị ký và "
        f"gửi lại chậm nhất ngày {vn_date(due_on)}; quá hạn, kết quả tuyển chọn có thể bị hủy.",
        f"Please sign and return contract {contract.number} of task {task.code} by "
        f"{due_on.isoformat()}.",
    )
    return PreparedContract(contract, document, due_on, [notice])


def add_tranche(*, session: Session, contract_id: int, amount: int, due_on: date) -> Tranche:
    """Schedule one more funding tranche; all tranches together may not exceed the value."""
    contract = get_or_raise(session, Contract, contract_id)
    scheduled = sum(t.amount for t in contract.tranches)
    if scheduled + amount > contract.value:
        raise DomainError(
            "tranches_exceed_value",
            "Tổng các đợt cấp kinh phí vượt giá trị hợp đồng.",
            "The tranches add up to more than the contract value.",
        )
    tranche = Tranche(sequence=len(contract.tranches) + 1, amount=amount, due_on=due_on)
    contract.tranches.append(tranche)
    session.flush()
    return tranche


def pay_tranche(*, session: Session, tranche_id: int, paid_on: date) -> Tranche:
    """Record that a tranche was paid."""
    tranche = get_or_raise(session, Tranche, tranche_id)
    tranche.paid_on = tranche.paid_on or paid_on
    session.flush()
    return tranche


def sign_contract(
    *,
    session: Session,
    contract_id: int,
    signed_on: date,
    signed_document_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Contract:
    """Both parties signed: the task moves to implementation with the contract's dates and
    its funding tranches are planned; the signed copy joins the application's dossier."""
    contract = get_or_raise(session, Contract, contract_id)
    if contract.status is ContractStatus.DRAFT:
        contract.status = ContractStatus.SIGNED
        contract.signed_on = signed_on
        task = contract.task
        task.start_date, task.end_date = contract.starts_on, contract.ends_on
        task.stage, task.status = Stage.IMPLEMENTATION, TaskStatus.IN_PROGRESS
        session.flush()
        record_audit(
            session=session,
            action="contract.sign",
            entity_type="contract",
            entity_id=contract.id,
            actor=actor,
            task_id=task.id,
            stage=Stage.SELECTION,
            details={"signed_on": signed_on.isoformat(), "signed_document_id": signed_document_id},
        )
    elif contract.status is not ContractStatus.SIGNED:
        raise InvalidStateError(
            "contract_not_draft",
            "Chỉ ký được hợp đồng dự thảo.",
            f"Only a draft contract can be signed (this one is {contract.status}).",
        )
    if not contract.tranches:
        for amount, due in planned_tranches(contract.value, contract.starts_on, contract.ends_on):
            add_tranche(session=session, contract_id=contract.id, amount=amount, due_on=due)
    if signed_document_id is not None:
        application = session.scalar(
            select(Application).where(
                Application.task_id == contract.task_id,
                Application.status == ApplicationStatus.SELECTED,
            )
        )
        attached = session.scalar(
            select(DossierDocument.id).where(DossierDocument.stored_file_id == signed_document_id)
        )
        if application is not None and attached is None:
            add_dossier_document(
                session=session,
                stored_file_id=signed_document_id,
                kind=DocumentKind.CONTRACT,
                application_id=application.id,
            )
    return contract


def suspend_task(
    *,
    session: Session,
    task_code: str,
    reason: str,
    today: date,
    actor: Actor = SYSTEM,
) -> list[Notice]:
    """Suspend the work after an inspection found a violation: the host stops everything
    and reports what was done and spent (TT 04/2015 Đ22.3a-b) (idempotent)."""
    task = task_by_code(session, task_code)
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    if contract is not None and contract.suspended_on is None:
        contract.suspended_on = today
    move_task(
        session=session,
        task_id=task.id,
        stage=Stage.IMPLEMENTATION,
        status=TaskStatus.SUSPENDED,
        actor=actor,
    )
    return [
        to_host(
            task,
            f"Tạm dừng thực hiện nhiệm vụ {task.code}",
            f"Sở Khoa học và Công nghệ thông báo tạm dừng thực hiện nhiệm vụ “{task.title}” "
            f"(mã {task.code}) kể từ ngày {vn_date(today)}: {reason}. Đề nghị tổ chức chủ trì "
            "ngừng mọi hoạt động liên quan và báo cáo bằng văn bản các nội dung đã thực hiện, "
            "tình hình sử dụng kinh phí (Thông tư 04/2015/TT-BKHCN).",
            f"Task {task.code} is suspended from {today.isoformat()}: {reason}.",
        )
    ]


def decide_termination(
    *,
    session: Session,
    task_code: str,
    terminate: bool,
    decision_number: str,
    decision_date: date,
    refund_amount: int,
    today: date,
    note: str = "",
    regulations: Regulations = DEFAULT_REGULATIONS,
    actor: Actor = SYSTEM,
) -> Task:
    """The leader's decision on a suspended task: terminate the contract, with the money to
    refund (TT 04/2015 Đ22.3c), or resume the work."""
    task = task_by_code(session, task_code)
    contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
    if not terminate:
        if contract is not None:
            contract.suspended_on = None
        return move_task(
            session=session,
            task_id=task.id,
            stage=Stage.IMPLEMENTATION,
            status=TaskStatus.IN_PROGRESS,
            actor=actor,
        )
    if contract is None:
        raise InvalidStateError("no_contract", "Nhiệm vụ chưa có hợp đồng.", "No contract.")
    paid = sum(t.amount for t in contract.tranches if t.paid_on is not None) or contract.value
    if not 0 <= refund_amount <= paid:
        raise DomainError(
            "refund_amount",
            f"Số kinh phí thu hồi phải từ 0 đến {money(paid)} đồng.",
            f"The refund must be between 0 and {paid}.",
        )
    record_decision(
        session=session,
        kind=DecisionKind.TERMINATION,
        number=decision_number,
        signed_on=decision_date,
        edition=edition_of(task, regulations),
        tasks=[task],
        today=today,
        note=note,
        actor=actor,
    )
    contract.status = ContractStatus.TERMINATED
    contract.terminated_on = decision_date
    contract.refund_amount = refund_amount
    restrict(session, task, RestrictionReason.TERMINATED, decision_date, refund_amount)
    return move_task(
        session=session,
        task_id=task.id,
        stage=Stage.IMPLEMENTATION,
        status=TaskStatus.TERMINATED,
        actor=actor,
    )


def restrict(
    session: Session, task: Task, reason: RestrictionReason, since: date, refund: int | None
) -> list[Restriction]:
    """Bar the host and the investigator from applying: until a refund is repaid (TT 20/2023
    Đ4.2d), one year for the host and three for the investigator after a termination for
    violation (Đ4.2đ, Đ4.4c), and after a failed acceptance (TT 11/2014 Đ15.4)."""
    found: list[Restriction] = []
    years = {
        RestrictionReason.TERMINATED: (1, 3),
        RestrictionReason.FAILED_ACCEPTANCE: (None, None),
        RestrictionReason.REFUND_OUTSTANDING: (None, None),
    }[reason]
    sources = {
        RestrictionReason.TERMINATED: "TT 20/2023 Đ4.2đ, Đ4.4c",
        RestrictionReason.FAILED_ACCEPTANCE: "TT 11/2014 Đ15.4",
        RestrictionReason.REFUND_OUTSTANDING: "TT 20/2023 Đ4.2d",
    }
    for org_id, person_id, span in (
        (task.host_organisation_id, None, years[0]),
        (None, task.principal_investigator_id, years[1]),
    ):
        if org_id is None and person_id is None:
            continue
        exists = session.scalar(
            select(Restriction).where(
                Restriction.task_id == task.id,
                Restriction.reason == reason,
                Restriction.organisation_id.is_not_distinct_from(org_id),
                Restriction.person_id.is_not_distinct_from(person_id),
            )
        )
        if exists is not None:
            continue
        until = add_months(since, 12 * span) if span else None
        found.append(
            Restriction(
                organisation_id=org_id,
                person_id=person_id,
                task_id=task.id,
                reason=reason,
                since=since,
                until=until,
                source=sources[reason],
            )
        )
        if refund and reason is not RestrictionReason.REFUND_OUTSTANDING and org_id is not None:
            found.append(
                Restriction(
                    organisation_id=org_id,
                    task_id=task.id,
                    reason=RestrictionReason.REFUND_OUTSTANDING,
                    since=since,
                    source=sources[RestrictionReason.REFUND_OUTSTANDING],
                )
            )
    session.add_all(found)
    session.flush()
    return found


def close_contract(
    *, session: Session, contract_id: int, liquidated_on: date, actor: Actor = SYSTEM
) -> Contract:
    """Liquidate (thanh lý) a contract: the results registered and recognised first (TT 11/2014
    Đ13.3, Đ15.1, Đ17)."""
    contract = get_or_raise(session, Contract, contract_id)
    if contract.status is ContractStatus.LIQUIDATED:
        return contract
    registrations = list(
        session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == contract.task_id)
        )
    )
    if not registrations or any(r.certificate_number is None for r in registrations):
        raise InvalidStateError(
            "certificate_missing",
            "Chưa có giấy chứng nhận đăng ký kết quả, không thể thanh lý hợp đồng.",
            "The results have no registration certificate: the contract cannot be closed.",
        )
    if decision_of(session, contract.task, DecisionKind.RECOGNITION) is None:
        raise InvalidStateError(
            "not_recognised",
            "Chưa có quyết định công nhận kết quả, không thể thanh lý hợp đồng.",
            "The results are not recognised yet: the contract cannot be closed.",
        )
    contract.status = ContractStatus.LIQUIDATED
    contract.liquidated_on = liquidated_on
    contract.task.status = TaskStatus.CLOSED
    session.flush()
    record_audit(
        session=session,
        action="contract.close",
        entity_type="contract",
        entity_id=contract.id,
        actor=actor,
        task_id=contract.task_id,
        stage=Stage.REGISTRATION,
        details={"liquidated_on": liquidated_on.isoformat()},
    )
    return contract
