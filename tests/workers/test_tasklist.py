"""Step 1 end to end: `khcn-task-list` (and `khcn-task` for closing) with the real workers.

Staff screen, the advisory council reviews and votes, the leader approves the list, exactly as
the portal completes the user tasks; the tests check the task and proposal rows, the audit log
and the mails to the applicant.
"""

import asyncio
import re
from typing import Any

from pyzeebe import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.enums import Field, Method, ProposalStatus, Stage, TaskStatus
from models.proposals import Proposal
from models.tasks import Task
from tests.support.system import System, complete_user_task
from tests.support.zeebe import await_instance_state, create_instance
from tests.support.zeebe_events import await_waiting_at, publish
from tests.workers.data_councils import (
    complete_reviews,
    in_session,
    instance_variables,
    make_experts,
    make_proposal,
)
from workers import tasklist
from workers.runtime import make_deps

FIELD = Field.AGRICULTURAL


def new_proposal(session: Session) -> dict[str, Any]:
    """A submitted proposal (and enough experts of its field for the advisory council)."""
    make_experts(session, FIELD, 7)
    proposal = make_proposal(session, FIELD)
    assert proposal.proposer_person is not None and proposal.proposer_organisation is not None
    return {
        "id": proposal.id,
        "person": proposal.proposer_person.email,
        "organisation": proposal.proposer_organisation.email,
    }


def task_of(session: Session, proposal_id: int) -> Task:
    """The task registered for a proposal."""
    task = session.scalar(select(Task).where(Task.proposal_id == proposal_id))
    assert task is not None
    return task


def actions(session: Session, task_id: int) -> list[str]:
    """The audit actions of a task, oldest first."""
    stmt = select(AuditEntry.action).where(AuditEntry.task_id == task_id).order_by(AuditEntry.id)
    return list(session.scalars(stmt))


def entry(session: Session, task_id: int, action: str) -> AuditEntry:
    """The one audit entry of an action for a task."""
    (found,) = session.scalars(
        select(AuditEntry).where(AuditEntry.task_id == task_id, AuditEntry.action == action)
    )
    return found


def subjects(system: System, address: str) -> list[str]:
    """Subjects of the mails one address received."""
    return [str(m["Subject"]) for m in system.inbox.to(address)]


async def advisory_council(system: System, votes: list[str]) -> None:
    """The called advisory council: every member votes, everyone comes to the meeting."""
    answers = iter(votes)
    assignments = await complete_reviews(
        system,
        None,
        "reviewAdvisory",
        lambda a: {"vote": next(answers), "comment": f"Nhận xét của {a['memberName']}"},
        len(votes),
    )
    await complete_user_task(
        system,
        None,
        "recordAttendance",
        {"presentMemberIds": [a["memberId"] for a in assignments], "meetingNote": ""},
        role="staff",
    )


