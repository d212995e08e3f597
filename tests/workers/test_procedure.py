"""One S&T task from proposal to published result: `khcn-task` on the embedded engine (with a
controlled clock), every worker of workers/ running, people answering as the portal will.

At each step the test checks the domain rows, the audit log (who, what, from which BPMN
element), the documents and the e-mails. Step 2 runs both ways: by the open call (tuyển chọn:
the call published, two hosts apply, the call closes a month later, staff open the dossiers,
the selection council scores them, the budget is appraised and the leader approves the winner)
and by direct assignment (giao trực tiếp: the proposer hosts). Six months into step 3 the host
reports too little progress and staff inspect. The workers read the engine's clock (see
workers/clock.py), so every date they compute follows the clock the test moves.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models.acceptance import AcceptanceDossier, AcceptanceRating
from models.calls import Application, Call
from models.contracts import Contract
from models.councils import Attendance, Council, Meeting, Vote
from models.documents import DossierDocument
from models.enums import (
    ApplicationStatus,
    CallStatus,
    ContractStatus,
    CouncilRole,
    CouncilType,
    DocumentKind,
    DossierStatus,
    MeetingStatus,
    Method,
    ProposalStatus,
    Rating,
    Stage,
    TaskMemberRole,
    TaskStatus,
)
from models.implementation import ProgressReport
from models.people import Organisation
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.services.documents import read_file
from models.tasks import TaskMember
from models.users import User
from tests.support.system import clock_domain_url, clock_system, database_kind, smtp_inbox
from tests.workers.scenario import Run, docx_text, make_cast, scores

__all__ = ["clock_domain_url", "clock_system", "database_kind", "smtp_inbox"]


def by_action(entries, action):
    """The audit entries of one action."""
    return [e for e in entries if e.action == action]


@pytest.mark.parametrize("method", ["selection", "direct"])
async def test_one_task_from_proposal_to_published_result(clock_system, method):
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
    revision = next(m for m in run.mails_to(cast.proposer_email) if "bổ sung" in m["Subject"])
    assert "Bổ sung dự toán kinh phí chi tiết" in revision.get_content()
    await run.message("khcn.proposal.revised", revisedDocumentIds=[])
    screen = await run.screen("passed")
    code = run.task_code
    assert code.startswith("NV-2026-")
    assert screen.variables["proposalTitle"]
    with run.db() as session:
        task = run.task(session)
        assert (task.stage, task.status) == (Stage.TASK_LIST, TaskStatus.APPROVED)
        assert task.proposal_id == cast.proposal_id
        [sent_back] = [
            e
            for e in by_action(run.audit(session), "proposal.screen")
            if e.details.get("result") == "revise"
        ]
        assert sent_back.bpmn_element_id == "requestRevision"
        [registered] = by_action(run.audit(session), "proposal.register")
        assert registered.bpmn_element_id == "registerProposal"
        assert registered.actor == "worker:khcn.proposal.register"
        assert registered.process_instance_key == screen.process_instance_key
    received = run.mails_to(cast.proposer_email)
    assert any(code in m["Subject"] and "tiếp nhận" in m["Subject"] for m in received)

    reviews = await run.advisory_council("approve")
    assert len(reviews) == 7  # the advisory council: 7 members, one review each
    assignees = {job.variables["assignment"]["assignee"] for job in reviews}
    assert len(assignees) == 7
    invited = [m for m in system.inbox.messages if "Mời tham gia" in m["Subject"]]
    assert len(invited) == 7 and all(code in m.get_content() for m in invited)
    await run.approve_list(method=method, number="12/QĐ-SKHCN")

    await run.until(lambda: _listed(run), "the task on the published list")
    with run.db() as session:
        task = run.task(session)
        proposal = session.get(Proposal, cast.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.APPROVED
        assert task.method is (Method.SELECTION if by_call else Method.DIRECT)
        council = session.scalar(
            select(Council).where(Council.task_id == task.id, Council.type == CouncilType.ADVISORY)
        )
        assert council is not None
        roles = sorted(m.role.value for m in council.members)
        assert len(roles) == 7 and roles.count("reviewer") == 2 and "chair" in roles
        # each review task was assigned to the member's own user
        usernames = set(
            session.scalars(
                select(User.username).where(
                    User.person_id.in_([m.person_id for m in council.members])
                )
            )
        )
        assert usernames == assignees
        assert {m.person_id for m in council.members} <= set(cast.expert_ids)
        [meeting] = session.scalars(select(Meeting).where(Meeting.council_id == council.id))
        assert meeting.status is MeetingStatus.HELD
        present = session.scalars(
            select(Attendance).where(Attendance.meeting_id == meeting.id)
        ).all()
        assert sum(a.present for a in present) == 7
        votes = session.scalars(select(Vote).where(Vote.proposal_id == cast.proposal_id)).all()
        assert len(votes) == 7 and all(v.in_favour for v in votes)
        actions = run.actions(session)
        for action in (
            "council.create",
            "council.appoint",
            "task_list.approve",
            "task_list.publish",
        ):
            assert action in actions, (action, actions)
        [published] = by_action(run.audit(session), "task_list.publish")
        assert published.bpmn_element_id == "publishList"
        assert published.details["published_at"]
    # mailed after the commit: wait for it
    await run.until(
        lambda: any("danh mục" in m["Subject"] for m in run.mails_to(cast.proposer_email)),
        "the approval mailed",
    )

    # ---------------------------------------------------------------- step 2: selection
    winner = await _open_call(run) if by_call else None
    await run.user_task(
        "appraiseBudget",
        {"approvedBudget": 850_000_000, "appraisalNote": "Phù hợp định mức"},
        role="staff",
    )
    approval = await run.user_task(
        "approveSelection",
        {
            "selectionDecisionNumber": "34/QĐ-SKHCN",
            "selectionDecisionDate": await run.today(),
            "decisionNote": "Tuyển chọn" if by_call else "Giao trực tiếp",
        },
        role="leader",
    )
    if winner is not None:
        assert approval.variables["selectedApplicationId"] == winner
    contract_number = await run.until(lambda: _contract_number(run), "the contract drawn up")
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None
        assert contract.status is ContractStatus.DRAFT and contract.value == 850_000_000
        # the contract runs from the engine's today (after the call's month, by the call)
        assert 0 <= (date.fromisoformat(await run.today()) - contract.starts_on).days <= 1
        application = session.scalar(
            select(Application).where(
                Application.task_id == task.id,
                Application.status == ApplicationStatus.SELECTED,
            )
        )
        assert application is not None
        if winner is not None:
            assert application.id == winner
            assert contract.organisation_id == cast.applicants[0][0] == task.host_organisation_id
        else:
            assert contract.organisation_id == cast.proposer_org_id == task.host_organisation_id
        host = session.get(Organisation, contract.organisation_id)
        assert host is not None and host.email
        host_email = host.email
        pi = session.scalar(
            select(TaskMember).where(
                TaskMember.task_id == task.id,
                TaskMember.role == TaskMemberRole.PRINCIPAL_INVESTIGATOR,
            )
        )
        assert pi is not None
        if winner is not None:
            assert pi.person_id == cast.applicants[0][1]
        [document] = session.scalars(
            select(DossierDocument).where(
                DossierDocument.application_id == application.id,
                DossierDocument.kind == DocumentKind.CONTRACT,
                DossierDocument.stored_file.has(content_type=_DOCX),
            )
        )
        text = docx_text(read_file(root=system.documents_dir, stored=document.stored_file))
        assert contract_number.split("/")[0] in text and code in text
        [prepared] = by_action(run.audit(session), "contract.prepare")
        assert prepared.bpmn_element_id == "prepareContract"
        chosen_by = "selection.rank" if by_call else "selection.assign_direct"
        assert chosen_by in run.actions(session)
        assert "selection.approve" in run.actions(session)

    # ten days without the signed contract: the host is reminded
    await run.waiting_at("contract.prepare", "awaitSignedContract")
    host_mails = len(system.inbox.messages)
    await run.advance_days(11)
    await run.until(
        lambda: any("Nhắc ký hợp đồng" in m["Subject"] for m in system.inbox.messages),
        "the signature reminder",
    )
    reminder = next(m for m in system.inbox.messages if "Nhắc ký hợp đồng" in m["Subject"])
    assert code in reminder["Subject"] and contract_number in reminder.get_content()
    assert host_email in reminder["To"]
    assert len(system.inbox.messages) > host_mails

    signed_id = run.store(b"hop dong da ky", "hop-dong-da-ky.pdf")
    await run.message("khcn.contract.signed", signedContractDocumentId=signed_id)

    # ---------------------------------------------------------------- step 3: implementation
    await run.until(lambda: _reports_planned(run), "the progress reports planned")
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None and contract.status is ContractStatus.SIGNED
        assert sum(t.amount for t in contract.tranches) == contract.value
        assert (task.stage, task.status) == (Stage.IMPLEMENTATION, TaskStatus.IN_PROGRESS)
        reports = session.scalars(
            select(ProgressReport).where(ProgressReport.task_id == task.id)
        ).all()
        assert len(reports) >= 3  # a 24-month contract: a report every 6 months
        assert all(r.due_on.weekday() < 5 for r in reports)  # on working days
        [plan] = by_action(run.audit(session), "implementation.plan")
        assert plan.bpmn_element_id == "planReports"
        assert "contract.sign" in run.actions(session)

    # six months on, the host reports far less progress than the time spent: staff inspect
    await run.waiting_at("implementation.plan", "awaitFinalReport")
    await run.advance_days(6 * 31)
    await run.user_task(
        "submitProgressReport",
        {"progressPercent": 3, "reportSummary": "Mới hoàn thành khảo sát ban đầu"},
        role="scientist",
    )
    inspection = await run.user_task(
        "inspect",
        {"inspectionResult": "behind", "inspectionNote": "Chậm tiến độ, yêu cầu bổ sung nhân lực"},
        role="staff",
    )
    assert inspection.variables["inspectionNeeded"] is True
    with run.db() as session:
        task = run.task(session)
        first = session.scalar(
            select(ProgressReport).where(
                ProgressReport.task_id == task.id, ProgressReport.period == 1
            )
        )
        assert first is not None and first.submitted_at is not None
        assert "khảo sát ban đầu" in first.summary
        [recorded] = by_action(run.audit(session), "implementation.record_report")
        assert recorded.bpmn_element_id == "recordProgressReport"
        assert recorded.details["inspection_needed"] is True
        # a quarter of the 24 months spent (engine time), 3 % done
        assert recorded.details["progress_percent"] == 3

    final_id = run.store(b"bao cao tong ket", "bao-cao-tong-ket.pdf")
    await run.message("khcn.implementation.final-report", finalReportDocumentId=final_id)

    # ---------------------------------------------------------------- step 4: acceptance
    # the dossier lacks the summary report once; the host completes it
    await run.user_task(
        "checkDossier",
        {"dossierValid": False, "missingDocuments": "Báo cáo tóm tắt"},
        role="staff",
    )
    await run.until(
        lambda: _has(run, "acceptance.request_revision"), "the acceptance dossier sent back"
    )
    assert any("Báo cáo tóm tắt" in m.get_content() for m in run.mails_to(host_email))
    summary_id = run.store(b"bao cao tom tat", "bao-cao-tom-tat.pdf")
    await run.message("khcn.acceptance.dossier-revised", documentIds=[summary_id])
    await run.user_task(
        "checkDossier", {"dossierValid": True, "missingDocuments": ""}, role="staff"
    )
    ratings = await run.council_reviews(
        "reviewAcceptance", lambda job: {"rating": "excellent", "comment": "Xuất sắc"}
    )
    assert len(ratings) == 9  # the acceptance council: 9 members
    invited = [m for m in system.inbox.messages if "Mời tham gia" in m["Subject"]]
    assert len(invited) == 7 + (7 if by_call else 0) + 9
    await run.attendance()
    decision_number = "56/QĐ-SKHCN"
    await run.user_task(
        "approveAcceptance",
        {"acceptanceDecisionNumber": decision_number, "acceptanceDecisionDate": await run.today()},
        role="leader",
    )
    with run.db() as session:
        task = run.task(session)
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None and dossier.status is DossierStatus.VALID
        assert dossier.council_due_on is not None
        assert dossier.council_rating is Rating.EXCELLENT
        council = session.scalar(
            select(Council).where(
                Council.task_id == task.id, Council.type == CouncilType.ACCEPTANCE
            )
        )
        assert council is not None and len(council.members) == 9
        assert sum(m.role is CouncilRole.REVIEWER for m in council.members) == 2
        rows = session.scalars(
            select(AcceptanceRating).where(AcceptanceRating.task_id == task.id)
        ).all()
        assert len(rows) == 9 and {r.rating for r in rows} == {Rating.EXCELLENT}
        [result] = by_action(run.audit(session), "acceptance.record_result")
        assert result.bpmn_element_id == "recordAcceptanceResult"
        assert result.details["rating"] == "excellent"
    assert any("Xuất sắc" in m["Subject"] for m in run.mails_to(host_email))

    # ---------------------------------------------------------------- step 5: registration
    await run.until(lambda: _decided(run), "the acceptance decision recorded")
    await run.message("khcn.registration.dossier-submitted", documentIds=[final_id])
    # the registration dossier lacks the authors' agreement once
    await run.user_task(
        "checkRegistration",
        {"registrationValid": False, "missingDocuments": "Thỏa thuận của các tác giả"},
        role="staff",
    )
    await run.until(
        lambda: _has(run, "registration.request_revision"), "the registration sent back"
    )
    agreement_id = run.store(b"thoa thuan tac gia", "thoa-thuan-tac-gia.pdf")
    await run.message("khcn.registration.dossier-revised", documentIds=[agreement_id])
    await run.user_task(
        "checkRegistration", {"registrationValid": True, "missingDocuments": ""}, role="staff"
    )
    view = await run.ended()
    assert view["variables"]["certificateNumber"]
    certificate = view["variables"]["certificateNumber"]
    with run.db() as session:
        task = run.task(session)
        assert (task.stage, task.status) == (Stage.REGISTRATION, TaskStatus.CLOSED)
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == task.id)
        )
        assert dossier is not None
        assert dossier.decision_number == decision_number
        assert dossier.final_rating is Rating.EXCELLENT
        decision = next(d for d in dossier.documents if d.kind is DocumentKind.DECISION)
        assert "56" in docx_text(read_file(root=system.documents_dir, stored=decision.stored_file))
        [registration] = session.scalars(
            select(ResultRegistration).where(ResultRegistration.task_id == task.id)
        )
        assert registration.certificate_number == certificate
        assert registration.certificate_issued_on is not None
        assert registration.published_on is not None  # listed on the public portal
        cert_doc = next(
            d
            for d in registration.documents
            if d.kind is DocumentKind.CERTIFICATE and d.stored_file.content_type == _DOCX
        )
        assert certificate in docx_text(
            read_file(root=system.documents_dir, stored=cert_doc.stored_file)
        )
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        assert contract is not None and contract.status is ContractStatus.LIQUIDATED
        entries = run.audit(session)
        [issued] = by_action(entries, "registration.issue_certificate")
        assert issued.bpmn_element_id == "issueCertificate"
        assert by_action(entries, "registration.publish")[0].bpmn_element_id == "publishResults"
        assert by_action(entries, "registration.archive")[0].bpmn_element_id == "archiveResults"
        assert by_action(entries, "contract.close")[0].bpmn_element_id == "closeContract"
        [closed] = by_action(entries, "task.close")
        assert closed.details["outcome"] == "completed"
        assert closed.bpmn_element_id == "closeCompleted"
        # every decision a worker took names its BPMN element and process instance
        workers = [e for e in entries if e.actor.startswith("worker:")]
        assert workers and all(e.bpmn_element_id and e.process_instance_key for e in workers)
    subjects = [m["Subject"] for m in run.mails_to(host_email)]
    assert any(certificate in m.get_content() for m in run.mails_to(host_email))
    assert any("Công bố kết quả" in s for s in subjects), subjects
    assert not await run.incidents()


async def _open_call(run: Run) -> int:
    """Step 2 by the open call, up to the council's ranking: the winning application's id."""
    call_id, closes_at = await run.call_published()
    today = date.fromisoformat(await run.today())
    closes = datetime.fromisoformat(closes_at)
    # open for a month from the engine's today (the workers' clock), till 17:00 Vietnam time
    assert (closes.date() - today).days >= 30 and closes.utcoffset() == timedelta(hours=7)
    with run.db() as session:
        call = session.get(Call, call_id)
        assert call is not None and call.status is CallStatus.OPEN
        assert call.opens_on == today
    application_ids = run.apply(call_id)
    # four weeks on, the call is still open: step 2 waits for its closing
    await run.waiting_at("call.open", "timerCallClosed")
    await run.advance_days(28)
    await run.waiting_at("call.open", "timerCallClosed")
    await run.advance_past(closes_at)
    opening = await run.user_task(
        "openApplications",
        {"validApplicationIds": application_ids, "openingNote": "Hồ sơ hợp lệ"},
        role="staff",
    )
    assert opening.variables["callId"] == call_id
    totals = dict(zip(application_ids, (82, 68), strict=True))  # 68 stays below the 70 mark
    reviews = await run.council_reviews(
        "reviewSelection",
        lambda job: {**scores(totals[job.variables["assignment"]["applicationId"]]), "comment": ""},
    )
    assert len(reviews) == 7 * len(application_ids)  # every member scores every dossier
    await run.attendance()
    await run.until(lambda: _has(run, "selection.rank"), "the applications ranked")
    with run.db() as session:
        statuses = {
            a.id: (a.status, a.average_score)
            for a in session.scalars(select(Application).where(Application.call_id == call_id))
        }
        assert statuses[application_ids[1]] == (ApplicationStatus.NOT_RECOMMENDED, 68.0)
        assert statuses[application_ids[0]][1] == 82.0
        call = session.get(Call, call_id)
        assert call is not None and call.status is CallStatus.CLOSED
        council = session.scalar(
            select(Council).where(Council.call_id == call_id, Council.type == CouncilType.SELECTION)
        )
        assert council is not None and len(council.members) == 7
        [ranked] = by_action(run.audit(session), "selection.rank")
        assert ranked.bpmn_element_id == "rankApplications"
        assert ranked.details["winner"] == application_ids[0]
    return application_ids[0]


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _has(run: Run, action: str) -> bool:
    with run.db() as session:
        return action in run.actions(session)


def _listed(run: Run) -> bool:
    with run.db() as session:
        return "task_list.publish" in run.actions(session)


def _contract_number(run: Run) -> str | None:
    with run.db() as session:
        task = run.task(session)
        contract = session.scalar(select(Contract).where(Contract.task_id == task.id))
        return contract.number if contract is not None else None


def _reports_planned(run: Run) -> bool:
    with run.db() as session:
        return "implementation.plan" in run.actions(session)


def _decided(run: Run) -> bool:
    with run.db() as session:
        dossier = session.scalar(
            select(AcceptanceDossier).where(AcceptanceDossier.task_id == run.task(session).id)
        )
        return dossier is not None and dossier.decision_number is not None
