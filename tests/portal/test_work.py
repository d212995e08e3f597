"""Scientists' and councils' pages over HTTP: what a task waits for and who may file it, a
filing kept with its message when the engine is away, applying to an open call with the
dossier, a council's documents while it sits, the tally for the vote-counting committee
only. (The whole procedure through these pages: test_whole_task.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.attachments import Attachment
from models.calls import Application
from models.councils import Attendance, Council, CouncilItem, CouncilMember, Meeting
from models.enums import (
    ChangeKind,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    CountingRole,
    MeetingStatus,
    Method,
    Role,
    TaskMemberRole,
)
from models.filings import Filing
from models.implementation import ChangeRequest
from models.rules import add_months
from models.services import calls as calls_service
from models.services import filings as filings_service
from models.services import tasks as tasks_service
from models.services.attachments import attach
from models.services.audit import Actor
from models.services.proposals import register_proposal, screen_proposal
from models.users import User
from portal.app import create_app
from portal.config import PortalConfig
from tests.models import factories
from tests.portal.people import client_of, login, make_user
from tests.portal.work import pdf


@pytest.fixture(scope="module")
def app(
    portal_sessions: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory
) -> FastAPI:
    """The portal with no engine to talk to (port 1 refuses): filings wait to be sent."""
    config = PortalConfig(
        zeebe_address="127.0.0.1:1",
        documents_dir=tmp_path_factory.mktemp("documents"),
        smtp_port=1,
    )
    return create_app(config, portal_sessions)


def scientist(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A scientist with a person of their own affiliated to an organisation: (user, person)."""
    with sessions() as session, session.begin():
        person = factories.person(session, is_expert=False)
        user = factories.user(session, roles=[Role.SCIENTIST], person_id=person.id)
        return user.id, person.id


