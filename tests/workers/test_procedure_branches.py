"""The branches of `khcn-task`, end to end: the real workers, the embedded engine on a
controlled clock, people answering as the portal will (tests/workers/scenario.py).

Each test runs on its own engine and domain database (`clock_system`): the workers read the
engine's clock, and a clock moved months ahead by one test would carry the next test's dates
along; and a fresh engine numbers its keys afresh, which the last test here shows some workers
are not ready for.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models.acceptance import AcceptanceDossier
from models.calls import Application, Call
from models.contracts import Contract
from models.councils import Council, CouncilMember, Meeting, ScoreSheet
from models.enums import (
    AcademicTitle,
    ApplicationStatus,
    CallStatus,
    ChangeKind,
    ContractStatus,
    CouncilType,
    DecisionStatus,
    MeetingStatus,
    ProposalStatus,
    Rating,
    Stage,
    TaskStatus,
)
from models.implementation import ChangeRequest, ProgressReport
from models.people import Affiliation, Organisation, Person
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.rules import add_months
from models.services import implementation as implementation_service
from tests.support.engine_process import EngineProcess
from tests.support.system import (
    clock_domain_url,
    clock_system,
    database_kind,
    running_system,
    smtp_inbox,
)
from tests.workers import data_councils as data
from tests.workers.scenario import (
    Run,
    acceptance_council,
    final_report,
    make_cast,
    scores,
    through_direct_selection,
    through_task_list,
)

__all__ = ["clock_domain_url", "clock_system", "database_kind", "smtp_inbox"]

MONTH_DAYS = 31


def entries_of(run: Run, action: str):
    """The audit entries of this run with an action."""
    with run.db() as session:
        return [e for e in run.audit(session) if e.action == action]


def new_run(system, **cast_options) -> Run:
    """A scenario's people, made through the services in one committed transaction."""
    with system.sessions() as session, session.begin():
        cast = make_cast(session, **cast_options)
    return Run(system, cast)


# --------------------------------------------------------------------------- step 1