async def test_screened_reviewed_approved_and_published(system: System) -> None:
    applicant = in_session(system, new_proposal)
    created = await create_instance(
        system.zb.stub, "khcn-task-list", {"proposalId": applicant["id"]}
    )
    key = created.processInstanceKey
    await complete_user_task(
        system,
        key,
        "screenProposal",
        {"screeningResult": "passed", "screeningNote": "Đề xuất đầy đủ, đúng định hướng"},
        role="staff",
    )
    await advisory_council(system, ["approve"] * 7)
    await complete_user_task(
        system,
        key,
        "approveList",
        {
            "listApproved": True,
            "method": "direct",
            "listDecisionNumber": "15/QĐ-SKHCN",
            "decisionNote": "Giao trực tiếp cho đơn vị đề xuất",
        },
        role="leader",
    )
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)
    out = await instance_variables(system, key)
    assert re.fullmatch(r"NV-2026-\d{3}", out["taskCode"])
    assert out["councilRecommended"] is True
    assert out["listPublishedAt"].endswith("+07:00")

    def check(session: Session) -> None:
        task = task_of(session, applicant["id"])
        assert task.code == out["taskCode"]
        assert task.method is Method.DIRECT
        assert (task.stage, task.status) == (Stage.TASK_LIST, TaskStatus.APPROVED)
        proposal = session.get(Proposal, applicant["id"])
        assert proposal is not None and proposal.status is ProposalStatus.APPROVED
        assert proposal.screening_note == "Đề xuất đầy đủ, đúng định hướng"
        done = actions(session, task.id)
        for action in (
            "proposal.register",
            "council.create",
            "council.conclude",
            "task_list.approve",
            "task_list.publish",
        ):
            assert action in done, action
        assert done.index("proposal.register") < done.index("task_list.publish")
        approved = entry(session, task.id, "task_list.approve")
        assert approved.details == {"method": "direct", "decision_number": "15/QĐ-SKHCN"}
        assert approved.bpmn_element_id == "publishList"
        published = entry(session, task.id, "task_list.publish")
        assert published.details["published_at"] == out["listPublishedAt"]
        registered = entry(session, task.id, "proposal.register")
        assert registered.process_instance_key == key

    in_session(system, check)
    for address in (applicant["person"], applicant["organisation"]):
        mails = subjects(system, address)
        assert any("Đã tiếp nhận đề xuất" in s for s in mails), mails
        assert any("được phê duyệt vào danh mục" in s for s in mails), mails


async def test_screening_rejected_closes_the_task(system: System) -> None:
    applicant = in_session(system, new_proposal)
    created = await create_instance(system.zb.stub, "khcn-task", {"proposalId": applicant["id"]})
    key = created.processInstanceKey
    await complete_user_task(
        system,
        None,
        "screenProposal",
        {"screeningResult": "rejected", "screeningNote": "Trùng với nhiệm vụ đã thực hiện"},
        role="staff",
    )
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)

    def check(session: Session) -> None:
        task = task_of(session, applicant["id"])
        assert task.status is TaskStatus.CANCELLED
        proposal = session.get(Proposal, applicant["id"])
        assert proposal is not None and proposal.status is ProposalStatus.REJECTED
        assert proposal.screening_note == "Trùng với nhiệm vụ đã thực hiện"
        closed = entry(session, task.id, "task.close")
        assert closed.details == {"outcome": "rejected", "status": "cancelled"}
        assert (closed.bpmn_element_id, closed.process_instance_key) == ("closeRejected", key)
        assert "council.create" not in actions(session, task.id)

    in_session(system, check)
    mails = subjects(system, applicant["person"])
    assert any("Kết quả xét đề xuất" in s for s in mails), mails


async def test_council_not_recommending_closes_the_proposal(system: System) -> None:
    applicant = in_session(system, new_proposal)
    created = await create_instance(system.zb.stub, "khcn-task", {"proposalId": applicant["id"]})
    key = created.processInstanceKey
    await complete_user_task(
        system, None, "screenProposal", {"screeningResult": "passed"}, role="staff"
    )
    # 5 of 7 present approve: 5/7 is not more than 3/4
    await advisory_council(system, ["approve"] * 5 + ["reject"] * 2)
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)
    out = await instance_variables(system, key)
    assert out["councilRecommended"] is False

    def check(session: Session) -> None:
        task = task_of(session, applicant["id"])
        assert task.status is TaskStatus.CANCELLED
        proposal = session.get(Proposal, applicant["id"])
        assert proposal is not None and proposal.status is ProposalStatus.NOT_RECOMMENDED
        assert entry(session, task.id, "task.close").details["outcome"] == "rejected"

    in_session(system, check)


