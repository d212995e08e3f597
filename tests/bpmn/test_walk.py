"""Smoke walks through khcn-task on the engine's controlled clock with a generic auto-worker.

The auto-worker below stands in for the real workers and for people using the portal: it
activates every open job (service tasks by job type, user tasks by element id) and completes
it with plausible variables following the contract in bpmn/README.md. A walk is a scenario:
how the people answer, what the fake workers decide, and the messages and clock moves that
happen while the process waits. Reaching the end proves the call activities (chosen by the
task's edition), gateways, messages, timers and errors connect, including the paths the
end-to-end tests with the real workers (tests/workers) do not take; it tests no worker.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import grpc
import pytest

from models.editions import DEFAULT_REGULATIONS
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
MEMBERS = [1, 2, 3]
APPLICATIONS = [11, 12]
VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def clock_engine(request, make_database_url):
    yield from controlled_engine(make_database_url(request.param))


@pytest.fixture
async def zb(clock_engine):
    async with connect(clock_engine.address) as conn:
        await deploy(conn.stub, *all_resources())
        yield conn


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

    task_code: str
    method: str = "selection"
    edition: str = "2025"
    screenings: list[str] = field(default_factory=lambda: ["passed"])
    recommended: bool = True
    quorum: list[bool] = field(default_factory=list)  # recordAttendance answers, then True
    appraisal_quorum: list[bool] = field(default_factory=list)
    qualified_rounds: list[bool] = field(default_factory=list)  # rank answers, then True
    recall: list[bool] = field(default_factory=list)  # close-round answers, then False
    violation: bool = False
    terminate: bool = False
    ratings: tuple[int, int, int] = (9, 0, 0)  # Xuất sắc, Đạt, Không đạt
    dossier_valid: list[bool] = field(default_factory=list)  # checkDossier answers, then True
    registration_valid: list[bool] = field(default_factory=list)
    give_up: set[str] = field(default_factory=set)  # waits (header) that give up when overdue
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

    @staticmethod
    def next(answers: list[Any], default: Any) -> Any:
        """The next scripted answer, or the default once the script is used up."""
        return answers.pop(0) if answers else default


def assignments(s: Scenario, council_type: str) -> list[dict[str, Any]]:
    """One review or ballot per member (× application for selection)."""
    apps = APPLICATIONS if council_type == "selection" else [None]
    return [
        {
            "memberId": m,
            "memberName": f"TS. Thành viên {m}",
            "assignee": f"member{m}",
            "applicationId": a,
            "applicationTitle": f"Hồ sơ {a}" if a else None,
        }
        for m in MEMBERS
        for a in apps
    ]


def count(s: Scenario, council_type: str) -> dict[str, Any]:
    """khcn.council.count: the advisory vote, the selection scores, the acceptance ratings."""
    edition = DEFAULT_REGULATIONS.edition(s.edition)
    if council_type == "advisory":
        return {"councilRecommended": s.recommended}
    if council_type == "selection":
        rules = edition.selection
        return {
            "applicationScores": [
                {
                    "applicationId": a,
                    "averageScore": 82.5 - i,
                    "maxZeroCount": 0,
                    "membersPresent": 7,
                    "validBallots": 7,
                }
                for i, a in enumerate(APPLICATIONS)
            ],
            "selectionRule": {
                "minAverage": rules.min_average,
                "zeroShareNumerator": rules.zero_share.numerator,
                "zeroShareDenominator": rules.zero_share.denominator,
            },
        }
    acceptance = edition.acceptance
    excellent, passed, failed = s.ratings
    return {
        "ratingCounts": {
            "presentCount": excellent + passed + failed,
            "excellentCount": excellent,
            "passCount": passed,
            "failCount": failed,
            "dossierTooLate": False,
        },
        "acceptanceRule": {
            "excellentShareNumerator": acceptance.excellent_share.numerator,
            "excellentShareDenominator": acceptance.excellent_share.denominator,
            "failShareNumerator": acceptance.fail_share.numerator,
            "failShareDenominator": acceptance.fail_share.denominator,
        },
    }


def service_outputs(s: Scenario, job: ActivatedJob, now: int) -> dict[str, Any]:
    """The fake workers: plausible outputs per job type, per the README contract."""
    v, t = job.variables, job.type
    if t == "khcn.proposal.register":
        return {"taskCode": s.task_code, "proposalTitle": "Ứng dụng IoT trong nông nghiệp"}
    if t == "khcn.proposal.request-revision":
        return {"revisionDueAt": iso(now + 30 * DAY)}
    if t == "khcn.tasklist.publish":
        return {"listPublishedAt": iso(now)}
    if t == "khcn.council.propose":
        return {
            "councilId": 100 + s.once("propose"),
            "councilName": f"Hội đồng {v['councilType']}",
            "proposedMembers": [{"label": f"TS. {m}", "value": m} for m in MEMBERS],
            "scoringSheet": "tt20-2023-d12-1",
        }
    if t == "khcn.council.reschedule":
        return {
            "meetingAt": iso(now + 7 * DAY),
            "reviewsDueAt": iso(now + 6 * DAY),
            "reviewAssignments": [],  # every review is in already
        }
    if t == "khcn.council.count":
        return count(s, v["councilType"])
    if t == "khcn.selection.invite-direct":
        return {"callId": 7, "directDossierDueAt": iso(now + 30 * DAY)}
    if t == "khcn.selection.publish-call":
        return {
            "callId": 7 + s.once("call"),
            "callRound": s.counts["call"],
            "callClosesAt": iso(now + 30 * DAY),
        }
    if t == "khcn.selection.list-applications":
        return {"applicationOptions": [{"label": f"Hồ sơ {a}", "value": a} for a in APPLICATIONS]}
    if t == "khcn.selection.rank":
        assert {r["applicationId"] for r in v["recommendations"]} == set(APPLICATIONS)
        if not s.next(s.qualified_rounds, True):
            raise BpmnError("NO_QUALIFIED_APPLICATION")
        winner = next(r["applicationId"] for r in v["recommendations"] if r["recommended"])
        return {
            "selectedApplicationId": winner,
            "selectionTied": False,
            "proposalDueAt": iso(now + 20 * DAY),
        }
    if t == "khcn.selection.close-round":
        return {"recallAllowed": s.next(s.recall, False)}
    if t == "khcn.contract.prepare":
        return {
            "contractId": 1,
            "contractNumber": "01/2026/HĐ-KHCN",
            "signatureDueAt": iso(now + 30 * DAY),
            "reminderCycle": "R/P10D",
        }
    if t == "khcn.contract.sign":
        return {"contractSignedAt": iso(now)}
    if t == "khcn.implementation.plan":
        return {
            "reportSchedule": [iso(now + 182 * DAY)],
            "taskLeader": "leader-of-task",
            "reportCycle": "R/P6M",
            "reviewCycle": "R/P12M",
            "finalReportDueAt": iso(now + 400 * DAY),
        }
    if t == "khcn.implementation.change-decision":
        return {"contractEndsAt": iso(now + 500 * DAY)}
    if t == "khcn.host.overdue":
        wait = job.custom_headers["wait"]
        s.once(f"overdue-{wait}")
        return {"dueAt": iso(now + 7 * DAY), "giveUp": wait in s.give_up}
    if t == "khcn.acceptance.file-dossier":
        return {"dossierTooLate": False, "dossierCheckDueAt": iso(now + 3 * DAY)}
    if t == "khcn.acceptance.record-result":
        assert v["acceptanceRating"]["rating"] in ("excellent", "pass", "fail")
        return {"completionDueAt": iso(now + 42 * DAY), "chairUsername": "member1"}
    if t == "khcn.registration.start":
        return {"registrationDueAt": iso(now + 30 * DAY)}
    if t == "khcn.registration.issue-certificate":
        return {"certificateNumber": "001/2027/GCN-KHCN"}
    if t == "khcn.contract.close":
        return {"contractClosedAt": iso(now)}
    if t == "khcn.task.close":
        s.closed_as.append(v["outcome"])
    return {}


def user_outputs(s: Scenario, job: ActivatedJob, now: int) -> dict[str, Any]:
    """The people: what each user task's form submits and its service adds, by element id."""
    e, v = job.element_id, job.variables
    if e == "screenProposal":
        return {"screeningResult": s.next(s.screenings, "passed")}
    if e == "approveList":
        edition = DEFAULT_REGULATIONS.edition(s.edition)
        return {
            "listApproved": True,
            "method": s.method,
            "edition": edition.id,
            "stepProcesses": dict(edition.processes),
        }
    if e in ("confirmCouncil", "confirmAppraisal"):
        return {
            "meetingAt": iso(now + 7 * DAY),
            "reviewsDueAt": iso(now + 6 * DAY),
            "reviewAssignments": []
            if e == "confirmAppraisal"
            else assignments(s, v["councilType"]),
            "memberOptions": [{"label": f"TS. {m}", "value": m} for m in MEMBERS],
        }
    if e == "writeReview":
        return {"opinion": "approve", "comment": f"{v['assignment']['memberId']}"}
    if e == "recordAttendance":
        held = s.next(s.quorum, True)
        return {
            "quorumMet": held,
            "quorumReasons": [] if held else ["vắng ủy viên thư ký khoa học"],
            "ballotAssignments": assignments(s, v["councilType"]) if held else [],
            "ballotsCloseAt": iso(now + DAY),
        }
    if e == "castAdvisoryBallot":
        return {"vote": "approve"}
    if e == "castSelectionBallot":
        return {"d12_1_overview": 10}
    if e == "castAcceptanceBallot":
        return {"rating": "pass"}
    if e == "openApplications":
        return {"validApplicationIds": APPLICATIONS, "validCount": len(APPLICATIONS)}
    if e == "appraiseBudget":
        return {"approvedBudget": 850_000_000, "quorumMet": s.next(s.appraisal_quorum, True)}
    if e == "approveSelection":
        return {"selectionDecisionNumber": "34", "selectionDecisionDate": "2026-03-01"}
    if e == "submitProgressReport":
        return {"progressPercent": 30, "inspectionNeeded": True}
    if e == "inspect":
        return {"inspectionResult": "on-track", "violation": s.violation}
    if e == "evaluateYear":
        return {"evaluationResult": "behind", "violation": s.violation}
    if e == "decideTermination":
        return {"terminate": s.terminate, "terminationDecisionNumber": "51"}
    if e == "reviewChange":
        return {"changeReviewNote": "Đúng quy định", "changeProblems": []}
    if e == "decideChange":
        return {"changeApproved": True, "extensionMonths": 3}
    if e == "checkDossier":
        valid = s.next(s.dossier_valid, True)
        key = "councilSetupDueAt" if valid else "dossierRevisionDueAt"
        return {"dossierValid": valid, key: iso(now + (21 if valid else 7) * DAY)}
    if e == "settleFailure":
        return {"workDone": "Nội dung 1", "refundAmount": 100_000_000}
    if e == "confirmCompletion":
        return {"dossierCompleted": True}
    if e == "checkRegistration":
        valid = s.next(s.registration_valid, True)
        return {"registrationValid": valid, "registrationRevisionDueAt": iso(now + 30 * DAY)}
    if e == "recognizeResults":
        return {"acceptanceDecisionNumber": "56/QĐ-UBND", "acceptanceDecisionDate": "2027-06-01"}
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
            did = True
            if job.type == USER_TASK_JOB_TYPE:
                headers = job.custom_headers
                assert headers["io.camunda.zeebe:formKey"], job.element_id
                groups = json.loads(headers["io.camunda.zeebe:candidateGroups"])
                assert groups and set(groups) <= {"staff", "leader", "council", "scientist"}
                if "assignment" in job.variables:  # a council member's own task
                    assignee = job.variables["assignment"]["assignee"]
                    assert headers["io.camunda.zeebe:assignee"] == assignee
                await finish(zb, job, user_outputs(s, job, now))
                continue
            s.seen_types.add(job.type)
            try:
                outputs = service_outputs(s, job, now)
            except BpmnError as err:
                await throw_error(zb.stub, job.key, err.code, "no application qualified")
                continue
            await finish(zb, job, outputs)
    return did


