"""Step 3 through the real khcn-implementation process: the working-day report schedule, the
6-monthly progress report (controlled clock), inspections, and change requests."""

import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from pyzeebe import Job
from sqlalchemy import select

from models.audit import AuditEntry
from models.contracts import Contract
from models.enums import ChangeKind, DecisionStatus, TaskMemberRole
from models.implementation import ChangeRequest, ProgressReport
from models.rules import VIETNAM, add_months
from models.services import contracts as contracts_service
from models.services import implementation as implementation_service
from models.services.tasks import add_task_member
from models.tasks import Task
from tests.conftest import DATABASE_KINDS
from tests.models import factories
from tests.support.engine_process import EngineProcess
from tests.support.system import System, complete_user_task
from tests.support.zeebe import await_instance_state, create_instance, wait_for
from tests.support.zeebe_events import (
    active_element_ids,
    advance,
    await_waiting_at,
    controlled_engine,
    publish,
)
from workers import implementation
from workers.clock import WallClock, today_vn
from workers.implementation import expected_progress, inspection_needed
from workers.runtime import make_deps

DAY_MS = 24 * 3600 * 1000


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url) -> Iterator[EngineProcess]:
    """The module's engine runs on a controlled clock: the 6-monthly timer is tested."""
    yield from controlled_engine(make_database_url(request.param))


def signed_task(system: System, starts_on: date, ends_on: date) -> tuple[str, int, str]:
    """A task under a signed contract: (code, contract id, host e-mail)."""
    tag = uuid.uuid4().hex[:6]
    with system.sessions() as session, session.begin():
        org = factories.organisation(session, email=f"vien-{tag}@example.vn")
        pi = factories.person(session, org, email=f"cn-{tag}@example.vn")
        task = factories.task(session, host=org)
        add_task_member(
            session=session,
            task_id=task.id,
            person_id=pi.id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
        contract = contracts_service.create_contract(
            session=session,
            task_id=task.id,
            value=1_000_000_000,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        contracts_service.sign_contract(
            session=session, contract_id=contract.id, signed_on=starts_on
        )
        return task.code, contract.id, f"vien-{tag}@example.vn"


def test_inspection_rule_compares_progress_with_time_spent() -> None:
    start, end = date(2026, 1, 1), date(2027, 1, 1)
    assert expected_progress(start, end, date(2025, 6, 1)) == 0
    assert expected_progress(start, end, date(2028, 1, 1)) == 100
    half = expected_progress(start, end, start + (end - start) / 2)
    assert half == pytest.approx(50, abs=0.5)
    assert inspection_needed(10, half)
    assert not inspection_needed(30, half)  # exactly 20 points behind is tolerated
    assert not inspection_needed(29.9, 49.9)


async def test_reports_every_six_months_and_an_approved_extension(system: System) -> None:
    # A year spent of two: a 10 % report is far behind and calls for an inspection.
    starts_on = today_vn(WallClock()) - timedelta(days=365)
    ends_on = today_vn(WallClock()) + timedelta(days=365)
    code, contract_id, host_mail = signed_task(system, starts_on, ends_on)
    admin = system.zb.admin
    created = await create_instance(
        system.zb.stub, "khcn-implementation", {"taskCode": code, "contractId": contract_id}
    )
    key = created.processInstanceKey
    await await_waiting_at(admin, key, "awaitFinalReport", 15)

    schedule = (await admin.get_process_instance(key))["variables"]["reportSchedule"]
    dues = [date.fromisoformat(d) for d in schedule]
    assert len(dues) == 3  # 6, 12 and 18 months into a 24-month contract
    assert all(VIETNAM.is_working_day(d) for d in dues)
    for period, due in enumerate(dues, start=1):
        planned = add_months(starts_on, 6 * period)
        assert planned <= due <= VIETNAM.add_working_days(planned, 1)

    # no report is asked for before six months have passed
    await advance(admin, 170 * DAY_MS)
    assert "submitProgressReport" not in await active_element_ids(admin, key)
    await advance(admin, 16 * DAY_MS)
    await await_waiting_at(admin, key, "submitProgressReport", 15)
    await complete_user_task(
        system,
        key,
        "submitProgressReport",
        {"progressPercent": 10, "reportSummary": "Mới hoàn thành khảo sát."},
        role="scientist",
    )
    await complete_user_task(
        system,
        key,
        "inspect",
        {"inspectionResult": "behind", "inspectionNote": "Chậm tiến độ"},
        role="staff",
    )

    # the host asks for 3 more months; the leader grants 6
    with system.sessions() as session, session.begin():
        request = implementation_service.request_change(
            session=session,
            task_id=session.get(Contract, contract_id).task_id,  # type: ignore[union-attr]
            kind=ChangeKind.EXTENSION,
            reason="Thời tiết bất lợi",
            requested_end_date=add_months(ends_on, 3),
        )
        request_id = request.id
    await publish(
        system.zb.stub,
        "khcn.implementation.change-requested",
        code,
        ttl_ms=60_000,
        variables={"changeRequestId": request_id, "changeKind": "extension"},
    )
    await complete_user_task(
        system, key, "reviewChange", {"changeReviewNote": "Có cơ sở"}, role="staff"
    )
    await complete_user_task(
        system,
        key,
        "decideChange",
        {"changeApproved": True, "extensionMonths": 6, "changeDecisionNote": "Gia hạn 6 tháng"},
        role="leader",
    )
    new_end = add_months(ends_on, 6)

    async def applied() -> bool:
        variables = (await admin.get_process_instance(key))["variables"]
        return variables.get("contractEndsAt") == new_end.isoformat()

    await wait_for(applied, 15, message="contractEndsAt")
    await wait_for(lambda: system.inbox.to(host_mail), 15, message="the decision mail")
    [mail] = system.inbox.to(host_mail)
    assert mail["Subject"].startswith("[Sở KH&CN] Chấp thuận đề nghị gia hạn")
    assert f"{new_end:%d/%m/%Y}" in mail.get_content()

    await publish(
        system.zb.stub,
        "khcn.implementation.final-report",
        code,
        ttl_ms=60_000,
        variables={"finalReportDocumentId": 1},
    )
    await await_instance_state(admin, key, "COMPLETED", 15)

    with system.sessions() as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None
        assert contract.ends_on == new_end and contract.task.end_date == new_end
        request = session.get(ChangeRequest, request_id)
        assert request is not None and request.status is DecisionStatus.APPROVED
        reports = list(
            session.scalars(
                select(ProgressReport)
                .where(ProgressReport.task_id == contract.task_id)
                .order_by(ProgressReport.period)
            )
        )
        # the first report is recorded; the extension added the 24-month period
        assert reports[0].submitted_at is not None and "khảo sát" in reports[0].summary
        assert [r.period for r in reports] == [1, 2, 3, 4]
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "implementation.record_report",
                AuditEntry.process_instance_key == key,
            )
        )
        assert entry is not None and entry.details["inspection_needed"] is True
        assert entry.bpmn_element_id == "recordProgressReport"
        decided = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "implementation.decide_change",
                AuditEntry.entity_id == request_id,
            )
        )
        assert decided is not None and decided.bpmn_element_id == "applyChange"


