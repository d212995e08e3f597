"""Step 1: proposals, registration as tasks, screening, the approved list by a numbered
decision, and the regulation edition a task is bound to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.decisions import Decision
from models.editions import DEFAULT_REGULATIONS
from models.enums import (
    DecisionKind,
    Field,
    Issuer,
    Method,
    ProposalStatus,
    RestrictionReason,
)
from models.services import contracts, decisions, proposals, tasks
from models.services.audit import Actor
from models.services.errors import DomainError, InvalidStateError
from models.tasks import Task
from tests.models import factories as f

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def actions(session: Session, task: Task) -> list[str]:
    """Audit actions about a task, oldest first."""
    stmt = select(AuditEntry.action).where(AuditEntry.task_id == task.id).order_by(AuditEntry.id)
    return list(session.scalars(stmt))


def registered(session: Session, today: date = date(2026, 1, 5)) -> Task:
    proposal = f.proposal(session)
    return proposals.register_proposal(session=session, proposal_id=proposal.id, today=today).task


def recommended(session: Session, today: date = date(2026, 1, 5)) -> Task:
    task = registered(session, today)
    assert task.proposal is not None
    task.proposal.status = ProposalStatus.RECOMMENDED
    session.flush()
    return task


def approve(session: Session, task: Task, on: date, number: str = "125/QĐ-UBND", **kw):
    return proposals.approve_task_list(
        session=session,
        task_code=task.code,
        approved=kw.pop("approved", True),
        method=kw.pop("method", Method.SELECTION),
        decision_number=number,
        decision_date=on,
        today=kw.pop("today", on),
        **kw,
    )


def test_a_proposal_needs_a_proposer(session: Session) -> None:
    with pytest.raises(DomainError) as err:
        proposals.create_proposal(
            session=session, year=2026, title="Vô danh", field=Field.HUMANITIES
        )
    assert err.value.code == "proposer_missing"
    assert "Đề xuất phải có" in str(err.value) and "needs a proposing" in str(err.value)


def test_registration_gives_the_proposal_a_task_and_a_receipt(session: Session) -> None:
    proposal = f.proposal(session)
    first = proposals.register_proposal(
        session=session, proposal_id=proposal.id, today=date(2026, 1, 5)
    )
    again = proposals.register_proposal(
        session=session, proposal_id=proposal.id, today=date(2026, 1, 6)
    )
    assert first.task.id == again.task.id and first.task.code.startswith("NV")
    # provisional: the edition of the day, not yet bound
    assert first.task.edition == "2025" and first.task.edition_bound_on is None
    (notice,) = first.notices
    assert first.task.code in notice.subject and notice.to


def test_screening_answers_and_their_repetition(session: Session) -> None:
    task = registered(session)
    staff = f.user(session)
    actor = Actor(name="Chuyên viên", user_id=staff.id, bpmn_element_id="screenProposal")
    screened = proposals.screen_proposal(
        session=session, task_code=task.code, result="passed", now=NOW, actor=actor
    )
    assert screened.status is ProposalStatus.SCREENED_IN and screened.screened_by_id == staff.id
    proposals.screen_proposal(session=session, task_code=task.code, result="passed", now=NOW)
    with pytest.raises(InvalidStateError):
        proposals.screen_proposal(session=session, task_code=task.code, result="rejected")
    with pytest.raises(DomainError) as err:
        proposals.screen_proposal(session=session, task_code=task.code, result="maybe")
    assert err.value.code == "screening_result"


def test_a_revision_is_due_within_the_edition_s_days(session: Session) -> None:
    task = registered(session)
    proposals.screen_proposal(
        session=session, task_code=task.code, result="revise", note="Thiếu dự toán", now=NOW
    )
    letter, due = proposals.revision_request(
        session=session, task_code=task.code, today=date(2026, 1, 5)
    )
    assert due == date(2026, 2, 4)  # 30 days (unverified, settable)
    assert "Thiếu dự toán" in letter.body and "30 ngày" in letter.body


@pytest.mark.parametrize(
    ("decided_on", "edition"),
    # Luật 93/2025/QH15 in force 01/10/2025: the list decided the day before keeps the old law
    [(date(2025, 9, 30), "2014"), (date(2025, 10, 1), "2025")],
)
def test_the_list_decision_binds_the_task_to_the_edition_in_force(
    session: Session, decided_on: date, edition: str
) -> None:
    task = recommended(session, today=date(2025, 9, 1))
    result = approve(session, task, decided_on)
    assert result.approved and result.edition is not None and result.edition.id == edition
    assert task.edition == edition and task.edition_bound_on == decided_on
    assert task.proposal is not None and task.proposal.status is ProposalStatus.APPROVED
    assert "task.bind_edition" in actions(session, task)
    # bound for good: a later day of another edition cannot rebind it
    with pytest.raises(InvalidStateError) as err:
        tasks.bind_edition(
            session=session,
            task_id=task.id,
            approved_on=date(2025, 10, 1) if edition == "2014" else date(2025, 9, 30),
        )
    assert err.value.code == "edition_bound"


@pytest.mark.parametrize(
    ("decided_on", "raw", "number", "issuer"),
    [
        # the People's Committee approves the list under the 2014 law (NĐ 08/2014 Đ27.2)
        (date(2025, 6, 2), "125", "125/QĐ-UBND", Issuer.PEOPLE_COMMITTEE),
        (date(2025, 6, 2), "125/QĐ-UBND", "125/QĐ-UBND", Issuer.PEOPLE_COMMITTEE),
        (date(2025, 12, 1), "125", "125/QĐ-UBND", Issuer.PEOPLE_COMMITTEE),
    ],
)
def test_the_decision_number_carries_its_issuer(
    session: Session, decided_on: date, raw: str, number: str, issuer: Issuer
) -> None:
    task = recommended(session)
    approve(session, task, decided_on, number=raw, today=date(2026, 1, 5))
    decision = decisions.decision_of(session, task, DecisionKind.LIST_APPROVAL)
    assert decision is not None and decision.number == number and decision.issuer is issuer


def test_a_department_signer_numbers_decisions_qd_skhcn(session: Session) -> None:
    # A province that delegated the decisions to the Department (settings: KHCN_SIGNER).
    regulations = DEFAULT_REGULATIONS.with_signer("department")
    task = recommended(session)
    approve(session, task, date(2026, 1, 5), number="7", regulations=regulations)
    decision = decisions.decision_of(session, task, DecisionKind.LIST_APPROVAL)
    assert decision is not None
    assert (decision.number, decision.issuer) == ("7/QĐ-SKHCN", Issuer.DEPARTMENT)
    with pytest.raises(DomainError) as err:
        decisions.decision_number("8/QĐ-UBND", Issuer.DEPARTMENT)
    assert err.value.code == "decision_signer"


def test_one_decision_covers_the_batch(session: Session) -> None:
    first, second = recommended(session), recommended(session)
    approve(session, first, date(2026, 1, 5), number="30/QĐ-UBND")
    approve(session, second, date(2026, 1, 5), number="30/QĐ-UBND")
    (decision,) = session.scalars(select(Decision).where(Decision.number == "30/QĐ-UBND"))
    assert {t.id for t in decision.tasks} == {first.id, second.id}
    third = recommended(session)
    with pytest.raises(DomainError) as err:
        approve(session, third, date(2026, 1, 6), number="30/QĐ-UBND")
    assert err.value.code == "decision_date_differs"


def test_a_decision_cannot_be_dated_after_today(session: Session) -> None:
    task = recommended(session)
    with pytest.raises(DomainError) as err:
        approve(session, task, date(2026, 1, 6), today=date(2026, 1, 5))
    assert err.value.code == "decision_date"
    assert task.edition_bound_on is None


def test_only_a_recommended_proposal_goes_on_the_list(session: Session) -> None:
    task = registered(session)
    with pytest.raises(InvalidStateError) as err:
        approve(session, task, date(2026, 1, 5))
    assert err.value.code == "proposal_not_recommended"


def test_refusing_the_list_rejects_the_proposal(session: Session) -> None:
    task = recommended(session)
    result = approve(session, task, date(2026, 1, 5), approved=False, note="Trùng lặp")
    assert not result.approved and task.edition_bound_on is None
    assert task.proposal is not None and task.proposal.status is ProposalStatus.REJECTED


def test_publishing_the_list_entry_is_idempotent(session: Session) -> None:
    task = recommended(session)
    approve(session, task, date(2026, 1, 5), method=Method.DIRECT)
    first, notice = proposals.publish_list_entry(session=session, task_code=task.code, now=NOW)
    later = datetime(2026, 1, 9, tzinfo=UTC)
    again, _ = proposals.publish_list_entry(session=session, task_code=task.code, now=later)
    assert first == again == NOW
    assert "125/QĐ-UBND" in notice.body and "giao trực tiếp" in notice.body


def test_a_barred_proposer_cannot_get_the_task_directly(session: Session) -> None:
    # TT 11/2014 Đ15.4: a host whose task failed acceptance may not host another
    task = recommended(session)
    assert task.proposal is not None
    old = f.task(session, host=task.proposal.proposer_organisation)
    contracts.restrict(session, old, RestrictionReason.FAILED_ACCEPTANCE, date(2025, 11, 3), None)
    with pytest.raises(DomainError) as err:
        approve(session, task, date(2026, 1, 5), method=Method.DIRECT)
    assert err.value.code == "direct_host_restricted"
    assert approve(session, task, date(2026, 1, 5), method=Method.SELECTION).approved
