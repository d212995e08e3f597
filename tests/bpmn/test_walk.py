"""Smoke walks through khcn-task on the engine's controlled clock with a generic auto-worker.

The auto-worker below stands in for the real workers and for people using the portal: it
activates every open job (service tasks by job type, user tasks by element id) and completes
it with plausible variables following the contract in bpmn/README.md. A walk is a scenario:
how the people answer, and the messages and clock moves that happen while the process
waits. Reaching the end proves the call activities, gateways, messages, timers and errors
connect; it does not test any worker.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.bpmn.diagrams import all_resources, job_types
from tests.support.zeebe import (
    USER_TASK_JOB_TYPE,
    ActivatedJob,
    activate,
    complete,
    connect,
    create_instance,
    deploy,
    throw_error,
)
from tests.support.zeebe_events import (
    DATABASE_KINDS,
    advance,
    controlled_engine,
    engine_now,
    publish,
)

DAY = 24 * 60 * 60 * 1000
MEMBERS = ["m1", "m2", "m3"]


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture
async def zb(clock_engine):
    async with connect(clock_engine.address) as conn:
        await deploy(conn.stub, *all_resources())
        yield conn


VIETNAM = timezone(timedelta(hours=7))


def iso(ms: int) -> str:
    """An ISO date-time in Vietnam's offset, as workers write deadlines."""
    return datetime.fromtimestamp(ms / 1000, VIETNAM).isoformat(timespec="seconds")


