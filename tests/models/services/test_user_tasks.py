"""The user-task contract: one model service per form, the form's values in, the variables the
diagram routes on out; clear errors for a form or a value the service cannot use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import CouncilType, MeetingStatus, Role
from models.services import councils, user_tasks
from models.services.audit import Actor
from models.services.errors import DomainError
from tests.models import factories as f

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Huế


def submit(session: Session, form: str, variables: dict[str, Any], values: dict[str, Any], **kw):
    staff = kw.pop("staff", None)
    actor = Actor(
        name="Chuyên viên", user_id=staff.id if staff else None, job_key=kw.pop("job", None)
    )
    return user_tasks.submit(
        session,
        form,
        user_tasks.Submission(variables=variables, values=values, actor=actor, now=NOW),
    )


def proposed(session: Session):
    task = f.task(session)
    f.experts(session, 7)
    council = councils.propose_council(
        session=session, task_id=task.id, kind=CouncilType.ADVISORY, today=NOW.date()
    )
    return task, council


def test_an_unknown_form_is_refused(session: Session) -> None:
    with pytest.raises(DomainError) as err:
        submit(session, "khcn-nothing", {}, {})
    assert err.value.code == "unknown_form" and "khcn-nothing" in err.value.message_vi


def test_a_missing_process_variable_is_named(session: Session) -> None:
    with pytest.raises(DomainError) as err:
        submit(session, "khcn-screen-proposal", {}, {"screeningResult": "passed"})
    assert err.value.code == "variable_missing" and "taskCode" in err.value.message_vi


def test_confirming_a_council_returns_what_the_diagram_needs(session: Session) -> None:
    task, council = proposed(session)
    staff = f.user(session, (Role.STAFF,))
    variables = {"taskCode": task.code, "councilId": council.id}
    values = {"decisionNumber": "45", "decisionDate": "2026-03-02", "meetingAt": "2026-03-05"}
    out = submit(session, "khcn-council-confirm", variables, values, staff=staff, job=11)
    assert out["decisionNumber"] == "45"  # the form's own values come back too
    assert out["meetingAt"] == "2026-03-05T08:00:00+07:00"
    # reviews are due a working day before the meeting, at the end of that day
    assert out["reviewsDueAt"] == "2026-03-04T23:59:59+07:00"
    assert len(out["reviewAssignments"]) == 7 and len(out["memberOptions"]) == 7
    again = submit(session, "khcn-council-confirm", variables, values, staff=staff, job=11)
    assert again["meetingAt"] == out["meetingAt"] and len(council.meetings) == 1
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "council.establish")
    ).one()
    assert entry.actor_user_id == staff.id and entry.job_key == 11


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {"decisionNumber": "45", "decisionDate": "02/03/2026", "meetingAt": "2026-03-05"},
            "decisionDate",
        ),
        ({"decisionNumber": "45", "decisionDate": "2026-03-02"}, "meetingAt"),
    ],
)
def test_a_bad_date_names_its_field(session: Session, values: dict[str, Any], field: str):
    task, council = proposed(session)
    with pytest.raises(DomainError) as err:
        submit(
            session,
            "khcn-council-confirm",
            {"taskCode": task.code, "councilId": council.id},
            values,
        )
    assert err.value.code in ("field_invalid", "field_missing") and field in err.value.message_vi


def test_attendance_reports_the_quorum_and_who_votes(session: Session) -> None:
    task, council = proposed(session)
    f.confirm(session, council, task, today=date(2026, 3, 2), meeting_on=date(2026, 3, 5))
    variables = {"taskCode": task.code, "councilId": council.id}
    members = [m.id for m in council.members]
    out = submit(
        session,
        "khcn-council-attendance",
        variables,
        {
            "presentMemberIds": [str(m) for m in members],  # checkboxes submit strings
            "countingMemberIds": members[2:5],
            "countingHeadId": members[2],
        },
    )
    assert out["quorumMet"] is True and out["quorumReasons"] == []
    assert {a["memberId"] for a in out["ballotAssignments"]} == set(members)
    assert council.meetings[0].status is MeetingStatus.HELD


def test_every_form_names_the_service_it_calls() -> None:
    for form_id, entry in user_tasks.REGISTRY.items():
        module, function = entry.service.split(".")
        service_module = __import__(f"models.services.{module}", fromlist=[function])
        assert callable(getattr(service_module, function)), form_id
