"""The inbox on a real engine: the portal's pyzeebe worker holds user-task jobs as items, people
complete them through server-validated forms over HTTP, gone jobs disappear, a submission the
engine did not acknowledge is sent again, assignees are mailed, proposals start `khcn-task`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pyzeebe.proto import gateway_pb2 as pb
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from khcn.settings import ROOT
from models.attachments import Attachment
from models.audit import AuditEntry
from models.db import make_engine, make_sessionmaker
from models.enums import Field, ProposalStatus, Role
from models.filings import Filing
from models.inbox import InboxItem, InboxState
from models.proposals import Proposal
from models.services import filings
from models.services.audit import Actor
from models.services.proposals import create_proposal, register_proposal, screen_proposal
from models.tasks import Task
from portal.app import create_app
from portal.config import PortalConfig
from portal.inbox.work import FormRejected, UserTasks, run_inbox_worker
from tests.portal.people import Login, client_of, login, make_user
from tests.support.engine_process import EngineProcess, free_port
from tests.support.system import Inbox, domain_url, smtp_inbox  # noqa: F401  (fixtures)
from tests.support.zeebe import (
    Conn,
    Process,
    await_instance_state,
    connect,
    create_instance,
    deploy,
    unique_id,
    wait_for,
)
from tests.support.zeebe_events import EventProcess, catch_event, message_def

# proposal id → the code of the task it was registered as
CODES: dict[int, str] = {}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def sessions(domain_url: str) -> Iterator[sessionmaker[Session]]:  # noqa: F811
    engine = make_engine(domain_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def config(
    engine_process: EngineProcess,
    smtp_inbox: tuple[Inbox, int],  # noqa: F811
    tmp_path: Path,
) -> PortalConfig:
    return PortalConfig(
        zeebe_address=engine_process.address,
        smtp_port=smtp_inbox[1],
        documents_dir=tmp_path / "documents",
        base_url="https://khcn.example.vn",
    )


@pytest.fixture
def app(config: PortalConfig, sessions: sessionmaker[Session]) -> FastAPI:
    return create_app(config, sessions)


@pytest.fixture
async def zb(engine_process: EngineProcess) -> AsyncIterator[Conn]:
    async with connect(engine_process.address) as conn:
        yield conn


@contextlib.asynccontextmanager
async def inbox_worker(
    config: PortalConfig, sessions: sessionmaker[Session], every: float = 0.2
) -> AsyncIterator[None]:
    task = asyncio.create_task(run_inbox_worker(config, sessions, maintenance_seconds=every))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def screening_process(zb: Conn, *, assignee: str | None = None) -> str:
    """A process with one user task using the real screening form."""
    p = Process(unique_id("inbox"))
    p.chain(
        p.start(),
        p.user_task(
            "screen",
            candidate_groups=None if assignee else "staff",
            assignee=assignee,
            form_key="khcn-screen-proposal",
            due_date="=due",
        ),
        p.end(),
    )
    await deploy(zb.stub, (f"{p.id}.bpmn", p.xml()))
    return p.id


def proposal(sessions: sessionmaker[Session], person_id: int | None = None) -> int:
    """A proposal registered as a task (the forms' services find the task by its code)."""
    with sessions() as session, session.begin():
        proposal_id = create_proposal(
            session=session,
            year=2026,
            title="Nhân giống sen Huế bằng nuôi cấy mô",
            field=Field.AGRICULTURAL,
            proposer_person_id=person_id or make_person(session),
        ).id
        CODES[proposal_id] = register_proposal(
            session=session, proposal_id=proposal_id, today=date(2026, 3, 2)
        ).task.code
        return proposal_id


def make_person(session: Session) -> int:
    from models.services.people import create_person

    return create_person(session=session, full_name="Hồ Thị Sen", email=None).id


async def start(
    zb: Conn, process_id: str, proposal_id: int, due: str = "2020-01-01T17:00:00+07:00", **more: Any
) -> int:
    created = await create_instance(
        zb.stub,
        process_id,
        {
            "proposalId": proposal_id,
            "taskCode": CODES[proposal_id],
            "proposalTitle": "Sen Huế",
            "due": due,
            **more,
        },
    )
    return int(created.processInstanceKey)


async def item_of(sessions: sessionmaker[Session], instance: int) -> InboxItem:
    def find() -> InboxItem | None:
        with sessions() as session:
            return session.scalar(
                select(InboxItem).where(InboxItem.process_instance_key == instance)
            )

    return await wait_for(find, 15, message=f"the inbox item of instance {instance}")


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def post(client: Any, url: str, who: Login, data: dict[str, Any], **kw: Any) -> Any:
    return await asyncio.to_thread(
        client.post, url, data={"csrf_token": who.csrf, **data}, follow_redirects=False, **kw
    )


async def test_a_user_task_is_an_item_completed_through_its_validated_form(
    zb: Conn, app: FastAPI, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    process_id = await screening_process(zb)
    proposal_id = proposal(sessions)
    staff = login(sessions, make_user(sessions, [Role.STAFF]).id)
    scientist = login(sessions, make_user(sessions, [Role.SCIENTIST], person=True).id)
    async with inbox_worker(config, sessions):
        instance = await start(zb, process_id, proposal_id)
        item = await item_of(sessions, instance)
        assert item.candidate_groups == ["staff"] and item.form_id == "khcn-screen-proposal"
        assert item.variables["proposalId"] == proposal_id and item.task_code == CODES[proposal_id]
        assert item.due_at is not None and item.state is InboxState.OPEN

        client = client_of(app, staff)
        listing = await asyncio.to_thread(client.get, "/inbox?view=groups")
        row = re.search(rf'<tr class="overdue" data-item="{item.id}">', listing.text)
        assert row is not None, "the overdue item is listed for the staff group"
        assert "screen" in listing.text
        late = await asyncio.to_thread(client.get, "/inbox?view=groups&overdue=1&sort=step")
        assert f'data-item="{item.id}"' in late.text
        other_step = await asyncio.to_thread(client.get, "/inbox?view=groups&step=selection")
        assert f'data-item="{item.id}"' not in other_step.text
        claimed = await post(client, f"/inbox/items/{item.id}/claim", staff, {})
        assert claimed.status_code == 303
        mine = await asyncio.to_thread(client.get, "/inbox")
        assert f'data-item="{item.id}"' in mine.text
        assert re.search(r'class="count"[^>]*>1<', mine.text), "the header counts my task"
        # a scientist has nothing to do with it
        other = client_of(app, scientist)
        assert (await asyncio.to_thread(other.get, f"/inbox/items/{item.id}")).status_code == 404

        invalid = await post(
            client, f"/inbox/items/{item.id}", staff, {"screeningNote": "Thiếu dự toán kinh phí"}
        )
        assert invalid.status_code == 400
        assert 'id="f-screeningResult-error"' in invalid.text
        assert "Thiếu dự toán kinh phí</textarea>" in invalid.text  # nothing typed is lost
        with sessions() as session:
            assert session.get(InboxItem, item.id).state is InboxState.OPEN  # nothing written
            assert session.get(Proposal, proposal_id).status is ProposalStatus.SUBMITTED
        wrong = await post(client, f"/inbox/items/{item.id}", staff, {"screeningResult": "maybe"})
        assert wrong.status_code == 400

        done = await post(
            client,
            f"/inbox/items/{item.id}",
            staff,
            {"screeningResult": "rejected", "screeningNote": "Trùng nhiệm vụ đã thực hiện"},
        )
        assert done.status_code == 303 and done.headers["location"] == "/inbox?notice=done"
        view = await await_instance_state(zb.admin, instance, "COMPLETED")
        assert view["variables"]["screeningResult"] == "rejected"
    with sessions() as session:
        finished = session.get(InboxItem, item.id)
        screened = session.get(Proposal, proposal_id)
        submit = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "user_task.submit", AuditEntry.entity_id == item.id
            )
        )
    assert finished.state is InboxState.COMPLETED and finished.submitted_by_id == staff.user_id
    assert screened.status is ProposalStatus.REJECTED and screened.screened_by_id == staff.user_id
    assert submit is not None and submit.actor_user_id == staff.user_id
    assert submit.process_instance_key == instance and submit.bpmn_element_id == "screen"


