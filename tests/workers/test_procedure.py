"""One S&T task from proposal to recognised result: `khcn-task` on the embedded engine (with a
controlled clock), every worker of workers/ running, people answering through the portal's
inbox (each item's form validated and run through its model service, tests/support/system.py).

The corrected flow, as the law orders it: the councils are proposed by the system, confirmed
by staff and established by a numbered decision; members review before the meeting and cast
secret ballots at it, counted by a committee of three; direct assignment goes through a
council scoring the dossier and the five-member appraisal team (TT 20/2023 Đ21, Đ13); after
Đạt the host completes the dossier, the chair confirms, the results are registered, then
recognised, then the contract is liquidated (TT 11/2014 Đ13.3, Đ17).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models.acceptance import AcceptanceDossier, AcceptanceRating
from models.audit import AuditEntry
from models.calls import Application, Call
from models.contracts import Contract
from models.councils import Council, CouncilItem, Meeting, Review, ScoreSheet, Vote
from models.decisions import Decision
from models.documents import DossierDocument
from models.enums import (
    ApplicationStatus,
    CallStatus,
    ContractStatus,
    CouncilRole,
    CouncilType,
    CountingRole,
    DecisionKind,
    DocumentKind,
    Issuer,
    MeetingStatus,
    ProposalStatus,
    Rating,
    Stage,
    TaskStatus,
)
from models.implementation import ProgressReport
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.services.documents import read_file
from tests.support.system import clock_domain_url, clock_system, database_kind, smtp_inbox
from tests.workers.scenario import (
    Run,
    acceptance_council,
    appraisal,
    approve_and_sign,
    complete_dossier,
    direct_dossier,
    docx_text,
    final_report,
    make_cast,
    register_and_recognise,
    selection_council,
)

__all__ = ["clock_domain_url", "clock_system", "database_kind", "smtp_inbox"]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def by_action(entries, action):
    """The audit entries of one action."""
    return [e for e in entries if e.action == action]


def council_of(session, task_id: int, kind: CouncilType) -> Council:
    """The task's council of a kind (through its agenda)."""
    council = session.scalar(
        select(Council)
        .join(CouncilItem, CouncilItem.council_id == Council.id)
        .where(CouncilItem.task_id == task_id, Council.type == kind)
        .order_by(Council.id.desc())
    )
    assert council is not None, kind
    return council