async def finish(zb, job: ActivatedJob, outputs: dict[str, Any]) -> None:
    """Complete a job, unless an earlier completion in this round cancelled it (a contract
    terminated while a progress report was open)."""
    try:
        await complete(zb.stub, job.key, **outputs)
    except grpc.aio.AioRpcError as err:
        if err.code() is not grpc.StatusCode.NOT_FOUND:
            raise


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
    for _ in range(600):
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
    """A stimulus: someone outside sends a document (a message keyed by the task code)."""
    return lambda: publish(zb.stub, name, s.task_code, ttl_ms=60_000, variables=variables)


def clock(zb, days: int) -> Callable[[], Awaitable[Any]]:
    """A stimulus: time passes."""
    return lambda: advance(zb.admin, days * DAY)


async def test_selection_under_2014_with_every_detour(zb):
    """Revision, a second call, a meeting held again, an appraisal held again, a reminder to
    sign, reports and the yearly inspection, a change, dossiers sent back: completed."""
    s = Scenario(
        task_code="NV-2025-001",
        edition="2014",
        screenings=["revise", "passed"],
        qualified_rounds=[False],
        recall=[True],
        quorum=[True, False],  # advisory holds; the first selection meeting has no quorum
        appraisal_quorum=[False],
        dossier_valid=[False],
        registration_valid=[False],
    )
    s.stimuli = [
        ("gwAwaitRevision", message(zb, s, "khcn.proposal.revised")),
        ("timerCallClosed", clock(zb, 31)),
        ("timerCallClosed", clock(zb, 31)),  # the second call
        ("gwAwaitProposal", message(zb, s, "khcn.selection.proposal-completed")),
        ("awaitSignedContract", clock(zb, 11)),  # a reminder, the contract still unsigned
        ("awaitSignedContract", message(zb, s, "khcn.contract.signed", signedContractId=7)),
        ("gwAwaitFinal", clock(zb, 370)),  # reports every 6 months, the yearly inspection
        (
            "gwAwaitFinal",
            message(zb, s, "khcn.implementation.change-requested", changeRequestId=3),
        ),
        ("gwAwaitFinal", message(zb, s, "khcn.implementation.final-report")),
        ("gwAwaitRevision", message(zb, s, "khcn.acceptance.dossier-revised")),
        ("gwAwaitCompletion", clock(zb, 43)),  # the completion is late: a reminder
        ("gwAwaitCompletion", message(zb, s, "khcn.acceptance.dossier-completed")),
        ("gwAwaitRegistration", clock(zb, 31)),  # the registration is late: a reminder
        ("gwAwaitRegistration", message(zb, s, "khcn.registration.dossier-submitted")),
        ("gwAwaitRevised", message(zb, s, "khcn.registration.dossier-revised")),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and not s.stimuli
    assert s.closed_as == ["completed"]
    assert view["variables"]["certificateNumber"] == "001/2027/GCN-KHCN"
    assert view["variables"]["acceptanceRating"] == {"rating": "excellent", "label": "Xuất sắc"}
    assert view["variables"]["selectedApplicationId"] == APPLICATIONS[0]
    assert s.counts["call"] == 2 and s.counts["propose"] >= 4
    assert s.counts["overdue-acceptance-completion"] >= 1
    assert s.counts["overdue-registration-dossier"] >= 1
    for element in (
        "inspect",
        "submitProgressReport",
        "decideChange",
        "remindSignature",
        "rescheduleMeeting",
        "rescheduleAppraisal",
        "requestDossierRevision",
        "requestRegistrationRevision",
        "castAdvisoryBallot",
        "castSelectionBallot",
        "castAcceptanceBallot",
        "confirmCompletion",
        "recognizeResults",
    ):
        assert element in s.seen_elements, element
    assert "evaluateYear" not in s.seen_elements  # the 2014 implementation inspects
    alternatives = {
        "khcn.selection.invite-direct",
        "khcn.selection.cancel-result",
        "khcn.implementation.suspend",
        "khcn.acceptance.council-overdue",
        "khcn.council.remind-reviews",
    }
    assert s.seen_types == job_types() - alternatives


async def test_direct_assignment_under_2025_terminated_after_the_yearly_evaluation(zb):
    """Giao trực tiếp: the dossier, the council, the appraisal; the 2025 implementation's
    yearly evaluation stops the funding, the leader terminates: the task ends terminated."""
    s = Scenario(task_code="NV-2026-002", method="direct", violation=True, terminate=True)
    s.stimuli = [
        ("gwAwaitDirect", message(zb, s, "khcn.selection.dossier-submitted")),
        ("gwAwaitProposal", message(zb, s, "khcn.selection.proposal-completed")),
        ("awaitSignedContract", message(zb, s, "khcn.contract.signed")),
        ("gwAwaitFinal", clock(zb, 370)),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and not s.stimuli
    assert s.closed_as == ["terminated"]
    assert {"evaluateYear", "decideTermination"} <= s.seen_elements
    assert "inspect" not in s.seen_elements
    assert {"khcn.selection.invite-direct", "khcn.implementation.suspend"} <= s.seen_types


async def test_an_acceptance_dossier_never_completed_ends_late(zb):
    """The dossier sent back is never completed; six months after the contract the wait gives
    up: DOSSIER_TOO_LATE from step 4, the task closed as late."""
    s = Scenario(
        task_code="NV-2026-003",
        method="direct",
        dossier_valid=[False],
        give_up={"acceptance-revision"},
    )
    s.stimuli = [
        ("gwAwaitDirect", message(zb, s, "khcn.selection.dossier-submitted")),
        ("gwAwaitProposal", message(zb, s, "khcn.selection.proposal-completed")),
        ("awaitSignedContract", message(zb, s, "khcn.contract.signed")),
        ("gwAwaitFinal", message(zb, s, "khcn.implementation.final-report")),
        ("gwAwaitRevision", clock(zb, 8)),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and not s.stimuli
    assert s.closed_as == ["late"]
    assert "callAcceptanceCouncil" not in s.seen_elements


async def test_a_winner_that_never_completes_its_proposal_loses_it(zb):
    """TT 20/2023 Đ11.12, Đ17.1d: the proposal is not completed in time, the result is
    cancelled; a direct assignment has no second call: the task stops (NO_HOST)."""
    s = Scenario(task_code="NV-2026-004", method="direct")
    s.stimuli = [
        ("gwAwaitDirect", message(zb, s, "khcn.selection.dossier-submitted")),
        ("gwAwaitProposal", clock(zb, 21)),
    ]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and not s.stimuli
    assert s.closed_as == ["cancelled"]
    assert "khcn.selection.cancel-result" in s.seen_types


async def test_a_direct_dossier_never_filed_stops_the_task(zb):
    """The host chosen for direct assignment files nothing within its days: no host."""
    s = Scenario(task_code="NV-2026-005", method="direct")
    s.stimuli = [("gwAwaitDirect", clock(zb, 31))]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and s.closed_as == ["cancelled"]
    assert "callSelectionCouncil" not in s.seen_elements


async def test_a_proposal_never_revised_or_not_recommended_is_closed(zb):
    """Screening asks for a revision and 30 days pass: closed; another proposal the advisory
    council does not recommend: closed too."""
    s = Scenario(task_code="NV-2026-006", screenings=["revise"])
    s.stimuli = [("gwAwaitRevision", clock(zb, 31))]
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and s.closed_as == ["rejected"]
    assert "callAdvisoryCouncil" not in s.seen_elements
    s = Scenario(task_code="NV-2026-007", recommended=False)
    view = await walk(zb, s)
    assert view["state"] == "COMPLETED" and s.closed_as == ["rejected"]
    assert "approveList" not in s.seen_elements
