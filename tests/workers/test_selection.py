"""Step 2 through the real khcn-selection process and its selection council: a round where
no application reaches the threshold reopens the call; the next round picks the highest
recommended application."""

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from pyzeebe.proto import gateway_pb2 as pb
from sqlalchemy import select

from models.audit import AuditEntry
from models.calls import Application, Call
from models.councils import Council
from models.enums import ApplicationStatus, CallStatus, CouncilType, Stage, TaskStatus
from models.rules import VIETNAM
from models.services import calls as calls_service
from models.tasks import Task
from tests.conftest import DATABASE_KINDS
from tests.support.engine_process import EngineProcess
from tests.support.system import System, complete_user_task, hand_back, take_user_tasks
from tests.support.zeebe import create_instance, wait_for
from tests.support.zeebe_events import advance, await_waiting_at, controlled_engine, engine_now
from tests.workers import data_councils as data
from workers.clock import WallClock, today_vn


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url) -> Iterator[EngineProcess]:
    """The module's engine runs on a controlled clock: the call's closing timer is tested.

    The workers date calls by the engine's clock (tests/support/system.py), so a call
    published after the clock moved past another's closing still stays open for a month.
    """
    yield from controlled_engine(make_database_url(request.param))


def prepare(system: System) -> tuple[str, list[tuple[int, int]]]:
    """Experts for the council, a task to select a host for, and three would-be hosts."""

    def build(session: Any) -> tuple[str, list[tuple[int, int]]]:
        data.make_experts(session, n=9)
        task = data.make_task(session)
        hosts = []
        for _ in range(3):
            org = data.make_organisation(session)
            hosts.append((org.id, data.make_applicant(session, organisation=org).id))
        return task.code, hosts

    return data.in_session(system, build)


def apply(system: System, code: str, call_id: int, hosts: list[tuple[int, int]]) -> list[int]:
    """The hosts file their applications while the call is open (through the portal)."""

    def build(session: Any) -> list[int]:
        task = session.scalar(select(Task).where(Task.code == code))
        return [
            calls_service.submit_application(
                session=session,
                call_id=call_id,
                task_id=task.id,
                organisation_id=org_id,
                principal_investigator_id=pi_id,
                requested_budget=900_000_000,
            ).id
            for org_id, pi_id in hosts
        ]

    return data.in_session(system, build)


async def wait_call(system: System, key: int, call_round: int) -> dict[str, Any]:
    """Wait until the call of a round is published; the instance's variables."""

    async def published() -> dict[str, Any] | None:
        variables = await data.instance_variables(system, key)
        return variables if variables.get("callRound") == call_round else None

    return await wait_for(published, 15, message=f"call round {call_round}")


async def close_call(system: System, closes_at: str) -> None:
    """Let time pass until the call's closing date-time (the engine's controlled clock)."""
    due_ms = int(datetime.fromisoformat(closes_at).timestamp() * 1000)
    now = await engine_now(system.zb.admin)
    await advance(system.zb.admin, max(due_ms - now, 0) + 60_000)


async def score(
    system: System, code: str, answer: Callable[[dict[str, Any]], dict[str, Any]], count: int
) -> None:
    """Every council member scores every valid application in the council's own instance."""
    done: list[int] = []

    async def take() -> bool:
        for job in await take_user_tasks(system):
            variables = json.loads(job.variables)
            if job.elementId != "reviewSelection" or variables.get("taskCode") != code:
                await hand_back(system, job)
                continue
            headers = json.loads(job.customHeaders)
            assert headers["io.camunda.zeebe:assignee"] == variables["assignment"]["assignee"]
            await system.zb.stub.CompleteJob(
                pb.CompleteJobRequest(
                    jobKey=job.key, variables=json.dumps(answer(variables["assignment"]))
                )
            )
            done.append(job.key)
        return len(done) >= count

    await wait_for(take, 30, message=f"{count} score sheets")


def council_members(system: System, code: str, call_id: int) -> list[int]:
    """The member ids of the task's selection council for a call."""
    with system.sessions() as session:
        council = session.scalar(
            select(Council)
            .join(Task, Task.id == Council.task_id)
            .where(
                Task.code == code,
                Council.type == CouncilType.SELECTION,
                Council.call_id == call_id,
            )
        )
        assert council is not None, "the selection council was not convened"
        return [m.id for m in council.members]


