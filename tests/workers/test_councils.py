"""The council workers driven through the real `khcn-council-review` process.

Each test starts `khcn-council-review` with the variables a step passes (taskCode,
councilType, validApplicationIds), completes the reviews as each assigned member and the
attendance as staff, and checks the domain rows, the audit log and the mails.
"""

import asyncio
from datetime import UTC, date, datetime, time
from typing import Any

from pyzeebe import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceRating
from models.audit import AuditEntry
from models.calls import Application
from models.councils import Council, CouncilMember, Meeting, Review, ScoreSheet, Vote
from models.enums import (
    AcademicTitle,
    ApplicationStatus,
    CouncilRole,
    CouncilStatus,
    CouncilType,
    Field,
    MeetingStatus,
    ProposalStatus,
    Rating,
    ReviewOpinion,
    Stage,
)
from models.proposals import Proposal
from models.rules import VIETNAM
from models.services import councils as council_service
from models.tasks import Task
from tests.support.system import System, complete_user_task
from tests.support.zeebe import await_instance_state, create_instance
from tests.support.zeebe_events import await_waiting_at
from tests.workers.data_councils import (
    complete_reviews,
    expert_user,
    in_session,
    instance_variables,
    make_applicant,
    make_applications,
    make_experts,
    make_organisation,
    make_task,
)
from workers import councils
from workers.clock import VIETNAM_TZ, WallClock
from workers.runtime import make_deps

PROCESS = "khcn-council-review"
STANDARD_ROLES = {
    CouncilRole.CHAIR: 1,
    CouncilRole.VICE_CHAIR: 1,
    CouncilRole.REVIEWER: 2,
    CouncilRole.SECRETARY: 1,
}


async def start(system: System, **variables: Any) -> int:
    """Start the council process as a step's call activity would."""
    created = await create_instance(system.zb.stub, PROCESS, variables)
    return created.processInstanceKey


async def convened(system: System, key: int, review_element: str) -> dict[str, Any]:
    """Wait until the members review; the variables convene returned."""
    await await_waiting_at(system.zb.admin, key, review_element, timeout=20)
    return await instance_variables(system, key)


async def attend(system: System, key: int, present: list[Any]) -> None:
    """Staff record who came to the meeting."""
    await complete_user_task(
        system,
        key,
        "recordAttendance",
        {"presentMemberIds": present, "meetingNote": "Họp tại phòng họp Sở"},
        role="staff",
    )


def council_of(session: Session, council_id: int) -> Council:
    """The council row, loaded fresh."""
    council = session.get(Council, council_id)
    assert council is not None
    return council


def audit(session: Session, action: str, **where: Any) -> list[AuditEntry]:
    """Audit entries of an action, optionally filtered by column values."""
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, column) == value)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def role_counts(council: Council) -> dict[CouncilRole, int]:
    """How many members hold each role."""
    counts: dict[CouncilRole, int] = {}
    for m in council.members:
        counts[m.role] = counts.get(m.role, 0) + 1
    return counts


