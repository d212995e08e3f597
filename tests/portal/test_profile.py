"""A scientist's own profile over HTTP; staff verify degree and title changes."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.enums import DecisionStatus, Degree, Field, OrganisationKind, Role
from models.people import Organisation, Person
from models.profiles import ProfileChange, Publication
from models.services.people import create_organisation
from tests.portal.people import client_of, login, make_user


def test_a_scientist_keeps_their_own_profile(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    me = login(portal_sessions, make_user(portal_sessions, [Role.SCIENTIST], person=True).id)
    with portal_sessions() as session, session.begin():
        org = create_organisation(
            session=session, name="Trường Đại học Nông Lâm Huế", kind=OrganisationKind.UNIVERSITY
        ).id
    client = client_of(portal_app, me)
    invalid = client.post(
        "/profile",
        data={"csrf_token": me.csrf, "biography": "Nghiên cứu cây sen.", "phone": "gọi tôi"},
    )
    assert invalid.status_code == 400 and "số điện thoại" in invalid.text
    saved = client.post(
        "/profile",
        data={
            "csrf_token": me.csrf,
            "biography": "Nghiên cứu cây sen.",
            "phone": "0234 3822 000",
            "organisation_id": str(org),
            "position": "Giảng viên",
            "expertise_field": ["agricultural", ""],
            "expertise_speciality": ["Cây hoa", ""],
            "public_profile": "true",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    added = client.post(
        "/profile/publications",
        data={"csrf_token": me.csrf, "title": "Sen Huế", "year": "2024", "is_public": "true"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    with portal_sessions() as session:
        person = session.get(Person, me.person_id)
        assert person is not None and person.public_profile and person.phone == "0234 3822 000"
        assert [(e.field, e.speciality) for e in person.expertise] == [
            (Field.AGRICULTURAL, "Cây hoa")
        ]
        assert [a.organisation_id for a in person.affiliations] == [org]
        assert session.scalars(
            select(Publication.title).where(Publication.person_id == person.id)
        ).all() == ["Sen Huế"]
        assert session.get(Organisation, org) is not None


def test_degree_changes_wait_for_staff_verification(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    me = login(
        portal_sessions, make_user(portal_sessions, [Role.SCIENTIST, Role.STAFF], person=True).id
    )
    staff = login(portal_sessions, make_user(portal_sessions, [Role.STAFF]).id)
    client = client_of(portal_app, me)
    asked = client.post(
        "/profile/changes",
        data={
            "csrf_token": me.csrf,
            "attribute": "degree",
            "value": "doctor_of_science",
            "evidence": "Bằng TSKH số 123",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303
    with portal_sessions() as session:
        change = session.scalar(
            select(ProfileChange).where(ProfileChange.person_id == me.person_id)
        )
        assert change is not None and session.get(Person, me.person_id).degree is None
    # nobody verifies their own change, even a scientist who is staff too
    own = client.post(
        f"/staff/profile-changes/{change.id}", data={"csrf_token": me.csrf, "decision": "approve"}
    )
    assert own.status_code == 409
    verified = client_of(portal_app, staff).post(
        f"/staff/profile-changes/{change.id}",
        data={"csrf_token": staff.csrf, "decision": "approve", "note": "Đã đối chiếu bản gốc"},
        follow_redirects=False,
    )
    assert verified.status_code == 303
    with portal_sessions() as session:
        assert session.get(Person, me.person_id).degree is Degree.DOCTOR_OF_SCIENCE
        assert session.get(ProfileChange, change.id).status is DecisionStatus.APPROVED
