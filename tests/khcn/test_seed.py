"""`khcn seed --demo` on the real back end: a province, and tasks driven through the processes.

The seeder runs against the `system` fixture (a real engine, a migrated domain database, the
real workers, a local SMTP server) with a small number of tasks; the engine's admin view of
each task's `khcn-task` instance and the domain rows must agree with the stage the seeder
meant the task to stand at.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from khcn.cli import app
from khcn.seed import ENDED, SeedRefused, Target, seed_demo, seed_plan
from models.audit import AuditEntry
from models.calls import Application
from models.councils import CouncilMember
from models.db import make_engine, make_sessionmaker
from models.decisions import Decision
from models.enums import ApplicationStatus, DecisionStatus, FundingSource, Role
from models.filings import Filing
from models.implementation import ChangeRequest
from models.migrate import upgrade
from models.people import Expertise, Organisation, Person
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.tasks import BudgetLine, Task
from models.users import User, UserRole
from tests.support.system import System, complete_user_task

PEOPLE, TASKS, SEED = 210, 6, 7

# Where each target leaves the task in the domain database: (stage, status).
DOMAIN_STATE = {
    Target.SCREENING: ("task-list", "approved"),
    Target.REVISION: ("task-list", "approved"),
    Target.REJECTED: ("task-list", "cancelled"),
    Target.ADVISORY: ("task-list", "approved"),
    Target.NOT_RECOMMENDED: ("task-list", "cancelled"),
    Target.CALL_OPEN: ("selection", "selecting"),
    Target.CONTRACT: ("selection", "selecting"),
    Target.IMPLEMENTING: ("implementation", "in_progress"),
    Target.ACCEPTANCE: ("acceptance", "under_acceptance"),
    Target.FAILED: ("acceptance", "failed"),
    Target.REGISTRATION: ("registration", "accepted"),
    Target.PUBLISHED: ("registration", "closed"),
}


def snapshot(session: Session) -> dict[str, Any]:
    """What must come out the same from the same seed: names, logins, proposals."""
    return {
        "organisations": sorted(session.scalars(select(Organisation.name))),
        "people": sorted(
            (p.full_name, p.email or "", p.degree.value if p.degree else "")
            for p in session.scalars(select(Person))
        ),
        "users": sorted(session.scalars(select(User.username))),
        "proposals": sorted(
            (p.title, p.proposer_person.full_name if p.proposer_person else "")
            for p in session.scalars(select(Proposal))
        ),
    }


async def test_demo_seed_fills_a_province_through_the_processes(
    system: System, make_database_url: Any
) -> None:
    progress: list[tuple[int, str]] = []
    report = await seed_demo(
        system.settings,
        people=PEOPLE,
        tasks=TASKS,
        seed=SEED,
        sessions=system.sessions,
        step_timeout=30,
        progress=lambda n, what: progress.append((n, what)),
    )
    assert not report.stalled, report.summary()
    assert progress
    assert await system.zb.admin.list_incidents() == []

    # the province: organisations, 200+ people with expertise, users in every role
    with system.sessions() as session:
        with_fields = session.scalar(select(func.count(func.distinct(Expertise.person_id))))
        assert with_fields is not None and with_fields >= 200
        assert report.people >= 200 and report.experts >= 100
        assert (session.scalar(select(func.count()).select_from(Organisation)) or 0) >= 30
        roles = Counter(str(r) for r in session.scalars(select(UserRole.role)))
        assert roles[Role.STAFF] >= 3 and roles[Role.LEADER] >= 2 and roles[Role.ADMIN] >= 1
        assert roles[Role.COUNCIL_MEMBER] >= 100 and roles[Role.SCIENTIST] >= 200
        published = list(
            session.scalars(
                select(ResultRegistration).where(ResultRegistration.published_on.is_not(None))
            )
        )
        assert published and all(r.certificate_number for r in published)
        # each task stands where its target says, in the domain and in the engine
        for task in report.tasks:
            row = session.scalar(select(Task).where(Task.code == task.task_code))
            assert row is not None, task
            assert (row.stage.value, row.status.value) == DOMAIN_STATE[task.target], task
            assert row.process_instance_key == task.process_instance_key
            if task.target is Target.CALL_OPEN:
                applied = session.scalar(
                    select(func.count())
                    .select_from(Application)
                    .where(Application.task_id == row.id)
                )
                assert applied is not None and applied >= 2
        extended = session.scalar(
            select(func.count())
            .select_from(ChangeRequest)
            .where(ChangeRequest.status == DecisionStatus.APPROVED)
        )
        assert extended == sum(t.extension for t in report.tasks) >= 1
        # each asked through the portal's change-request filing, its message taken
        filed = list(session.scalars(select(Filing).where(Filing.kind == "change-request")))
        assert len(filed) == extended and all(f.published_at is not None for f in filed)
        # a current Huế: the city's departments as they are now, no province, no district
        names = set(session.scalars(select(Organisation.name)))
        assert "Sở Khoa học và Công nghệ thành phố Huế" in names
        assert "Sở Nông nghiệp và Môi trường thành phố Huế" in names
        assert not any("Thông tin và Truyền thông" in n for n in names)
        addresses = " ".join(a or "" for a in session.scalars(select(Organisation.address)))
        assert "tỉnh" not in " ".join(names) and "huyện" not in addresses
        # the demo council member sits on councils the system proposed (reviews to try)
        seated = session.scalar(
            select(func.count())
            .select_from(CouncilMember)
            .join(User, User.person_id == CouncilMember.person_id)
            .where(User.username == "demo.hoidong")
        )
        assert seated is not None and seated >= 1
        # proposals say different things
        assert len(set(session.scalars(select(Proposal.rationale)))) >= 3
        # the Department's officials are people (they sit on the budget appraisal teams)
        officials = session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(UserRole)
            .where(UserRole.role.in_([Role.STAFF, Role.LEADER]), User.person_id.is_not(None))
        )
        assert officials is not None and officials >= 4
        # editions: a task approved in 2025 before the new law runs under 2014, the others 2025
        for task in report.tasks:
            row = session.scalar(select(Task).where(Task.code == task.task_code))
            assert row is not None
            if row.edition_bound_on is not None:
                assert row.edition == ("2014" if task.old_edition else "2025"), task
        assert any(t.old_edition for t in report.tasks)
        # list decisions carry the signer's suffix; appraised budgets never exceed requests
        numbers = list(session.scalars(select(Decision.number)))
        assert numbers and all(n.endswith(("/QĐ-UBND", "/QĐ-SKHCN")) for n in numbers)
        for line in session.scalars(
            select(BudgetLine).where(BudgetLine.source == FundingSource.STATE_BUDGET)
        ):
            requested = session.scalar(
                select(Application.requested_budget).where(
                    Application.task_id == line.task_id,
                    Application.status == ApplicationStatus.SELECTED,
                )
            )
            assert requested is not None and line.amount <= requested
        seen = snapshot(session)
    assert len({t.target for t in report.tasks}) >= 4
    # the process of step 3 is the one of each task's edition
    for task in report.tasks:
        with system.sessions() as session:
            key = session.scalar(
                select(AuditEntry.process_instance_key)
                .join(Task, Task.id == AuditEntry.task_id)
                .where(Task.code == task.task_code, AuditEntry.action == "implementation.plan")
            )
        if key is not None:
            view = await system.zb.admin.get_process_instance(key)
            edition = "2014" if task.old_edition else "2025"
            assert view["bpmnProcessId"] == f"khcn-implementation-{edition}", task
    for task in report.tasks:
        view = await system.zb.admin.get_process_instance(task.process_instance_key)
        expected = "COMPLETED" if task.target in ENDED else "ACTIVE"
        assert view["state"] == expected, (task, view["state"])

    # work left open is back in the inbox: staff can screen the waiting proposal
    waiting = next(t for t in report.tasks if t.target is Target.SCREENING)
    item = await complete_user_task(
        system,
        None,
        "screenProposal",
        {"screeningResult": "revise", "screeningNote": "Bổ sung dự toán."},
        role="staff",
        match={"proposalId": waiting.proposal_id},
    )
    assert item.process_instance_key != waiting.process_instance_key  # the step's own instance

    # a second run refuses to seed over data, from the code and from the command line
    with pytest.raises(SeedRefused):
        await seed_demo(system.settings, people=PEOPLE, tasks=TASKS, sessions=system.sessions)
    result = CliRunner().invoke(
        app,
        ["seed", "--demo"],
        env={"KHCN_DATABASE_URL": system.settings.database_url, "ZEEBE_ADDRESS": "127.0.0.1:1"},
    )
    assert result.exit_code == 1, result.output
    assert "--force" in result.output

    # --force seeds over it: the same seed finds the same people and organisations again
    with system.sessions() as session:
        seed_plan(session, seed=SEED, people=PEOPLE, tasks=TASKS)
        session.flush()
        assert session.scalar(select(func.count()).select_from(Person)) == report.people
        assert session.scalar(select(func.count()).select_from(Proposal)) == 2 * TASKS
        session.rollback()

    # the same seed makes the same province (the deterministic part, on a fresh database)
    url = make_database_url("sqlite")
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            seed_plan(session, seed=SEED, people=PEOPLE, tasks=TASKS)
            assert snapshot(session) == seen
            other = Counter(p.full_name for p in session.scalars(select(Person)))
    finally:
        engine.dispose()
    assert len(other) > 150  # names vary: not one name repeated
