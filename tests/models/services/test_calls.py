"""Step 2: calls, applications and the validity check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from models.enums import (
    ApplicationStatus,
    CallStatus,
    DocumentKind,
    Method,
    RestrictionReason,
    Stage,
    TaskStatus,
)
from models.services import calls, contracts
from models.services.errors import DomainError, InvalidStateError
from tests.models import factories as f


def test_opening_a_call_moves_its_tasks_to_selection(session: Session) -> None:
    one, two = f.task(session), f.task(session)
    call = f.open_call(session, [one, two])
    assert call.status is CallStatus.OPEN
    assert {(t.stage, t.status) for t in (one, two)} == {(Stage.SELECTION, TaskStatus.SELECTING)}
    assert f.open_call(session, [one], number=call.number).id == call.id


def test_a_call_must_close_after_it_opens(session: Session) -> None:
    with pytest.raises(DomainError):
        f.open_call(
            session, [f.task(session)], opens_on=date(2026, 4, 1), closes_on=date(2026, 3, 1)
        )


def test_reopening_a_call_closes_the_old_one(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    first = f.open_call(session, [task])
    second = f.open_call(session, [task], reopens_call_id=first.id)
    assert first.status is CallStatus.CLOSED and second.reopens_call_id == first.id
    with pytest.raises(InvalidStateError):
        f.application(session, first, task, root=tmp_path)
    assert f.application(session, second, task, root=tmp_path).call_id == second.id


def test_applications_only_for_tasks_of_the_call(session: Session, tmp_path: Path) -> None:
    call = f.open_call(session, [f.task(session)])
    with pytest.raises(DomainError) as err:
        f.application(session, call, f.task(session), root=tmp_path)
    assert err.value.code == "task_not_in_call"


def test_applying_twice_is_one_application(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    org = f.organisation(session)
    first = f.application(session, call, task, root=tmp_path, org=org)
    again = calls.submit_application(
        session=session,
        call_id=call.id,
        task_id=task.id,
        organisation_id=org.id,
        principal_investigator_id=first.principal_investigator_id,
    )
    assert again.id == first.id


def test_missing_documents_name_the_forms(session: Session, tmp_path: Path) -> None:
    # TT 20/2023 Đ5: form, description, the organisation's profile, the investigator's CV.
    task = f.task(session)
    call = f.open_call(session, [task])
    complete = f.application(session, call, task, root=tmp_path)
    assert calls.missing_documents(session, complete) == set()
    partial = f.application(
        session,
        call,
        task,
        root=tmp_path,
        documents=[DocumentKind.APPLICATION_FORM, DocumentKind.PROPOSAL_RESEARCH],
    )
    assert calls.missing_documents(session, partial) == {
        DocumentKind.CURRICULUM_VITAE,
        DocumentKind.ORGANISATION_PROFILE,
    }


def test_staff_open_the_dossiers_and_name_the_valid_ones(session: Session) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    good, bad = f.application(session, call, task), f.application(session, call, task)
    opening = calls.open_applications(
        session=session, task_code=task.code, call_id=call.id, valid_ids=[good.id], note="Thiếu"
    )
    assert opening.valid == [good] and opening.invalid == [bad]
    assert (good.status, bad.status) == (ApplicationStatus.VALID, ApplicationStatus.INVALID)
    assert call.status is CallStatus.CLOSED  # no more applications
    with pytest.raises(DomainError) as err:
        calls.open_applications(
            session=session, task_code=task.code, call_id=call.id, valid_ids=[good.id + 1000]
        )
    assert err.value.code == "not_in_call"


@pytest.mark.parametrize(
    ("reason", "applied_on", "refused"),
    [
        # TT 20/2023 Đ4.2đ: the host of a task terminated for a violation, one year
        (RestrictionReason.TERMINATED, date(2026, 2, 27), True),
        (RestrictionReason.TERMINATED, date(2026, 3, 2), False),
        # TT 20/2023 Đ4.2d: until the refund is repaid (no end)
        (RestrictionReason.REFUND_OUTSTANDING, date(2030, 1, 1), True),
    ],
)
def test_a_restricted_applicant_is_refused(
    session: Session, reason: RestrictionReason, applied_on: date, refused: bool
) -> None:
    host = f.organisation(session)
    old = f.task(session, host=host, investigator=f.person(session, host))
    contracts.restrict(session, old, reason, date(2025, 3, 1), None)
    task = f.task(session)
    call = f.open_call(session, [task])
    apply = lambda: calls.submit_application(  # noqa: E731
        session=session,
        call_id=call.id,
        task_id=task.id,
        organisation_id=host.id,
        principal_investigator_id=f.person(session, host).id,
        submitted_at=datetime.combine(applied_on, datetime.min.time(), UTC),
    )
    if refused:
        with pytest.raises(DomainError) as err:
            apply()
        assert err.value.code == "applicant_restricted"
    else:
        assert apply().organisation_id == host.id


def test_the_investigator_is_barred_three_years_after_a_termination(session: Session) -> None:
    # TT 20/2023 Đ4.4c
    host = f.organisation(session)
    pi = f.person(session, host)
    old = f.task(session, host=host, investigator=pi)
    found = contracts.restrict(session, old, RestrictionReason.TERMINATED, date(2025, 3, 1), 5)
    by_whom = {(r.organisation_id, r.person_id, r.reason): r.until for r in found}
    assert by_whom[(host.id, None, RestrictionReason.TERMINATED)] == date(2026, 3, 1)
    assert by_whom[(None, pi.id, RestrictionReason.TERMINATED)] == date(2028, 3, 1)
    assert by_whom[(host.id, None, RestrictionReason.REFUND_OUTSTANDING)] is None


@pytest.mark.parametrize(
    ("today", "allowed"),
    # TT 20/2023 Đ3.3: once more, within 6 months of the first call's start (02/02/2026)
    [(date(2026, 8, 2), True), (date(2026, 8, 3), False)],
)
def test_a_round_without_a_host_may_be_called_again_within_six_months(
    session: Session, today: date, allowed: bool
) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    f.application(session, call, task)
    calls.open_applications(session=session, task_code=task.code, call_id=call.id, valid_ids=[])
    end = calls.close_round(session=session, task_code=task.code, today=today)
    assert end.reason == "no_valid_application" and end.recall_allowed is allowed


def test_a_third_call_is_never_allowed(session: Session) -> None:
    task = f.task(session)
    first = f.open_call(session, [task])
    f.open_call(
        session,
        [task],
        reopens_call_id=first.id,
        opens_on=date(2026, 3, 9),
        closes_on=date(2026, 4, 8),
    )
    end = calls.close_round(session=session, task_code=task.code, today=date(2026, 4, 1))
    assert not end.recall_allowed


def test_a_direct_assignment_has_no_second_call(session: Session) -> None:
    task = f.task(session, method=Method.DIRECT)
    calls.invite_direct_assignment(session=session, task_code=task.code, today=date(2026, 1, 5))
    end = calls.close_round(session=session, task_code=task.code, today=date(2026, 1, 6))
    assert not end.recall_allowed


def test_direct_assignment_asks_the_proposer_for_its_dossier(session: Session) -> None:
    # TT 20/2023 Đ21: the host files a dossier as for a call, the council scores it.
    task = f.task(session, method=Method.DIRECT)
    invitation = calls.invite_direct_assignment(
        session=session, task_code=task.code, today=date(2026, 1, 5)
    )
    assert task.proposal is not None
    assert invitation.application.organisation_id == task.proposal.proposer_organisation_id
    assert invitation.application.requested_budget == task.proposal.estimated_budget
    assert invitation.due_on == date(2026, 2, 4)
    again = calls.invite_direct_assignment(
        session=session, task_code=task.code, today=date(2026, 1, 6)
    )
    assert again.application.id == invitation.application.id
