"""One demo account per role, with known passwords (development only).

`khcn seed --demo` makes them and prints them; the README lists them. They are flagged
`is_demo`, and the portal refuses their sign-in when KHCN_ENV=production, so a database seeded
in development and carried into production does not open a door with a published password.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AcademicTitle, Degree, Field, Role
from models.people import Expertise, Person
from models.proposals import Proposal
from models.services.accounts import hash_password
from models.services.audit import Actor, record_audit
from models.services.errors import DomainError
from models.services.people import create_person, create_user
from models.users import User

SEEDER = Actor(name="seed:demo-accounts")


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: what it is for and how to sign in."""

    role: Role
    username: str
    password: str
    display_name: str
    # scientists and council members are people too (a profile, proposals, council seats)
    person_name: str | None = None


# Passwords are Huế landmarks: long, not on the common list, and not built on the login.
DEMO_ACCOUNTS = (
    DemoAccount(Role.STAFF, "demo.chuyenvien", "hoa-sen-tim-2026", "Chuyên viên mẫu"),
    DemoAccount(Role.LEADER, "demo.lanhdao", "song-huong-xanh-2026", "Lãnh đạo Sở mẫu"),
    DemoAccount(
        Role.COUNCIL_MEMBER,
        "demo.hoidong",
        "cau-truong-tien-2026",
        "TS. Thành viên hội đồng mẫu",
        "Thành viên hội đồng mẫu",
    ),
    DemoAccount(
        Role.SCIENTIST,
        "demo.nhakhoahoc",
        "nui-ngu-binh-2026",
        "TS. Nhà khoa học mẫu",
        "Nhà khoa học mẫu",
    ),
    DemoAccount(Role.ADMIN, "demo.quantri", "chua-thien-mu-2026", "Quản trị mẫu"),
)


def ensure_demo_accounts(*, session: Session, env: str = "development") -> list[DemoAccount]:
    """Create the demo accounts that are missing (get-or-create); refused in production."""
    if env == "production":
        raise DomainError(
            "demo_accounts_refused",
            "Không tạo tài khoản mẫu khi KHCN_ENV=production.",
            "Demo accounts are refused when KHCN_ENV=production.",
        )
    for account in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == account.username)):
            continue
        email = f"{account.username}@demo.skhcn.vn"
        person_id = None
        roles = [account.role]
        if account.person_name is not None:
            person = create_person(
                session=session,
                full_name=account.person_name,
                degree=Degree.DOCTOR,
                email=email,
                fields=[(Field.AGRICULTURAL, "Công nghệ sinh học nông nghiệp")],
                is_expert=account.role is Role.COUNCIL_MEMBER,
            )
            person_id = person.id
            # a council member is a scientist too: they may propose and keep a profile
            if account.role is Role.COUNCIL_MEMBER:
                roles.append(Role.SCIENTIST)
        user = create_user(
            session=session,
            username=account.username,
            email=email,
            display_name=account.display_name,
            roles=roles,
            person_id=person_id,
        )
        user.password_hash = hash_password(account.password)
        user.is_demo = True
        session.flush()
        record_audit(
            session=session,
            action="account.demo_create",
            entity_type="user",
            entity_id=user.id,
            actor=SEEDER,
            details={"username": user.username, "role": account.role.value},
        )
    return list(DEMO_ACCOUNTS)


COUNCIL_MEMBER = next(a for a in DEMO_ACCOUNTS if a.role is Role.COUNCIL_MEMBER)


def seat_demo_member(*, session: Session, field: Field) -> Person | None:
    """Make the demo council member the most senior expert of `field` (GS.TSKH.), so the
    councils the system proposes for that field seat them (councils.Candidate.order puts
    seniority first): their inbox then holds reviews and ballots to try."""
    person = session.scalar(
        select(Person)
        .join(User, User.person_id == Person.id)
        .where(User.username == COUNCIL_MEMBER.username)
    )
    if person is None:
        return None
    person.academic_title = AcademicTitle.PROFESSOR
    person.degree = Degree.DOCTOR_OF_SCIENCE
    person.is_expert = True
    if all(e.field is not field for e in person.expertise):
        person.expertise.append(Expertise(field=field, speciality=""))
    session.flush()
    record_audit(
        session=session,
        action="account.demo_seat",
        entity_type="person",
        entity_id=person.id,
        actor=SEEDER,
        details={"field": field.value},
    )
    return person


SCIENTIST = next(a for a in DEMO_ACCOUNTS if a.role is Role.SCIENTIST)


def give_demo_proposal(*, session: Session, proposal_id: int) -> Proposal | None:
    """Make the demo scientist the proposer (and so the investigator) of a demo proposal, so
    their pages show a task under way and what it waits for from them."""
    person_id = session.scalar(select(User.person_id).where(User.username == SCIENTIST.username))
    proposal = session.get(Proposal, proposal_id)
    if person_id is None or proposal is None:
        return None
    proposal.proposer_person_id = person_id
    session.flush()
    record_audit(
        session=session,
        action="account.demo_proposal",
        entity_type="proposal",
        entity_id=proposal.id,
        actor=SEEDER,
        details={"username": SCIENTIST.username},
    )
    return proposal
