"""The branches of `khcn-task`, end to end, one test per failure branch of the law: the real
workers, the embedded engine on a controlled clock, people answering as the inbox will.

Each test runs on its own engine and domain database (`clock_system`): the workers read the
engine's clock, and a clock moved months ahead by one test would carry the next one's dates.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.acceptance import AcceptanceDossier
from models.calls import Application, Call
from models.contracts import Contract
from models.councils import Council, CouncilItem, CouncilMember, Meeting
from models.decisions import Decision, Restriction
from models.enums import (
    AcademicTitle,
    ApplicationStatus,
    ChangeKind,
    ContractStatus,
    CouncilType,
    DecisionKind,
    DecisionStatus,
    MeetingStatus,
    ProposalStatus,
    Rating,
    RestrictionReason,
    Stage,
    TaskStatus,
)
from models.implementation import ChangeRequest, Inspection
from models.people import Affiliation, Organisation, Person
from models.proposals import Proposal
from models.rules import add_months
from models.services import implementation as implementation_service
from tests.support.system import clock_domain_url, clock_system, database_kind, smtp_inbox
from tests.workers import data_councils as data
from tests.workers.scenario import (
    Run,
    acceptance_council,
    appraisal,
    direct_dossier,
    final_report,
    make_cast,
    selection_council,
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


def task_state(run: Run) -> tuple[Stage, TaskStatus]:
    """Where the run's task stands."""
    with run.db() as session:
        task = run.task(session)
        return task.stage, task.status


# --------------------------------------------------------------------------- step 1


