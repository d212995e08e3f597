"""Test data for the council and task-list workers; other test modules may import it read-only.

What `khcn.council.convene` needs to find members (see workers/councils.py): experts
(`Person.is_expert`) with expertise in the task's field, each linked to an active user holding
the role `council_member`. `make_experts` builds exactly that. Every name, e-mail and code made
here is unique, so the builders can be called any number of times on one database.

Stable API (keep the signatures): `unique`, `make_organisation`, `make_experts`,
`make_staff_and_leader`, `make_applicant`, `make_proposal`, `make_task`, `make_applications`,
and the process helpers `in_session`, `instance_variables`, `complete_reviews`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Application
from models.enums import (
    AcademicTitle,
    Degree,
    Field,
    Method,
    OrganisationKind,
    Role,
    Stage,
    TaskKind,
    TaskMemberRole,
    TaskStatus,
)
from models.people import Organisation, Person
from models.proposals import Proposal
from models.services import calls as calls_service
from models.services import people as people_service
from models.services import proposals as proposals_service
from models.services import tasks as tasks_service
from models.tasks import Task
from models.users import User

T = TypeVar("T")

_GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Minh", "Nga", "Phúc", "Quang"]


def unique(prefix: str = "") -> str:
    """A short unique token (for names, e-mails, codes)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def make_organisation(
    session: Session,
    name: str | None = None,
    *,
    kind: OrganisationKind = OrganisationKind.RESEARCH_INSTITUTE,
    email: str | None = None,
) -> Organisation:
    """An organisation with a contact e-mail."""
    token = unique()
    return people_service.create_organisation(
        session=session,
        name=name or f"Viện Nghiên cứu ứng dụng {token}",
        kind=kind,
        email=email or f"vien-{token}@example.vn",
    )


def make_experts(
    session: Session,
    field: Field = Field.AGRICULTURAL,
    n: int = 9,
    *,
    organisation: Organisation | None = None,
    degree: Degree = Degree.DOCTOR,
    academic_title: AcademicTitle | None = None,
    roles: Sequence[Role] = (Role.COUNCIL_MEMBER, Role.SCIENTIST),
) -> list[Person]:
    """`n` experts of `field`, each with an active user in role council_member (by default).

    Each expert works for `organisation` (a new organisation per expert unless given); the
    user's username is `User.username` of `expert_user(session, person)`.
    """
    people = []
    for i in range(n):
        token = unique()
        org = organisation or make_organisation(session)
        name = f"{_GIVEN[i % len(_GIVEN)]} Nguyễn Chuyên Gia {token}"
        person = people_service.create_person(
            session=session,
            full_name=name,
            degree=degree,
            academic_title=academic_title,
            email=f"cg-{token}@example.vn",
            fields=[field],
            organisation_id=org.id,
            position="Nghiên cứu viên chính",
            is_expert=True,
        )
        people_service.create_user(
            session=session,
            username=f"cg-{token}",
            email=f"cg-{token}@example.vn",
            display_name=name,
            roles=roles,
            person_id=person.id,
        )
        people.append(person)
    return people


def expert_user(session: Session, person: Person) -> User:
    """The user account of a person (made by `make_experts` or `make_applicant`)."""
    found = session.scalar(select(User).where(User.person_id == person.id))
    assert found is not None, f"{person.full_name} has no user"
    return found


def make_staff_and_leader(session: Session, staff_count: int = 3) -> tuple[User, User]:
    """Staff users (chuyên viên) and a leader user (lãnh đạo Sở), each one a person too: the
    Department's officials sit on the budget appraisal team (four of them are needed)."""
    token = unique()
    department = make_organisation(
        session, f"Sở Khoa học và Công nghệ {token}", kind=OrganisationKind.GOVERNMENT_AGENCY
    )
    users = []
    for i, (prefix, title, role) in enumerate(
        [("cv", "Chuyên viên phòng QLKH", Role.STAFF)] * staff_count
        + [("ld", "Phó Giám đốc Sở", Role.LEADER)]
    ):
        name = f"{title} {token}-{i}"
        person = people_service.create_person(
            session=session,
            full_name=name,
            degree=Degree.MASTER,
            email=f"{prefix}{i}-{token}@skhcn.example.vn",
            organisation_id=department.id,
            position=title,
        )
        users.append(
            people_service.create_user(
                session=session,
                username=f"{prefix}{i}-{token}",
                email=f"{prefix}{i}-{token}@skhcn.example.vn",
                display_name=name,
                roles=[role],
                person_id=person.id,
            )
        )
    return users[0], users[-1]


def make_applicant(
    session: Session,
    field: Field = Field.AGRICULTURAL,
    *,
    organisation: Organisation | None = None,
    expert: bool = False,
    academic_title: AcademicTitle | None = None,
) -> Person:
    """A scientist with a user (role scientist; also council_member when `expert`)."""
    roles = (Role.SCIENTIST, Role.COUNCIL_MEMBER) if expert else (Role.SCIENTIST,)
    person = make_experts(
        session,
        field,
        1,
        organisation=organisation,
        degree=Degree.DOCTOR,
        academic_title=academic_title,
        roles=roles,
    )[0]
    person.is_expert = expert
    session.flush()
    return person


