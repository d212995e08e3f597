"""The directory of experts and scientists, their public profiles, and organisations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from models.enums import AcademicTitle, Degree, Field, OrganisationKind, TaskMemberRole
from models.people import Affiliation, Expertise, Organisation, Person
from models.publicity import listed
from models.registration import ResultRegistration
from models.search import (
    PERSON_TEXT,
    PersonSearch,
    SearchQuery,
    Segment,
    TaskSearch,
    highlight,
    matching,
)
from models.services.catalogue import (
    TaskFilters,
    TaskPage,
    TaskRow,
    TaskSort,
    search_tasks,
    tasks_where,
)
from models.services.errors import InvalidRequestError, NotFoundError
from models.services.listing import (
    Contact,
    OrganisationRef,
    PersonRef,
    contact_of,
    honorific,
    paging,
    person_ref,
)
from models.tasks import Task, TaskMember


@dataclass(frozen=True)
class PersonCard:
    """A scientist as the directory lists them."""

    id: int
    name: str
    honorific: str
    degree: Degree | None
    academic_title: AcademicTitle | None
    fields: list[Field]
    specialities: list[str]
    organisations: list[OrganisationRef]
    marked_name: list[Segment]


@dataclass(frozen=True)
class PeoplePage:
    """One page of the directory."""

    items: list[PersonCard]
    total: int
    page: int
    per_page: int
    pages: int


def _card(person: Person, query: SearchQuery | None = None) -> PersonCard:
    fields = list(dict.fromkeys(e.field for e in person.expertise))
    return PersonCard(
        id=person.id,
        name=person.full_name,
        honorific=honorific(person.degree, person.academic_title),
        degree=person.degree,
        academic_title=person.academic_title,
        fields=fields,
        specialities=[e.speciality for e in person.expertise if e.speciality],
        organisations=[
            OrganisationRef(a.organisation.id, a.organisation.name, a.organisation.short_name)
            for a in person.affiliations
            if a.ended_on is None
        ],
        marked_name=highlight(person.full_name, query),
    )


def _organisation(session: Session, organisation_id: int) -> Organisation:
    found = session.get(Organisation, organisation_id)
    if found is None:
        raise NotFoundError(
            "organisation_not_found",
            f"Không có tổ chức số {organisation_id}.",
            f"There is no organisation {organisation_id}.",
        )
    return found


def search_people(
    *,
    session: Session,
    query: SearchQuery | None = None,
    field: Field | None = None,
    organisation_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
) -> PeoplePage:
    """One page of the experts and scientists with a public profile, found and filtered."""
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise InvalidRequestError(
            "unknown_organisation",
            f"Không có tổ chức số {organisation_id}.",
            f"There is no organisation {organisation_id}.",
        )
    stmt = select(Person.id).join(PersonSearch, PersonSearch.person_id == Person.id)
    order: list[Any] = [PersonSearch.name_key, Person.id]
    found = matching(session, PERSON_TEXT, query)
    if found is not None:
        matches = found.subquery("matches")
        stmt = stmt.join(matches, matches.c.id == Person.id)
        order = [matches.c.rank.desc(), *order]
    stmt = stmt.where(listed())
    if field is not None:
        stmt = stmt.where(
            exists().where(Expertise.person_id == Person.id, Expertise.field == field)
        )
    if organisation_id is not None:
        stmt = stmt.where(
            exists().where(
                Affiliation.person_id == Person.id,
                Affiliation.organisation_id == organisation_id,
                Affiliation.ended_on.is_(None),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    window = paging(page, per_page, total)
    ids = list(session.scalars(stmt.order_by(*order).limit(per_page).offset(window.offset)))
    people = {
        p.id: p
        for p in session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(
                selectinload(Person.expertise),
                selectinload(Person.affiliations).selectinload(Affiliation.organisation),
            )
        )
    }
    return PeoplePage(
        items=[_card(people[i], query) for i in ids],
        total=total,
        page=page,
        per_page=per_page,
        pages=window.pages,
    )


@dataclass(frozen=True)
class Position:
    """A position held in an organisation (current when `ended_on` is empty)."""

    organisation: OrganisationRef
    position: str | None
    started_on: date | None
    ended_on: date | None


@dataclass(frozen=True)
class JoinedTask:
    """A task a person worked on, and their part in it."""

    task: TaskRow
    role: TaskMemberRole


@dataclass(frozen=True)
class ResultCredit:
    """A registered result of a task the person led or joined."""

    title: str
    certificate_number: str | None
    published_on: date | None
    task_code: str


@dataclass(frozen=True)
class Profile:
    """A scientist's public profile (councils they sat on are not part of it)."""

    person: PersonCard
    biography: str | None
    contact: Contact | None
    positions: list[Position]
    led: list[TaskRow]
    joined: list[JoinedTask]
    results: list[ResultCredit]