async def test_advisory_council_votes_and_recommends(system: System) -> None:
    field = Field.SOCIAL_SCIENCES

    def build(session: Session) -> tuple[str, int, int]:
        make_experts(session, field, 8)
        task = make_task(session, field)
        proposal = session.get(Proposal, task.proposal_id)
        assert proposal is not None
        # the proposer is an expert of the field too: refused on the council of their proposal
        proposer = make_applicant(
            session,
            field,
            expert=True,
            academic_title=AcademicTitle.PROFESSOR,
        )
        proposal.proposer_person_id = proposer.id
        return task.code, task.id, proposer.id

    code, task_id, proposer_id = in_session(system, build)
    key = await start(system, taskCode=code, councilType="advisory", screeningNote="Đạt")
    v = await convened(system, key, "reviewAdvisory")

    assignments = v["reviewAssignments"]
    assert len(assignments) == 7 == len(v["memberOptions"])
    assert {a["applicationId"] for a in assignments} == {None}
    assert v["meetingAt"].endswith("+07:00")
    assert [o["value"] for o in v["memberOptions"]] == [a["memberId"] for a in assignments]
    # six approve, one rejects: 6/7 > 3/4
    rejecter = assignments[-1]["memberId"]
    for a in assignments:
        vote = "reject" if a["memberId"] == rejecter else "approve"
        await complete_user_task(
            system,
            key,
            "reviewAdvisory",
            {"vote": vote, "comment": f"Ý kiến của {a['memberName']}"},
            role="council",
            assignee=a["assignee"],
        )
    await attend(system, key, [str(o["value"]) for o in v["memberOptions"]])
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)
    out = await instance_variables(system, key)
    assert out["councilRecommended"] is True
    assert out["quorumMet"] is True and out["presentCount"] == 7

    def check(session: Session) -> None:
        council = council_of(session, v["councilId"])
        assert council.type is CouncilType.ADVISORY and council.task_id == task_id
        assert council.status is CouncilStatus.CONCLUDED
        assert role_counts(council) == {**STANDARD_ROLES, CouncilRole.MEMBER: 2}
        assert proposer_id not in {m.person_id for m in council.members}
        # the assignee of each review is the member's own user
        for a in assignments:
            member = session.get(CouncilMember, a["memberId"])
            assert member is not None and member.council_id == council.id
            assert expert_user(session, member.person).username == a["assignee"]
        (meeting,) = council.meetings
        assert meeting.status is MeetingStatus.HELD
        assert sum(a.present for a in meeting.attendance) == 7
        votes = list(session.scalars(select(Vote).where(Vote.meeting_id == meeting.id)))
        assert sorted(v.in_favour for v in votes) == [False] + [True] * 6
        task = session.get(Task, task_id)
        assert task is not None
        reviews = list(
            session.scalars(select(Review).where(Review.proposal_id == task.proposal_id))
        )
        assert len(reviews) == 7
        proposal = session.get(Proposal, task.proposal_id)
        assert proposal is not None and proposal.status is ProposalStatus.RECOMMENDED
        (created,) = audit(session, "council.create", entity_id=council.id)
        assert created.process_instance_key == key and created.bpmn_element_id == "convene"
        assert len(audit(session, "council.appoint", process_instance_key=key)) == 7
        (refused,) = audit(session, "council.appoint_refused", process_instance_key=key)
        assert refused.details["person_id"] == proposer_id
        assert "proposer" in refused.details["conflicts"]
        assert audit(session, "proposal.screen", task_id=None, entity_id=proposal.id)
        (opened,) = audit(session, "meeting.open", entity_id=meeting.id)
        assert opened.details["quorum"] is True and opened.bpmn_element_id == "checkQuorum"
        assert audit(session, "council.vote", entity_id=proposal.id)
        (concluded,) = audit(session, "council.conclude", entity_id=council.id)
        assert concluded.details == {"councilRecommended": True}
        assert concluded.bpmn_element_id == "tally"

    in_session(system, check)
    invitations = [m for m in system.inbox.messages if "Mời tham gia" in m["Subject"]]
    assert len(invitations) == 7
    assert code in invitations[0].get_content()