class BpmnError(Exception):
    """Raised by a fake handler to throw a BPMN error from its job."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Scenario:
    """How people answer, what the fake workers decide, and what happens while waiting."""

    task_code: str = "NV-2026-001"
    method: str = "selection"
    revise_first: bool = False
    quorum_fails_first: bool = False
    rounds_without_winner: int = 0
    ratings: tuple[int, int, int] = (3, 3, 0)  # present, Xuất sắc, Đạt
    dossier_invalid_first: bool = False
    change_approved: bool = True
    hold: set[str] = field(default_factory=set)  # user tasks nobody answers (yet)
    # (element the process must be waiting at, what to do then)
    stimuli: list[tuple[str, Callable[[], Awaitable[Any]]]] = field(default_factory=list)
    # what happened
    counts: dict[str, int] = field(default_factory=dict)
    seen_elements: set[str] = field(default_factory=set)
    seen_types: set[str] = field(default_factory=set)
    instances: set[int] = field(default_factory=set)
    closed_as: list[str] = field(default_factory=list)

    def once(self, name: str) -> int:
        """How many times `name` happened before (and count this one)."""
        n = self.counts.get(name, 0)
        self.counts[name] = n + 1
        return n


def service_outputs(s: Scenario, job: ActivatedJob, now: int) -> dict[str, Any]:
    """The fake workers: plausible outputs per job type, per the README contract."""
    v = job.variables
    t = job.type
    if t == "khcn.proposal.register":
        return {"taskCode": s.task_code, "proposalTitle": "Ứng dụng IoT trong nông nghiệp"}
    if t == "khcn.council.convene":
        apps = v.get("validApplicationIds") or [None]
        assignments = [
            {
                "memberId": m,
                "memberName": f"TS. {m}",
                "assignee": f"user-{m}",
                "applicationId": a,
                "applicationTitle": f"Hồ sơ {a}",
            }
            for m in MEMBERS
            for a in (apps if v["councilType"] == "selection" else [None])
        ]
        return {
            "councilId": f"HD-{v['councilType']}-{s.once('convene')}",
            "meetingAt": iso(now + 7 * DAY),
            "reviewAssignments": assignments,
            "memberOptions": [{"label": m, "value": m} for m in MEMBERS],
        }
    if t == "khcn.council.check-quorum":
        fails = s.quorum_fails_first and s.once("quorum") == 0
        return {"quorumMet": not fails, "presentCount": len(v["presentMemberIds"])}
    if t == "khcn.council.reschedule":
        return {"meetingAt": iso(now + 14 * DAY)}
    if t == "khcn.council.tally":
        return tally(s, v)
    if t == "khcn.selection.publish-call":
        return {
            "callId": f"TB-{s.once('call')}",
            "callClosesAt": iso(now + 30 * DAY),
            "callRound": s.counts["call"],
            "applicationOptions": [
                {"label": "Hồ sơ A", "value": "A"},
                {"label": "Hồ sơ B", "value": "B"},
            ],
        }
    if t == "khcn.selection.rank":
        winners = [r for r in v["recommendations"] if r["recommended"]]
        if not winners:
            raise BpmnError("NO_QUALIFIED_APPLICATION")
        best = max(winners, key=lambda r: r["averageScore"])
        return {"selectedApplicationId": best["applicationId"]}
    if t == "khcn.selection.assign-direct":
        return {"selectedApplicationId": "DIRECT"}
    if t == "khcn.contract.prepare":
        return {"contractId": 1, "contractNumber": "01/2026/HĐ-KHCN"}
    if t == "khcn.contract.sign":
        return {"contractSignedAt": iso(now)}
    if t == "khcn.implementation.plan":
        return {"reportSchedule": [iso(now + 182 * DAY), iso(now + 365 * DAY)]}
    if t == "khcn.implementation.record-report":
        return {"inspectionNeeded": True}
    if t == "khcn.implementation.apply-change":
        return {"contractEndsAt": iso(now + 400 * DAY)}
    if t == "khcn.acceptance.deadline":
        return {"councilDeadline": iso(now + 21 * DAY)}
    if t == "khcn.registration.deadline":
        return {"registrationDeadline": iso(now + 30 * DAY)}
    if t == "khcn.registration.issue-certificate":
        return {"certificateNumber": "01/2026/GCN-KHCN"}
    if t == "khcn.task.close":
        s.closed_as.append(v["outcome"])
    return {}


def signature(assignment: dict[str, Any]) -> str:
    """A review comment naming its author, to check each review lands in its own entry."""
    return f"{assignment['memberId']} on {assignment['applicationId']}"


def tally(s: Scenario, v: dict[str, Any]) -> dict[str, Any]:
    """khcn.council.tally: advisory vote, selection scores or acceptance ratings."""
    reviews = v["reviews"]
    assert len(reviews) == len(v["reviewAssignments"])
    # each member's answer is collected with that member's id (local variables per instance)
    assert sorted(r["comment"] for r in reviews) == sorted(
        signature(a) for a in v["reviewAssignments"]
    )
    for r in reviews:
        assert r["comment"].startswith(r["memberId"])
    if v["councilType"] == "advisory":
        return {"councilRecommended": all(r["vote"] == "approve" for r in reviews)}
    if v["councilType"] == "selection":
        weak = s.once("tally-selection") < s.rounds_without_winner
        scores: dict[str, list[int]] = {}
        for r in reviews:
            scores.setdefault(r["applicationId"], []).append(sum(r["scores"].values()))
        return {
            "applicationScores": [
                {
                    "applicationId": a,
                    "averageScore": (60 if weak else sum(x) / len(x)) - i,
                    "maxZeroCount": 0,
                    "scorerCount": len(x),
                }
                for i, (a, x) in enumerate(sorted(scores.items()))
            ]
        }
    present, excellent, passed = s.ratings
    return {
        "ratingCounts": {"presentCount": present, "excellentCount": excellent, "passCount": passed}
    }


def user_outputs(s: Scenario, job: ActivatedJob) -> dict[str, Any]:
    """The people: what each user task's form submits, by element id."""
    e = job.element_id
    if e == "screenProposal":
        revise = s.revise_first and s.once("screen") == 0
        return {"screeningResult": "revise" if revise else "passed", "screeningNote": "ok"}
    if e == "reviewAdvisory":
        return {"vote": "approve", "comment": signature(job.variables["assignment"])}
    if e == "reviewSelection":
        return {
            "scoreObjectives": 25,
            "scoreMethod": 25,
            "scoreCapacity": 15,
            "scoreBudget": 15,
            "comment": signature(job.variables["assignment"]),
        }
    if e == "reviewAcceptance":
        return {"rating": "excellent", "comment": signature(job.variables["assignment"])}
    if e == "recordAttendance":
        return {"presentMemberIds": MEMBERS}
    if e == "approveList":
        return {"listApproved": True, "method": s.method, "listDecisionNumber": "12/QĐ-SKHCN"}
    if e == "openApplications":
        return {"validApplicationIds": ["A", "B"]}
    if e == "appraiseBudget":
        return {"approvedBudget": 850_000_000}
    if e == "approveSelection":
        return {"selectionDecisionNumber": "34/QĐ-SKHCN", "selectionDecisionDate": "2026-03-01"}
    if e == "submitProgressReport":
        return {"progressPercent": 40, "reportSummary": "Đúng tiến độ"}
    if e == "inspect":
        return {"inspectionResult": "on-track", "inspectionNote": "Đạt yêu cầu"}
    if e == "reviewChange":
        return {"changeReviewNote": "Đề nghị gia hạn 3 tháng"}
    if e == "decideChange":
        return {"changeApproved": s.change_approved, "extensionMonths": 3}
    if e == "checkDossier":
        invalid = s.dossier_invalid_first and s.once("dossier") == 0
        return {"dossierValid": not invalid, "missingDocuments": "Báo cáo tóm tắt"}
    if e in ("escalateCouncilDelay", "escalateRegistrationDelay"):
        return {"extensionDays": 10, "instruction": "Khẩn trương hoàn thành"}
    if e == "approveAcceptance":
        return {"acceptanceDecisionNumber": "56/QĐ-SKHCN", "acceptanceDecisionDate": "2027-01-01"}
    if e == "checkRegistration":
        return {"registrationValid": True}
    raise AssertionError(f"no answer for user task {e}")