@pytest.mark.parametrize("method", ["selection", "direct"])
async def test_one_task_from_proposal_to_recognised_result(clock_system, method):
    system = clock_system
    by_call = method == "selection"
    with system.sessions() as session, session.begin():
        cast = make_cast(session, experts=12, applicants=2 if by_call else 0)
    run = Run(system, cast)
    await run.start()

    # ---------------------------------------------------------------- step 1: task list
    # screening sends the proposal back once; the applicant files the revised proposal
    await run.screen("revise", note="Bổ sung dự toán kinh phí chi tiết")
    await run.until(
        lambda: any("bổ sung" in m["Subject"] for m in run.mails_to(cast.proposer_email)),
        "the revision request mailed",
    )
    await run.message("khcn.proposal.revised", revisedDocumentIds=[])
    await run.screen("passed")
    code = run.task_code
    assert code.startswith("NV-2026-")

    # the advisory council: proposed, confirmed by a decision, reviews, meeting, ballots
    confirm = await run.confirm()
    proposed = confirm.variables["proposedMembers"]
    assert len(proposed) == 7  # TT 06/2023 Đ10.2: 7–11
    reviews = await run.reviews()
    assert len(reviews) == 7 and {j.assignee for j in reviews}
    await run.attendance()
    ballots = await run.ballots("castAdvisoryBallot", lambda job: {"vote": "approve"})
    assert len(ballots) == 7
    invited = [m for m in system.inbox.messages if "Mời tham gia" in m["Subject"]]
    assert len(invited) == 7 and all(code in m.get_content() for m in invited)
    await run.approve_list(method=method, number="125/QĐ-UBND")
    await run.until(lambda: _has(run, "task_list.publish"), "the task on the published list")
    with run.db() as session:
        task = run.task(session)
        assert task.edition == "2025" and task.edition_bound_on is not None
        proposal = session.get(Proposal, cast.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.APPROVED
        council = council_of(session, task.id, CouncilType.ADVISORY)
        assert council.decision_number and council.established_on is not None
        roles = sorted(m.role.value for m in council.members)
        assert roles.count("chair") == roles.count("secretary") == 1
        [item] = [i for i in council.items if i.task_id == task.id]
        assert len(item.reviewers) == 2  # two reviewers per proposal (TT 06/2023 Đ10.2)
        [meeting] = session.scalars(select(Meeting).where(Meeting.council_id == council.id))
        assert meeting.status is MeetingStatus.HELD
        tellers = [a for a in meeting.attendance if a.counting_role is not None]
        assert len(tellers) == 3 and sum(a.counting_role is CountingRole.HEAD for a in tellers) == 1
        votes = session.scalars(select(Vote).where(Vote.proposal_id == cast.proposal_id)).all()
        assert len(votes) == 7 and all(v.meeting_id == meeting.id for v in votes)
        assert session.scalars(select(Review).where(Review.proposal_id == cast.proposal_id)).all()
        [decision] = session.scalars(
            select(Decision).where(Decision.kind == DecisionKind.LIST_APPROVAL)
        )
        assert decision.number == "125/QĐ-UBND" and decision.issuer is Issuer.PEOPLE_COMMITTEE
        [bound] = by_action(run.audit(session), "task.bind_edition")
        assert bound.details["edition"] == "2025"

    # ---------------------------------------------------------------- step 2
    if by_call:
        winner = await _open_call(run)
    else:
        winner = await _direct(run)
    await appraisal(run, budget=850_000_000)
    await approve_and_sign(run, number="34/QĐ-UBND")
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None and contract.status is ContractStatus.SIGNED
        assert contract.value == 850_000_000
        assert sum(t.amount for t in contract.tranches) == contract.value
        application = session.get(Application, winner)
        assert application is not None and application.status is ApplicationStatus.SELECTED
        assert task.host_organisation_id == application.organisation_id
        team = council_of(session, task.id, CouncilType.APPRAISAL)
        assert len(team.members) == 5  # TT 20/2023 Đ8.4
        selection = council_of(session, task.id, CouncilType.SELECTION)
        key = {m.person_id for m in selection.members if m.role is not CouncilRole.MEMBER}
        assert {m.person_id for m in team.members} & key
        [document] = session.scalars(
            select(DossierDocument).where(
                DossierDocument.application_id == application.id,
                DossierDocument.kind == DocumentKind.CONTRACT,
                DossierDocument.stored_file.has(content_type=DOCX),
            )
        )
        text = docx_text(read_file(root=system.documents_dir, stored=document.stored_file))
        assert contract.number.split("/")[0] in text and "thành phố Huế" in text
        assert task.status is TaskStatus.IN_PROGRESS

    # ---------------------------------------------------------------- step 3
    await run.waiting_at("implementation.plan", "gwAwaitFinal")
    await run.advance_days(6 * 31)
    job = await run.user_task(
        "submitProgressReport",
        {"progressPercent": 30, "reportSummary": "Hoàn thành khảo sát"},
        role="scientist",
    )
    # progress reports go to the task's leader, not to every scientist
    with run.db() as session:
        task = run.task(session)
        from models.users import User

        leader = session.scalar(
            select(User.username).where(User.person_id == task.principal_investigator_id)
        )
    assert job.assignee == leader
    await run.until(lambda: _has(run, "implementation.record_report"), "the report recorded")
    with run.db() as session:
        first = session.scalar(
            select(ProgressReport).where(
                ProgressReport.task_id == run.task(session).id, ProgressReport.period == 1
            )
        )
        assert first is not None and first.submitted_at is not None
    final_id = await final_report(run)

    # ---------------------------------------------------------------- step 4
    await run.user_task(
        "checkDossier",
        {"dossierValid": False, "missingDocuments": "Báo cáo tóm tắt"},
        role="staff",
    )
    await run.until(lambda: _has(run, "acceptance.validate_dossier"), "the dossier sent back")
    await run.message("khcn.acceptance.dossier-revised", documentIds=[final_id])
    # 7 Xuất sắc and 2 Đạt of 9: at least 3/4 Xuất sắc and nobody Không đạt (TT 11/2014 Đ13.2a)
    await acceptance_council(run, lambda i: "excellent" if i < 7 else "pass")
    await run.until(lambda: _has(run, "acceptance.record_result"), "the verdict recorded")
    with run.db() as session:
        task = run.task(session)
        council = council_of(session, task.id, CouncilType.ACCEPTANCE)
        assert len(council.members) == 9
        assert sum(m.user_side for m in council.members) == 3  # TT 11/2014 Đ9.3a
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None and dossier.council_rating is Rating.EXCELLENT
        assert dossier.completion_due_on is not None and dossier.completed_on is None
        rows = session.scalars(
            select(AcceptanceRating).where(AcceptanceRating.task_id == task.id)
        ).all()
        assert len(rows) == 9 and all(r.meeting_id is not None for r in rows)
    await complete_dossier(run)

    # ---------------------------------------------------------------- step 5
    await register_and_recognise(run, decision="56/QĐ-UBND")
    view = await run.ended()
    certificate = view["variables"]["certificateNumber"]
    with run.db() as session:
        task = run.task(session)
        assert (task.stage, task.status) == (Stage.REGISTRATION, TaskStatus.CLOSED)
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None and dossier.decision_number == "56/QĐ-UBND"
        assert dossier.final_rating is Rating.EXCELLENT
        decision = next(d for d in dossier.documents if d.kind is DocumentKind.DECISION)
        text = docx_text(read_file(root=system.documents_dir, stored=decision.stored_file))
        assert "56/QĐ-UBND" in text and "CHỦ TỊCH" in text
        [registration] = session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.id)
        )
        assert registration.certificate_number == certificate
        assert registration.published_on is not None
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None and contract.status is ContractStatus.LIQUIDATED
        # the law's order: completed dossier, certificate, recognition, liquidation
        order = [
            e.action
            for e in run.audit(session)
            if e.action
            in (
                "acceptance.confirm_completion",
                "registration.issue_certificate",
                "decision.recognition",
                "contract.close",
            )
        ]
        assert order == [
            "acceptance.confirm_completion",
            "registration.issue_certificate",
            "decision.recognition",
            "contract.close",
        ]
        workers = [e for e in run.audit(session) if e.actor.startswith("worker:")]
        assert workers and all(e.bpmn_element_id and e.process_instance_key for e in workers)
        assert all(e.job_key for e in workers)
    assert not await run.incidents()