async def test_acceptance_council_without_quorum_is_rescheduled(system: System) -> None:
    field = Field.MEDICAL_PHARMACEUTICAL

    def build(session: Session) -> dict[str, Any]:
        experts = make_experts(session, field, 10)
        host = make_organisation(session)
        pi = make_applicant(
            session, field, organisation=host, expert=True, academic_title=AcademicTitle.PROFESSOR
        )
        task = make_task(
            session,
            field,
            stage=Stage.ACCEPTANCE,
            host=host,
            principal_investigator=pi,
        )
        # one of the experts sat on the task's advisory council (TT 11/2014 wants one again)
        earlier = council_service.create_council(
            session=session, type=CouncilType.ADVISORY, name="Hội đồng tư vấn", task_id=task.id
        )
        chair = council_service.appoint_council_member(
            session=session,
            council_id=earlier.id,
            person_id=experts[-1].id,
            role=CouncilRole.CHAIR,
        )
        council_service.submit_review(
            session=session,
            member_id=chair.id,
            opinion=ReviewOpinion.APPROVE,
            submitted_on=date(2025, 11, 3),
            proposal_id=task.proposal_id,
        )
        earlier.status = CouncilStatus.CONCLUDED
        return {"code": task.code, "task_id": task.id, "pi": pi.id, "earlier": experts[-1].id}

    data = in_session(system, build)
    key = await start(system, taskCode=data["code"], councilType="acceptance")
    v = await convened(system, key, "reviewAcceptance")
    assignments = v["reviewAssignments"]
    assert len(assignments) == 9
    ratings = ["excellent"] * 6 + ["pass"] * 2 + ["fail"]
    by_member = {a["memberId"]: r for a, r in zip(assignments, ratings, strict=True)}
    for a in assignments:
        await complete_user_task(
            system,
            key,
            "reviewAcceptance",
            {"rating": by_member[a["memberId"]], "comment": "Sản phẩm đạt yêu cầu"},
            role="council",
            assignee=a["assignee"],
        )

    def roles(session: Session) -> dict[int, CouncilRole]:
        return {m.id: m.role for m in council_of(session, v["councilId"]).members}

    role_of = in_session(system, roles)
    # the chair, the vice-chair and a reviewer stay away: no quorum
    absent = [m for m, r in role_of.items() if r in (CouncilRole.CHAIR, CouncilRole.VICE_CHAIR)]
    absent.append(next(m for m, r in role_of.items() if r is CouncilRole.REVIEWER))
    await attend(system, key, [m for m in role_of if m not in absent])
    await await_waiting_at(system.zb.admin, key, "recordAttendance", timeout=20)
    later = await instance_variables(system, key)
    assert later["quorumMet"] is False and later["presentCount"] == 6
    assert later["meetingAt"] > v["meetingAt"]
    # at the new meeting everyone but the member who rated "fail" comes
    failing = next(m for m, r in by_member.items() if r == "fail")
    await attend(system, key, [m for m in role_of if m != failing])
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)
    out = await instance_variables(system, key)
    assert out["ratingCounts"] == {"presentCount": 8, "excellentCount": 6, "passCount": 2}

    def check(session: Session) -> None:
        council = council_of(session, v["councilId"])
        people = {m.person_id for m in council.members}
        assert data["pi"] not in people
        assert data["earlier"] in people
        assert role_counts(council) == {**STANDARD_ROLES, CouncilRole.MEMBER: 4}
        first, second = council.meetings
        assert first.status is MeetingStatus.NO_QUORUM and second.status is MeetingStatus.HELD
        assert sum(a.present for a in first.attendance) == 6
        assert sum(a.present for a in second.attendance) == 8
        rows = session.scalars(
            select(AcceptanceRating).where(AcceptanceRating.task_id == data["task_id"])
        )
        assert sorted(r.rating.value for r in rows) == sorted(ratings)
        (refused,) = audit(session, "council.appoint_refused", process_instance_key=key)
        assert refused.details["person_id"] == data["pi"]
        assert refused.details["conflicts"] == ["participant", "applying_organisation"]
        (moved,) = audit(session, "meeting.reschedule", process_instance_key=key)
        assert moved.entity_id == second.id and moved.bpmn_element_id == "reschedule"
        no_quorum, held = audit(session, "meeting.open", process_instance_key=key)
        assert no_quorum.details["quorum"] is False and held.details["quorum"] is True
        (tallied,) = audit(session, "acceptance.tally", entity_id=council.id)
        assert tallied.details["rating"] == Rating.EXCELLENT.value

    in_session(system, check)
    moved_mails = [m for m in system.inbox.messages if "Dời lịch họp" in m["Subject"]]
    assert len(moved_mails) == 1
    assert later["meetingAt"] in moved_mails[0].get_content()