async def test_proposal_rejected_at_screening_closes_it(clock_system):
    run = new_run(clock_system, experts=0, applicants=0)
    await run.start()
    await run.screen("rejected", note="Không thuộc lĩnh vực ưu tiên của tỉnh")
    view = await run.ended()
    assert view["variables"]["screeningResult"] == "rejected"
    with run.db() as session:
        proposal = session.get(Proposal, run.cast.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.REJECTED
        assert proposal.screening_note == "Không thuộc lĩnh vực ưu tiên của tỉnh"
        task = run.task(session)
        assert (task.stage, task.status) == (Stage.TASK_LIST, TaskStatus.CANCELLED)
        assert not session.scalars(select(Council).where(Council.task_id == task.id)).all()
    [screened] = entries_of(run, "proposal.screen")
    assert screened.details["accepted"] is False
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeRejected"
    assert closed.details["outcome"] == "rejected"
    assert entries_of(run, "proposal.close")[0].details["to"] == "rejected"
    outcome = [m for m in run.mails_to(run.cast.proposer_email) if "Kết quả xét" in m["Subject"]]
    assert len(outcome) == 1 and "sàng lọc" in outcome[0].get_content()


async def test_advisory_council_without_quorum_meets_again(clock_system):
    run = new_run(clock_system, experts=10, applicants=0)
    await run.start()
    await run.screen("passed")
    await run.council_reviews("reviewAdvisory", lambda job: {"vote": "approve", "comment": ""})
    first = await run.attendance(lambda members: members[:3])  # 3 of 7: no quorum
    second = await run.attendance()  # the rescheduled meeting: everyone
    assert second.variables["meetingAt"] > first.variables["meetingAt"]
    # the council recommends; the leader does not approve: the proposal ends there
    await run.user_task(
        "approveList",
        {"listApproved": False, "method": "selection", "decisionNote": "Chưa cấp thiết"},
        role="leader",
    )
    await run.ended()
    with run.db() as session:
        task = run.task(session)
        council = session.scalar(
            select(Council).where(Council.task_id == task.id, Council.type == CouncilType.ADVISORY)
        )
        assert council is not None
        meetings = session.scalars(
            select(Meeting).where(Meeting.council_id == council.id).order_by(Meeting.id)
        ).all()
        assert [m.status for m in meetings] == [MeetingStatus.NO_QUORUM, MeetingStatus.HELD]
        assert meetings[1].scheduled_at > meetings[0].scheduled_at
        proposal = session.get(Proposal, run.cast.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.REJECTED
        assert task.status is TaskStatus.CANCELLED
    opened = entries_of(run, "meeting.open")
    assert [e.details["quorum"] for e in opened] == [False, True]
    assert opened[0].details["present"] == 3
    assert all(e.bpmn_element_id == "checkQuorum" for e in opened)
    [moved] = entries_of(run, "meeting.reschedule")
    assert moved.bpmn_element_id == "reschedule"
    rescheduled = [m for m in clock_system.inbox.messages if "Dời lịch họp" in m["Subject"]]
    assert len(rescheduled) == 1 and len(rescheduled[0]["To"].split(",")) == 7


# --------------------------------------------------------------------------- step 2


async def selection_round(run: Run, call_round: int, totals: dict[int, int]) -> list[int]:
    """One round of the call: the hosts apply, the call closes, staff open the dossiers, the
    selection council scores (application index → every member's total)."""
    call_id, closes_at = await run.call_published(call_round)
    application_ids = run.apply(call_id)
    await run.advance_past(closes_at)
    opening = await run.user_task(
        "openApplications",
        {"validApplicationIds": application_ids, "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    assert opening.variables["callId"] == call_id
    by_application = {a: totals[i] for i, a in enumerate(application_ids)}
    reviews = await run.council_reviews(
        "reviewSelection",
        lambda job: {
            **scores(by_application[job.variables["assignment"]["applicationId"]]),
            "comment": "",
        },
    )
    assert len(reviews) == 7 * len(application_ids)  # every member scores every dossier
    await run.attendance()
    return application_ids


async def test_conflict_of_interest_appointment_refused(clock_system):
    """The applicants' investigators and a colleague of theirs are experts of the field,
    first in line by seniority: the selection council is formed without them."""
    run = new_run(clock_system, experts=9, applicants=2, applicant_experts=True)
    with clock_system.sessions() as session, session.begin():
        # a professor working for the first applicant and the two investigators (associate
        # professors): first in line by seniority, and all barred
        org = session.get(Organisation, run.cast.applicants[0][0])
        [colleague] = data.make_experts(
            session, n=1, organisation=org, academic_title=AcademicTitle.PROFESSOR
        )
        for _, pi_id, _ in run.cast.applicants:
            pi = session.get(Person, pi_id)
            assert pi is not None
            pi.academic_title = AcademicTitle.ASSOCIATE_PROFESSOR
        barred = {colleague.id} | {pi for _, pi, _ in run.cast.applicants}
    await through_task_list(run, method="selection")
    await selection_round(run, 1, {0: 85, 1: 75})
    await run.until(lambda: bool(entries_of(run, "selection.rank")), "the applications ranked")
    with run.db() as session:
        task = run.task(session)
        council = session.scalar(
            select(Council).where(Council.task_id == task.id, Council.type == CouncilType.SELECTION)
        )
        assert council is not None and len(council.members) == 7
        members = {m.person_id for m in council.members}
        assert not members & barred
        # they were eligible by field: experts with a council_member user
        for person_id in barred:
            person = session.get(Person, person_id)
            assert person is not None and person.is_expert
        applying = set(
            session.scalars(
                select(Application.organisation_id).where(Application.task_id == task.id)
            )
        )
        for member in session.scalars(
            select(CouncilMember).where(CouncilMember.council_id == council.id)
        ):
            orgs = set(
                session.scalars(
                    select(Affiliation.organisation_id).where(
                        Affiliation.person_id == member.person_id
                    )
                )
            )
            assert not orgs & applying
    refused = [e for e in entries_of(run, "council.appoint_refused") if e.stage is Stage.SELECTION]
    assert {e.details["person_id"] for e in refused} == barred
    for entry in refused:
        assert entry.bpmn_element_id == "convene"
        assert entry.actor == "worker:khcn.council.convene"
        assert entry.details["conflicts"]


async def test_no_application_reaches_the_threshold_and_the_call_reopens(clock_system):
    run = new_run(clock_system, experts=10, applicants=2)
    await through_task_list(run, method="selection")
    first = await selection_round(run, 1, {0: 65, 1: 60})  # nobody reaches 70
    second = await selection_round(run, 2, {0: 72, 1: 88})  # the call published again
    await run.user_task(
        "appraiseBudget", {"approvedBudget": 900_000_000, "appraisalNote": ""}, role="staff"
    )
    approval = await run.user_task(
        "approveSelection",
        {"selectionDecisionNumber": "77/QĐ-SKHCN", "selectionDecisionDate": await run.today()},
        role="leader",
    )
    assert approval.variables["selectedApplicationId"] == second[1]
    await run.until(lambda: bool(entries_of(run, "contract.prepare")), "the contract drawn up")
    with run.db() as session:
        task = run.task(session)
        calls = session.scalars(
            select(Call).where(Call.items.any(task_id=task.id)).order_by(Call.id)
        ).all()
        assert len(calls) == 2
        assert calls[0].status is CallStatus.CLOSED
        assert calls[1].reopens_call_id == calls[0].id
        statuses = {
            a.id: (a.status, a.average_score)
            for a in session.scalars(select(Application).where(Application.task_id == task.id))
        }
        assert statuses[first[0]] == (ApplicationStatus.NOT_RECOMMENDED, 65.0)
        assert statuses[first[1]] == (ApplicationStatus.NOT_RECOMMENDED, 60.0)
        assert statuses[second[0]] == (ApplicationStatus.RECOMMENDED, 72.0)
        assert statuses[second[1]] == (ApplicationStatus.SELECTED, 88.0)
        councils = session.scalars(
            select(Council).where(Council.task_id == task.id, Council.type == CouncilType.SELECTION)
        ).all()
        assert len(councils) == 2  # one council per round of the call
        sheets = session.scalars(
            select(ScoreSheet).where(ScoreSheet.application_id.in_(first + second))
        ).all()
        assert len(sheets) == 7 * 4
        assert {sum(s.as_mapping().values()) for s in sheets if s.application_id == second[1]} == {
            88.0
        }
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None
        winner = session.get(Application, second[1])
        assert winner is not None and task.host_organisation_id == winner.organisation_id
    [reopened] = entries_of(run, "selection.reopen_call")
    assert reopened.bpmn_element_id == "reopenCall"
    assert reopened.details["reason"] == "NO_QUALIFIED_APPLICATION"
    ranks = entries_of(run, "selection.rank")
    assert [e.details["winner"] for e in ranks] == [None, second[1]]
    assert all(e.bpmn_element_id == "rankApplications" for e in ranks)
    await clock_system.zb.client.cancel_process_instance(run.key)


# --------------------------------------------------------------------------- step 3


async def test_progress_report_and_an_approved_extension(clock_system):
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None
        ends_on, contract_id = contract.ends_on, contract.id

    # six months pass: the periodic report falls due for the host's scientists
    await run.waiting_at("implementation.plan", "awaitFinalReport")
    await run.advance_days(6 * MONTH_DAYS)
    await run.user_task(
        "submitProgressReport",
        {"progressPercent": 35, "reportSummary": "Hoàn thành khảo sát thực địa"},
        role="scientist",
    )
    await run.until(lambda: bool(entries_of(run, "implementation.record_report")), "report")
    with run.db() as session:
        first = session.scalar(
            select(ProgressReport).where(
                ProgressReport.task_id == run.task(session).id, ProgressReport.period == 1
            )
        )
        assert first is not None and first.submitted_at is not None
        assert "khảo sát thực địa" in first.summary
    [recorded] = entries_of(run, "implementation.record_report")
    assert recorded.bpmn_element_id == "recordProgressReport"
    assert recorded.details["progress_percent"] == 35

    # the host asks for three more months (through the portal), the leader grants six
    request_id = run.write(
        lambda session: (
            implementation_service.request_change(
                session=session,
                task_id=run.task(session).id,
                kind=ChangeKind.EXTENSION,
                reason="Thời tiết bất thường ảnh hưởng vụ thí nghiệm",
                requested_end_date=add_months(ends_on, 3),
            ).id
        )
    )
    await run.message(
        "khcn.implementation.change-requested", changeRequestId=request_id, changeKind="extension"
    )
    await run.user_task("reviewChange", {"changeReviewNote": "Có cơ sở"}, role="staff")
    await run.user_task(
        "decideChange",
        {"changeApproved": True, "extensionMonths": 6, "changeDecisionNote": "Đồng ý gia hạn"},
        role="leader",
    )
    await run.until(lambda: bool(entries_of(run, "implementation.decide_change")), "decided")
    with run.db() as session:
        request = session.get(ChangeRequest, request_id)
        contract = session.get(Contract, contract_id)
        task = run.task(session)
        assert request is not None and request.status is DecisionStatus.APPROVED
        assert contract is not None and contract.ends_on == add_months(ends_on, 6)
        assert task.end_date == contract.ends_on
        assert contract.status is ContractStatus.SIGNED
    [decided] = entries_of(run, "implementation.decide_change")
    assert decided.bpmn_element_id == "applyChange"
    assert decided.details["approved"] is True
    # mailed after the commit: wait for it
    approved = await run.until(
        lambda: [m for m in clock_system.inbox.messages if "Chấp thuận" in m["Subject"]],
        "the decision mailed",
    )
    assert len(approved) == 1 and run.task_code in approved[0]["Subject"]
    assert f"{contract.ends_on:%d/%m/%Y}" in approved[0].get_content()
    # the work goes on: still waiting for the final report
    view = await run.root_view()
    assert view["state"] == "ACTIVE"
    await clock_system.zb.client.cancel_process_instance(run.key)


# --------------------------------------------------------------------------- step 4


async def test_acceptance_not_passed_ends_the_task_as_failed(clock_system):
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    await final_report(run)
    # 4 of 9 rate Đạt, 5 Không đạt: fewer than 3/4 rate Đạt or better
    await acceptance_council(run, lambda i: "pass" if i < 4 else "fail")
    await run.ended()
    with run.db() as session:
        task = run.task(session)
        assert task.status is TaskStatus.FAILED
        assert task.stage is Stage.ACCEPTANCE
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None
        assert dossier.council_rating is Rating.FAIL and dossier.final_rating is Rating.FAIL
        assert dossier.decision_number is None  # no acceptance decision for a failed task
        assert not session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.id)
        ).all()
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeFailed"
    assert closed.details["outcome"] == "failed"
    [result] = entries_of(run, "acceptance.record_result")
    assert result.details["rating"] == "fail"
    assert result.details["ratingCounts"] == {
        "presentCount": 9,
        "excellentCount": 0,
        "passCount": 4,
    }
    failed = [m for m in clock_system.inbox.messages if "Không đạt" in m["Subject"]]
    assert len(failed) == 1 and run.task_code in failed[0]["Subject"]


# --------------------------------------------------------------------------- step 5


async def test_late_registration_escalates_to_the_leader(clock_system):
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    stored = await final_report(run)
    await acceptance_council(run, lambda i: "pass")
    decided_on = await run.today()
    await run.user_task(
        "approveAcceptance",
        {"acceptanceDecisionNumber": "90/QĐ-SKHCN", "acceptanceDecisionDate": decided_on},
        role="leader",
    )
    await run.until(lambda: bool(entries_of(run, "registration.deadline")), "the deadline")
    [first] = entries_of(run, "registration.deadline")
    deadline = first.details["registrationDeadline"]
    assert date.fromisoformat(deadline[:10]) == date.fromisoformat(decided_on) + timedelta(30)

    # thirty days pass without the registration dossier: the leader is asked to instruct
    await run.advance_past(deadline)
    escalation = await run.user_task(
        "escalateRegistrationDelay",
        {"extensionDays": 45, "instruction": "Đề nghị tổ chức chủ trì khẩn trương đăng ký"},
        role="leader",
    )
    assert escalation.variables["registrationDeadline"] == deadline
    await run.until(lambda: len(entries_of(run, "registration.deadline")) == 2, "a new deadline")
    second = entries_of(run, "registration.deadline")[1]
    assert second.details["escalated"] is True and second.details["extensionDays"] == 45
    assert second.details["registrationDeadline"] > deadline
    assert second.bpmn_element_id == "computeRegistrationDeadline"
    extended = [m for m in clock_system.inbox.messages if "Gia hạn đăng ký" in m["Subject"]]
    assert len(extended) == 1 and run.task_code in extended[0]["Subject"]

    await run.message("khcn.registration.dossier-submitted", documentIds=[stored])
    await run.user_task(
        "checkRegistration", {"registrationValid": True, "missingDocuments": ""}, role="staff"
    )
    view = await run.ended()
    with run.db() as session:
        task = run.task(session)
        assert task.status is TaskStatus.CLOSED
        [registration] = session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.id)
        )
        assert registration.certificate_number == view["variables"]["certificateNumber"]
        assert registration.published_on is not None