def test_a_revision_request_is_filed_by_its_proposer_and_kept_while_the_engine_is_away(
    app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    user_id, person_id = scientist(portal_sessions)
    with portal_sessions() as session, session.begin():
        proposal = factories.proposal(session, proposer_person_id=person_id)
        code = register_proposal(
            session=session, proposal_id=proposal.id, today=date(2026, 3, 2)
        ).task.code
        screen_proposal(session=session, task_code=code, result="revise", note="Bổ sung dự toán")
    owner = client_of(app, login(portal_sessions, user_id))
    page = owner.get(f"/work/tasks/{code}")
    assert page.status_code == 200
    link = f"/work/tasks/{code}/file/proposal-revision"
    assert link in page.text
    # another scientist neither follows the task nor files for it
    other = client_of(
        app, login(portal_sessions, make_user(portal_sessions, [Role.SCIENTIST], person=True).id)
    )
    assert other.get(f"/work/tasks/{code}").status_code == 404
    assert other.get(link).status_code == 404

    form = owner.get(link)
    assert form.status_code == 200 and 'type="file"' in form.text
    who = login(portal_sessions, user_id)
    missing = client_of(app, who).post(link, data={"csrf_token": who.csrf, "note": "x"})
    assert missing.status_code == 400 and 'class="field-error"' in missing.text
    done = client_of(app, who).post(
        link,
        data={"csrf_token": who.csrf, "note": "Đã bổ sung dự toán"},
        files={"other": ("de-xuat-moi.pdf", pdf("moi"), "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("notice=pending")
    with portal_sessions() as session:
        [filing] = session.scalars(select(Filing).where(Filing.correlation_key == code)).all()
        assert filing.message_name == "khcn.proposal.revised" and filing.published_at is None
        [doc] = session.scalars(select(Attachment).where(Attachment.filing_id == filing.id)).all()
        assert filing.variables == {"revisedDocumentIds": [doc.stored_file_id]}
        assert filing in filings_service.unpublished(session=session)
    # filed once: no longer waited for, until staff ask again
    assert link not in owner.get(f"/work/tasks/{code}").text
    assert "being sent" in owner.get(f"/work/tasks/{code}?lang=en").text


def test_applying_to_an_open_call_files_the_whole_dossier(
    app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    user_id, person_id = scientist(portal_sessions)
    with portal_sessions() as session, session.begin():
        task = factories.task(session, method=Method.SELECTION)
        call = factories.open_call(session, [task])
        org_id = (
            session.scalar(select(User).where(User.id == user_id))
            .person.affiliations[0]
            .organisation_id
        )  # type: ignore[union-attr]
        call_id, task_id, task_code = call.id, task.id, task.code
    who = login(portal_sessions, user_id)
    client = client_of(app, who)
    listing = client.get("/work/calls")
    url = f"/work/calls/{call_id}/apply/{task_id}"
    assert listing.status_code == 200 and url in listing.text
    files = {
        "b1_1_don": ("don.pdf", pdf("don"), "application/pdf"),
        "b1_2a": ("tm.pdf", pdf("tm"), "application/pdf"),
        "b1_3_lltc": ("tc.pdf", pdf("tc"), "application/pdf"),
    }
    data: dict[str, Any] = {
        "csrf_token": who.csrf,
        "organisation": str(org_id),
        "requested_budget": "900000000",
    }
    incomplete = client.post(url, data=data, files=files)
    assert incomplete.status_code == 400 and 'id="f-b1_4_llcn-error"' in incomplete.text
    files["b1_4_llcn"] = ("ll.pdf", pdf("ll"), "application/pdf")
    done = client.post(url, data=data, files=files, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/work/calls?notice=applied"
    with portal_sessions() as session:
        [application] = session.scalars(
            select(Application).where(Application.task_id == task_id)
        ).all()
        assert application.principal_investigator_id == person_id
        assert application.requested_budget == 900_000_000 and len(application.documents) == 4
        assert not calls_service.missing_documents(session, application)
    mine = client.get("/work/calls")
    assert task_code in mine.text.split("<h2>")[-1]  # under "my applications"


def test_council_documents_while_it_sits_and_the_tally_for_the_counting_committee(
    app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    reader = make_user(portal_sessions, [Role.COUNCIL_MEMBER], person=True)
    counter = make_user(portal_sessions, [Role.COUNCIL_MEMBER], person=True)
    with portal_sessions() as session, session.begin():
        task = factories.task(session)
        stored = attach(
            session=session,
            root=app.state.config.documents_dir,
            content=pdf("de xuat hoi dong"),
            name="de-xuat.pdf",
            content_type="application/pdf",
            actor=Actor(name="test"),
            proposal_id=task.proposal_id,
        ).stored_file_id
        council = Council(
            type=CouncilType.ADVISORY, name="Hội đồng tư vấn", status=CouncilStatus.CONVENED
        )
        council.members += [
            CouncilMember(person_id=reader.person_id, role=CouncilRole.CHAIR),
            CouncilMember(person_id=counter.person_id, role=CouncilRole.MEMBER),
        ]
        council.items.append(CouncilItem(task_id=task.id))
        session.add(council)
        session.flush()
        meeting = Meeting(
            council_id=council.id,
            scheduled_at=datetime(2026, 5, 4, 1, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        session.add(meeting)
        session.flush()
        for member in council.members:
            role = CountingRole.HEAD if member.person_id == counter.person_id else None
            session.add(
                Attendance(
                    meeting_id=meeting.id, member_id=member.id, present=True, counting_role=role
                )
            )
        council_id = council.id
    member = client_of(app, login(portal_sessions, reader.id))
    page = member.get(f"/councils/{council_id}")
    assert f"/councils/{council_id}/files/{stored}" in page.text
    download = member.get(f"/councils/{council_id}/files/{stored}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "attachment" in download.headers["content-disposition"]
    assert member.get(f"/councils/{council_id}/files/999999").status_code == 404
    assert str(council_id) in member.get("/councils").text
    # the tally: the counting committee, not every member
    assert member.get(f"/councils/{council_id}/tally").status_code == 404
    tally = client_of(app, login(portal_sessions, counter.id)).get(f"/councils/{council_id}/tally")
    assert tally.status_code == 200 and "0 / 2" in tally.text
    with portal_sessions() as session, session.begin():
        session.get(Council, council_id).status = CouncilStatus.CONCLUDED  # type: ignore[union-attr]
    # concluded: the documents are no longer the members'; the committee keeps its tally
    assert member.get(f"/councils/{council_id}/files/{stored}").status_code == 404
    assert (
        client_of(app, login(portal_sessions, counter.id))
        .get(f"/councils/{council_id}/tally")
        .status_code
        == 200
    )


def _task_under_way(sessions: sessionmaker[Session], investigator_id: int) -> str:
    """A task carried out under a signed contract, begun six months ago, ending in a year,
    led by `investigator_id`: its code."""
    today = date.today()
    with sessions() as session, session.begin():
        task = factories.task(session, host=factories.organisation(session))
        tasks_service.add_task_member(
            session=session,
            task_id=task.id,
            person_id=investigator_id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
        factories.under_contract(session, task, add_months(today, -6), add_months(today, 12))
        return task.code


def test_a_change_request_is_checked_against_the_law_kept_and_sent_to_the_process(
    app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    lead_user, lead_person = scientist(portal_sessions)
    stranger_user, _ = scientist(portal_sessions)
    code = _task_under_way(portal_sessions, lead_person)
    signed = login(portal_sessions, lead_user)
    lead = client_of(app, signed)
    token = signed.csrf
    page = lead.get(f"/work/tasks/{code}")
    assert f"/work/tasks/{code}/change-request" in page.text
    form = lead.get(f"/work/tasks/{code}/change-request")
    assert form.status_code == 200 and 'name="requestedEndDate"' in form.text
    # someone who does not work on the task has no such page
    stranger = client_of(app, login(portal_sessions, stranger_user))
    assert stranger.get(f"/work/tasks/{code}/change-request").status_code == 404
    assert "/change-request" not in stranger.get(f"/work/tasks/{code}").text

    def requests() -> int:
        with portal_sessions() as session:
            return len(list(session.scalars(select(ChangeRequest))))

    before = requests()
    reason = "Mưa lũ kéo dài làm chậm thí nghiệm đồng ruộng."
    # an extension needs its new end date: said beside the field, what was typed kept
    missing = lead.post(
        f"/work/tasks/{code}/change-request",
        data={"csrf_token": token, "changeKind": "extension", "reason": reason},
    )
    assert missing.status_code == 400
    soup = BeautifulSoup(missing.text, "html.parser")
    assert soup.select_one("#f-requestedEndDate-error") is not None
    assert reason in missing.text
    # twelve more months of an 18-month task: the law allows six (TT 04/2015 Đ12)
    end = add_months(date.today(), 12)
    too_long = lead.post(
        f"/work/tasks/{code}/change-request",
        data={
            "csrf_token": token,
            "changeKind": "extension",
            "reason": reason,
            "requestedEndDate": add_months(end, 12).isoformat(),
        },
    )
    assert too_long.status_code == 400
    assert "Đề nghị gia hạn không đúng quy định" in too_long.text and reason in too_long.text
    assert requests() == before
    # six months: kept with its message, sent again later (this portal has no engine)
    done = lead.post(
        f"/work/tasks/{code}/change-request",
        data={
            "csrf_token": token,
            "changeKind": "extension",
            "reason": reason,
            "requestedEndDate": add_months(end, 6).isoformat(),
            "requestedBudget": "",
        },
        files={"other": ("cong-van.pdf", pdf("cong van de nghi gia han"), "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    assert unquote(done.headers["location"]) == f"/work/tasks/{code}?notice=pending"
    with portal_sessions() as session:
        change = session.scalars(select(ChangeRequest).order_by(ChangeRequest.id.desc())).first()
        assert change is not None and change.kind is ChangeKind.EXTENSION
        assert change.requested_end_date == add_months(end, 6) and change.reason == reason
        filing = session.scalars(select(Filing).where(Filing.kind == "change-request")).one()
        assert filing.message_name == "khcn.implementation.change-requested"
        assert filing.correlation_key == code and filing.published_at is None
        assert filing.variables == {"changeRequestId": change.id, "changeKind": "extension"}
        [letter] = session.scalars(select(Attachment).where(Attachment.filing_id == filing.id))
        assert letter.name == "cong-van.pdf"
    after = lead.get(f"/work/tasks/{code}").text
    assert "Đề nghị điều chỉnh, gia hạn" in after and "cong-van.pdf" in after
    # a budget change does not ask for an end date (hidden by its condition)
    budget = lead.post(
        f"/work/tasks/{code}/change-request",
        data={
            "csrf_token": token,
            "changeKind": "budget",
            "reason": "Giá vật tư tăng.",
            "requestedBudget": "950000000",
        },
        follow_redirects=False,
    )
    assert budget.status_code == 303
    assert requests() == before + 2