async def test_a_job_handed_out_again_refreshes_its_item(
    zb: Conn, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    process_id = await screening_process(zb)
    short = replace(config, inbox_job_timeout_ms=500)
    # no extension of the held job: it times out and is handed out again
    async with inbox_worker(short, sessions, every=3600):
        instance = await start(zb, process_id, proposal(sessions))
        first = await item_of(sessions, instance)

        def again() -> bool:
            with sessions() as session:
                return session.get(InboxItem, first.id).activations >= 2

        await wait_for(again, 20, message="the job handed out again")
    with sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.process_instance_key == instance)
        )
    assert count == 1


async def test_an_item_whose_job_is_gone_disappears_with_a_message(
    zb: Conn, app: FastAPI, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    process_id = await screening_process(zb)
    staff = login(sessions, make_user(sessions, [Role.STAFF]).id)
    async with inbox_worker(config, sessions, every=3600):
        first = await start(zb, process_id, proposal(sessions))
        second = await start(zb, process_id, proposal(sessions))
        submitted, swept = await item_of(sessions, first), await item_of(sessions, second)
        for instance in (first, second):
            await zb.stub.CancelProcessInstance(
                pb.CancelProcessInstanceRequest(processInstanceKey=instance)
            )
        client = client_of(app, staff)
        answer = await post(
            client, f"/inbox/items/{submitted.id}", staff, {"screeningResult": "passed"}
        )
        assert answer.headers["location"] == "/inbox?notice=gone"
        landing = await asyncio.to_thread(client.get, "/inbox?view=groups&notice=gone")
        assert "không còn" in landing.text and f'data-item="{submitted.id}"' not in landing.text
        # the other is found gone when the inbox extends its hold on the job
        tasks = UserTasks(config, sessions)
        from datetime import UTC, datetime, timedelta

        assert tasks.keep_jobs(now=datetime.now(UTC) + timedelta(days=2)) >= 1
        tasks.link.close()
        page = await asyncio.to_thread(client.get, f"/inbox/items/{swept.id}")
        assert page.status_code == 410 and "không còn" in page.text
    with sessions() as session:
        assert session.get(InboxItem, swept.id).state is InboxState.GONE


async def test_a_submission_the_engine_did_not_acknowledge_is_sent_again_once(
    zb: Conn, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    process_id = await screening_process(zb)
    proposal_id = proposal(sessions)
    staff = make_user(sessions, [Role.STAFF])
    async with inbox_worker(config, sessions, every=3600):
        instance = await start(zb, process_id, proposal_id)
        item = await item_of(sessions, instance)
    # the engine is unreachable when the form is submitted: the domain operation is committed,
    # CompleteJob is not acknowledged (as after a crash between the two)
    unreachable = UserTasks(replace(config, zeebe_address=f"127.0.0.1:{free_port()}"), sessions)
    result = await asyncio.to_thread(
        unreachable.submit,
        item_id=item.id,
        user_id=staff.id,
        values={"screeningResult": "passed", "screeningNote": "Đủ điều kiện"},
    )
    unreachable.link.close()
    assert result.outcome.value == "unavailable"
    with sessions() as session:
        assert session.get(InboxItem, item.id).state is InboxState.COMPLETING
        assert session.get(Proposal, proposal_id).status is ProposalStatus.SCREENED_IN
    # the inbox worker, back, sends CompleteJob again with what was kept
    async with inbox_worker(replace(config, completion_retry_seconds=0), sessions, every=0.2):
        await await_instance_state(zb.admin, instance, "COMPLETED", 15)

        def completed() -> bool:
            with sessions() as session:
                return session.get(InboxItem, item.id).state is InboxState.COMPLETED

        await wait_for(completed, 10, message="the item completed")
        # the submitter's own CompleteJob arriving after the retry's: done, not gone
        again = UserTasks(config, sessions)
        late = await asyncio.to_thread(again.complete, item.id, item.job_key, {})
        again.link.close()
        assert late.value == "done" and completed()
    with sessions() as session:
        screenings = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "proposal.screen", AuditEntry.entity_id == proposal_id)
        )
    assert screenings == 1  # the domain operation ran once


