"""One S&T task from proposal to published result, driven through the portal's HTTP routes only.

A real engine (controlled clock), every worker of workers/, the portal's inbox worker, and the
portal app: a scientist signs in and submits the proposal with its dossier, staff, leaders and
council members sign in and answer their inbox items through the forms' pages (reviews before
the meeting, the attendance, ballots at the meeting), the vote-counting committee reads the
tally, the scientist files what the process waits for (the direct-assignment dossier, the
completed proposal, the signed contract, the progress report six months on, the final report,
the completed dossier, the registration dossier), until the result is published. Nothing
goes through the job API: the test only reads the database to know which item to open, and
checks the person sees it in their inbox. Direct assignment: the open call is covered by the
worker-level test (tests/workers/test_procedure.py) and the application form by test_work.py.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from models.calls import Application
from models.contracts import Contract
from models.councils import Council
from models.enums import (
    ContractStatus,
    CouncilRole,
    CouncilType,
    Field,
    Method,
    OrganisationKind,
    Role,
    TaskStatus,
)
from models.filings import Filing
from models.inbox import InboxItem, InboxState
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.rules import VIETNAM_TZ, earliest_meeting_day
from models.services.accounts import hash_password
from models.tasks import Task
from models.users import User
from portal.app import create_app
from tests.portal.work import Person, pdf, signed_in, signs_in
from tests.support.system import System, clock_domain_url, clock_system, database_kind, smtp_inbox
from tests.support.zeebe import await_instance_state, wait_for
from tests.support.zeebe_events import advance, engine_now
from tests.workers import data_councils as data
from tests.workers.scenario import scores

__all__ = ["clock_domain_url", "clock_system", "database_kind", "smtp_inbox"]

PASSWORD = "hoa-sen-ho-tinh-tam"
DAY_MS = 24 * 3600 * 1000


class Office:
    """The people of the test and their browsers-without-script on the app."""

    def __init__(self, system: System, app: Any, proposal_title: str) -> None:
        self.system = system
        self.app = app
        self.title = proposal_title
        self.people: dict[str, Person] = {}
        self.proposal_id = 0
        self.code = ""

    def person(self, username: str) -> Person:
        """A council member (or anyone) signed in through a session opened for them."""
        if username not in self.people:
            self.people[username] = signed_in(self.app, self.system.sessions, username)
        return self.people[username]

    async def item(self, element_id: str, count: int | None = 1) -> list[InboxItem]:
        """The open items of a user task of this task (all of a multi-instance one)."""
        collection = "reviewAssignments" if element_id == "writeReview" else "ballotAssignments"
        return await self.system.items(
            element_id,
            {"proposalId": self.proposal_id},
            count,
            collection=collection,
            timeout=30,
        )

    async def answer(self, who: Person, element_id: str, values: Any) -> InboxItem:
        """`who` finds the single item in their inbox (or their groups') and submits it."""
        [item] = await self.item(element_id)
        listing = await who.get("/inbox" if item.assignee else "/inbox?view=groups")
        assert f'data-item="{item.id}"' in listing, (element_id, who.username)
        await who.submit_item(item.id, values(item) if callable(values) else values)
        return item

    async def each(self, element_id: str, values: Any) -> list[InboxItem]:
        """Every assignee of a multi-instance user task submits their own item."""
        items = await self.item(element_id, None)
        for item in items:
            assert item.assignee, element_id
            member = self.person(item.assignee)
            assert f'data-item="{item.id}"' in await member.get("/inbox")
            await member.submit_item(item.id, values(item))
        return items

    async def today(self) -> date:
        """The engine's today in Vietnam."""
        now = await engine_now(self.system.zb.admin)
        return datetime.fromtimestamp(now / 1000, VIETNAM_TZ).date()

    async def council(
        self, staff: Person, ballot: str, vote: Any, confirm: str = "confirmCouncil"
    ) -> int:
        """Staff confirm the council; members read the documents and review; the secretary
        records the meeting; members present cast their ballots; the counting committee reads
        the tally. The council's id."""
        today = await self.today()
        meeting = datetime.combine(earliest_meeting_day(today, 7), time(8, 0), VIETNAM_TZ)
        confirmed = await self.answer(
            staff,
            confirm,
            lambda item: {
                "decisionNumber": f"{item.job_key % 900 + 100}/QĐ-SKHCN",
                "decisionDate": today.isoformat(),
                "meetingAt": meeting.isoformat(),
                "meetingPlace": "Phòng họp Sở KH&CN, 26 Hà Nội, Huế",
                "meetingMode": "in_person",
            },
        )
        council_id = int(confirmed.variables["councilId"])
        if ballot is None:
            return council_id
        reviews = await self.item("writeReview", None)
        # a member reads what the council reviews (its documents, while it sits)
        reader = self.person(reviews[0].assignee or "")
        page = await reader.get(f"/councils/{council_id}")
        links = [p for p in page.split('href="') if p.startswith(f"/councils/{council_id}/files/")]
        assert links, "the council's documents are listed"
        document = links[0].split('"', 1)[0]
        assert (await reader.get(document)).startswith("%PDF")
        await self.each("writeReview", lambda item: {"opinion": "approve", "comment": "Đạt"})
        # the council's scientific secretary records the meeting (a candidate user of it)
        [pending] = await self.item("recordAttendance")
        with self.system.sessions() as session:
            council = session.get(Council, council_id)
            assert council is not None
            [secretary] = [m for m in council.members if m.role is CouncilRole.SECRETARY]
            secretary_name = session.scalar(
                select(User.username).where(User.person_id == secretary.person_id)
            )
        assert pending.candidate_users == [secretary_name]
        attendance = await self.answer(
            self.person(secretary_name or ""),
            "recordAttendance",
            lambda item: {
                "presentMemberIds": [o["value"] for o in item.variables["memberOptions"]],
                "countingMemberIds": [o["value"] for o in item.variables["memberOptions"]][-3:],
                "countingHeadId": item.variables["memberOptions"][-1]["value"],
                "meetingNote": "Họp đủ thành viên",
            },
        )
        ballots = await self.each(ballot, vote)
        # the vote-counting committee (the last three members) reads the tally
        counter_id = attendance.variables["memberOptions"][-1]["value"]
        voter_id = attendance.variables["memberOptions"][0]["value"]
        with self.system.sessions() as session:
            council = session.get(Council, council_id)
            assert council is not None
            per_item = len(ballots) // len(council.items)
            users = {
                m.id: session.scalar(select(User.username).where(User.person_id == m.person_id))
                for m in council.members
            }
        tally = await self.person(users[counter_id] or "").get(f"/councils/{council_id}/tally")
        assert f"{per_item} / {per_item}" in tally
        # a member who is not on the committee does not see it
        await self.person(users[voter_id] or "").get(f"/councils/{council_id}/tally", status=404)
        return council_id


async def test_one_task_from_proposal_to_published_result_over_http(clock_system: System) -> None:
    system = clock_system
    with system.sessions() as session, session.begin():
        staff_user, leader_user = data.make_staff_and_leader(session)
        data.make_experts(session, Field.AGRICULTURAL, 12)
        agency = data.make_organisation(session, kind=OrganisationKind.GOVERNMENT_AGENCY)
        data.make_experts(session, Field.AGRICULTURAL, 3, organisation=agency)
        host = data.make_organisation(session)
        scientist = data.expert_user(
            session, data.make_applicant(session, Field.AGRICULTURAL, organisation=host)
        )
        for user in (staff_user, leader_user, scientist):
            session.get(User, user.id).password_hash = hash_password(PASSWORD)  # type: ignore[union-attr]
        usernames = (staff_user.username, leader_user.username, scientist.username)
    app = create_app(system.portal, system.sessions)
    staff, leader, applicant = (signs_in(app, name, PASSWORD) for name in usernames)
    office = Office(system, app, "Chọn tạo giống lúa chịu mặn cho vùng ven phá Tam Giang")

    # ------------------------------------------------------------ step 1: the proposal
    await applicant.get("/proposals/new")
    created = await applicant.post(
        "/proposals/new",
        {
            "title": office.title,
            "field": Field.AGRICULTURAL.value,
            "kind": "research_topic",
            "rationale": "Xâm nhập mặn làm giảm năng suất lúa vùng ven phá.",
            "objectives": "Chọn tạo 02 giống lúa chịu mặn năng suất cao.",
            "expected_results": "02 giống lúa được công nhận sản xuất thử.",
            "estimated_budget": 1_500_000_000,
            "suggested_method": Method.DIRECT.value,
        },
        {"dossier": pdf("de xuat")},
    )
    office.proposal_id = int(created.headers["location"].split("/")[2].split("?")[0])
    # the scientist sees the proposal in "my tasks", waiting for staff to screen it
    screening = await office.item("screenProposal")
    office.code = str(screening[0].variables["taskCode"])
    mine = await applicant.get("/inbox")
    assert f'data-task="{office.code}"' in mine and screening[0].name in mine
    await office.answer(staff, "screenProposal", {"screeningResult": "passed", "screeningNote": ""})
    await office.council(staff, "castAdvisoryBallot", lambda _item: {"vote": "approve"})
    await office.answer(
        leader,
        "approveList",
        {
            "listApproved": True,
            "method": "direct",
            "listDecisionNumber": "125",
            "listDecisionDate": (await office.today()).isoformat(),
            "decisionNote": "Phê duyệt",
        },
    )

    # ------------------------------------------------------------ step 2: direct assignment
    await applicant.file(
        office.code,
        "direct-dossier",
        {
            "b1_1_don": pdf("don"),
            "b1_2a": pdf("thuyet minh"),
            "b1_3_lltc": pdf("ly lich to chuc"),
            "b1_4_llcn": pdf("ly lich chu nhiem"),
        },
    )
    await office.answer(
        staff,
        "openApplications",
        lambda item: {
            "validApplicationIds": [o["value"] for o in item.variables["applicationOptions"]],
            "openingNote": "Hồ sơ hợp lệ",
        },
    )
    await office.council(staff, "castSelectionBallot", lambda item: scores(item, 84))
    await applicant.file(office.code, "completed-proposal", {"b1_2a": pdf("thuyet minh 2")})
    await office.council(staff, None, None, confirm="confirmAppraisal")
    await office.answer(
        staff,
        "appraiseBudget",
        lambda item: {
            "presentMemberIds": [o["value"] for o in item.variables["memberOptions"]],
            "approvedBudget": 1_300_000_000,
            "appraisalNote": "Phù hợp định mức",
        },
    )
    await office.answer(
        leader,
        "approveSelection",
        {
            "selectionDecisionNumber": "34",
            "selectionDecisionDate": (await office.today()).isoformat(),
            "decisionNote": "",
        },
    )
    await applicant.file(office.code, "signed-contract", {"contract": pdf("hop dong")})

    # ------------------------------------------------------------ step 3: six months on
    def signed() -> bool:
        with system.sessions() as session:
            task = session.scalar(select(Task).where(Task.code == office.code))
            contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
            return contract is not None and contract.status is ContractStatus.SIGNED

    await wait_for(signed, 20, message="the contract signed")
    # the implementation waits for the final report, its report timer set: time may pass
    await _waiting_at(system, office.code, "implementation.plan", "gwAwaitFinal")
    await advance(system.zb.admin, 186 * DAY_MS)
    [report] = await office.item("submitProgressReport")
    assert report.assignee == applicant.username
    await applicant.submit_item(
        report.id, {"progressPercent": 35, "reportSummary": "Đã lai tạo 40 dòng lúa."}
    )
    await applicant.file(office.code, "final-report", {"final_report": pdf("bao cao tong hop")})

    # ------------------------------------------------------------ step 4: acceptance
    await office.answer(staff, "checkDossier", {"dossierValid": True, "missingDocuments": ""})
    await office.council(
        staff, "castAcceptanceBallot", lambda _item: {"rating": "excellent", "comment": "Tốt"}
    )
    await applicant.file(office.code, "acceptance-completion", {"final_report": pdf("hoan thien")})
    [completion] = await office.item("confirmCompletion")
    chair = office.person(completion.assignee or "")
    await chair.submit_item(completion.id, {"dossierCompleted": True, "completionNote": "Đủ"})

    # ------------------------------------------------------------ step 5: registration
    await applicant.file(office.code, "registration-dossier", {"mau_5": pdf("mau 5")})
    await office.answer(staff, "checkRegistration", {"registrationValid": True})
    await office.answer(
        leader,
        "recognizeResults",
        {
            "acceptanceDecisionNumber": "56",
            "acceptanceDecisionDate": (await office.today()).isoformat(),
        },
    )

    with system.sessions() as session:
        task = session.scalar(select(Task).where(Task.code == office.code))
        assert task is not None and task.process_instance_key is not None
        key = task.process_instance_key
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=30)
    with system.sessions() as session:
        task = session.scalar(select(Task).where(Task.code == office.code))
        assert task is not None and task.status is TaskStatus.CLOSED
        proposal = session.get(Proposal, office.proposal_id)
        assert proposal is not None and proposal.process_instance_key == key
        registration = session.scalar(
            select(ResultRegistration).where(ResultRegistration.task_id == task.id)
        )
        assert registration is not None and registration.published_on is not None
        filings = session.scalars(select(Filing).where(Filing.task_id == task.id)).all()
        assert len(filings) == 6 and all(f.published_at for f in filings)
        application = session.scalar(select(Application).where(Application.task_id == task.id))
        assert (
            application is not None
            and application.principal_investigator_id == task.principal_investigator_id
        )
        councils = {
            c.type
            for c in session.scalars(
                select(Council).join(Council.items).where(Council.items.any(task_id=task.id))
            )
        }
        assert councils >= {CouncilType.ADVISORY, CouncilType.SELECTION, CouncilType.ACCEPTANCE}
        # everyone answered as themselves, through the inbox
        open_items = session.scalars(
            select(InboxItem).where(
                InboxItem.task_code == office.code, InboxItem.state == InboxState.OPEN
            )
        ).all()
        assert not open_items
        assert session.scalar(select(User).where(User.username == staff.username)).has_role(
            Role.STAFF
        )  # type: ignore[union-attr]
    # the scientist follows it to the end on the task's page
    page = await applicant.get(f"/work/tasks/{office.code}")
    assert "Công bố kết quả" in page and f"/work/tasks/{office.code}/file/" not in page
    assert not await system.zb.admin.list_incidents()


async def _waiting_at(system: System, code: str, action: str, element_id: str) -> None:
    """Wait until the instance that wrote the audit `action` of the task waits at
    `element_id` (before moving the clock for a timer that element's scope starts)."""
    from models.audit import AuditEntry

    def instance() -> int | None:
        with system.sessions() as session:
            task_id = session.scalar(select(Task.id).where(Task.code == code))
            return session.scalar(
                select(AuditEntry.process_instance_key).where(
                    AuditEntry.task_id == task_id, AuditEntry.action == action
                )
            )

    key = await wait_for(instance, 20, message=f"audit entry {action}")

    async def there() -> bool:
        view = await system.zb.admin.get_process_instance(key)
        return element_id in [e["elementId"] for e in view.get("elementInstances", [])]

    await wait_for(there, 20, message=f"instance {key} waiting at {element_id}")