async def test_late_acceptance_council_escalates_and_meets_again(clock_system):
    """15 working days pass without the council's conclusion: the leader instructs, a new
    deadline is set and the council is convened again. The leader's `extensionDays` then
    reaches step 5 too (call activities copy every variable): registration keeps its 30 days."""
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    await final_report(run)
    await run.user_task(
        "checkDossier", {"dossierValid": True, "missingDocuments": ""}, role="staff"
    )
    late = await run.take("reviewAcceptance")  # the members get their tasks ... and sit on them
    assert len(late) == 9
    [first] = entries_of(run, "acceptance.council_deadline")
    deadline = first.details["councilDeadline"]
    await run.advance_past(deadline)
    escalation = await run.user_task(
        "escalateCouncilDelay",
        {"extensionDays": 40, "instruction": "Khẩn trương họp hội đồng"},
        role="leader",
    )
    assert escalation.variables["councilDeadline"] == deadline
    await run.until(lambda: len(entries_of(run, "acceptance.council_deadline")) == 2, "extended")
    second = entries_of(run, "acceptance.council_deadline")[1]
    assert second.details["escalated"] is True and second.details["extensionDays"] == 40
    assert second.details["councilDeadline"] > deadline
    assert second.bpmn_element_id == "computeCouncilDeadline"
    with run.db() as session:
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == run.task(session).id)
        )
        assert dossier is not None and dossier.council_due_on is not None
        assert dossier.council_due_on.isoformat() == second.details["councilDeadline"][:10]

    # the council meets this time; the same council, its members asked again
    again = await acceptance_council_again(run)
    assert {j.variables["assignment"]["memberId"] for j in again} == {
        j.variables["assignment"]["memberId"] for j in late
    }
    decided_on = await run.today()
    await run.user_task(
        "approveAcceptance",
        {"acceptanceDecisionNumber": "91/QĐ-SKHCN", "acceptanceDecisionDate": decided_on},
        role="leader",
    )
    await run.until(lambda: bool(entries_of(run, "registration.deadline")), "step 5 started")
    [registration] = entries_of(run, "registration.deadline")
    assert registration.details["escalated"] is False
    due = date.fromisoformat(decided_on) + timedelta(30)
    assert registration.details["registrationDeadline"][:10] == due.isoformat()
    with run.db() as session:
        task = run.task(session)
        councils = session.scalars(
            select(Council).where(
                Council.task_id == task.id, Council.type == CouncilType.ACCEPTANCE
            )
        ).all()
        assert len(councils) == 1
        assert task.status is TaskStatus.ACCEPTED
    await clock_system.zb.client.cancel_process_instance(run.key)