async def test_revision_requested_then_resubmitted(system: System) -> None:
    applicant = in_session(system, new_proposal)
    created = await create_instance(
        system.zb.stub, "khcn-task-list", {"proposalId": applicant["id"]}
    )
    key = created.processInstanceKey
    note = "Đề nghị bổ sung dự toán kinh phí chi tiết"
    await complete_user_task(
        system,
        key,
        "screenProposal",
        {"screeningResult": "revise", "screeningNote": note},
        role="staff",
    )
    await await_waiting_at(system.zb.admin, key, "gwAwaitRevision", timeout=20)
    code = (await instance_variables(system, key))["taskCode"]
    revision_mails = [
        m for m in system.inbox.to(applicant["person"]) if "bổ sung, chỉnh sửa" in m["Subject"]
    ]
    assert len(revision_mails) == 1 and note in revision_mails[0].get_content()

    await publish(
        system.zb.stub,
        "khcn.proposal.revised",
        code,
        ttl_ms=60_000,
        variables={"revisedDocumentIds": [1]},
    )
    # back to screening; this time the proposal is turned down
    await complete_user_task(
        system,
        key,
        "screenProposal",
        {"screeningResult": "rejected", "screeningNote": "Vẫn chưa đạt"},
        role="staff",
    )
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)

    def check(session: Session) -> None:
        task = task_of(session, applicant["id"])
        (screened,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.task_id == task.id, AuditEntry.action == "proposal.screen"
            )
        )
        assert screened.details == {"result": "revise", "note": note}
        assert screened.bpmn_element_id == "requestRevision"
        assert actions(session, task.id).count("proposal.register") == 1

    in_session(system, check)


async def test_task_codes_are_numbered_per_year(system: System) -> None:
    first = in_session(system, new_proposal)["id"]
    second = in_session(system, new_proposal)["id"]
    keys = []
    for proposal_id in (first, second):
        created = await create_instance(
            system.zb.stub, "khcn-task-list", {"proposalId": proposal_id}
        )
        keys.append(created.processInstanceKey)
        await await_waiting_at(system.zb.admin, keys[-1], "screenProposal", timeout=20)
    codes = [(await instance_variables(system, k))["taskCode"] for k in keys]
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes]
    assert numbers[1] == numbers[0] + 1
    for k in keys:
        await system.zb.client.cancel_process_instance(k)


async def test_redelivered_jobs_change_nothing(system: System) -> None:
    # register and publish called twice with the same job, as after a lost completion
    applicant = in_session(system, new_proposal)
    deps = make_deps(system.settings.workers())
    handlers = {t.type: t.original_function for t in tasklist.router(deps).tasks}

    async def twice(job_type: str, element: str, **variables: Any) -> dict[str, Any]:
        job = Job(
            key=7,
            type=job_type,
            process_instance_key=4343,
            bpmn_process_id="khcn-task-list",
            process_definition_version=1,
            process_definition_key=1,
            element_id=element,
            element_instance_key=7,
            custom_headers={},
            worker="test",
            retries=3,
            deadline=0,
            variables={},
        )
        first = await asyncio.to_thread(handlers[job_type], job=job, **variables)
        again = await asyncio.to_thread(handlers[job_type], job=job, **variables)
        assert again == first
        return first

    registered = await twice(tasklist.REGISTER, "registerProposal", proposalId=applicant["id"])
    code = registered["taskCode"]

    def recommend(session: Session) -> None:
        proposal = session.get(Proposal, applicant["id"])
        assert proposal is not None
        proposal.status = ProposalStatus.RECOMMENDED

    in_session(system, recommend)
    published = await twice(
        tasklist.PUBLISH, "publishList", taskCode=code, method="selection", listDecisionNumber="7"
    )
    assert published["listPublishedAt"].endswith("+07:00")

    def check(session: Session) -> None:
        (task,) = session.scalars(select(Task).where(Task.proposal_id == applicant["id"]))
        assert task.code == code and task.method is Method.SELECTION
        done = actions(session, task.id)
        assert done.count("proposal.register") == 1
        assert done.count("task_list.publish") == 1

    in_session(system, check)
    deps.sessions.kw["bind"].dispose()
