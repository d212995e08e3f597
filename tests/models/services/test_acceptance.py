"""Step 4: the acceptance dossier and its deadlines, the council's count and verdict (TT 11/2014
Đ13.2), completion, the failure's settlement, the recognition decision."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.councils import Council, CouncilItem
from models.decisions import Restriction
from models.enums import (
    CouncilRole,
    CouncilType,
    DossierStatus,
    Rating,
    Role,
    Stage,
    TaskStatus,
)
from models.services import acceptance, meetings
from models.services.errors import DomainError, InvalidStateError
from models.services.meetings import CountResult
from models.tasks import Task
from tests.models import factories as f

RATED_ON = date(2026, 3, 5)


def filed(
    session: Session, ends_on: date = date(2026, 1, 30), filed_on: date = date(2026, 2, 16)
) -> Task:
    """A hosted task under contract whose acceptance dossier was filed and found valid."""
    task = f.hosted_task(session)
    f.under_contract(session, task, date(2025, 1, 2), ends_on)
    acceptance.file_acceptance_dossier(session=session, task_code=task.code, filed_on=filed_on)
    acceptance.check_acceptance_dossier(
        session=session, task_code=task.code, valid=True, checked_on=filed_on
    )
    return task


def rated(session: Session, task: Task, ratings: list[Rating], absent: int = 0) -> CountResult:
    """The acceptance council meets (``absent`` plain members away) and rates the task."""
    council = f.established(session, task, CouncilType.ACCEPTANCE)
    f.review_all(session, council, task)
    away = f.bystanders(council, task)[:absent]
    f.hold(session, council, task, absent=away)
    present = [m for m in council.members if m not in away]
    assert len(present) == len(ratings)
    for member, rating in zip(present, ratings, strict=True):
        meetings.record_ballot(
            session=session,
            council_id=council.id,
            member_id=member.id,
            task_id=task.id,
            values={"rating": rating.value},
            now=datetime(2026, 3, 5, 3, tzinfo=UTC),
        )
    return meetings.count_ballots(
        session=session, council_id=council.id, task_id=task.id, today=RATED_ON
    )


def test_filing_the_dossier_starts_step_four_and_its_check(session: Session) -> None:
    task = f.hosted_task(session)
    f.under_contract(session, task, date(2025, 1, 2), date(2026, 1, 30))
    filing = acceptance.file_acceptance_dossier(
        session=session, task_code=task.code, filed_on=date(2026, 2, 26)
    )
    # TT 11/2014 Đ7.3: staff check it within 3 working days
    assert filing.check_due_on == date(2026, 3, 3)
    assert (task.stage, task.status) == (Stage.ACCEPTANCE, TaskStatus.UNDER_ACCEPTANCE)
    assert not filing.dossier.too_late
    again = acceptance.file_acceptance_dossier(
        session=session, task_code=task.code, filed_on=date(2026, 2, 20)
    )
    assert again.dossier.id == filing.dossier.id


@pytest.mark.parametrize(
    ("filed_on", "too_late"),
    # TT 11/2014 Đ13.1c: more than 6 months after the contract ended (30/01/2026)
    [(date(2026, 7, 30), False), (date(2026, 7, 31), True)],
)
def test_a_dossier_six_months_late_is_marked(session: Session, filed_on: date, too_late: bool):
    task = f.hosted_task(session)
    f.under_contract(session, task, date(2025, 1, 2), date(2026, 1, 30))
    filing = acceptance.file_acceptance_dossier(
        session=session, task_code=task.code, filed_on=filed_on
    )
    assert filing.dossier.too_late is too_late


def test_the_check_sets_the_next_deadline(session: Session) -> None:
    task = f.hosted_task(session)
    f.under_contract(session, task, date(2025, 1, 2), date(2026, 1, 30))
    acceptance.file_acceptance_dossier(
        session=session, task_code=task.code, filed_on=date(2026, 2, 26)
    )
    # incomplete: 5 working days to complete it (Đ7.3)
    check = acceptance.check_acceptance_dossier(
        session=session, task_code=task.code, valid=False, checked_on=date(2026, 2, 26)
    )
    assert check.dossier.status is DossierStatus.INVALID and check.due_on == date(2026, 3, 5)
    # valid: the council within 15 working days (Đ9.1)
    check = acceptance.check_acceptance_dossier(
        session=session, task_code=task.code, valid=True, checked_on=date(2026, 3, 5)
    )
    assert check.dossier.status is DossierStatus.VALID and check.due_on == date(2026, 3, 26)
    leader = f.user(session, (Role.LEADER,))
    (late,) = acceptance.council_setup_reminder(session=session, task_code=task.code)
    assert late.to == (leader.email,)
    assert "15 ngày làm việc" in late.body and "26/03/2026" in late.body
    f.established(session, task, CouncilType.ACCEPTANCE)
    assert acceptance.council_setup_reminder(session=session, task_code=task.code) == []


@pytest.mark.parametrize(
    ("ratings", "verdict"),
    [
        # TT 11/2014 Đ13.2: Xuất sắc when ≥ 3/4 of those present say so and nobody fails it
        ([Rating.EXCELLENT] * 7 + [Rating.PASS] * 2, Rating.EXCELLENT),  # 7/9 ≥ 3/4
        ([Rating.EXCELLENT] * 6 + [Rating.PASS] * 3, Rating.PASS),  # 6/9 < 3/4
        ([Rating.EXCELLENT] * 8 + [Rating.FAIL], Rating.PASS),  # one Không đạt
        # Không đạt when more than 1/3 fail it: 3/9 is not more
        ([Rating.PASS] * 6 + [Rating.FAIL] * 3, Rating.PASS),
        ([Rating.PASS] * 5 + [Rating.FAIL] * 4, Rating.FAIL),
    ],
)
def test_the_count_applies_article_13_2(
    session: Session, ratings: list[Rating], verdict: Rating
) -> None:
    task = filed(session)
    result = rated(session, task, ratings)
    assert result.verdict is verdict and result.members_present == 9


def test_the_shares_are_of_the_members_present(session: Session) -> None:
    # 6 of 8 present (one away) rate Xuất sắc: 6/8 = 3/4 is enough
    task = filed(session)
    result = rated(session, task, [Rating.EXCELLENT] * 6 + [Rating.PASS] * 2, absent=1)
    assert result.members_present == 8 and result.verdict is Rating.EXCELLENT


def test_a_dossier_too_late_fails_whatever_the_ballots(session: Session) -> None:
    task = filed(session, filed_on=date(2026, 7, 31))
    result = rated(session, task, [Rating.EXCELLENT] * 9)
    assert result.too_late and result.verdict is Rating.FAIL


def test_recording_the_result_checks_the_table_and_sets_the_completion_day(
    session: Session,
) -> None:
    task = filed(session)
    rated(session, task, [Rating.PASS] * 9)
    with pytest.raises(InvalidStateError) as err:
        acceptance.record_acceptance_result(
            session=session, task_code=task.code, table_rating="excellent", rated_on=RATED_ON
        )
    assert err.value.code == "table_disagrees"
    result = acceptance.record_acceptance_result(
        session=session, task_code=task.code, table_rating="pass", rated_on=RATED_ON
    )
    # TT 11/2014 Đ13.3: 30 working days to complete the dossier
    assert result.rating is Rating.PASS and result.completion_due_on == date(2026, 4, 16)
    assert "16/04/2026" in result.notices[0].body
    with pytest.raises(InvalidStateError) as err:
        acceptance.record_recognition_decision(
            session=session,
            task_code=task.code,
            decision_number="88",
            decision_date=RATED_ON,
            today=RATED_ON,
        )
    assert err.value.code == "not_completed"
    dossier = acceptance.confirm_completion(
        session=session, task_code=task.code, completed=True, today=date(2026, 4, 1)
    )
    assert dossier.completed_on == date(2026, 4, 1) and task.status is TaskStatus.ACCEPTED
    with pytest.raises(InvalidStateError) as err:
        acceptance.record_recognition_decision(
            session=session,
            task_code=task.code,
            decision_number="88",
            decision_date=date(2026, 4, 2),
            today=date(2026, 4, 2),
        )
    assert err.value.code == "certificate_missing"  # TT 11/2014 Đ17.1b


def test_the_chair_confirms_completion(session: Session) -> None:
    task = filed(session)
    rated(session, task, [Rating.PASS] * 9)
    result = acceptance.record_acceptance_result(
        session=session, task_code=task.code, table_rating="pass", rated_on=RATED_ON
    )
    council = next(c for c in task_councils(session, task) if c.type is CouncilType.ACCEPTANCE)
    chair = f.member(council, CouncilRole.CHAIR)
    assert result.chair_username == acceptance.chair_username(session, council.id)
    assert result.chair_username is not None and chair.person_id is not None


def task_councils(session: Session, task: Task):
    return session.scalars(
        select(Council).join(CouncilItem).where(CouncilItem.task_id == task.id)
    ).all()


def test_a_failed_task_is_settled_with_refund_and_restrictions(session: Session) -> None:
    # TT 11/2014 Đ15: the work done and the refund; the host and investigator are barred.
    task = filed(session)
    rated(session, task, [Rating.FAIL] * 9)
    result = acceptance.record_acceptance_result(
        session=session, task_code=task.code, table_rating="fail", rated_on=RATED_ON
    )
    assert result.completion_due_on is None and task.status is TaskStatus.FAILED
    with pytest.raises(InvalidStateError):
        acceptance.confirm_completion(
            session=session, task_code=task.code, completed=True, today=RATED_ON
        )
    with pytest.raises(DomainError) as err:
        acceptance.settle_failed_task(
            session=session,
            task_code=task.code,
            refund_amount=10**12,
            work_done="x",
            today=RATED_ON,
        )
    assert err.value.code == "refund_amount"
    with pytest.raises(DomainError) as err:
        acceptance.settle_failed_task(
            session=session, task_code=task.code, refund_amount=1, work_done=" ", today=RATED_ON
        )
    assert err.value.code == "work_done"
    dossier = acceptance.settle_failed_task(
        session=session,
        task_code=task.code,
        refund_amount=300_000_000,
        work_done="Hoàn thành nội dung 1",
        today=RATED_ON,
    )
    assert dossier.final_rating is Rating.FAIL and dossier.refund_amount == 300_000_000
    reasons = {
        (r.organisation_id is not None, r.reason.value)
        for r in session.scalars(select(Restriction).where(Restriction.task_id == task.id))
    }
    assert reasons == {
        (True, "failed_acceptance"),
        (False, "failed_acceptance"),
        (True, "refund_outstanding"),
    }
