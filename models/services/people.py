"""Organisations, people, their expertise and affiliations, and users."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AcademicTitle, Degree, Field, OrganisationKind, Role
from models.people import Affiliation, Expertise, Organisation, Person
from models.services.errors import get_or_raise
from models.users import User, UserRole


def create_organisation(
    *,
    session: Session,
    name: str,
    kind: OrganisationKind,
    short_name: str | None = None,
    address: str | None = None,
    email: str | None = None,
) -> Organisation:
    """Register an organisation."""
    org = Organisation(name=name, kind=kind, short_name=short_name, address=address, email=email)
    session.add(org)
    session.flush()
    return org


def create_person(
    *,
    session: Session,
    full_name: str,
    degree: Degree | None = None,
    academic_title: AcademicTitle | None = None,
    email: str | None = None,
    fields: Iterable[Field | tuple[Field, str]] = (),
    organisation_id: int | None = None,
    position: str | None = None,
    is_expert: bool = False,
) -> Person:
    """Register a scientist or expert with fields of expertise and a current affiliation."""
    person = Person(
        full_name=full_name,
        degree=degree,
        academic_title=academic_title,
        email=email,
        is_expert=is_expert,
        public_profile=is_expert,
    )
    for item in fields:
        field, speciality = item if isinstance(item, tuple) else (item, "")
        person.expertise.append(Expertise(field=field, speciality=speciality))
    if organisation_id is not None:
        person.affiliations.append(Affiliation(organisation_id=organisation_id, position=position))
    session.add(person)
    session.flush()
    return person


def add_affiliation(
    *,
    session: Session,
    person_id: int,
    organisation_id: int,
    position: str | None = None,
    started_on: date | None = None,
    ended_on: date | None = None,
) -> Affiliation:
    """Record a (current or past) position of a person in an organisation."""
    get_or_raise(session, Person, person_id)
    aff = Affiliation(
        person_id=person_id,
        organisation_id=organisation_id,
        position=position,
        started_on=started_on,
        ended_on=ended_on,
    )
    session.add(aff)
    session.flush()
    return aff


def find_experts(*, session: Session, field: Field) -> list[Person]:
    """Experts with expertise in a field, by name (the public directory and council picks)."""
    stmt = (
        select(Person)
        .join(Expertise)
        .where(Expertise.field == field, Person.is_expert.is_(True))
        .order_by(Person.full_name, Person.id)
        .distinct()
    )
    return list(session.scalars(stmt))


def create_user(
    *,
    session: Session,
    username: str,
    email: str,
    display_name: str,
    roles: Iterable[Role],
    person_id: int | None = None,
) -> User:
    """Create a user with roles."""
    user = User(username=username, email=email, display_name=display_name, person_id=person_id)
    user.roles = [UserRole(role=role) for role in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user