def person_profile(*, session: Session, person_id: int) -> Profile:
    """The public profile of a person who chose to have one (anyone else: not found)."""
    person = session.scalar(select(Person).where(Person.id == person_id, listed()))
    if person is None:
        raise NotFoundError(
            "person_not_found",
            f"Không có hồ sơ công khai số {person_id}.",
            f"There is no public profile {person_id}.",
        )
    roles = dict(
        session.execute(
            select(TaskMember.task_id, TaskMember.role).where(TaskMember.person_id == person_id)
        ).all()
    )
    led = tasks_where(session=session, condition=Task.principal_investigator_id == person_id)
    led_codes = {t.code for t in led}
    codes = dict(session.execute(select(Task.code, Task.id).where(Task.id.in_(list(roles)))).all())
    joined = [
        JoinedTask(task=row, role=roles[codes[row.code]])
        for row in tasks_where(session=session, condition=Task.id.in_(list(roles)))
        if row.code not in led_codes
    ]
    task_ids = set(roles) | {
        tid
        for tid in session.scalars(
            select(Task.id).where(Task.principal_investigator_id == person_id)
        )
    }
    results = [
        ResultCredit(
            title=r.title,
            certificate_number=r.certificate_number,
            published_on=r.published_on,
            task_code=code,
        )
        for r, code in session.execute(
            select(ResultRegistration, Task.code)
            .join(Task, Task.id == ResultRegistration.task_id)
            .join(TaskSearch, TaskSearch.task_id == Task.id)
            .where(
                ResultRegistration.task_id.in_(task_ids),
                ResultRegistration.certificate_number.is_not(None),
            )
            .order_by(ResultRegistration.certificate_issued_on.desc(), ResultRegistration.id)
        )
    ]
    positions = [
        Position(
            organisation=OrganisationRef(
                a.organisation.id, a.organisation.name, a.organisation.short_name
            ),
            position=a.position,
            started_on=a.started_on,
            ended_on=a.ended_on,
        )
        for a in sorted(
            person.affiliations,
            key=lambda a: (a.ended_on is None, a.ended_on or date.min),
            reverse=True,
        )
    ]
    return Profile(
        person=_card(person),
        biography=person.biography,
        contact=contact_of(person),
        positions=positions,
        led=led,
        joined=joined,
        results=results,
    )


# --- organisations --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationCard:
    """An organisation as the list shows it."""

    id: int
    name: str
    short_name: str | None
    kind: OrganisationKind
    tasks: int


@dataclass(frozen=True)
class OrganisationPage:
    """One page of the organisations."""

    items: list[OrganisationCard]
    total: int
    page: int
    per_page: int
    pages: int


def list_organisations(
    *,
    session: Session,
    kind: OrganisationKind | None = None,
    page: int = 1,
    per_page: int = 50,
) -> OrganisationPage:
    """Organisations by name, with how many tasks each hosts."""
    hosted = (
        select(func.count())
        .select_from(Task)
        .join(TaskSearch, TaskSearch.task_id == Task.id)
        .where(Task.host_organisation_id == Organisation.id)
        .scalar_subquery()
    )
    stmt = select(Organisation.id, Organisation.name, Organisation.short_name, Organisation.kind)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    window = paging(page, per_page, total)
    rows = session.execute(
        stmt.add_columns(hosted)
        .order_by(Organisation.name, Organisation.id)
        .limit(per_page)
        .offset(window.offset)
    )
    return OrganisationPage(
        items=[OrganisationCard(i, n, s, k, c) for i, n, s, k, c in rows],
        total=total,
        page=page,
        per_page=per_page,
        pages=window.pages,
    )


def organisation_refs(*, session: Session) -> list[OrganisationRef]:
    """Every organisation by name (the choices of an organisation filter)."""
    rows = session.execute(
        select(Organisation.id, Organisation.name, Organisation.short_name).order_by(
            Organisation.name, Organisation.id
        )
    )
    return [OrganisationRef(id=i, name=n, short_name=s) for i, n, s in rows]


@dataclass(frozen=True)
class OrganisationProfile:
    """An organisation's page: who it is, its tasks and its listed experts."""

    id: int
    name: str
    short_name: str | None
    kind: OrganisationKind
    address: str | None
    email: str | None
    phone: str | None
    tasks: TaskPage
    experts: list[PersonRef]


def organisation_profile(
    *, session: Session, organisation_id: int, page: int = 1, per_page: int = 20
) -> OrganisationProfile:
    """An organisation with a page of the tasks it hosts, newest first."""
    org = _organisation(session, organisation_id)
    experts = [
        ref
        for person in session.scalars(
            select(Person)
            .join(Affiliation, Affiliation.person_id == Person.id)
            .where(
                Affiliation.organisation_id == org.id,
                Affiliation.ended_on.is_(None),
                listed(),
            )
            .order_by(Person.full_name, Person.id)
            .distinct()
        )
        if (ref := person_ref(person)) is not None
    ]
    return OrganisationProfile(
        id=org.id,
        name=org.name,
        short_name=org.short_name,
        kind=org.kind,
        address=org.address,
        email=org.email,
        phone=org.phone,
        tasks=search_tasks(
            session=session,
            filters=TaskFilters(organisation_id=org.id),
            sort=TaskSort.NEWEST,
            page=page,
            per_page=per_page,
        ),
        experts=experts,
    )