async def run_council(
    system: System,
    code: str,
    call_id: int,
    application_ids: list[int],
    answer: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    """Staff open the dossiers, members score, the meeting is held with everyone present."""
    await complete_user_task(
        system,
        None,
        "openApplications",
        {"validApplicationIds": application_ids, "openingNote": "Đủ hồ sơ"},
        role="staff",
        match={"taskCode": code},
    )
    await wait_for(lambda: council_members_or_none(system, code, call_id), 15, message="council")
    members = council_members(system, code, call_id)
    await score(system, code, answer, len(members) * len(application_ids))
    await complete_user_task(
        system,
        None,
        "recordAttendance",
        {"presentMemberIds": members, "meetingNote": "Đủ thành viên"},
        role="staff",
        match={"taskCode": code},
    )


def council_members_or_none(system: System, code: str, call_id: int) -> list[int] | None:
    """The council's members once convened, else None."""
    try:
        return council_members(system, code, call_id) or None
    except AssertionError:
        return None


def points(total: int) -> dict[str, Any]:
    """A score sheet adding up to `total`, shared by the criteria's weights (30/30/20/20)."""
    objectives = method = round(total * 0.3)
    capacity = round(total * 0.2)
    return {
        "scoreObjectives": objectives,
        "scoreMethod": method,
        "scoreCapacity": capacity,
        "scoreBudget": total - objectives - method - capacity,
        "comment": "",
    }


async def test_no_qualified_application_reopens_the_call(system: System) -> None:
    code, hosts = prepare(system)
    created = await create_instance(
        system.zb.stub, "khcn-selection", {"taskCode": code, "method": "selection"}
    )
    key = created.processInstanceKey

    first = await wait_call(system, key, 1)
    await await_waiting_at(system.zb.admin, key, "timerCallClosed", 15)
    closes_at = datetime.fromisoformat(first["callClosesAt"])
    assert closes_at.utcoffset() is not None and closes_at.isoformat().endswith("+07:00")
    assert closes_at.date() >= date.fromordinal(today_vn(WallClock()).toordinal() + 30)
    assert VIETNAM.is_working_day(closes_at.date())
    assert first["applicationOptions"] == []  # nobody has applied when the call goes out

    # round 1: two applications, both scored far below 70 by every member
    round_one = apply(system, code, first["callId"], hosts[:2])
    await close_call(system, first["callClosesAt"])
    await run_council(system, code, first["callId"], round_one, lambda _: points(40))

    # (the workers date the second call by the engine's clock: it is open for a month again)
    second = await wait_call(system, key, 2)
    assert second["callId"] != first["callId"]
    assert "selectedApplicationId" not in second

    with system.sessions() as session:
        old = session.get(Call, first["callId"])
        new = session.get(Call, second["callId"])
        assert old is not None and old.status is CallStatus.CLOSED
        assert new is not None and new.status is CallStatus.OPEN
        assert new.reopens_call_id == old.id
        statuses = {
            a.id: (a.status, a.average_score)
            for a in session.scalars(select(Application).where(Application.id.in_(round_one)))
        }
        assert statuses == {i: (ApplicationStatus.NOT_RECOMMENDED, 40.0) for i in round_one}
        task = session.scalar(select(Task).where(Task.code == code))
        assert task is not None
        assert (task.stage, task.status) == (Stage.SELECTION, TaskStatus.SELECTING)
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.process_instance_key == key)
                .order_by(AuditEntry.id)
            )
        ]
        ranked = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "selection.rank", AuditEntry.process_instance_key == key
            )
        )
        assert ranked is not None and ranked.details["winner"] is None
        assert ranked.bpmn_element_id == "rankApplications"
    assert actions.index("selection.rank") < actions.index("selection.reopen_call")
    assert actions.count("call.open") == 2

    # round 2: a new host joins; the best recommended application wins
    round_two = apply(system, code, second["callId"], hosts[1:])
    await close_call(system, second["callClosesAt"])
    best = round_two[1]
    await run_council(
        system,
        code,
        second["callId"],
        round_two,
        lambda a: points(88 if a["applicationId"] == best else 75),
    )
    await await_waiting_at(system.zb.admin, key, "appraiseBudget", 15)
    variables = await data.instance_variables(system, key)
    assert variables["selectedApplicationId"] == best
    with system.sessions() as session:
        statuses = {
            a.id: a.status
            for a in session.scalars(select(Application).where(Application.id.in_(round_two)))
        }
        call = session.get(Call, second["callId"])
        assert call is not None and call.status is CallStatus.CLOSED
    assert set(statuses.values()) == {ApplicationStatus.RECOMMENDED}
