"""People, organisations and users."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Field, Role
from models.services import people
from tests.models import factories as f


def test_person_with_expertise_and_affiliation(session: Session) -> None:
    org = f.organisation(session, name="Trường Đại học Nông Lâm Huế")
    who = people.create_person(
        session=session,
        full_name="Trần Thị Hoa",
        fields=[Field.AGRICULTURAL, (Field.NATURAL_SCIENCES, "Sinh học phân tử")],
        organisation_id=org.id,
        position="Giảng viên",
        is_expert=True,
    )
    session.expire_all()
    assert {(e.field, e.speciality) for e in who.expertise} == {
        (Field.AGRICULTURAL, ""),
        (Field.NATURAL_SCIENCES, "Sinh học phân tử"),
    }
    assert who.current_organisation_ids() == {org.id}
    assert who.affiliations[0].organisation.name == "Trường Đại học Nông Lâm Huế"


def test_find_experts_by_field(session: Session) -> None:
    expert = f.person(session, fields=[Field.HUMANITIES])
    f.person(session, fields=[Field.HUMANITIES], is_expert=False)
    f.person(session, fields=[Field.AGRICULTURAL])
    assert people.find_experts(session=session, field=Field.HUMANITIES) == [expert]


def test_user_roles(session: Session) -> None:
    user = f.user(session, roles=[Role.STAFF, Role.LEADER, Role.STAFF])
    session.expire_all()
    assert sorted(r.role for r in user.roles) == [Role.LEADER, Role.STAFF]
    assert user.has_role(Role.LEADER) and not user.has_role(Role.ADMIN)


def test_emails_are_unique(session: Session) -> None:
    f.person(session, email="trung@example.vn")
    with pytest.raises(IntegrityError), session.begin_nested():
        f.person(session, email="trung@example.vn")
