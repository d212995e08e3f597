"""Two editions at once: a task approved before 01/10/2025 finishes under the 2014 rules and
processes while a task approved now runs under the 2025 ones (Luật 93/2025/QH15)."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEntry
from models.enums import Stage, TaskStatus
from tests.support.system import clock_domain_url, clock_system, database_kind, smtp_inbox
from tests.workers.scenario import (
    Run,
    acceptance_council,
    complete_dossier,
    final_report,
    make_cast,
    register_and_recognise,
    through_direct_selection,
    through_task_list,
)

__all__ = ["clock_domain_url", "clock_system", "database_kind", "smtp_inbox"]

MONTH_DAYS = 31


async def step_process(run: Run, action: str) -> str:
    """The BPMN process id of the instance that wrote an audit action for the run's task."""
    with run.db() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.task_id == run.task(session).id
            )
        )
        assert entry is not None and entry.process_instance_key is not None, action
        key = entry.process_instance_key
    view = await run.system.zb.admin.get_process_instance(key)
    return str(view["bpmnProcessId"])


async def test_a_2014_task_finishes_under_2014_while_a_2025_task_runs(clock_system):
    system = clock_system
    runs = []
    for _ in range(2):
        with system.sessions() as session, session.begin():
            runs.append(Run(system, make_cast(session, experts=12, applicants=0)))
    old, new = runs
    # the old task's list was approved on 16/06/2025, the new one's today (2026)
    await through_task_list(old, method="direct", decided_on="2025-06-16")
    await through_direct_selection(old)
    await through_task_list(new, method="direct")
    await through_direct_selection(new)
    with old.db() as session:
        assert old.task(session).edition == "2014"
    with new.db() as session:
        assert new.task(session).edition == "2025"
    # each runs the step processes deployed for its edition
    assert await step_process(old, "implementation.plan") == "khcn-implementation-2014"
    assert await step_process(new, "implementation.plan") == "khcn-implementation-2025"

    # a year on: the 2014 task gets its periodic inspection, the 2025 one its yearly
    # evaluation deciding whether funding continues
    await old.waiting_at("implementation.plan", "gwAwaitFinal")
    await old.advance_days(12 * MONTH_DAYS)
    inspection = await old.take1("inspect")
    evaluation = await new.take1("evaluateYear")
    assert inspection.form_key and inspection.form_id == "khcn-inspection"
    await old.finish(inspection, {"inspectionResult": "on-track", "inspectionNote": "Đạt"})
    await new.finish(
        evaluation,
        {"evaluationResult": "on-track", "fundingContinues": True, "evaluationNote": "Đạt"},
    )

    # the old task finishes under 2014 while the new one goes on
    await final_report(old)
    await acceptance_council(old, lambda i: "pass")
    await complete_dossier(old)
    await register_and_recognise(old)
    await old.ended()
    with old.db() as session:
        task = old.task(session)
        assert (task.stage, task.status, task.edition) == (
            Stage.REGISTRATION,
            TaskStatus.CLOSED,
            "2014",
        )
    view = await new.root_view()
    assert view["state"] == "ACTIVE"
    with new.db() as session:
        assert new.task(session).status is TaskStatus.IN_PROGRESS
    assert not await new.incidents()
    await system.zb.client.cancel_process_instance(new.key)