async def work_once(zb, s: Scenario) -> bool:
    """Activate and complete every job open right now; True when at least one was."""
    open_types = {j["type"] for j in await zb.admin.list_jobs()}
    did = False
    now = await engine_now(zb.admin)
    for job_type in sorted(open_types):
        for job in await activate(zb.stub, job_type, request_timeout_ms=-1, max_jobs=50):
            s.instances.add(job.process_instance_key)
            s.seen_elements.add(job.element_id)
            if job.element_id in s.hold:
                continue  # activated and left alone, as a member who does not answer
            did = True
            if job.type == USER_TASK_JOB_TYPE:
                headers = job.custom_headers
                assert headers["io.camunda.zeebe:formKey"], job.element_id
                groups = json.loads(headers["io.camunda.zeebe:candidateGroups"])
                assert groups and set(groups) <= {"staff", "leader", "council", "scientist"}
                if "assignment" in job.variables:  # a council member's own review task
                    assignee = job.variables["assignment"]["assignee"]
                    assert headers["io.camunda.zeebe:assignee"] == assignee
                await complete(zb.stub, job.key, **user_outputs(s, job))
                continue
            s.seen_types.add(job.type)
            try:
                outputs = service_outputs(s, job, now)
            except BpmnError as err:
                await throw_error(zb.stub, job.key, err.code, "no application reached 70")
                continue
            await complete(zb.stub, job.key, **outputs)
    return did


async def waiting_elements(zb, s: Scenario) -> set[str]:
    """Element ids active in any process instance of the walk."""
    found: set[str] = set()
    for key in s.instances:
        view = await zb.admin.get_process_instance(key)
        if view["state"] == "ACTIVE":
            found |= {e["elementId"] for e in view["elementInstances"]}
    return found


async def walk(zb, s: Scenario) -> dict[str, Any]:
    """Run khcn-task to its end under a scenario; return the root instance's final view."""
    created = await create_instance(zb.stub, "khcn-task", {"proposalId": 42})
    root = created.processInstanceKey
    s.instances.add(root)
    for _ in range(400):
        if await work_once(zb, s):
            continue
        await zb.admin.wait_idle()
        incidents = await zb.admin.list_incidents()
        assert not incidents, incidents
        if await work_once(zb, s):
            continue
        view = await zb.admin.get_process_instance(root)
        if view["state"] != "ACTIVE":
            return view
        waiting = await waiting_elements(zb, s)
        assert s.stimuli, f"stuck with nothing left to do, waiting at {sorted(waiting)}"
        element, action = s.stimuli.pop(0)
        assert element in waiting, f"expected to wait at {element}, waiting at {sorted(waiting)}"
        await action()
        await zb.admin.wait_idle()
    raise AssertionError("the walk did not end")


def message(zb, s: Scenario, name: str, **variables: Any) -> Callable[[], Awaitable[Any]]:
    """A stimulus: the applicant's document arrives (a message keyed by the task code)."""
    return lambda: publish(zb.stub, name, s.task_code, ttl_ms=60_000, variables=variables)


def clock(zb, days: int) -> Callable[[], Awaitable[Any]]:
    """A stimulus: time passes."""
    return lambda: advance(zb.admin, days * DAY)


def late(zb, s: Scenario, element: str, days: int) -> Callable[[], Awaitable[Any]]:
    """A stimulus: time passes while nobody answers `element`; then people answer again."""

    async def act() -> None:
        await advance(zb.admin, days * DAY)
        s.hold.discard(element)

    return act