async def test_selection_council_refuses_conflicts_and_scores(system: System) -> None:
    field = Field.ENGINEERING_TECHNOLOGY

    def build(session: Session) -> dict[str, Any]:
        make_experts(session, field, 7)
        task = make_task(session, field, stage=Stage.SELECTION)
        org_a, org_b = make_organisation(session), make_organisation(session)
        # the most senior experts of the field: one leads application A, one works for B
        pi_a = make_applicant(
            session, field, organisation=org_a, expert=True, academic_title=AcademicTitle.PROFESSOR
        )
        colleague_b = make_applicant(
            session,
            field,
            organisation=org_b,
            expert=True,
            academic_title=AcademicTitle.ASSOCIATE_PROFESSOR,
        )
        pi_b = make_applicant(session, field, organisation=org_b)
        apps = make_applications(session, task, [(org_a, pi_a), (org_b, pi_b)])
        return {
            "code": task.code,
            "apps": [a.id for a in apps],
            "pi_a": pi_a.id,
            "colleague_b": colleague_b.id,
        }

    data = in_session(system, build)
    app_a, app_b = data["apps"]
    # the opening form may hand ids over as strings
    key = await start(
        system,
        taskCode=data["code"],
        councilType="selection",
        validApplicationIds=[str(app_a), str(app_b)],
    )
    v = await convened(system, key, "reviewSelection")
    assignments = v["reviewAssignments"]
    members = [o["value"] for o in v["memberOptions"]]
    assert len(members) == 7 and len(assignments) == 14
    assert sorted((a["memberId"], a["applicationId"]) for a in assignments) == sorted(
        (m, app) for m in members for app in (app_a, app_b)
    )
    assert all(a["applicationTitle"].startswith("Hồ sơ của") for a in assignments)
    zeroing = set(members[:3])  # three of seven give B's budget 0: more than 1/3

    def score(a: dict[str, Any]) -> dict[str, Any]:
        if a["applicationId"] == app_a:
            points = {"scoreObjectives": 26, "scoreMethod": 25, "scoreCapacity": 16}
            points["scoreBudget"] = 15
        else:
            points = {"scoreObjectives": 24, "scoreMethod": 24, "scoreCapacity": 18}
            points["scoreBudget"] = 0 if a["memberId"] in zeroing else 14
        return {**points, "comment": f"{a['memberName']} chấm hồ sơ {a['applicationId']}"}

    await complete_reviews(system, key, "reviewSelection", score, 14)
    await attend(system, key, members)
    await await_instance_state(system.zb.admin, key, "COMPLETED", timeout=20)
    out = await instance_variables(system, key)
    scores = {s["applicationId"]: s for s in out["applicationScores"]}
    assert scores[app_a] == {
        "applicationId": app_a,
        "averageScore": 82.0,
        "maxZeroCount": 0,
        "scorerCount": 7,
    }
    assert scores[app_b]["maxZeroCount"] == 3 and scores[app_b]["scorerCount"] == 7
    # (3 x 66 + 4 x 80) / 7 = 74: above 70, but 3 of 7 zeros on one criterion is more than 1/3
    assert scores[app_b]["averageScore"] == 74.0

    def check(session: Session) -> None:
        council = council_of(session, v["councilId"])
        people = {m.person_id for m in council.members}
        assert data["pi_a"] not in people and data["colleague_b"] not in people
        refused = audit(session, "council.appoint_refused", process_instance_key=key)
        assert {r.details["person_id"]: r.details["conflicts"] for r in refused} == {
            data["pi_a"]: ["participant", "applying_organisation"],
            data["colleague_b"]: ["applying_organisation"],
        }
        assert council.call_id is not None
        sheets = session.scalar(
            select(func.count())
            .select_from(ScoreSheet)
            .where(ScoreSheet.application_id.in_([app_a, app_b]))
        )
        assert sheets == 14
        a, b = session.get(Application, app_a), session.get(Application, app_b)
        assert a is not None and b is not None
        assert a.status is ApplicationStatus.RECOMMENDED and a.average_score == 82.0
        assert b.status is ApplicationStatus.NOT_RECOMMENDED
        assert audit(session, "council.tally_selection", entity_id=council.id)

    in_session(system, check)