async def test_proposal_rejected_at_screening_closes_it(clock_system):
    run = new_run(clock_system, experts=0, user_side=0, applicants=0)
    await run.start()
    await run.screen("rejected", note="Không thuộc lĩnh vực ưu tiên")
    await run.ended()
    with run.db() as session:
        proposal = session.get(Proposal, run.cast.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.REJECTED
    assert task_state(run) == (Stage.TASK_LIST, TaskStatus.CANCELLED)
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeRejected"
    outcome = [m for m in run.mails_to(run.cast.proposer_email) if "Kết quả xét" in m["Subject"]]
    assert len(outcome) == 1 and "sàng lọc" in outcome[0].get_content()


async def test_meeting_without_the_scientific_secretary_is_held_again(clock_system):
    """NĐ 08/2014 Đ33.1: no quorum without the secretary, even with everyone else; the
    meeting is held again and the members vote at the new meeting."""
    run = new_run(clock_system, experts=10, user_side=0, applicants=0)
    await run.start()
    await run.screen("passed")
    await run.confirm()
    await run.reviews()
    with run.db() as session:
        task = run.task(session)
        council = session.scalar(
            select(Council).join(CouncilItem).where(CouncilItem.task_id == task.id)
        )
        assert council is not None
        secretary = next(m.id for m in council.members if m.role.value == "secretary")
    first = await run.attendance(lambda members: [m for m in members if m != secretary])
    assert first.variables["meetingAt"]
    second = await run.attendance()
    assert second.variables["meetingAt"] > first.variables["meetingAt"]
    await run.ballots("castAdvisoryBallot", lambda job: {"vote": "approve"})
    await run.user_task(
        "approveList",
        {"listApproved": False, "method": "selection", "decisionNote": "Chưa cấp thiết"},
        role="leader",
    )
    await run.ended()
    with run.db() as session:
        meetings = session.scalars(
            select(Meeting).where(Meeting.council_id == council.id).order_by(Meeting.id)
        ).all()
        assert [m.status for m in meetings] == [MeetingStatus.NO_QUORUM, MeetingStatus.HELD]
    opened = entries_of(run, "meeting.open")
    assert [e.details["quorum"] for e in opened] == [False, True]
    assert any("thư ký" in reason for reason in opened[0].details["reasons"])
    assert entries_of(run, "meeting.reschedule")


# --------------------------------------------------------------------------- step 2


async def selection_round(run: Run, call_round: int, totals: dict[int, int]) -> list[int]:
    """One round of the call: hosts apply, the call closes, staff open the dossiers, the
    council scores (application index → every member's total)."""
    call_id, closes_at = await run.call_published(call_round)
    application_ids = run.apply(call_id)
    await run.advance_past(closes_at)
    await run.user_task(
        "openApplications",
        {"validApplicationIds": application_ids, "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    by_application = {a: totals[i] for i, a in enumerate(application_ids)}
    await selection_council(run, by_application)
    return application_ids


async def test_conflict_of_interest_appointment_refused(clock_system):
    """The applicants' investigators and a colleague of theirs, first in line by seniority,
    are never proposed for the selection council (TT 20/2023 Đ8.2)."""
    run = new_run(clock_system, experts=9, applicants=2, applicant_experts=True)
    with clock_system.sessions() as session, session.begin():
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
    with run.db() as session:
        task = run.task(session)
        council = session.scalar(
            select(Council)
            .join(CouncilItem)
            .where(CouncilItem.task_id == task.id, Council.type == CouncilType.SELECTION)
        )
        assert council is not None and len(council.members) == 7
        assert not {m.person_id for m in council.members} & barred
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
    assert {e.details["person_id"] for e in refused} >= barred
    assert all(e.bpmn_element_id == "proposeCouncil" for e in refused)
    await clock_system.zb.client.cancel_process_instance(run.key)


async def test_the_call_is_published_once_more_then_the_task_has_no_host(clock_system):
    """TT 20/2023 Đ3.3: no application reaches 70 in the first round, so the call is published
    a second time within 6 months; when the second round fails too the task stops (NO_HOST)."""
    run = new_run(clock_system, experts=10, applicants=2)
    await through_task_list(run, method="selection")
    await selection_round(run, 1, {0: 65, 1: 60})
    await selection_round(run, 2, {0: 62, 1: 66})
    await run.ended()
    assert task_state(run)[1] is TaskStatus.CANCELLED
    ends = entries_of(run, "selection.round_end")
    assert [e.details["recall_allowed"] for e in ends] == [True, False]
    assert {e.details["reason"] for e in ends} == {"no_qualified_application"}
    with run.db() as session:
        task = run.task(session)
        calls = session.scalars(
            select(Call).where(Call.items.any(task_id=task.id)).order_by(Call.id)
        ).all()
        assert len(calls) == 2 and calls[1].reopens_call_id == calls[0].id
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeCancelled"


async def test_a_host_that_never_signs_loses_the_assignment(clock_system):
    """TT 20/2023 Đ17.2: the approval is cancelled when the host does not sign; a direct
    assignment cannot be called again, so the task stops."""
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    application_id = await direct_dossier(run)
    await run.user_task("openApplications", {"validApplicationIds": [application_id]}, role="staff")
    await selection_council(run, {application_id: 80})
    await appraisal(run)
    await run.user_task(
        "approveSelection",
        {"selectionDecisionNumber": "88", "selectionDecisionDate": await run.today()},
        role="leader",
    )
    await run.waiting_at("contract.prepare", "awaitSignedContract")
    await run.advance_days(11)  # a reminder
    await run.until(
        lambda: any("Nhắc ký hợp đồng" in m["Subject"] for m in clock_system.inbox.messages),
        "the signature reminder",
    )
    await run.advance_days(25)  # the 30 days pass
    await run.ended()
    assert task_state(run)[1] is TaskStatus.CANCELLED
    with run.db() as session:
        task = run.task(session)
        assert session.scalar(select(Contract).where(Contract.task_id == task.id)) is None
        assert task.host_organisation_id is None
        application = session.get(Application, application_id)
        assert application is not None and application.status is ApplicationStatus.NOT_RECOMMENDED
        [decision] = session.scalars(
            select(Decision).where(Decision.kind == DecisionKind.SELECTION_APPROVAL)
        )
        assert decision.number == "88/QĐ-UBND"  # numbered by the signer of the edition
    [cancelled] = entries_of(run, "selection.cancel")
    assert "ký hợp đồng" in cancelled.details["reason"]
    [end] = entries_of(run, "selection.round_end")
    assert end.details == {**end.details, "recall_allowed": False, "reason": "result_cancelled"}


# --------------------------------------------------------------------------- step 3


async def test_an_extension_is_granted_once(clock_system):
    """TT 04/2015 Đ12: one extension, at most 6 months for a 24-month task, asked a month
    before the end; a second one is refused."""
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None
        ends_on, task_id, contract_id = contract.ends_on, task.id, contract.id
    today = date.fromisoformat(await run.today())
    request_id = run.write(
        lambda session: (
            implementation_service.request_change(
                session=session,
                task_id=task_id,
                kind=ChangeKind.EXTENSION,
                reason="Thời tiết bất thường ảnh hưởng vụ thí nghiệm",
                requested_on=today,
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
        {"changeApproved": True, "extensionMonths": 6, "changeDecisionNote": "Đồng ý"},
        role="leader",
    )
    approved = await run.until(
        lambda: [m for m in clock_system.inbox.messages if "Chấp thuận" in m["Subject"]],
        "the decision mailed",
    )
    with run.db() as session:
        request = session.get(ChangeRequest, request_id)
        contract = session.get(Contract, contract_id)
        assert request is not None and request.status is DecisionStatus.APPROVED
        assert contract is not None and contract.ends_on == add_months(ends_on, 6)
    assert f"{contract.ends_on:%d/%m/%Y}" in approved[0].get_content()
    # a second extension is refused when filed
    try:
        run.write(
            lambda session: implementation_service.request_change(
                session=session,
                task_id=task_id,
                kind=ChangeKind.EXTENSION,
                reason="Thêm thời gian",
                requested_on=today,
                requested_end_date=add_months(ends_on, 9),
            )
        )
    except Exception as err:  # noqa: BLE001 - the domain error is what is shown
        assert "đã được gia hạn" in str(err)
    else:
        raise AssertionError("a second extension was accepted")
    await clock_system.zb.client.cancel_process_instance(run.key)


async def test_an_inspection_finding_a_violation_terminates_the_contract(clock_system):
    """TT 04/2015 Đ6, Đ22: the yearly inspection finds a violation; the task is suspended,
    the leader terminates the contract with a refund; host and investigator are barred."""
    run = new_run(clock_system, experts=10, applicants=0)
    # approved in 2025 before October: the task follows the 2014 edition
    await through_task_list(run, method="direct", decided_on="2025-06-16")
    await through_direct_selection(run)
    await run.waiting_at("implementation.plan", "gwAwaitFinal")
    await run.advance_days(12 * MONTH_DAYS)  # the yearly inspection (TT 04/2015 Đ6.1)
    await run.user_task(
        "inspect",
        {"inspectionResult": "violation", "inspectionNote": "Sử dụng kinh phí sai mục đích"},
        role="staff",
    )
    await run.until(lambda: task_state(run)[1] is TaskStatus.SUSPENDED, "the suspension")
    await run.user_task(
        "decideTermination",
        {
            "terminate": True,
            "terminationDecisionNumber": "77/QĐ-UBND",
            "terminationDecisionDate": await run.today(),
            "refundAmount": 200_000_000,
            "terminationNote": "Chấm dứt hợp đồng",
        },
        role="leader",
    )
    await run.ended()
    assert task_state(run)[1] is TaskStatus.TERMINATED
    with run.db() as session:
        task = run.task(session)
        assert task.edition == "2014"
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None and contract.status is ContractStatus.TERMINATED
        assert contract.refund_amount == 200_000_000 and contract.suspended_on is not None
        [inspection] = session.scalars(select(Inspection).where(Inspection.task_id == task.id))
        assert inspection.conclusion.value == "violation"
        reasons = {
            r.reason
            for r in session.scalars(select(Restriction).where(Restriction.task_id == task.id))
        }
        assert reasons == {RestrictionReason.TERMINATED, RestrictionReason.REFUND_OUTSTANDING}
    assert any("Tạm dừng" in m["Subject"] for m in clock_system.inbox.messages)
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeTerminated"


async def test_no_final_report_within_six_months_fails_the_task(clock_system):
    """TT 11/2014 Đ7.1, Đ13.1c: the dossier is due 30 days after the contract; the host is
    reminded; more than 6 months late, the task is Không đạt and the host barred (Đ15.4)."""
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    with run.db() as session:
        contract = session.scalar(select(Contract).where(Contract.task_id == run.task(session).id))
        assert contract is not None
        ends_on = contract.ends_on
    today = date.fromisoformat(await run.today())
    await run.advance_days((ends_on - today).days + 31)  # the due day passes: a reminder
    await run.until(
        lambda: any("Quá hạn nộp" in m["Subject"] for m in clock_system.inbox.messages),
        "the host reminded",
    )
    await run.advance_days(7 * MONTH_DAYS)
    await run.ended(timeout=60)
    assert task_state(run)[1] is TaskStatus.FAILED
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeLate"
    overdue = entries_of(run, "wait.overdue")
    assert overdue[-1].details["give_up"] is True and not overdue[0].details["give_up"]
    with run.db() as session:
        assert session.scalars(
            select(Restriction).where(Restriction.task_id == run.task(session).id)
        ).all()


# --------------------------------------------------------------------------- step 4


async def test_acceptance_not_passed_refund_record_and_bar(clock_system):
    """TT 11/2014 Đ13.2b: 4 of 9 rate Không đạt, more than 1/3: Không đạt; staff record the
    work done and the refund (Đ15.2), host and investigator are barred (Đ15.4)."""
    run = new_run(clock_system, experts=10, applicants=0)
    await through_task_list(run, method="direct")
    await through_direct_selection(run)
    await final_report(run)
    await acceptance_council(run, lambda i: "fail" if i < 4 else "pass")
    await run.user_task(
        "settleFailure",
        {"workDone": "Hoàn thành khảo sát, chưa có quy trình", "refundAmount": 300_000_000},
        role="staff",
    )
    await run.ended()
    with run.db() as session:
        task = run.task(session)
        assert task.status is TaskStatus.FAILED
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None
        assert dossier.council_rating is Rating.FAIL and dossier.refund_amount == 300_000_000
        assert dossier.decision_number is None
        barred = session.scalars(select(Restriction).where(Restriction.task_id == task.id)).all()
        assert {r.reason for r in barred} == {
            RestrictionReason.FAILED_ACCEPTANCE,
            RestrictionReason.REFUND_OUTSTANDING,
        }
    [result] = entries_of(run, "acceptance.record_result")
    assert result.details["rating"] == "fail"
    [closed] = entries_of(run, "task.close")
    assert closed.bpmn_element_id == "closeFailed"
