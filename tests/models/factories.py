"""Factories of domain objects for service tests: sensible defaults, every field overridable.

Councils are built the way the system builds them (``propose_council`` then
``confirm_council``), so a test needs experts of the task's field with a council_member user
(`experts`) and, for the appraisal team, four Department officials (`officials`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.calls import Application, Call
from models.contracts import Contract
from models.councils import Council, CouncilMember
from models.enums import (
    CouncilRole,
    CouncilType,
    Degree,
    DocumentKind,
    Field,
    Method,
    OrganisationKind,
    Rating,
    ReviewOpinion,
    Role,
    Stage,
    TaskKind,
    TaskMemberRole,
    TaskStatus,
)
from models.people import Organisation, Person
from models.proposals import Proposal
from models.rules import VIETNAM
from models.services import acceptance as acceptance_service
from models.services import calls as calls_service
from models.services import contracts as contracts_service
from models.services import councils as councils_service
from models.services import documents as documents_service
from models.services import meetings as meetings_service
from models.services import people as people_service
from models.services import proposals as proposals_service
from models.services import tasks as tasks_service
from models.services.meetings import MeetingResult
from models.tasks import Task
from models.users import User

_seq = itertools.count(1)

# A Monday with no holiday near it: the day councils are confirmed unless a test says otherwise.
MONDAY = date(2026, 3, 2)


def n() -> int:
    """A fresh number for unique names."""
    return next(_seq)


def organisation(session: Session, **kw: Any) -> Organisation:
    """An organisation."""
    i = n()
    values: dict[str, Any] = {
        "name": f"Viện Nghiên cứu số {i}",
        "kind": OrganisationKind.RESEARCH_INSTITUTE,
        "email": f"vien{i}@example.vn",
    }
    values.update(kw)
    return people_service.create_organisation(session=session, **values)


def person(session: Session, org: Organisation | None = None, **kw: Any) -> Person:
    """A scientist, affiliated with ``org`` (a new organisation unless given)."""
    i = n()
    org = org or organisation(session)
    values: dict[str, Any] = {
        "full_name": f"Nguyễn Văn Khoa {i}",
        "degree": Degree.DOCTOR,
        "email": f"khoa{i}@example.vn",
        "fields": [Field.AGRICULTURAL],
        "organisation_id": org.id,
        "is_expert": True,
    }
    values.update(kw)
    return people_service.create_person(session=session, **values)


def user(session: Session, roles: Sequence[Role] = (Role.STAFF,), **kw: Any) -> User:
    """A user with roles."""
    i = n()
    values: dict[str, Any] = {
        "username": f"user{i}",
        "email": f"user{i}@skhcn.example.vn",
        "display_name": f"Chuyên viên {i}",
    }
    values.update(kw)
    return people_service.create_user(session=session, roles=roles, **values)


def experts(
    session: Session,
    count: int,
    field: Field = Field.AGRICULTURAL,
    *,
    org: Organisation | None = None,
    kind: OrganisationKind = OrganisationKind.RESEARCH_INSTITUTE,
    degree: Degree = Degree.DOCTOR,
) -> list[Person]:
    """``count`` experts of ``field``, each with a council_member user (a new organisation of
    ``kind`` each, unless ``org`` is given)."""
    found = []
    for _ in range(count):
        who = person(
            session, org or organisation(session, kind=kind), fields=[field], degree=degree
        )
        user(session, (Role.COUNCIL_MEMBER, Role.SCIENTIST), person_id=who.id)
        found.append(who)
    return found


def officials(session: Session, count: int = 4) -> list[Person]:
    """Department officials (people with a staff user): the appraisal team's members."""
    department = organisation(
        session, name=f"Sở Khoa học và Công nghệ {n()}", kind=OrganisationKind.GOVERNMENT_AGENCY
    )
    found = []
    for _ in range(count):
        who = person(session, department, degree=Degree.MASTER, is_expert=False, fields=[])
        user(session, (Role.STAFF,), person_id=who.id)
        found.append(who)
    return found


def proposal(session: Session, **kw: Any) -> Proposal:
    """A submitted proposal from an organisation and one of its people."""
    org = kw.pop("organisation", None) or organisation(session)
    values: dict[str, Any] = {
        "year": 2026,
        "title": f"Nghiên cứu giống lúa chịu mặn số {n()}",
        "field": Field.AGRICULTURAL,
        "proposer_organisation_id": org.id,
        "proposer_person_id": person(session, org, is_expert=False).id,
        "estimated_budget": 1_000_000_000,
    }
    values.update(kw)
    return proposals_service.create_proposal(session=session, **values)