async def acceptance_council_again(run: Run) -> list:
    """The reconvened acceptance council: everyone rates Đạt and attends."""
    jobs = await run.council_reviews("reviewAcceptance", lambda job: {"rating": "pass"})
    await run.attendance()
    return jobs


# --------------------------------------------------------------------------- engine reset


async def _to_council_deadline(system) -> tuple[Run, int]:
    """A task of its own up to the acceptance council's deadline; the deadline job's instance."""
    run = new_run(system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    await final_report(run)
    await run.user_task(
        "checkDossier", {"dossierValid": True, "missingDocuments": ""}, role="staff"
    )
    [job] = (await run.take("reviewAcceptance"))[:1]
    return run, job.process_instance_key


async def test_a_fresh_engine_on_the_same_domain_database_keeps_tasks_apart(
    database_kind, clock_domain_url, smtp_inbox, make_database_url, tmp_path
):
    """Keys restart when the engine's state is new (a reset, or a move from the embedded
    engine to a Zeebe cluster) while the domain database stays: each task still gets its own
    acceptance deadline."""
    inbox, port = smtp_inbox
    runs = []
    for _ in range(2):
        proc = EngineProcess(make_database_url(database_kind), extra_args=["--clock", "controlled"])
        proc.start()
        try:
            async with running_system(
                proc.address, clock_domain_url, inbox, port, tmp_path / "documents"
            ) as system:
                run, key = await _to_council_deadline(system)
                runs.append((run, key))
                await system.zb.client.cancel_process_instance(run.key)
        finally:
            proc.stop()
    (first, first_key), (second, second_key) = runs
    if first_key != second_key:
        pytest.skip("the two engines did not hand out the same keys: nothing to show")
    assert len(entries_of(first, "acceptance.council_deadline")) == 1
    assert len(entries_of(second, "acceptance.council_deadline")) == 1