def make_proposal(
    session: Session,
    field: Field = Field.AGRICULTURAL,
    *,
    title: str | None = None,
    organisation: Organisation | None = None,
    proposer: Person | None = None,
    year: int = 2026,
    method: Method | None = Method.SELECTION,
) -> Proposal:
    """A submitted proposal from an organisation and a person (both with e-mails)."""
    organisation = organisation or make_organisation(session)
    proposer = proposer or make_applicant(session, field, organisation=organisation)
    return proposals_service.create_proposal(
        session=session,
        year=year,
        title=title or f"Nghiên cứu ứng dụng IoT trong canh tác lúa {unique()}",
        field=field,
        kind=TaskKind.RESEARCH_TOPIC,
        proposer_organisation_id=organisation.id,
        proposer_person_id=proposer.id,
        objectives="Nâng cao năng suất, giảm chi phí tưới tiêu.",
        expected_results="Quy trình canh tác và hệ thống cảm biến thử nghiệm.",
        estimated_budget=1_200_000_000,
        suggested_method=method,
    )


def make_task(
    session: Session,
    field: Field = Field.AGRICULTURAL,
    *,
    code: str | None = None,
    proposal: Proposal | None = None,
    with_proposal: bool = True,
    method: Method = Method.SELECTION,
    stage: Stage = Stage.TASK_LIST,
    status: TaskStatus = TaskStatus.APPROVED,
    host: Organisation | None = None,
    principal_investigator: Person | None = None,
) -> Task:
    """A task (inserted as a row, as if step 1 had run) with a unique code `TEST-xxxxxxxx`."""
    if proposal is None and with_proposal:
        proposal = make_proposal(session, field, method=method)
    task = Task(
        code=code or unique("TEST-"),
        year=2026,
        title=proposal.title if proposal else f"Nhiệm vụ thử nghiệm {unique()}",
        field=field,
        kind=TaskKind.RESEARCH_TOPIC,
        method=method,
        stage=stage,
        status=status,
        proposal_id=proposal.id if proposal else None,
        host_organisation_id=host.id if host else None,
    )
    session.add(task)
    session.flush()
    if principal_investigator is not None:
        tasks_service.add_task_member(
            session=session,
            task_id=task.id,
            person_id=principal_investigator.id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
    return task


def make_applications(
    session: Session,
    task: Task,
    applicants: Sequence[tuple[Organisation, Person]] | int = 2,
    *,
    call_number: str | None = None,
) -> list[Application]:
    """Open a call for `task` and submit one application per (organisation, PI) pair.

    Pass a count instead of pairs to make new organisations with new (non-expert) PIs. The
    applications stay `submitted`: the staff's opening form (validApplicationIds) decides which
    are valid, and `khcn.council.convene` records that.
    """
    if isinstance(applicants, int):
        pairs = []
        for _ in range(applicants):
            org = make_organisation(session)
            pairs.append((org, make_applicant(session, task.field, organisation=org)))
        applicants = pairs
    call = calls_service.open_call(
        session=session,
        number=call_number or unique("TB-"),
        title=f"Thông báo tuyển chọn chủ trì nhiệm vụ {task.code}",
        year=2026,
        opens_on=date(2026, 3, 1),
        closes_on=date(2026, 4, 15),
        task_ids=[task.id],
    )
    return [
        calls_service.submit_application(
            session=session,
            call_id=call.id,
            task_id=task.id,
            organisation_id=org.id,
            principal_investigator_id=pi.id,
            requested_budget=900_000_000,
            submitted_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
        )
        for org, pi in applicants
    ]


# --- driving the processes (helpers for the end-to-end tests) -------------------------------


def in_session(system: Any, build: Callable[[Session], T]) -> T:
    """Run `build` in one committed transaction of the system's domain database."""
    with system.sessions() as session, session.begin():
        return build(session)


async def instance_variables(system: Any, process_instance_key: int) -> dict[str, Any]:
    """The root-scope variables of a (live or finished) process instance."""
    view = await system.zb.admin.get_process_instance(process_instance_key)
    return dict(view["variables"])


async def complete_reviews(
    system: Any,
    process_instance_key: int | None,
    element_id: str,
    answer: Callable[[dict[str, Any]], dict[str, Any]],
    count: int,
    *,
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """Complete `count` multi-instance review tasks as their assignees would, answering each
    from its `assignment` (the portal's inbox shows each member their own task); the
    assignments.

    Checks each item is for the `council` group and assigned to `assignment.assignee`. With
    `process_instance_key` None the tasks may belong to any instance (a called council runs
    in its own instance).
    """
    items = await system.items(element_id, {}, count, timeout=timeout)
    done: list[dict[str, Any]] = []
    for item in items:
        if process_instance_key not in (None, item.process_instance_key):
            continue
        assignment = item.variables["assignment"]
        assert "council" in item.candidate_groups
        assert item.assignee == assignment["assignee"]
        await system.answer(item, answer(assignment))
        done.append(assignment)
    assert len(done) >= count, f"{len(done)} of {count} '{element_id}' tasks"
    return done