async def test_happy_walk_through_every_step_with_detours(zb):
    """Revision, a failed quorum, a call reopened, reminders, a change, a late registration."""
    s = Scenario(revise_first=True, quorum_fails_first=True, rounds_without_winner=1)
    s.stimuli = [
        ("gwAwaitRevision", message(zb, s, "khcn.proposal.revised")),
        ("timerCallClosed", clock(zb, 31)),
        ("timerCallClosed", clock(zb, 31)),  # the reopened call
        ("awaitSignedContract", clock(zb, 11)),  # a reminder, the contract still unsigned
        ("awaitSignedContract", message(zb, s, "khcn.contract.signed", signedContractId=7)),
        ("awaitFinalReport", clock(zb, 190)),  # the 6-monthly progress report falls due
        (
            "awaitFinalReport",
            message(
                zb,
                s,
                "khcn.implementation.change-requested",
                changeRequestId=3,
                changeKind="extension",
            ),
        ),
        ("awaitFinalReport", message(zb, s, "khcn.implementation.final-report")),
        ("awaitRegistrationDossier", clock(zb, 31)),  # 30 days passed: the leader is told
        ("awaitRegistrationDossier", message(zb, s, "khcn.registration.dossier-submitted")),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED"
    assert not s.stimuli
    assert s.closed_as == ["completed"]
    assert view["variables"]["certificateNumber"] == "01/2026/GCN-KHCN"
    assert view["variables"]["acceptanceRating"] == {"rating": "excellent", "label": "Xuất sắc"}
    assert view["variables"]["selectedApplicationId"] == "A"
    assert s.counts["screen"] == 2 and s.counts["quorum"] >= 2 and s.counts["call"] == 2
    alternatives = {
        "khcn.selection.assign-direct",
        "khcn.implementation.reject-change",
        "khcn.acceptance.request-revision",
        "khcn.registration.request-revision",
    }
    assert s.seen_types == job_types() - alternatives
    for element in (
        "remindSignature",
        "submitProgressReport",
        "inspect",
        "decideChange",
        "escalateRegistrationDelay",
        "reviewAdvisory",
        "reviewSelection",
        "reviewAcceptance",
    ):
        assert element in s.seen_elements, element
    assert "escalateCouncilDelay" not in s.seen_elements  # the council met its deadline


async def test_direct_assignment_and_acceptance_failed_ends_the_task_as_failed(zb):
    """Giao trực tiếp, a dossier sent back, a late council, then Không đạt: the task fails."""
    s = Scenario(
        task_code="NV-2026-002",
        method="direct",
        ratings=(4, 0, 2),
        dossier_invalid_first=True,
        change_approved=False,
        hold={"reviewAcceptance"},
    )
    s.stimuli = [
        ("awaitSignedContract", message(zb, s, "khcn.contract.signed")),
        (
            "awaitFinalReport",
            message(
                zb,
                s,
                "khcn.implementation.change-requested",
                changeRequestId=4,
                changeKind="budget",
            ),
        ),
        ("awaitFinalReport", message(zb, s, "khcn.implementation.final-report")),
        ("awaitRevisedDossier", message(zb, s, "khcn.acceptance.dossier-revised")),
        # 15 working days pass while the council members do not answer: the leader is told
        ("reviewAcceptance", late(zb, s, "reviewAcceptance", 22)),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED"
    assert not s.stimuli
    assert s.closed_as == ["failed"]
    assert "khcn.selection.assign-direct" in s.seen_types
    assert "khcn.implementation.reject-change" in s.seen_types
    assert "khcn.registration.deadline" not in s.seen_types
    assert "approveAcceptance" not in s.seen_elements
    assert "escalateCouncilDelay" in s.seen_elements
    assert s.counts["convene"] == 3  # advisory, acceptance, acceptance again after escalation


async def test_a_proposal_never_revised_is_closed_as_rejected(zb):
    """Screening asks for a revision; 30 days pass without it: the proposal is closed."""
    s = Scenario(task_code="NV-2026-003", revise_first=True)
    s.stimuli = [("gwAwaitRevision", clock(zb, 31))]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED"
    assert s.closed_as == ["rejected"]
    assert "callAdvisoryCouncil" not in s.seen_elements
    assert s.seen_types == {
        "khcn.proposal.register",
        "khcn.proposal.request-revision",
        "khcn.task.close",
    }