async def test_convening_twice_makes_one_council(system: System) -> None:
    field = Field.HUMANITIES
    code = in_session(system, lambda s: (make_experts(s, field, 7), make_task(s, field))[1].code)
    first = await start(system, taskCode=code, councilType="advisory")
    v1 = await convened(system, first, "reviewAdvisory")
    # the same council asked for again (a job delivered twice looks the same to the worker)
    second = await start(system, taskCode=code, councilType="advisory")
    v2 = await convened(system, second, "reviewAdvisory")
    assert v1["councilId"] == v2["councilId"]
    assert v1["reviewAssignments"] == v2["reviewAssignments"]
    assert v1["meetingAt"] == v2["meetingAt"]

    def check(session: Session) -> None:
        task = session.scalar(select(Task).where(Task.code == code))
        assert task is not None
        councils_of_task = session.scalars(select(Council).where(Council.task_id == task.id))
        assert len(list(councils_of_task)) == 1
        assert (
            session.scalar(
                select(func.count())
                .select_from(Meeting)
                .where(Meeting.council_id == v1["councilId"])
            )
            == 1
        )

    in_session(system, check)

    # convened again once its meeting date has passed (e.g. after a deadline escalation):
    # the same council, a new meeting
    def backdate(session: Session) -> None:
        council = council_of(session, v1["councilId"])
        council.meetings[0].scheduled_at = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)

    in_session(system, backdate)
    third = await start(system, taskCode=code, councilType="advisory")
    v3 = await convened(system, third, "reviewAdvisory")
    assert v3["councilId"] == v1["councilId"] and v3["meetingAt"] == v1["meetingAt"]

    def meetings(session: Session) -> list[MeetingStatus]:
        return [m.status for m in council_of(session, v1["councilId"]).meetings]

    assert in_session(system, meetings) == [MeetingStatus.CANCELLED, MeetingStatus.SCHEDULED]
    for key in (first, second, third):
        await system.zb.client.cancel_process_instance(key)


def test_meetings_fall_on_working_days() -> None:
    # 24/4/2027 is a Saturday; 30/4 and 1/5 are public holidays, 3/5 is the day off for 1/5
    after = datetime(2027, 4, 24, 9, 0, tzinfo=VIETNAM_TZ)
    at = councils.next_meeting_at(WallClock(), after).astimezone(VIETNAM_TZ)
    assert at.time() == time(8, 0)
    assert VIETNAM.is_working_day(at.date())
    assert VIETNAM.working_days_between(after.date(), at.date()) == 5
    assert at.date() == date(2027, 5, 4)


async def test_too_few_experts_is_an_incident_that_says_why(system: System) -> None:
    field = Field.NATURAL_SCIENCES
    code = in_session(system, lambda s: (make_experts(s, field, 3), make_task(s, field))[1].code)
    key = await start(system, taskCode=code, councilType="advisory")
    incidents = await _incidents(system, key)
    assert "Không đủ chuyên gia" in incidents[0]["errorMessage"]
    assert "Not enough experts" in incidents[0]["errorMessage"]
    assert (
        in_session(
            system,
            lambda s: s.scalar(
                select(func.count())
                .select_from(Council)
                .join(Task, Task.id == Council.task_id)
                .where(Task.code == code)
            ),
        )
        == 0
    )
    await system.zb.client.cancel_process_instance(key)