async def test_a_refused_change_is_mailed_to_the_host(system: System) -> None:
    code, contract_id, host_mail = signed_task(
        system,
        today_vn(WallClock()) - timedelta(days=30),
        today_vn(WallClock()) + timedelta(days=700),
    )
    admin = system.zb.admin
    created = await create_instance(
        system.zb.stub, "khcn-implementation", {"taskCode": code, "contractId": contract_id}
    )
    key = created.processInstanceKey
    await await_waiting_at(admin, key, "awaitFinalReport", 15)
    with system.sessions() as session, session.begin():
        request = implementation_service.request_change(
            session=session,
            task_id=session.get(Contract, contract_id).task_id,  # type: ignore[union-attr]
            kind=ChangeKind.BUDGET,
            reason="Giá vật tư tăng",
            requested_budget=1_200_000_000,
        )
        request_id = request.id
    await publish(
        system.zb.stub,
        "khcn.implementation.change-requested",
        code,
        ttl_ms=60_000,
        variables={"changeRequestId": request_id, "changeKind": "budget"},
    )
    await complete_user_task(system, key, "reviewChange", {"changeReviewNote": ""}, role="staff")
    await complete_user_task(
        system,
        key,
        "decideChange",
        {"changeApproved": False, "extensionMonths": 0, "changeDecisionNote": "Không đủ căn cứ"},
        role="leader",
    )
    await wait_for(lambda: system.inbox.to(host_mail), 15, message="the refusal mail")
    [mail] = system.inbox.to(host_mail)
    assert "Không chấp thuận" in mail["Subject"]
    assert "Không đủ căn cứ" in mail.get_content()
    with system.sessions() as session:
        request = session.get(ChangeRequest, request_id)
        assert request is not None and request.status is DecisionStatus.REJECTED
        contract = session.get(Contract, contract_id)
        assert contract is not None and contract.ends_on == today_vn(WallClock()) + timedelta(
            days=700
        )
    # implementation goes on: the final report is still awaited
    assert "awaitFinalReport" in await active_element_ids(admin, key)


async def test_a_report_job_delivered_twice_records_one_report(system: System) -> None:
    code, _, _ = signed_task(
        system,
        today_vn(WallClock()) - timedelta(days=400),
        today_vn(WallClock()) + timedelta(days=330),
    )
    deps = make_deps(system.settings.workers())
    record = implementation.router(deps).get_task(implementation.RECORD_REPORT).original_function
    job = Job(
        key=77,
        type=implementation.RECORD_REPORT,
        process_instance_key=78,
        bpmn_process_id="khcn-implementation",
        process_definition_version=1,
        process_definition_key=1,
        element_id="recordProgressReport",
        element_instance_key=79,
        custom_headers={},
        worker="test",
        retries=3,
        deadline=0,
        variables={},
    )
    with system.sessions() as session, session.begin():
        task_id = session.scalar(select(Task.id).where(Task.code == code))
        implementation_service.schedule_progress_reports(session=session, task_id=task_id)
    answers = [
        record(job=job, taskCode=code, progressPercent=60, reportSummary="Đúng tiến độ")
        for _ in range(2)
    ]
    assert answers == [{"inspectionNeeded": False}] * 2
    with system.sessions() as session:
        submitted = session.scalars(
            select(ProgressReport).where(
                ProgressReport.task_id == task_id, ProgressReport.submitted_at.is_not(None)
            )
        ).all()
    assert [r.period for r in submitted] == [1]
