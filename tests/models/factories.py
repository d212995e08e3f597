"""Factories of domain objects for tests: sensible defaults, every field overridable."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.calls import Application, Call
from models.councils import Council, CouncilMember
from models.enums import (
    AcceptanceLevel,
    CouncilRole,
    CouncilType,
    Degree,
    DocumentKind,
    Field,
    Method,
    OrganisationKind,
    ProposalStatus,
    Rating,
    Role,
    Stage,
    TaskKind,
    TaskStatus,
)
from models.people import Organisation, Person
from models.proposals import Proposal
from models.services import acceptance as acceptance_service
from models.services import calls as calls_service
from models.services import contracts as contracts_service
from models.services import councils as councils_service
from models.services import documents as documents_service
from models.services import people as people_service
from models.tasks import Task
from models.users import User

_seq = itertools.count(1)

DEFAULT_SIZES = {CouncilType.ADVISORY: 7, CouncilType.SELECTION: 7, CouncilType.ACCEPTANCE: 9}

STANDARD_ROLES: dict[int, list[CouncilRole]] = {
    n: [CouncilRole.CHAIR, CouncilRole.VICE_CHAIR, CouncilRole.REVIEWER, CouncilRole.REVIEWER]
    + [CouncilRole.SECRETARY]
    + [CouncilRole.MEMBER] * (n - 5)
    for n in range(5, 10)
}


def n() -> int:
    """A fresh number for unique names."""
    return next(_seq)


def organisation(session: Session, **kw: Any) -> Organisation:
    """An organisation."""
    i = n()
    values: dict[str, Any] = {
        "name": f"Viện Nghiên cứu số {i}",
        "kind": OrganisationKind.RESEARCH_INSTITUTE,
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


def proposal(session: Session, **kw: Any) -> Proposal:
    """A submitted proposal."""
    values: dict[str, Any] = {
        "session": session,
        "year": 2027,
        "title": f"Nghiên cứu giống lúa chịu mặn số {n()}",
        "field": Field.AGRICULTURAL,
        "proposer_organisation_id": kw.pop("proposer_organisation_id", None)
        or organisation(session).id,
    }
    values.update(kw)
    from models.services.proposals import create_proposal

    return create_proposal(**values)


def task(session: Session, *, host: Organisation | None = None, **kw: Any) -> Task:
    """An approved task (inserted directly: step 1 has its own tests)."""
    i = n()
    values: dict[str, Any] = {
        "code": f"ĐT.2027.{i:03d}",
        "year": 2027,
        "title": f"Ứng dụng công nghệ sinh học trong nông nghiệp {i}",
        "field": Field.AGRICULTURAL,
        "kind": TaskKind.RESEARCH_TOPIC,
        "method": Method.SELECTION,
        "stage": Stage.TASK_LIST,
        "status": TaskStatus.APPROVED,
        "host_organisation_id": host.id if host else None,
    }
    values.update(kw)
    row = Task(**values)
    session.add(row)
    session.flush()
    return row


def recommended_proposal(session: Session, **kw: Any) -> Proposal:
    """A proposal the advisory council recommended."""
    row = proposal(session, **kw)
    row.status = ProposalStatus.RECOMMENDED
    session.flush()
    return row


def open_call(session: Session, tasks: Sequence[Task], **kw: Any) -> Call:
    """An open call for the given tasks."""
    values: dict[str, Any] = {
        "number": f"TB-{n():03d}/2027",
        "title": "Thông báo tuyển chọn tổ chức, cá nhân chủ trì nhiệm vụ KH&CN năm 2027",
        "year": 2027,
        "opens_on": date(2027, 3, 1),
        "closes_on": date(2027, 4, 15),
        "task_ids": [t.id for t in tasks],
    }
    values.update(kw)
    return calls_service.open_call(session=session, **values)


def application(
    session: Session,
    call: Call,
    task: Task,
    *,
    root: Path,
    org: Organisation | None = None,
    pi: Person | None = None,
    team: Sequence[Person] = (),
    documents: Sequence[DocumentKind] = (
        DocumentKind.APPLICATION_FORM,
        DocumentKind.PROPOSAL_RESEARCH,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    ),
) -> Application:
    """An application with its dossier documents, stored under ``root``."""
    org = org or organisation(session)
    pi = pi or person(session, org)
    row = calls_service.submit_application(
        session=session,
        call_id=call.id,
        task_id=task.id,
        organisation_id=org.id,
        principal_investigator_id=pi.id,
        team_person_ids=[p.id for p in team],
        submitted_at=datetime(2027, 4, 1, 9, 0, tzinfo=UTC),
    )
    for kind in documents:
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


def council(
    session: Session,
    type: CouncilType,
    *,
    task: Task | None = None,
    size: int | None = None,
    people: Sequence[Person] = (),
    roles: Sequence[CouncilRole] | None = None,
) -> Council:
    """A council with members appointed in the standard roles (new experts unless given)."""
    size = (
        size or {CouncilType.ADVISORY: 7, CouncilType.SELECTION: 7, CouncilType.ACCEPTANCE: 9}[type]
    )
    roles = list(roles or STANDARD_ROLES[size])
    row = councils_service.create_council(
        session=session,
        type=type,
        name=f"Hội đồng {type.value} {n()}",
        task_id=task.id if task else None,
    )
    members = list(people) + [person(session) for _ in range(len(roles) - len(people))]
    for who, role in zip(members, roles, strict=True):
        councils_service.appoint_council_member(
            session=session, council_id=row.id, person_id=who.id, role=role
        )
    session.refresh(row)
    return row


def member(council: Council, role: CouncilRole, index: int = 0) -> CouncilMember:
    """The ``index``-th member of a council holding ``role``."""
    return [m for m in council.members if m.role == role][index]


def accepted_task(session: Session, decided_on: date = date(2027, 5, 20)) -> Task:
    """A task under contract whose acceptance was decided on ``decided_on``."""
    row = task(session, host=organisation(session))
    contracts_service.create_contract(
        session=session,
        task_id=row.id,
        value=1,
        starts_on=date(2025, 6, 1),
        ends_on=date(2027, 3, 31),
    )
    dossier = acceptance_service.submit_acceptance_dossier(
        session=session,
        task_id=row.id,
        submitted_on=date(2027, 4, 1),
        level=AcceptanceLevel.DEPARTMENT,
    )
    acceptance_service.record_acceptance_decision(
        session=session,
        dossier_id=dossier.id,
        decision_number=f"{n()}/QĐ-SKHCN",
        decision_on=decided_on,
        rating=Rating.PASS,
    )
    return row