async def _incidents(system: System, key: int) -> list[dict[str, Any]]:
    from tests.support.zeebe import wait_for

    return await wait_for(
        lambda: system.zb.admin.list_incidents(key), 20, message=f"an incident on {key}"
    )


def test_council_roles_follow_the_rules() -> None:
    assert councils.council_roles(7) == [
        CouncilRole.CHAIR,
        CouncilRole.VICE_CHAIR,
        CouncilRole.REVIEWER,
        CouncilRole.REVIEWER,
        CouncilRole.SECRETARY,
        CouncilRole.MEMBER,
        CouncilRole.MEMBER,
    ]


def job_for(job_type: str, element_id: str, key: int = 1) -> Job:
    """A job as the engine hands it out (the handlers read only its keys and element)."""
    return Job(
        key=key,
        type=job_type,
        process_instance_key=4242,
        bpmn_process_id=PROCESS,
        process_definition_version=1,
        process_definition_key=1,
        element_id=element_id,
        element_instance_key=key,
        custom_headers={},
        worker="test",
        retries=3,
        deadline=0,
        variables={},
    )


async def test_redelivered_jobs_change_nothing(system: System) -> None:
    # each handler called twice with the same job, as after a lost completion (at-least-once)
    field = Field.HUMANITIES
    code = in_session(system, lambda s: (make_experts(s, field, 7), make_task(s, field))[1].code)
    deps = make_deps(system.settings.workers())
    handlers = {t.type: t.original_function for t in councils.router(deps).tasks}

    async def twice(job_type: str, element: str, **variables: Any) -> dict[str, Any]:
        job = job_for(job_type, element)
        first = await asyncio.to_thread(handlers[job_type], job=job, **variables)
        again = await asyncio.to_thread(handlers[job_type], job=job, **variables)
        assert again == first
        return first

    mails_before = len(system.inbox.messages)
    v = await twice(councils.CONVENE, "convene", taskCode=code, councilType="advisory")
    invitations = system.inbox.messages[mails_before:]
    # sent again, recognisably the same mails (the Message-ID carries the idempotency key)
    assert len(invitations) == 14
    keys = {str(m["Message-ID"]).rsplit("@", 1)[0].split(".", 3)[3] for m in invitations}
    assert len(keys) == 7 and all(k.startswith(f"council-{v['councilId']}-") for k in keys)
    members = [o["value"] for o in v["memberOptions"]]
    quorum = await twice(
        councils.CHECK_QUORUM, "checkQuorum", councilId=v["councilId"], presentMemberIds=members
    )
    assert quorum == {"quorumMet": True, "presentCount": 7}
    reviews = [{"memberId": m, "vote": "approve", "comment": ""} for m in members]
    tallied = await twice(
        councils.TALLY,
        "tally",
        councilId=v["councilId"],
        councilType="advisory",
        reviews=reviews,
        presentMemberIds=members,
    )
    assert tallied == {"councilRecommended": True}

    def check(session: Session) -> None:
        task = session.scalar(select(Task).where(Task.code == code))
        assert task is not None
        (council,) = session.scalars(select(Council).where(Council.task_id == task.id))
        assert len(council.members) == 7 and council.status is CouncilStatus.CONCLUDED
        (meeting,) = council.meetings
        assert len(meeting.attendance) == 7
        votes = session.scalar(
            select(func.count()).select_from(Vote).where(Vote.meeting_id == meeting.id)
        )
        assert votes == 7
        assert len(audit(session, "council.create", task_id=task.id)) == 1
        assert len(audit(session, "meeting.open", entity_id=meeting.id)) == 1
        assert len(audit(session, "council.conclude", entity_id=council.id)) == 1

    in_session(system, check)
    deps.sessions.kw["bind"].dispose()