async def _open_call(run: Run) -> int:
    """Step 2 by the open call up to the ranking: the winning application's id."""
    call_id, closes_at = await run.call_published()
    today = date.fromisoformat(await run.today())
    closes = datetime.fromisoformat(closes_at)
    assert (closes.date() - today).days >= 30 and closes.utcoffset() == timedelta(hours=7)
    application_ids = run.apply(call_id)
    await run.waiting_at("call.open", "timerCallClosed")
    await run.advance_past(closes_at)
    opening = await run.user_task(
        "openApplications",
        {"validApplicationIds": application_ids, "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    assert {o["value"] for o in opening.variables["applicationOptions"]} == set(application_ids)
    totals = dict(zip(application_ids, (82, 68), strict=True))  # 68 stays below 70
    ballots = await selection_council(run, totals)
    assert len(ballots) == 7 * 2  # every member present scores every dossier
    await run.until(lambda: _has(run, "selection.rank"), "the applications ranked")
    with run.db() as session:
        statuses = {
            a.id: (a.status, a.average_score)
            for a in session.scalars(select(Application).where(Application.call_id == call_id))
        }
        assert statuses[application_ids[1]] == (ApplicationStatus.NOT_RECOMMENDED, 68.0)
        assert statuses[application_ids[0]] == (ApplicationStatus.RECOMMENDED, 82.0)
        call = session.get(Call, call_id)
        assert call is not None and call.status is CallStatus.CLOSED
        sheets = session.scalars(
            select(ScoreSheet).where(ScoreSheet.application_id.in_(application_ids))
        ).all()
        assert len(sheets) == 14 and not any(s.void for s in sheets)
        [ranked] = by_action(run.audit(session), "selection.rank")
        assert ranked.details["winner"] == application_ids[0]
    return application_ids[0]


async def _direct(run: Run) -> int:
    """Direct assignment: the host files its dossier, the council scores it (TT 20/2023 Đ21)."""
    application_id = await direct_dossier(run)
    await run.user_task(
        "openApplications",
        {"validApplicationIds": [application_id], "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    await selection_council(run, {application_id: 78})
    await run.until(lambda: _has(run, "selection.rank"), "the dossier scored")
    with run.db() as session:
        application = session.get(Application, application_id)
        assert application is not None
        assert application.organisation_id == run.cast.proposer_org_id
        assert application.average_score == 85.8  # 78 and the proposing organisation's 10 %
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "council.count")
        ).all()
        assert entries
    return application_id


def _has(run: Run, action: str) -> bool:
    with run.db() as session:
        return action in run.actions(session)
