"""Waits for the host: remind at the due day, follow an extension, give up after six months."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from models.services import waits
from models.services.errors import DomainError
from tests.models import factories as f


def overdue(session: Session, task, due_on: date, today: date, wait: str = "final-report"):
    return waits.host_wait_overdue(
        session=session, task_code=task.code, wait=wait, due_on=due_on, today=today
    )


def test_the_final_report_wait_reminds_then_gives_up_after_six_months(session: Session) -> None:
    # the contract ended 30/06/2026: the dossier is due 30/07 (TT 11/2014 Đ7.1) and a dossier
    # after 30/12/2026 makes the task Không đạt (Đ13.1c)
    task = f.task(session, host=f.organisation(session))
    f.under_contract(session, task, date(2025, 1, 2), date(2026, 6, 30))
    early = overdue(session, task, date(2026, 7, 30), date(2026, 7, 29))
    assert not early.give_up and early.due_on == date(2026, 7, 30) and early.notices == []
    reminded = overdue(session, task, date(2026, 7, 30), date(2026, 7, 30))
    assert not reminded.give_up and reminded.due_on == date(2026, 8, 6)  # every 7 days
    assert "Quá ngày 30/12/2026" in reminded.notices[0].body
    last = overdue(session, task, date(2026, 12, 28), date(2026, 12, 28))
    assert not last.give_up and last.due_on == date(2026, 12, 31)  # the day after the limit
    given_up = overdue(session, task, date(2026, 12, 31), date(2026, 12, 31))
    assert given_up.give_up and "chậm quá 06 tháng" in given_up.notices[0].body


def test_the_final_report_wait_follows_an_extension(session: Session) -> None:
    task = f.task(session, host=f.organisation(session))
    contract = f.under_contract(session, task, date(2025, 1, 2), date(2026, 6, 30))
    contract.ends_on = date(2026, 9, 30)  # extended
    check = overdue(session, task, date(2026, 7, 30), date(2026, 7, 30))
    assert not check.give_up and check.due_on == date(2026, 10, 30) and check.notices == []


def test_an_unknown_wait_is_refused(session: Session) -> None:
    task = f.task(session)
    with pytest.raises(DomainError) as err:
        overdue(session, task, date(2026, 7, 30), date(2026, 7, 30), wait="contract-signature")
    assert err.value.code == "wait_kind"