def task(
    session: Session,
    *,
    host: Organisation | None = None,
    investigator: Person | None = None,
    with_proposal: bool = True,
    edition: str = "2025",
    **kw: Any,
) -> Task:
    """An approved task bound to ``edition`` (inserted directly: step 1 has its own tests)."""
    i = n()
    values: dict[str, Any] = {
        "code": f"ĐT.2026.{i:03d}",
        "year": 2026,
        "title": f"Ứng dụng công nghệ sinh học trong nông nghiệp {i}",
        "field": Field.AGRICULTURAL,
        "kind": TaskKind.RESEARCH_TOPIC,
        "method": Method.SELECTION,
        "stage": Stage.TASK_LIST,
        "status": TaskStatus.APPROVED,
        "host_organisation_id": host.id if host else None,
        "proposal_id": proposal(session).id if with_proposal else None,
        "edition": edition,
        "edition_bound_on": date(2025, 12, 1) if edition == "2025" else date(2025, 6, 2),
    }
    values.update(kw)
    row = Task(**values)
    session.add(row)
    session.flush()
    if investigator is not None:
        tasks_service.add_task_member(
            session=session,
            task_id=row.id,
            person_id=investigator.id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
    return row


def open_call(session: Session, tasks: Sequence[Task], **kw: Any) -> Call:
    """An open call for the given tasks."""
    values: dict[str, Any] = {
        "number": f"TB-{n():03d}/2026",
        "title": "Thông báo tuyển chọn tổ chức, cá nhân chủ trì nhiệm vụ KH&CN năm 2026",
        "year": 2026,
        "opens_on": date(2026, 2, 2),
        "closes_on": date(2026, 3, 4),
        "task_ids": [t.id for t in tasks],
    }
    values.update(kw)
    return calls_service.open_call(session=session, **values)


def application(
    session: Session,
    call: Call,
    task: Task,
    *,
    root: Path | None = None,
    org: Organisation | None = None,
    pi: Person | None = None,
    team: Sequence[Person] = (),
    requested_budget: int = 900_000_000,
    documents: Sequence[DocumentKind] = (
        DocumentKind.APPLICATION_FORM,
        DocumentKind.PROPOSAL_RESEARCH,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    ),
) -> Application:
    """An application (with its dossier documents, stored under ``root`` when given)."""
    org = org or organisation(session)
    pi = pi or person(session, org, is_expert=False)
    row = calls_service.submit_application(
        session=session,
        call_id=call.id,
        task_id=task.id,
        organisation_id=org.id,
        principal_investigator_id=pi.id,
        team_person_ids=[p.id for p in team],
        requested_budget=requested_budget,
        submitted_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )
    for kind in documents if root is not None else ():
        stored = documents_service.store_file(
            session=session,
            root=root,
            content=f"{kind.value} của {org.name} #{row.id}".encode(),
            original_name=f"{kind.value}.pdf",
            content_type="application/pdf",
        )
        documents_service.add_dossier_document(
            session=session, stored_file_id=stored.id, kind=kind, application_id=row.id
        )
    session.refresh(row)
    return row


def valid_applications(session: Session, task: Task, count: int = 2) -> list[Application]:
    """A call for ``task`` with ``count`` applications that staff found valid."""
    call = open_call(session, [task])
    rows = [application(session, call, task) for _ in range(count)]
    calls_service.open_applications(
        session=session, task_code=task.code, call_id=call.id, valid_ids=[a.id for a in rows]
    )
    return rows


def established(
    session: Session,
    task: Task,
    kind: CouncilType,
    *,
    today: date = MONDAY,
    meeting_on: date | None = None,
    spare_experts: int = 0,
) -> Council:
    """A council of ``kind`` for ``task``, proposed by the system from new experts and
    established by a decision ``today``, meeting at the earliest day the lead time allows."""
    if kind is CouncilType.APPRAISAL:
        officials(session)
    else:
        size = {CouncilType.ADVISORY: 7, CouncilType.SELECTION: 7, CouncilType.ACCEPTANCE: 6}[kind]
        experts(session, size + spare_experts, task.field)
        if kind is CouncilType.ACCEPTANCE:
            experts(session, 3, task.field, kind=OrganisationKind.GOVERNMENT_AGENCY)
    council = councils_service.propose_council(
        session=session, task_id=task.id, kind=kind, today=today
    )
    return confirm(session, council, task, today=today, meeting_on=meeting_on)


def confirm(
    session: Session,
    council: Council,
    task: Task,
    *,
    today: date = MONDAY,
    meeting_on: date | None = None,
    removed: Iterable[int] = (),
) -> Council:
    """Staff confirm a proposed council; it meets on ``meeting_on`` (the earliest allowed)."""
    lead = councils_service.council_rules(council).documents_lead_working_days
    day = meeting_on or VIETNAM.add_working_days(today, lead)
    return councils_service.confirm_council(
        session=session,
        council_id=council.id,
        decision_number=f"{n()}/QĐ-SKHCN",
        established_on=today,
        meeting_at=councils_service.meeting_moment(day),
        today=today,
        removed_person_ids=removed,
        task_id=task.id,
    )


def member(council: Council, role: CouncilRole, index: int = 0) -> CouncilMember:
    """The ``index``-th member of a council holding ``role``."""
    return [m for m in council.members if m.role == role][index]


def hold(
    session: Session,
    council: Council,
    task: Task,
    *,
    absent: Iterable[CouncilMember] = (),
) -> MeetingResult:
    """The secretary records the meeting: everyone but ``absent`` came; three present members
    who are neither chair nor secretary count the votes."""
    away = {m.id for m in absent}
    present = [m for m in council.members if m.id not in away]
    rules = councils_service.council_rules(council)
    tellers = [m.id for m in present if m.role not in (CouncilRole.CHAIR, CouncilRole.SECRETARY)][
        : rules.counting_committee
    ]
    return meetings_service.record_attendance(
        session=session,
        council_id=council.id,
        task_id=task.id,
        present_member_ids=[m.id for m in present],
        counting_member_ids=tellers,
        counting_head_id=tellers[0] if tellers else None,
    )


def review_all(session: Session, council: Council, task: Task, *, on: date = MONDAY) -> None:
    """Every member files the written review of every item of ``task`` on ``on``."""
    for m in council.members:
        for item in meetings_service.items_of(council, task.id):
            meetings_service.record_review(
                session=session,
                council_id=council.id,
                member_id=m.id,
                task_id=task.id,
                application_id=item.application_id,
                opinion=ReviewOpinion.APPROVE,
                submitted_on=on,
            )


def bystanders(council: Council, task: Task) -> list[CouncilMember]:
    """Members whose absence leaves the quorum's named roles intact: plain members who
    review none of the task's items."""
    reviewing = {
        r.member_id for i in meetings_service.items_of(council, task.id) for r in i.reviewers
    }
    return [m for m in council.members if m.role is CouncilRole.MEMBER and m.id not in reviewing]


def hosted_task(session: Session, **kw: Any) -> Task:
    """A task whose selection council was established and whose host and investigator were
    chosen from its first application (an acceptance council needs an earlier member)."""
    row = task(session, **kw)
    apps = valid_applications(session, row)
    established(session, row, CouncilType.SELECTION)
    row.host_organisation_id = apps[0].organisation_id
    tasks_service.add_task_member(
        session=session,
        task_id=row.id,
        person_id=apps[0].principal_investigator_id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )
    session.flush()
    return row


def under_contract(
    session: Session, row: Task, starts_on: date, ends_on: date, value: int = 900_000_000
) -> Contract:
    """A signed contract for a hosted task."""
    contract = contracts_service.create_contract(
        session=session, task_id=row.id, value=value, starts_on=starts_on, ends_on=ends_on
    )
    contracts_service.sign_contract(session=session, contract_id=contract.id, signed_on=starts_on)
    return contract


def accepted_task(session: Session, completed_on: date = date(2027, 5, 20)) -> Task:
    """A task rated Đạt whose completed dossier the chair confirmed on ``completed_on``: the
    official acceptance registration counts from (the council's count is tested elsewhere)."""
    row = task(session, host=organisation(session))
    under_contract(session, row, date(2025, 6, 2), date(2027, 3, 31))
    acceptance_service.file_acceptance_dossier(
        session=session, task_code=row.code, filed_on=date(2027, 4, 1)
    )
    acceptance_service.store_council_verdict(session, row, Rating.PASS, date(2027, 5, 3))
    acceptance_service.confirm_completion(
        session=session, task_code=row.code, completed=True, today=completed_on
    )
    return row
