"""Step 2: calls, applications and the validity check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from models.enums import ApplicationStatus, CallStatus, DocumentKind, Stage, TaskStatus
from models.services import calls
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
            session, [f.task(session)], opens_on=date(2027, 4, 1), closes_on=date(2027, 3, 1)
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


def test_a_complete_dossier_is_valid(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    app = f.application(session, f.open_call(session, [task]), task, root=tmp_path)
    calls.check_application_validity(session=session, application_id=app.id)
    assert app.status is ApplicationStatus.VALID and app.validity_note is None


def test_a_dossier_without_cv_is_invalid(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    app = f.application(
        session,
        f.open_call(session, [task]),
        task,
        root=tmp_path,
        documents=[DocumentKind.APPLICATION_FORM, DocumentKind.PROPOSAL_RESEARCH],
    )
    calls.check_application_validity(session=session, application_id=app.id)
    assert app.status is ApplicationStatus.INVALID
    assert app.validity_note == (
        "Thiếu: Lý lịch khoa học cá nhân (B1-4-LLCN); Lý lịch tổ chức (B1-3-LLTC)"
    )