async def test_an_assignee_is_mailed_a_link_to_the_task(
    zb: Conn,
    config: PortalConfig,
    sessions: sessionmaker[Session],
    smtp_inbox: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, _port = smtp_inbox
    reviewer = make_user(sessions, [Role.STAFF], username=unique_id("reviewer"))
    process_id = await screening_process(zb, assignee=reviewer.username)
    async with inbox_worker(config, sessions):
        item = await item_of(sessions, await start(zb, process_id, proposal(sessions)))

        def mailed() -> list[Any]:
            return [m for m in inbox.messages if reviewer.email in (m["To"] or "")]

        [mail] = await wait_for(mailed, 10, message="the assignee's mail")
    assert f"https://khcn.example.vn/inbox/items/{item.id}" in mail.get_content()
    assert item.assignee == reviewer.username


async def test_a_scientist_submits_a_proposal_that_starts_khcn_task(
    zb: Conn, app: FastAPI, sessions: sessionmaker[Session], config: PortalConfig
) -> None:
    await deploy(
        zb.stub,
        *[p for p in sorted((ROOT / "bpmn").glob("*.bpmn"))],
        *sorted((ROOT / "bpmn" / "forms").glob("*.form")),
        *sorted((ROOT / "bpmn").glob("*.dmn")),
    )
    me = login(sessions, make_user(sessions, [Role.SCIENTIST], person=True).id)
    client = client_of(app, me)
    form = {
        "title": "Nhân giống sen Huế bằng nuôi cấy mô",
        "field": "agricultural",
        "kind": "research_topic",
        "rationale": "Giống sen quý cần bảo tồn.",
        "objectives": "Quy trình nhân giống.",
        "estimated_budget": "850000000",
    }
    wrong = await post(
        client,
        "/proposals/new",
        me,
        form,
        files={"dossier": ("de-xuat.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert wrong.status_code == 400 and "không được chấp nhận" in wrong.text
    assert 'value="Nhân giống sen Huế bằng nuôi cấy mô"' in wrong.text
    done = await post(
        client,
        "/proposals/new",
        me,
        form,
        files={"dossier": ("de-xuat.pdf", PDF, "application/octet-stream")},
    )
    assert done.status_code == 303, done.text
    proposal_id = int(done.headers["location"].split("/")[2].split("?")[0])
    with sessions() as session:
        saved = session.get(Proposal, proposal_id)
        [attachment] = session.scalars(
            select(Attachment).where(Attachment.proposal_id == proposal_id)
        ).all()
        stored = attachment.stored_file
    assert saved.proposer_person_id == me.person_id and saved.process_instance_key
    view = await zb.admin.get_process_instance(saved.process_instance_key)
    assert view["state"] == "ACTIVE" and view["variables"]["proposalId"] == proposal_id
    # stored outside the web root under its content hash, typed by content
    assert attachment.content_type == "application/pdf"
    assert (config.documents_dir / stored.path).read_bytes() == PDF and stored.sha256 in stored.path
    assert (await asyncio.to_thread(client.get, f"/files/{attachment.id}")).content == PDF
    stranger = login(sessions, make_user(sessions, [Role.SCIENTIST], person=True).id)
    assert (
        await asyncio.to_thread(client_of(app, stranger).get, f"/files/{attachment.id}")
    ).status_code == 404
    listing = await asyncio.to_thread(client.get, "/proposals")
    assert "sen Huế" in listing.text
    assert json.dumps(proposal_id) in done.headers["location"]


async def test_a_filing_the_engine_did_not_take_is_published_again_and_correlates(
    zb: Conn, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    """The host files the revised proposal while the engine is away: the filing is kept with
    its message; the inbox worker's maintenance sends it, and the waiting process goes on."""
    person_id = make_user(sessions, [Role.SCIENTIST], person=True).person_id
    proposal_id = proposal(sessions, person_id)
    code = CODES[proposal_id]
    p = EventProcess(unique_id("revised"))
    ref = p.message("khcn.proposal.revised", "=taskCode")
    p.chain(p.start(), catch_event(p, "catchRevised", message_def(ref)), p.end())
    await deploy(zb.stub, (f"{p.id}.bpmn", p.xml()))
    instance = int((await create_instance(zb.stub, p.id, {"taskCode": code})).processInstanceKey)
    with sessions() as session, session.begin():
        screen_proposal(session=session, task_code=code, result="revise", note="Bổ sung")
        task = session.scalar(select(Task).where(Task.code == code))
        filing_id = filings.file(
            session=session,
            task_id=task.id,
            kind="proposal-revision",
            person_id=person_id,
            uploads=[filings.Upload("other", "moi.pdf", PDF, "application/pdf")],
            root=config.documents_dir,
            now=datetime.now(UTC),
            actor=Actor(name="nkh"),
        ).id
    away = UserTasks(replace(config, zeebe_address=f"127.0.0.1:{free_port()}"), sessions)
    assert (await asyncio.to_thread(away.publish, filing_id)).value == "unavailable"
    away.link.close()
    async with inbox_worker(config, sessions, every=0.2):
        view = await await_instance_state(zb.admin, instance, "COMPLETED", 15)
    with sessions() as session:
        sent = session.get(Filing, filing_id)
        assert sent is not None and sent.published_at is not None
    assert view["variables"]["revisedDocumentIds"] == sent.variables["revisedDocumentIds"]


async def test_answering_an_item_with_a_value_its_form_refuses_names_the_field(
    zb: Conn, config: PortalConfig, sessions: sessionmaker[Session]
) -> None:
    process_id = await screening_process(zb)
    staff = make_user(sessions, [Role.STAFF])
    tasks = UserTasks(config, sessions)
    async with inbox_worker(config, sessions):
        item = await item_of(sessions, await start(zb, process_id, proposal(sessions)))
        with pytest.raises(FormRejected, match="screeningResult"):
            await asyncio.to_thread(tasks.answer, item.id, staff.username, {"screeningResult": "?"})
        with pytest.raises(FormRejected, match="not a field"):
            await asyncio.to_thread(tasks.answer, item.id, staff.username, {"verdict": "ok"})
        done = await asyncio.to_thread(
            tasks.answer, item.id, staff.username, {"screeningResult": "rejected"}
        )
    tasks.link.close()
    assert done.outcome.value == "done"
