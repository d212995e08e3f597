"""Drive one S&T task through `khcn-task` with the real workers, as people and the portal do.

A `Run` holds the people of one scenario (made through the models services) and the handles
on the running back end (tests/support/system.py). Its methods are what happens from the
outside: a person completes a user task (through the portal's inbox: the item of the right
element, role and assignee, its form filled and submitted), the applicant files a
document (a message correlated by the task code), time passes (the engine's controlled
clock). Waits fail fast with the open incidents, so a misbehaving worker shows its error.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time as clock_time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.calls import Application
from models.editions import DEFAULT_REGULATIONS, SCORING_SHEETS
from models.enums import DocumentKind, Field, OrganisationKind
from models.inbox import InboxItem
from models.rules import VIETNAM_TZ, earliest_meeting_day
from models.services import calls as calls_service
from models.services import documents as documents_service
from models.services.user_tasks import ballot_fields
from models.tasks import Task
from tests.support.system import System
from tests.support.zeebe import create_instance, wait_for
from tests.support.zeebe_events import advance, engine_now, publish
from tests.workers import data_councils as data

T = TypeVar("T")

DAY_MS = 24 * 60 * 60 * 1000
APPLICATION_DOCUMENTS = (
    DocumentKind.APPLICATION_FORM,
    DocumentKind.PROPOSAL_RESEARCH,
    DocumentKind.ORGANISATION_PROFILE,
    DocumentKind.CURRICULUM_VITAE,
)


class WorkerIncident(AssertionError):
    """A job ran out of retries: a worker (or the contract) is wrong."""


@dataclass
class Cast:
    """The people of one scenario, as ids and user names (rows live in the domain database)."""

    staff: str
    leader: str
    proposer_org_id: int
    proposer_email: str
    proposal_id: int
    expert_ids: list[int]
    # applicants in step 2: (organisation id, principal investigator id, PI's user name)
    applicants: list[tuple[int, int, str]] = field(default_factory=list)


def make_cast(
    session: Session,
    *,
    experts: int = 12,
    user_side: int = 3,
    applicants: int = 2,
    field_: Field = Field.AGRICULTURAL,
    applicant_experts: bool = False,
) -> Cast:
    """Staff, a leader, experts of the field, a proposer with a proposal, applicant hosts."""
    staff, leader = data.make_staff_and_leader(session)
    people = data.make_experts(session, field_, experts)
    # the ordering and using side of the acceptance council (TT 11/2014 Đ9.3a)
    agency = data.make_organisation(session, kind=OrganisationKind.GOVERNMENT_AGENCY)
    people += data.make_experts(session, field_, user_side, organisation=agency)
    proposer_org = data.make_organisation(session)
    proposal = data.make_proposal(session, field_, organisation=proposer_org)
    cast = Cast(
        staff=staff.username,
        leader=leader.username,
        proposer_org_id=proposer_org.id,
        proposer_email=proposer_org.email or "",
        proposal_id=proposal.id,
        expert_ids=[p.id for p in people],
    )
    for _ in range(applicants):
        org = data.make_organisation(session)
        pi = data.make_applicant(session, field_, organisation=org, expert=applicant_experts)
        cast.applicants.append((org.id, pi.id, data.expert_user(session, pi).username))
    return cast


@dataclass
class Run:
    """One `khcn-task` instance under test."""

    system: System
    cast: Cast
    key: int = 0
    task_code: str = ""
    seen: list[InboxItem] = field(default_factory=list)

    # ----------------------------------------------------------------- database

    def db(self) -> Session:
        """A fresh session on the domain database (close it, or use `with`)."""
        return self.system.sessions()

    def write(self, build: Callable[[Session], T]) -> T:
        """Run `build` in one committed transaction, as the portal does for a person's action.

        Retried while SQLite answers "database is locked": models/db.py begins SQLite
        transactions DEFERRED, so a writer meeting a worker's write fails at once instead of
        waiting (reported; workers meet the same, see the report of this test module).
        """
        for attempt in itertools.count():
            try:
                with self.db() as session, session.begin():
                    return build(session)
            except OperationalError as err:
                if "database is locked" not in str(err) or attempt >= 100:
                    raise
                clock_time.sleep(0.02)
        raise AssertionError("unreachable")

    def task(self, session: Session) -> Task:
        """The task row of this run."""
        task = session.scalar(select(Task).where(Task.code == self.task_code))
        assert task is not None, f"no task row with code {self.task_code}"
        return task

    def audit(self, session: Session, *, task_id: int | None = None) -> list[AuditEntry]:
        """Audit entries of this run: of its task, or of its proposal (process instance keys
        are no key here: each test's engine starts counting afresh)."""
        tid = task_id
        if tid is None and self.task_code:
            tid = session.scalar(select(Task.id).where(Task.code == self.task_code))
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        return [
            e
            for e in session.scalars(stmt)
            if (tid is not None and e.task_id == tid)
            or (e.entity_type == "proposal" and e.entity_id == self.cast.proposal_id)
        ]

    def actions(self, session: Session) -> list[str]:
        """The audit actions of this run, oldest first."""
        return [e.action for e in self.audit(session)]

    # ----------------------------------------------------------------- engine

    async def start(self) -> int:
        """The applicant submitted the proposal: the portal starts `khcn-task`."""
        created = await create_instance(
            self.system.zb.stub, "khcn-task", {"proposalId": self.cast.proposal_id}
        )
        self.key = created.processInstanceKey
        return self.key

    async def incidents(self) -> list[dict[str, Any]]:
        """Open incidents of the engine (every instance: called steps have their own)."""
        return list(await self.system.zb.admin.list_incidents())

    async def check_incidents(self) -> None:
        """Fail with the incidents' messages when a job ran out of retries."""
        found = await self.incidents()
        if found:
            raise WorkerIncident(json.dumps(found, ensure_ascii=False, indent=1)[:4000])

    async def until(self, predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        """Wait for a (sync or async) condition, failing at once on an incident."""

        async def check() -> Any:
            await self.check_incidents()
            value = predicate()
            if hasattr(value, "__await__"):
                value = await value
            return value

        try:
            return await wait_for(check, timeout, interval=0.05, message=what)
        except WorkerIncident:
            raise
        except AssertionError as err:
            raise AssertionError(f"{err}\n{await self.describe()}") from None

    async def describe(self) -> str:
        """What the engine holds open: jobs (with their last error) and incidents."""
        jobs = await self.system.zb.admin.list_jobs()
        lines = [
            f"  job {j['type']} at {j['elementId']} ({j['state']}, retries {j['retries']})"
            + (f": {j['errorMessage'][:300]}" if j.get("errorMessage") else "")
            for j in jobs
        ]
        return "open jobs:\n" + "\n".join(lines or ["  none"])

    async def root_view(self) -> dict[str, Any]:
        """The admin view of the root instance."""
        return dict(await self.system.zb.admin.get_process_instance(self.key))

    async def ended(self, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the root instance completed; its final view."""

        async def done() -> dict[str, Any] | None:
            view = await self.root_view()
            return view if view["state"] == "COMPLETED" else None

        return dict(await self.until(done, f"khcn-task {self.key} completed", timeout))

    async def take(
        self, element_id: str, count: int | None = None, timeout: float = 30.0
    ) -> list[InboxItem]:
        """The open inbox items of an element for this run (all of a multi-instance when
        `count` is None: as many as its input collection holds)."""
        collection = "reviewAssignments" if element_id == "writeReview" else "ballotAssignments"
        try:
            await self.check_incidents()
            items = await self.system.items(
                element_id,
                {"proposalId": self.cast.proposal_id},
                count,
                collection=collection,
                timeout=timeout,
            )
        except WorkerIncident:
            raise
        except AssertionError as err:
            await self.check_incidents()
            raise AssertionError(f"{err}\n{await self.describe()}") from None
        self.seen.extend(items)
        return items

    async def finish(self, item: InboxItem, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a user task through the portal's inbox (its form, its service, complete)."""
        return await self.system.answer(item, variables)

    async def user_task(
        self,
        element_id: str,
        variables: Mapping[str, Any] | Callable[[InboxItem], Mapping[str, Any]],
        *,
        role: str,
    ) -> InboxItem:
        """A person of `role` completes the (single) user task `element_id`."""
        [job] = await self.take(element_id, 1)
        assert role in job.candidate_groups, (element_id, job.candidate_groups)
        assert job.form_key and job.form_id, element_id
        answer = variables(job) if callable(variables) else variables
        await self.finish(job, answer)
        return job

    async def council_reviews(
        self, element_id: str, answer: Callable[[InboxItem], Mapping[str, Any]]
    ) -> list[InboxItem]:
        """Every member completes their own review task (assignee = the member's user)."""
        jobs = await self.take(element_id)
        for job in jobs:
            assignment = job.variables["assignment"]
            assert "council" in job.candidate_groups
            assert job.assignee == assignment["assignee"]
            await self.finish(job, answer(job))
        return jobs

    async def message(self, name: str, **variables: Any) -> None:
        """The applicant files something: a message correlated by the task code."""
        assert self.task_code, "no task code yet"
        await publish(self.system.zb.stub, name, self.task_code, ttl_ms=60_000, variables=variables)

    async def waiting_at(self, action: str, element_id: str) -> None:
        """Wait until the process instance that wrote the audit `action` waits at `element_id`
        (before moving the clock for a timer that element starts)."""

        def instance() -> int | None:
            with self.db() as session:
                keys = [e.process_instance_key for e in self.audit(session) if e.action == action]
            return keys[-1] if keys else None

        key = await self.until(instance, f"audit entry {action}")

        async def there() -> bool:
            view = await self.system.zb.admin.get_process_instance(key)
            return element_id in [e["elementId"] for e in view.get("elementInstances", [])]

        await self.until(there, f"instance {key} waiting at {element_id}")

    async def advance_days(self, days: float) -> int:
        """Time passes on the engine's controlled clock."""
        return await advance(self.system.zb.admin, int(days * DAY_MS))

    async def today(self) -> str:
        """The engine's today in Vietnam (the workers' today), as date fields submit it."""
        now = await engine_now(self.system.zb.admin)
        return datetime.fromtimestamp(now / 1000, VIETNAM_TZ).date().isoformat()

    async def advance_past(self, iso: str, extra_ms: int = 60_000) -> int:
        """Move the engine's clock just past a date-time a worker computed (a timeDate timer)."""
        target = int(datetime.fromisoformat(iso).timestamp() * 1000)
        now = await engine_now(self.system.zb.admin)
        return await advance(self.system.zb.admin, max(0, target - now) + extra_ms)

    # ----------------------------------------------------------------- step helpers

    async def screen(self, result: str = "passed", note: str = "Đề xuất hợp lệ") -> InboxItem:
        """Staff screen the proposal (the job carries the task code step 1 registered)."""
        job = await self.user_task(
            "screenProposal",
            {"screeningResult": result, "screeningNote": note},
            role="staff",
        )
        self.task_code = job.variables["taskCode"]
        return job

    async def meeting_day(self, lead: int) -> str:
        """The first day a council may meet when its documents go out today (ISO, 08:00)."""
        today = date.fromisoformat(await self.today())
        day = earliest_meeting_day(today, lead)
        return datetime.combine(day, time(8, 0), VIETNAM_TZ).isoformat()

    async def confirm(
        self,
        element_id: str = "confirmCouncil",
        *,
        removed: Sequence[int] = (),
        lead: int | None = None,
    ) -> InboxItem:
        """Staff confirm the proposed members and set the meeting after the lead time."""
        job = await self.take1(element_id)
        kind = job.variables.get("councilType", "advisory")
        edition = DEFAULT_REGULATIONS.edition(job.variables.get("edition") or "2025")
        rules = (
            edition.selection.appraisal.documents_lead_working_days
            if kind == "appraisal"
            else edition.council(kind).documents_lead_working_days
        )
        days = lead if lead is not None else max(rules, 7)
        await self.finish(
            job,
            {
                "decisionNumber": f"{job.job_key % 900 + 100}/QĐ-SKHCN",
                "decisionDate": await self.today(),
                "meetingAt": await self.meeting_day(days),
                "meetingPlace": "Phòng họp Sở KH&CN",
                "meetingMode": "in_person",
                "removedPersonIds": list(removed),
            },
        )
        return job

    async def reviews(self, opinion: str = "approve") -> list[InboxItem]:
        """Every member files a written review of every item before the meeting."""
        return await self.council_reviews(
            "writeReview",
            lambda job: {
                "opinion": opinion,
                "comment": f"Nhận xét của {job.variables['assignment']['memberName']}",
            },
        )

    async def attendance(
        self, present: Callable[[list[Any]], list[Any]] | None = None
    ) -> InboxItem:
        """The secretary records who came (everyone unless ``present`` picks) and elects the
        vote-counting committee among them."""

        def form(job: InboxItem) -> dict[str, Any]:
            options = [o["value"] for o in job.variables["memberOptions"]]
            chosen = present(options) if present else options
            return {
                "presentMemberIds": chosen,
                "countingMemberIds": chosen[-3:],
                "countingHeadId": chosen[-1] if chosen else None,
                "meetingNote": "Họp tại phòng họp Sở",
            }

        return await self.user_task("recordAttendance", form, role="staff")

    async def ballots(
        self, element_id: str, answer: Callable[[InboxItem], Mapping[str, Any]]
    ) -> list[InboxItem]:
        """Every member present casts a secret ballot at the meeting."""
        return await self.council_reviews(element_id, answer)

    async def council(
        self,
        ballot: str,
        answer: Callable[[InboxItem], Mapping[str, Any]],
        *,
        opinion: str = "approve",
    ) -> list[InboxItem]:
        """A council from proposal to count: confirmed, reviews, meeting, ballots."""
        await self.confirm()
        await self.reviews(opinion)
        await self.attendance()
        return await self.ballots(ballot, answer)

    async def advisory_council(self, vote: str = "approve") -> list[InboxItem]:
        """The advisory council: every member reviews, comes and votes the same way."""
        return await self.council("castAdvisoryBallot", lambda job: {"vote": vote})

    async def approve_list(
        self, method: str = "selection", number: str = "", decided_on: str | None = None
    ) -> InboxItem:
        """The leader approves the list with the method for this task (the decision's date
        binds the task to the edition in force that day)."""
        return await self.user_task(
            "approveList",
            {
                "listApproved": True,
                "method": method,
                "listDecisionNumber": number or f"{self.cast.proposal_id % 900 + 100}/QĐ-UBND",
                "listDecisionDate": decided_on or await self.today(),
                "decisionNote": "Phê duyệt",
            },
            role="leader",
        )

    async def take1(self, element_id: str) -> InboxItem:
        """The single user task ``element_id`` of this run."""
        [job] = await self.take(element_id, 1)
        return job

    async def call_published(self, call_round: int = 1, timeout: float = 30.0) -> tuple[int, str]:
        """Wait until step 2 published round `call_round` of the call: (call id, closes at)."""

        async def published() -> tuple[int, str] | None:
            with self.db() as session:
                task = self.task(session)
                opened = [
                    e
                    for e in self.audit(session, task_id=task.id)
                    if e.action == "call.open" and e.task_id == task.id
                ]
                if len(opened) < call_round:
                    return None
                entry = opened[call_round - 1]
            if entry.process_instance_key is None:
                return None
            view = await self.system.zb.admin.get_process_instance(entry.process_instance_key)
            variables = view.get("variables", {})
            if variables.get("callId") != entry.entity_id or "callClosesAt" not in variables:
                return None
            return int(variables["callId"]), str(variables["callClosesAt"])

        found = await self.until(published, f"call round {call_round} of {self.task_code}", timeout)
        return found[0], found[1]

    def apply(
        self, call_id: int, applicants: Sequence[tuple[int, int, str]] | None = None
    ) -> list[int]:
        """Host organisations apply to the call with complete dossiers (through the portal)."""
        chosen = list(applicants if applicants is not None else self.cast.applicants)

        def submit(session: Session) -> list[int]:
            ids = []
            task = self.task(session)
            for org_id, pi_id, _ in chosen:
                application = calls_service.submit_application(
                    session=session,
                    call_id=call_id,
                    task_id=task.id,
                    organisation_id=org_id,
                    principal_investigator_id=pi_id,
                    requested_budget=950_000_000,
                )
                self.attach(session, application.id)
                ids.append(application.id)
            return ids

        return self.write(submit)

    def attach(self, session: Session, application_id: int) -> None:
        """File an application's dossier documents."""
        for kind in APPLICATION_DOCUMENTS:
            stored = documents_service.store_file(
                session=session,
                root=self.system.documents_dir,
                content=f"{kind.value} – {application_id}".encode(),
                original_name=f"{kind.value}.pdf",
                content_type="application/pdf",
            )
            documents_service.add_dossier_document(
                session=session, stored_file_id=stored.id, kind=kind, application_id=application_id
            )

    def store(self, content: bytes, name: str) -> int:
        """The applicant uploads a file through the portal: its stored file id."""

        def keep(session: Session) -> int:
            stored = documents_service.store_file(
                session=session,
                root=self.system.documents_dir,
                content=content,
                original_name=name,
                content_type="application/pdf",
            )
            return stored.id

        return self.write(keep)

    def mails_to(self, address: str) -> list[Any]:
        """Mails received by one address."""
        return self.system.inbox.to(address)


def scores(job: InboxItem, total: int) -> dict[str, float]:
    """A selection ballot on the task's scoring sheet adding up to ``total`` (each criterion
    given its share of the points, as the form's fields)."""
    sheet_id = job.variables["scoringSheet"]
    sheet = SCORING_SHEETS[sheet_id]
    fields = {code: key for key, code in ballot_fields(sheet_id).items()}
    parts = {c.code: c.max_points * total // sheet.max_total for c in sheet.criteria}
    for c in sheet.criteria:
        while sum(parts.values()) < total and parts[c.code] < c.max_points:
            parts[c.code] += 1
    assert sum(parts.values()) == total, parts
    return {fields[code]: points for code, points in parts.items()}


def docx_text(content: bytes) -> str:
    """The text of a DOCX's main document part (tags stripped)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("word/document.xml").decode()
    return re.sub(r"<[^>]+>", "", xml)


# --------------------------------------------------------------------------- whole steps


async def through_task_list(
    run: Run, method: str = "direct", decided_on: str | None = None
) -> None:
    """Step 1 without detours: screened in, recommended by all, approved with ``method``."""
    await run.start()
    await run.screen("passed")
    await run.advisory_council("approve")
    await run.approve_list(method=method, decided_on=decided_on)


async def direct_dossier(run: Run) -> int:
    """The host chosen for direct assignment files its dossier: the application's id."""
    await run.until(lambda: _has_action(run, "selection.invite_direct"), "the direct invitation")

    def file(session: Session) -> int:
        task = run.task(session)
        application = session.scalar(select(Application).where(Application.task_id == task.id))
        assert application is not None
        run.attach(session, application.id)
        return application.id

    application_id = run.write(file)
    await run.message("khcn.selection.dossier-submitted", applicationId=application_id)
    return application_id


async def selection_council(run: Run, totals: Mapping[int, int]) -> list[InboxItem]:
    """The selection council: confirmed, reviews, meeting, every member present scores each
    application (application id → total)."""
    return await run.council(
        "castSelectionBallot",
        lambda job: {**scores(job, totals[job.variables["assignment"]["applicationId"]])},
    )


async def appraisal(run: Run, budget: int = 850_000_000) -> None:
    """The winner completes its proposal; the appraisal team meets and sets the budget."""
    await run.until(lambda: _has_action(run, "selection.rank"), "the ranking")
    await run.message("khcn.selection.proposal-completed", documentIds=[])
    await run.confirm("confirmAppraisal")
    await run.user_task(
        "appraiseBudget",
        lambda job: {
            "presentMemberIds": [o["value"] for o in job.variables["memberOptions"]],
            "approvedBudget": budget,
            "appraisalNote": "Phù hợp định mức",
        },
        role="staff",
    )


async def approve_and_sign(run: Run, number: str = "") -> None:
    """The leader approves the host; the contract is drawn up and signed."""
    await run.user_task(
        "approveSelection",
        {
            "selectionDecisionNumber": number or f"{run.cast.proposal_id % 900 + 300}/QĐ-UBND",
            "selectionDecisionDate": await run.today(),
            "decisionNote": "",
        },
        role="leader",
    )
    await run.until(lambda: _has_action(run, "contract.prepare"), "the contract drawn up")
    signed = run.store(f"hop dong {run.task_code}".encode(), "hop-dong-da-ky.pdf")
    await run.message("khcn.contract.signed", signedContractDocumentId=signed)
    await run.until(lambda: _has_action(run, "implementation.plan"), "step 3 started")


async def through_direct_selection(run: Run, budget: int = 850_000_000) -> None:
    """Step 2 by direct assignment: the dossier, the council, the appraisal, the contract."""
    application_id = await direct_dossier(run)
    await run.user_task(
        "openApplications",
        {"validApplicationIds": [application_id], "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    await selection_council(run, {application_id: 82})
    await appraisal(run, budget)
    await approve_and_sign(run)


async def final_report(run: Run) -> int:
    """The host files the final report: implementation ends."""
    stored = run.store(f"bao cao tong ket {run.task_code}".encode(), "bao-cao-tong-ket.pdf")
    await run.message("khcn.implementation.final-report", finalReportDocumentId=stored)
    return stored


async def acceptance_council(run: Run, ratings: Callable[[int], str]) -> list[InboxItem]:
    """Step 4 up to the council's verdict: the dossier valid, member i rates ratings(i)."""
    await run.user_task(
        "checkDossier", {"dossierValid": True, "missingDocuments": ""}, role="staff"
    )
    order: dict[int, int] = {}

    def rate(job: InboxItem) -> dict[str, Any]:
        i = order.setdefault(job.job_key, len(order))
        return {"rating": ratings(i), "comment": f"Phiếu {i + 1}"}

    return await run.council("castAcceptanceBallot", rate)


async def complete_dossier(run: Run) -> None:
    """After Đạt: the host completes the dossier and the council's chair confirms it."""
    await run.message("khcn.acceptance.dossier-completed", documentIds=[])
    job = await run.take1("confirmCompletion")
    assert job.assignee == job.variables["chairUsername"]
    await run.finish(job, {"dossierCompleted": True, "completionNote": "Đã hoàn thiện"})


async def register_and_recognise(run: Run, decision: str = "") -> None:
    """Step 5: the dossier, the certificate, the recognition decision, the end."""
    await run.until(
        lambda: _has_action(run, "task.move") and _stage(run) == "registration", "step 5"
    )
    stored = run.store(f"mau 5 {run.task_code}".encode(), "mau-5.pdf")
    await run.message("khcn.registration.dossier-submitted", documentIds=[stored])
    await run.user_task(
        "checkRegistration", {"registrationValid": True, "missingDocuments": ""}, role="staff"
    )
    await run.user_task(
        "recognizeResults",
        {
            "acceptanceDecisionNumber": decision or f"{run.cast.proposal_id % 900 + 500}/QĐ-UBND",
            "acceptanceDecisionDate": await run.today(),
        },
        role="leader",
    )


def _has_action(run: Run, action: str) -> bool:
    with run.db() as session:
        return action in run.actions(session)


def _stage(run: Run) -> str:
    with run.db() as session:
        return run.task(session).stage.value
