"""`khcn seed --demo`: a believable province, with its tasks driven through the real processes.

Two parts:

- **Reference data** (organisations, 200+ scientists and experts with fields, degrees and
  affiliations, user accounts for staff, leaders, council members and scientists) is made
  through the models services in one transaction. It is not process data: the portal's
  administrators would enter it the same way.
- **Tasks** are never inserted as rows. For each demo task the seeder does what the portal
  does: it records the applicant's proposal, starts `khcn-task` on the engine with
  `{proposalId}`, answers user tasks as staff, leaders and council members would (through the
  portal's inbox: each item's form filled, validated on the server, its model service run,
  then the job completed, `UserTasks.answer`), uploads dossiers
  and publishes the applicants' messages (direct-assignment dossier, completed proposal,
  signed contract, final report, completed acceptance dossier, registration dossier). Every
  service task is done by the real workers, which therefore must be running: `khcn run` runs
  them; `khcn seed --demo` starts them in-process for its own duration unless told that they
  run elsewhere (`--no-workers`).

Each task is driven to a target stage, so the demo shows the procedure at every step:
proposals waiting for screening, rejected, in the advisory council, calls open, contracts
awaiting signature, tasks being carried out, at acceptance, waiting for registration, and
results registered, recognised and published (a few failed at acceptance). Councils are
proposed by the system, confirmed by staff with a decision and a meeting the edition's lead
time allows; members file their reviews, the secretary records the meeting and its three
vote counters, the members present cast their ballots. Everything random comes from one
seeded `random.Random`, so two runs make the same people, organisations and tasks.

Editions: a task whose list is approved now follows the 2025 edition; every fifth task past
listing (`OLD_EDITION_EVERY`) had its list approved on 16/06/2025 and runs to the end under
the 2014 edition (its councils' lead times, its implementation process).

Where a step's workers are missing or fail, the task stops there: the report says which task
stopped where, and the other tasks go on.

What the demo cannot show on a wall-clock engine: a call for applications closes on a timer
30 days out (`callClosesAt`), so tasks past step 2 are assigned directly (giao trực tiếp:
the host's dossier is scored by the council and its budget appraised like any), and the
call-open tasks wait with their applications filed. Meetings are recorded as soon as the
members reviewed, though their date lies a few working days ahead; timers (progress reports
every 6 months, deadlines) have not fired yet.

User tasks reach the seeder as the portal's inbox items: an inbox worker records them (the
seeder's own while it runs, and `khcn run`'s when one runs: they share the jobs, so seeding
beside a running system does not stall). The work a demo task is meant to leave open (a
proposal to screen, council members' reviews) simply stays in the inbox for people. On SQLite
the tasks are driven one after the other (one writer at a time); on PostgreSQL, four at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from khcn import seed_data as data
from khcn.settings import Settings
from models.audit import AuditEntry
from models.calls import Application, Call, CallItem
from models.contracts import Contract
from models.councils import Council
from models.editions import DEFAULT_REGULATIONS, SCORING_SHEETS, Regulations
from models.enums import (
    ChangeKind,
    ContractStatus,
    Degree,
    DocumentKind,
    Field,
    Method,
    OrganisationKind,
    Role,
    TaskKind,
)
from models.filings import Filing
from models.implementation import ChangeRequest, ProgressReport
from models.inbox import InboxItem
from models.people import Organisation, Person
from models.proposals import Proposal
from models.registration import ResultRegistration
from models.rules import add_months, earliest_meeting_day
from models.services import filings as filings_service
from models.services import people as people_service
from models.services import proposals as proposals_service
from models.services.attachments import attach
from models.services.audit import Actor, record_audit
from models.services.decisions import restrictions_on
from models.services.demo_accounts import (
    COUNCIL_MEMBER,
    ensure_demo_accounts,
    give_demo_proposal,
    seat_demo_member,
)
from models.services.inbox import open_items
from models.services.user_tasks import ballot_fields
from models.tasks import Task
from models.users import User
from portal.engine_link import Outcome
from portal.inbox.work import UserTasks

log = logging.getLogger("khcn.seed")
T = TypeVar("T")

PROCESS_ID = "khcn-task"
DEFAULT_SEED = 2026
DEFAULT_PEOPLE = 220
DEFAULT_TASKS = 20
# People of each field who work for a city department (the acceptance councils' user side).
USER_SIDE_PER_FIELD = 5
MESSAGE_TTL_MS = 60 * 60 * 1000
SEEDER = Actor(name="seed:demo")
MEETING_PLACES = [
    "Phòng họp tầng 3, Sở Khoa học và Công nghệ, 26 Hà Nội, thành phố Huế",
    "Hội trường Trung tâm Ứng dụng tiến bộ khoa học và công nghệ, thành phố Huế",
    "Phòng họp trực tuyến của Sở Khoa học và Công nghệ",
]
APPLICATION_DOCUMENTS = {
    TaskKind.RESEARCH_TOPIC: DocumentKind.PROPOSAL_RESEARCH,
    TaskKind.PILOT_PROJECT: DocumentKind.PROPOSAL_PILOT,
    TaskKind.SCHEME: DocumentKind.PROPOSAL_SCHEME,
}


REFUSAL = (
    "Cơ sở dữ liệu đã có dữ liệu; dùng --force để vẫn tạo dữ liệu mẫu. / "
    "The database already holds data; use --force to seed anyway."
)


class SeedError(RuntimeError):
    """The demo seed cannot be made (a message for the person who asked for it)."""


class SeedRefused(SeedError):
    """The domain database already holds data and --force was not given."""


class Target(StrEnum):
    """Where a demo task is left standing (what the portal then shows)."""

    SCREENING = "screening"  # chờ sàng lọc: the screening user task stays open
    REVISION = "revision"  # chờ bổ sung: screening asked for a revised proposal
    REJECTED = "rejected"  # không đạt sàng lọc
    ADVISORY = "advisory"  # hội đồng tư vấn đang nhận xét, biểu quyết
    NOT_RECOMMENDED = "not-recommended"  # hội đồng tư vấn không kiến nghị
    CALL_OPEN = "call-open"  # thông báo tuyển chọn đang mở, đã có hồ sơ nộp
    CONTRACT = "contract"  # chờ ký hợp đồng
    IMPLEMENTING = "implementing"  # đang thực hiện
    ACCEPTANCE = "acceptance"  # hội đồng nghiệm thu đang đánh giá
    REGISTRATION = "registration"  # đã nghiệm thu, chờ hồ sơ đăng ký kết quả
    PUBLISHED = "published"  # đã đăng ký, công bố kết quả
    FAILED = "failed"  # nghiệm thu không đạt


# Who completes each user task the seeder meets (bpmn/README.md, "User tasks").
ROLE_OF = {
    "screenProposal": "staff",
    "confirmCouncil": "staff",
    "writeReview": "council",
    "recordAttendance": "staff",
    "castAdvisoryBallot": "council",
    "castSelectionBallot": "council",
    "castAcceptanceBallot": "council",
    "approveList": "leader",
    "openApplications": "staff",
    "confirmAppraisal": "staff",
    "appraiseBudget": "staff",
    "approveSelection": "leader",
    "reviewChange": "staff",
    "decideChange": "leader",
    "checkDossier": "staff",
    "settleFailure": "staff",
    "confirmCompletion": "council",
    "checkRegistration": "staff",
    "recognizeResults": "leader",
}
# The multi-instance user tasks and the collection that says how many instances there are.
COLLECTION_OF = {
    "writeReview": "reviewAssignments",
    "castAdvisoryBallot": "ballotAssignments",
    "castSelectionBallot": "ballotAssignments",
    "castAcceptanceBallot": "ballotAssignments",
}
# Every few demo tasks one was approved before the 2025 law came into force: it runs to the end
# under the 2014 edition (its list decision is dated then).
OLD_EDITION_EVERY = 5
OLD_LIST_DECISION = date(2025, 6, 16)

# Targets past the approved list (a task whose list was approved long ago can stand there).
PAST_LISTING = frozenset(
    {
        Target.CONTRACT,
        Target.IMPLEMENTING,
        Target.ACCEPTANCE,
        Target.FAILED,
        Target.REGISTRATION,
        Target.PUBLISHED,
    }
)

# Targets whose khcn-task instance has ended; every other one waits in the engine.
ENDED = frozenset({Target.REJECTED, Target.NOT_RECOMMENDED, Target.PUBLISHED, Target.FAILED})

# The first targets handed out (so even a few tasks show the main stages), then a cycle.
FIRST_TARGETS = [
    Target.PUBLISHED,
    Target.SCREENING,
    Target.IMPLEMENTING,
    Target.REJECTED,
    Target.CALL_OPEN,
    Target.FAILED,
    Target.ACCEPTANCE,
    Target.REGISTRATION,
    Target.ADVISORY,
    Target.CONTRACT,
    Target.REVISION,
    Target.NOT_RECOMMENDED,
]
MORE_TARGETS = [
    Target.PUBLISHED,
    Target.PUBLISHED,
    Target.IMPLEMENTING,
    Target.PUBLISHED,
    Target.SCREENING,
    Target.FAILED,
    Target.PUBLISHED,
    Target.ACCEPTANCE,
    Target.CALL_OPEN,
    Target.IMPLEMENTING,
    Target.REJECTED,
    Target.SCREENING,
]

# How many progress steps driving a task to each target takes (for the progress bar): the
# start, each milestone passed on the way (screened, listed, contracted, implemented,
# accepted) and the target itself.
STEPS = {
    Target.SCREENING: 2,
    Target.REVISION: 2,
    Target.REJECTED: 2,
    Target.ADVISORY: 3,
    Target.NOT_RECOMMENDED: 3,
    Target.CALL_OPEN: 4,
    Target.CONTRACT: 4,
    Target.IMPLEMENTING: 5,
    Target.ACCEPTANCE: 6,
    Target.FAILED: 6,
    Target.REGISTRATION: 7,
    Target.PUBLISHED: 7,
}


def targets_for(n: int) -> list[Target]:
    """The target stages of `n` demo tasks."""
    out = FIRST_TARGETS[:n]
    while len(out) < n:
        out.append(MORE_TARGETS[(len(out) - len(FIRST_TARGETS)) % len(MORE_TARGETS)])
    return out


# --------------------------------------------------------------------------- report


@dataclass
class SeededTask:
    """One demo task: its proposal, target, engine instance and how far it got."""

    proposal_id: int
    title: str
    field: Field
    target: Target
    process_instance_key: int = 0
    task_code: str = ""
    reached: str = "proposal"
    error: str | None = None
    # an implementing task that asks for (and gets) a six-month extension
    extension: bool = False
    # approved before 01/10/2025: it follows the 2014 edition to the end
    old_edition: bool = False
    # the proposing organisation (the host of a direct assignment)
    organisation_id: int = 0

    @property
    def done(self) -> bool:
        """Whether the task reached its target."""
        return self.error is None and self.reached == self.target.value


@dataclass
class SeedReport:
    """What a seeding run made."""

    organisations: int = 0
    people: int = 0
    experts: int = 0
    users_by_role: dict[str, int] = field(default_factory=dict)
    tasks: list[SeededTask] = field(default_factory=list)

    @property
    def stalled(self) -> list[SeededTask]:
        """Tasks that did not reach their target (a missing or failing worker)."""
        return [t for t in self.tasks if not t.done]

    def summary(self) -> str:
        """A short human-readable summary (Vietnamese first)."""
        by_target: dict[str, int] = {}
        for t in self.tasks:
            if t.done:
                by_target[t.target.value] = by_target.get(t.target.value, 0) + 1
        lines = [
            f"Tổ chức / organisations: {self.organisations}",
            f"Nhà khoa học / people: {self.people} (chuyên gia / experts: {self.experts})",
            "Người dùng / users: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.users_by_role.items())),
            f"Nhiệm vụ / tasks: {len(self.tasks)} — "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_target.items())),
        ]
        for t in self.stalled:
            lines.append(
                f"  dừng / stalled: {t.task_code or t.proposal_id} ({t.target.value}) "
                f"at {t.reached}: {t.error}"
            )
        return "\n".join(lines)


ProgressCallback = Callable[[int, str], None]
"""Called with (steps advanced, what just happened); the total is `plan_total`."""


# --------------------------------------------------------------------------- reference data


def fold(text: str) -> str:
    """ASCII letters of a Vietnamese text (đ → d), lower case."""
    text = text.translate(data.VIETNAMESE_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def username_for(full_name: str) -> str:
    """The usual Vietnamese login: given name + initials of the others (Lê Văn Hùng → hunglv)."""
    parts = fold(full_name).split()
    return parts[-1] + "".join(p[0] for p in parts[:-1])


def has_data(session: Session) -> bool:
    """Whether the domain database holds organisations or proposals already."""
    return bool(
        session.scalar(select(func.count()).select_from(Organisation))
        or session.scalar(select(func.count()).select_from(Proposal))
    )


@dataclass
class Reference:
    """Ids of the reference data the tasks draw on."""

    organisation_ids: dict[str, int]
    # per field: (person id, organisation id) of people who can propose and lead tasks
    leads: dict[Field, list[tuple[int, int]]]
    staff: list[str]
    leaders: list[str]


def _person_name(rng: random.Random) -> str:
    female = rng.random() < 0.42
    family = rng.choice(data.FAMILY_NAMES)
    if family == "Tôn Thất" and female:
        family = "Tôn Nữ"
    middle = rng.choice(data.FEMALE_MIDDLE if female else data.MALE_MIDDLE)
    given = rng.choice(data.FEMALE_GIVEN if female else data.MALE_GIVEN)
    if family == "Tôn Nữ" and middle == "Thị" and rng.random() < 0.5:
        middle = "Thị " + rng.choice(data.FEMALE_MIDDLE[3:])
    return f"{family} {middle} {given}"


def _get_or_create_org(session: Session, spec: data.OrgSpec) -> Organisation:
    name, short, kind, _fields, address = spec
    found = session.scalar(select(Organisation).where(Organisation.name == name))
    if found is not None:
        return found
    return people_service.create_organisation(
        session=session,
        name=name,
        kind=kind,
        short_name=short,
        address=address,
        email=f"vanthu@{fold(short).replace(' ', '')}.demo.vn",
    )


def _user(
    session: Session,
    username: str,
    display_name: str,
    roles: list[Role],
    email: str,
    person_id: int | None = None,
) -> User:
    found = session.scalar(select(User).where(User.username == username))
    if found is not None:
        return found
    return people_service.create_user(
        session=session,
        username=username,
        email=email,
        display_name=display_name,
        roles=roles,
        person_id=person_id,
    )


def _official(
    session: Session,
    department: Organisation,
    username: str,
    full_name: str,
    position: str,
    roles: list[Role],
) -> str:
    """A Department official: a person of the Department with a user (get-or-create)."""
    email = f"{username}@skhcn.demo.vn"
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = people_service.create_person(
            session=session,
            full_name=full_name,
            degree=Degree.MASTER,
            email=email,
            organisation_id=department.id,
            position=position,
        )
    return _user(session, username, full_name, roles, email, person_id=person.id).username


def seed_reference(session: Session, rng: random.Random, people: int) -> Reference:
    """Organisations, scientists and experts, and every user account (get-or-create)."""
    orgs: dict[str, Organisation] = {}
    for spec in data.ORGANISATIONS:
        orgs[spec[0]] = _get_or_create_org(session, spec)
    by_field: dict[Field, list[data.OrgSpec]] = {}
    for spec in data.ORGANISATIONS:
        for f in spec[3]:
            by_field.setdefault(f, []).append(spec)
    degree_weights = [d[3] for d in data.DEGREES]
    leads: dict[Field, list[tuple[int, int]]] = {f: [] for f in Field}
    # Logins come from the names alone, so the same seed finds the same rows again (--force).
    used_names: set[str] = set()
    fields = list(Field)
    agencies = {
        f: [o for o in specs if o[2] is OrganisationKind.GOVERNMENT_AGENCY]
        for f, specs in by_field.items()
    }
    for i in range(people):
        # every field gets its share of people, so every council can be filled
        main_field = fields[i % len(fields)]
        # the first few of each field work for a city department: an acceptance council takes
        # three members from the ordering and using side (TT 11/2014 Đ9.3)
        user_side = i < USER_SIDE_PER_FIELD * len(fields) and bool(agencies.get(main_field))
        spec = rng.choice(agencies[main_field] if user_side else by_field[main_field])
        org = orgs[spec[0]]
        full_name = _person_name(rng)
        prefix, degree, title, _w = rng.choices(
            data.DEGREES[:4] if user_side else data.DEGREES,
            weights=degree_weights[:4] if user_side else degree_weights,
        )[0]
        base = username_for(full_name)
        username, n = base, 1
        while username in used_names:
            n += 1
            username = f"{base}{n}"
        used_names.add(username)
        email = f"{username}@{fold(spec[1]).replace(' ', '')}.demo.vn"
        person = session.scalar(select(Person).where(Person.email == email))
        # experts (they sit on councils): doctors and above, and half of the masters
        is_expert = degree in (Degree.DOCTOR, Degree.DOCTOR_OF_SCIENCE) or (
            degree is Degree.MASTER and rng.random() < 0.5
        )
        # every draw happens whether or not the person exists already, so that --force
        # with the same seed walks the same sequence and finds the same rows
        specialities = rng.sample(data.SPECIALITIES[main_field], k=rng.choice((1, 2)))
        expertise: list[tuple[Field, str]] = [(main_field, s) for s in specialities]
        if rng.random() < 0.25:
            other = rng.choice([f for f in fields if f is not main_field])
            expertise.append((other, rng.choice(data.SPECIALITIES[other])))
        position = rng.choice(data.POSITIONS[org.kind])
        birth_year = rng.randint(1958, 1992)
        if person is None:
            person = people_service.create_person(
                session=session,
                full_name=full_name,
                degree=degree,
                academic_title=title,
                email=email,
                fields=expertise,
                organisation_id=org.id,
                position=position,
                is_expert=is_expert,
            )
            person.birth_year = birth_year
            person.biography = (
                f"{prefix} {full_name}, {position.lower()} tại {org.name}; chuyên ngành: "
                f"{', '.join(s for _f, s in expertise)}."
            )
        roles = [Role.SCIENTIST] + ([Role.COUNCIL_MEMBER] if person.is_expert else [])
        _user(
            session,
            username,
            f"{prefix} {full_name}",
            roles,
            email,
            person_id=person.id,
        )
        if degree in (Degree.DOCTOR, Degree.DOCTOR_OF_SCIENCE) and (
            org.kind is not OrganisationKind.GOVERNMENT_AGENCY
        ):
            leads[main_field].append((person.id, org.id))
    # The Department's officials are people too: four of them sit on every budget appraisal
    # team (TT 20/2023 Đ8.4).
    department = orgs[data.DEPARTMENT]
    staff = [
        _official(session, department, u, name, position, [Role.STAFF])
        for u, name, position in data.STAFF_USERS
    ]
    leaders = [
        _official(session, department, u, name, position, [Role.LEADER, Role.STAFF])
        for u, name, position in data.LEADER_USERS
    ]
    for u, name, _pos in data.ADMIN_USERS:
        _user(session, u, name, [Role.ADMIN], f"{u}@skhcn.demo.vn")
    ensure_demo_accounts(session=session)  # one sign-in per role with a known password
    session.flush()
    return Reference(
        organisation_ids={name: org.id for name, org in orgs.items()},
        leads=leads,
        staff=staff,
        leaders=leaders,
    )


def count_reference(session: Session, report: SeedReport) -> None:
    """Fill the counts of a report from the database."""
    from models.users import UserRole

    report.organisations = session.scalar(select(func.count()).select_from(Organisation)) or 0
    report.people = session.scalar(select(func.count()).select_from(Person)) or 0
    report.experts = (
        session.scalar(select(func.count()).select_from(Person).where(Person.is_expert)) or 0
    )
    report.users_by_role = {
        str(role): n
        for role, n in session.execute(
            select(UserRole.role, func.count()).group_by(UserRole.role)
        ).all()
    }


def submit_proposal(
    session: Session,
    rng: random.Random,
    reference: Reference,
    number: int,
    target: Target,
    today: date,
    avoid: set[int] | None = None,
) -> SeededTask:
    """An organisation submits a proposal through the portal (a domain row, nothing else);
    not one of the organisations in ``avoid``."""
    field_ = list(Field)[number % len(Field)]
    titles = data.PROPOSAL_TITLES[field_]
    title = titles[(number // len(Field)) % len(titles)]
    if number >= len(Field) * len(titles):
        title = f"{title} (giai đoạn {number // (len(Field) * len(titles)) + 1})"
    # few people (a tiny --people) may leave a field without doctors: borrow from another
    pool = reference.leads[field_] or [lead for leads in reference.leads.values() for lead in leads]
    pool = [lead for lead in pool if lead[1] not in (avoid or set())] or pool
    if not pool:
        raise SeedError("too few people to propose tasks: seed at least 60 people")
    person_id, org_id = rng.choice(pool)
    kind = TaskKind.PILOT_PROJECT if rng.random() < 0.2 else TaskKind.RESEARCH_TOPIC
    budget = rng.randrange(400, 2400, 50) * 1_000_000
    rationale = rng.choice(data.RATIONALES)
    expected = rng.choice(data.EXPECTED_RESULTS[field_])
    old = number % OLD_EDITION_EVERY == 2 and target in PAST_LISTING
    submitted = (
        datetime(OLD_LIST_DECISION.year, 3, 2 + number % 20, 9, 0, tzinfo=UTC)
        if old
        else datetime.combine(today, datetime.min.time(), UTC)
    )
    proposal = proposals_service.create_proposal(
        session=session,
        year=submitted.year,
        title=title,
        field=field_,
        kind=kind,
        proposer_organisation_id=org_id,
        proposer_person_id=person_id,
        rationale=rationale,
        objectives=f"Mục tiêu: {title[0].lower()}{title[1:]}.",
        expected_results=expected,
        estimated_budget=budget,
        suggested_method=Method.SELECTION if target is Target.CALL_OPEN else Method.DIRECT,
        submitted_at=submitted,
        actor=SEEDER,
    )
    return SeededTask(proposal.id, title, field_, target, old_edition=old, organisation_id=org_id)


def seed_plan(
    session: Session,
    *,
    seed: int,
    people: int,
    tasks: int,
    today: date | None = None,
    documents_dir: Path | None = None,
) -> tuple[Reference, list[SeededTask], random.Random]:
    """The deterministic part: reference data and the demo proposals (with their dossiers
    when `documents_dir` is given), in one transaction."""
    rng = random.Random(seed)
    reference = seed_reference(session, rng, people)
    day = today or date.today()
    # A task failing acceptance bars its host (TT 11/2014 Đ15.4): it never shares its host
    # with another demo task, which would then find it barred.
    planned: list[SeededTask] = []
    # seeding again (--force): organisations an earlier run's failed task barred stay barred
    leads = {lead for found in reference.leads.values() for lead in found}
    barred = {o for p, o in leads if restrictions_on(session, o, p, day)}
    for number, target in enumerate(targets_for(tasks)):
        used = {t.organisation_id for t in planned}
        failed = {t.organisation_id for t in planned if t.target is Target.FAILED}
        avoid = (used if target is Target.FAILED else failed) | barred
        planned.append(submit_proposal(session, rng, reference, number, target, day, avoid))
    # the demo council member sits on the councils of the field whose advisory council is
    # left reviewing, so their inbox holds a review to try
    waiting = [t for t in planned if t.target is Target.ADVISORY] or planned
    if waiting:
        seat_demo_member(session=session, field=waiting[0].field)
    # the demo scientist proposed (and carries out) the first task under way
    under_way = [t for t in planned if t.target is Target.IMPLEMENTING]
    if under_way:
        give_demo_proposal(session=session, proposal_id=under_way[0].proposal_id)
    if documents_dir is not None:
        for seeded in planned:
            _proposal_dossier(session, documents_dir, seeded)
    # every other implementing task, the first included, shows the change-request branch
    implementing = [t for t in planned if t.target is Target.IMPLEMENTING]
    for seeded in implementing[::2]:
        seeded.extension = True
    return reference, planned, rng


def _proposal_dossier(session: Session, documents_dir: Path, seeded: SeededTask) -> None:
    """The proposal's dossier (form B1-2), uploaded with it through the portal."""
    proposal = session.get(Proposal, seeded.proposal_id)
    assert proposal is not None
    user_id = session.scalar(select(User.id).where(User.person_id == proposal.proposer_person_id))
    attach(
        session=session,
        root=documents_dir,
        content=demo_pdf(f"Phieu de xuat nhiem vu: {seeded.title}"),
        name="phieu-de-xuat.pdf",
        content_type="application/pdf",
        actor=Actor(name="seed:demo", user_id=user_id),
        field_key="dossier",
        proposal_id=proposal.id,
    )


# --------------------------------------------------------------------------- the inbox driver


class InboxDriver:
    """Answers user tasks through the portal's inbox, for the tasks the seeder drives.

    The user-task jobs are recorded as inbox items by an inbox worker (the seeder's own, or
    the one of a running `khcn run`: both record into the domain database); the task drivers
    find their items there by the proposal and the element, and answer them with
    `UserTasks.answer` as the person the task is for: the form validated on the server, its
    model service, commit, CompleteJob. Items a demo task is meant to leave open stay open
    for people to find in their inbox.
    """

    def __init__(self, tasks: UserTasks) -> None:
        self.tasks = tasks
        # items taken by a task driver (answered, or left open on purpose)
        self.taken: set[int] = set()

    async def take(
        self,
        owner: int,
        element_id: str,
        *,
        count: int | None = 1,
        collection: str = "",
        timeout: float = 60.0,
    ) -> list[InboxItem]:
        """The open items of one element of one proposal's process: `count` of them, or
        (None) as many as the multi-instance's input `collection` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [
                item
                for item in await asyncio.to_thread(
                    self.tasks.open_items, element_id, {"proposalId": owner}
                )
                if item.id not in self.taken
            ]
            wanted = count
            if wanted is None and found:
                wanted = len(found[0].variables.get(collection) or [0])
            if found and wanted is not None and len(found) >= wanted:
                chosen = found[:wanted]
                self.taken.update(item.id for item in chosen)
                return chosen
            if loop.time() > deadline:
                raise TimeoutError(f"no user task '{element_id}' within {timeout:.0f} s")
            await asyncio.sleep(0.05)

    def answer(self, item: InboxItem, username: str, values: dict[str, Any]) -> dict[str, Any]:
        """Fill the item's form as `username`: the variables the job completed with."""
        done = self.tasks.answer(item.id, username, values)
        if done.outcome is not Outcome.DONE:
            raise RuntimeError(f"'{item.element_id}' not completed: the engine said {done.outcome}")
        with self.tasks.sessions() as session:
            row = session.get(InboxItem, item.id)
            return dict(row.result or {}) if row is not None else {}


# --------------------------------------------------------------------------- the task drivers


@dataclass
class Seeder:
    """Drives the demo tasks through `khcn-task` on the engine, as the portal and people do."""

    stub: GatewayStub
    sessions: sessionmaker[Session]
    documents_dir: Path
    rng: random.Random
    reference: Reference
    driver: InboxDriver
    progress: ProgressCallback
    step_timeout: float = 60.0
    today: date = field(default_factory=date.today)
    regulations: Regulations = DEFAULT_REGULATIONS
    # the Department numbers its decisions establishing councils in one sequence
    decision_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(412))
    # what already timed out once: a missing or broken worker, so later tasks need not wait
    # the whole timeout again for the same thing
    stalled_on: set[str] = field(default_factory=set)

    def timeout_for(self, what: str) -> float:
        """The wait for `what`: short once it failed for another task."""
        return min(self.step_timeout, 5.0) if what in self.stalled_on else self.step_timeout

    # ----------------------------------------------------------------- portal actions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One domain transaction, as one portal request."""
        with self.sessions() as session, session.begin():
            yield session

    def record_started(self, task: SeededTask) -> None:
        """Keep the instance key with the proposal and its task, as the portal does when it
        starts the process (only the starter knows the root instance's key)."""
        with self.transaction() as session:
            row = session.scalar(select(Task).where(Task.proposal_id == task.proposal_id))
            if row is not None and row.process_instance_key is None:
                row.process_instance_key = task.process_instance_key
            record_audit(
                session=session,
                action="proposal.process_start",
                entity_type="proposal",
                entity_id=task.proposal_id,
                actor=Actor(name=SEEDER.name, process_instance_key=task.process_instance_key),
                details={"process_id": PROCESS_ID},
            )

    def task_id(self, code: str) -> int:
        """The id of the task with a code."""
        with self.sessions() as session:
            found = session.scalar(select(Task.id).where(Task.code == code))
        if found is None:
            raise LookupError(f"no task {code}")
        return found

    def apply(self, task: SeededTask, call_id: int) -> int:
        """Two or three host organisations apply to an open call with complete dossiers."""
        candidates = list(self.reference.leads[task.field]) or [
            lead for leads in self.reference.leads.values() for lead in leads
        ]
        rng = random.Random(f"{task.proposal_id}-{call_id}-{task.title}")
        rng.shuffle(candidates)
        with self.sessions() as session:
            # an organisation or investigator barred from hosting cannot apply (TT 20/2023 Đ4)
            candidates = [
                (p, o) for p, o in candidates if not restrictions_on(session, o, p, self.today)
            ]
        chosen: list[tuple[int, int]] = []
        wanted = rng.choice((2, 3))
        for person_id, org_id in candidates:
            if org_id not in {o for _p, o in chosen}:
                chosen.append((person_id, org_id))
            if len(chosen) == wanted:
                break
        task_id = self.task_id(task.task_code)
        with self.transaction() as session:
            row = session.get(Task, task_id)
            assert row is not None
            for person_id, org_id in chosen:
                filings_service.apply_to_call(
                    session=session,
                    call_id=call_id,
                    task_id=task_id,
                    organisation_id=org_id,
                    person_id=person_id,
                    requested_budget=rng.randrange(500, 2000, 50) * 1_000_000,
                    uploads=self.uploads(filings_service.dossier_slots(row), f"{org_id}"),
                    root=self.documents_dir,
                    actor=self.actor_of(session, person_id),
                )
        return len(chosen)

    def uploads(
        self, slots: tuple[filings_service.Slot, ...], who: str
    ) -> list[filings_service.Upload]:
        """A document for every slot of a form, as the applicant uploads it."""
        return [
            filings_service.Upload(
                slot.key,
                f"{slot.key}-{who}.pdf",
                demo_pdf(f"{slot.label_vi} - {who}"),
                "application/pdf",
            )
            for slot in slots
        ]

    def actor_of(self, session: Session, person_id: int) -> Actor:
        """The audit log's actor for a person filing through the portal (their user)."""
        user = session.scalar(select(User).where(User.person_id == person_id))
        if user is None:
            return SEEDER
        return Actor(name=user.username, user_id=user.id)

    def make_filing(self, task: SeededTask, kind: str) -> int:
        """The host files what the task waits for (the portal's filing form): its id."""
        with self.transaction() as session:
            row = session.scalar(select(Task).where(Task.code == task.task_code))
            assert row is not None
            person_id = min(filings_service.filers(session=session, task=row, kind=kind))
            what = filings_service.KINDS[kind]
            filing = filings_service.file(
                session=session,
                task_id=row.id,
                kind=kind,
                person_id=person_id,
                uploads=self.uploads(what.slots(row), row.code),
                root=self.documents_dir,
                now=datetime.now(UTC),
                actor=self.actor_of(session, person_id),
            )
            return filing.id

    def request_extension(self, task: SeededTask) -> tuple[int, int] | None:
        """The host asks for a six-month extension through the portal's change-request
        service: (change request id, filing id)."""
        task_id = self.task_id(task.task_code)
        with self.transaction() as session:
            row = session.get(Task, task_id)
            if row is None or row.end_date is None:
                return None
            kind = filings_service.CHANGE_REQUEST
            person_id = min(filings_service.filers(session=session, task=row, kind=kind.kind))
            filing = filings_service.request_change(
                session=session,
                task_id=task_id,
                person_id=person_id,
                kind=ChangeKind.EXTENSION,
                reason="Thời tiết bất thường làm chậm thí nghiệm đồng ruộng vụ Đông Xuân.",
                requested_end_date=add_months(row.end_date, 6),
                uploads=self.uploads(kind.slots(row), row.code),
                root=self.documents_dir,
                now=datetime.now(UTC),
                actor=self.actor_of(session, person_id),
            )
            return int(filing.variables["changeRequestId"]), filing.id

    def person_for(self, item: InboxItem, role: str) -> str:
        """Who answers a user task: its assignee, else the first person of its role."""
        return item.assignee or (
            self.reference.leaders[0] if role == "leader" else self.reference.staff[0]
        )

    # ----------------------------------------------------------------- engine actions

    async def publish(self, task: SeededTask, name: str, variables: dict[str, Any]) -> None:
        """The applicant files something: a message correlated by the task code."""
        await self.stub.PublishMessage(
            pb.PublishMessageRequest(
                name=name,
                correlationKey=task.task_code,
                timeToLive=MESSAGE_TTL_MS,
                messageId=f"seed-{name}-{task.task_code}",
                variables=json.dumps(variables),
            )
        )

    async def file(self, task: SeededTask, kind: str) -> dict[str, Any]:
        """Once the task's process waits for it, the host files `kind` through the portal's
        filing service, then the message goes to the engine: the message's variables."""

        def waited(session: Session) -> bool:
            row = session.scalar(select(Task).where(Task.code == task.task_code))
            return row is not None and kind in {
                k.kind for k in filings_service.open_filings(session=session, task=row)
            }

        await self.until(waited, f"the {kind} awaited")
        filing_id = await self.write(self.make_filing, task, kind)
        sent = await asyncio.to_thread(self.driver.tasks.publish, filing_id)
        if sent is not Outcome.DONE:
            raise RuntimeError(f"the message of the {kind} was not taken: {sent}")
        with self.sessions() as session:
            filing = session.get(Filing, filing_id)
            return dict(filing.variables or {}) if filing else {}

    async def write(self, action: Callable[..., T], *args: Any) -> T:
        """Run a portal action (one transaction) off the event loop; on SQLite, try again
        while a worker's transaction holds the write lock."""
        for attempt in range(20):
            try:
                return await asyncio.to_thread(action, *args)
            except OperationalError as err:
                if "locked" not in str(err) or attempt == 19:
                    raise
                await asyncio.sleep(0.1 + 0.05 * attempt)
        raise AssertionError("unreachable")

    async def until(self, check: Callable[[Session], Any], what: str) -> Any:
        """Wait until the domain database shows something a worker does."""
        loop = asyncio.get_running_loop()
        timeout = self.timeout_for(what)
        deadline = loop.time() + timeout

        def probe() -> Any:
            with self.sessions() as session:
                return check(session)

        while True:
            found = await asyncio.to_thread(probe)
            if found:
                return found
            if loop.time() > deadline:
                self.stalled_on.add(what)
                raise TimeoutError(f"{what} not seen within {timeout:.0f} s")
            await asyncio.sleep(0.1)

    async def take(
        self, task: SeededTask, element_id: str, count: int | None = 1
    ) -> list[InboxItem]:
        """The open user tasks of one element of a demo task (None: every instance of a
        multi-instance one)."""
        try:
            items = await self.driver.take(
                task.proposal_id,
                element_id,
                count=count,
                collection=COLLECTION_OF.get(element_id, ""),
                timeout=self.timeout_for(element_id),
            )
        except TimeoutError:
            self.stalled_on.add(element_id)
            raise
        for item in items:
            # the portal lets only people of the task's candidate group act on it
            role = ROLE_OF[element_id]
            if role not in item.candidate_groups or (role == "council" and not item.assignee):
                raise ValueError(
                    f"'{element_id}' is for {item.candidate_groups} "
                    f"(assignee {item.assignee!r}), not for {role}: see bpmn/README.md"
                )
        return items

    async def submit(self, item: InboxItem, values: dict[str, Any]) -> dict[str, Any]:
        """Someone fills the form of a user task in the inbox: its service runs, the job
        completes."""
        username = self.person_for(item, ROLE_OF[item.element_id])
        return await self.write(self.driver.answer, item, username, values)

    async def one(self, task: SeededTask, element_id: str, form: dict[str, Any]) -> InboxItem:
        """Someone completes a (single) user task with its form."""
        [item] = await self.take(task, element_id)
        await self.submit(item, form)
        return item

    def reached(self, task: SeededTask, stage: str) -> None:
        """Mark progress."""
        task.reached = stage
        self.progress(1, f"{task.task_code or task.proposal_id}: {stage}")

    # ----------------------------------------------------------------- one task

    async def drive(self, task: SeededTask) -> None:
        """Drive one task to its target; on a failure, record where it stopped."""
        try:
            await self._drive(task)
        except Exception as err:  # noqa: BLE001 - reported, the other tasks go on
            task.error = f"{type(err).__name__}: {err}"
            log.warning("demo task %s stopped at %s: %s", task.task_code, task.reached, err)

    async def _drive(self, task: SeededTask) -> None:
        rng = random.Random(f"{task.proposal_id}:{task.title}:{task.target}")
        target = task.target
        [screen] = await self.take(task, "screenProposal")
        task.task_code = str(screen.variables.get("taskCode", ""))
        if target is Target.SCREENING:
            # the screening stays open for staff in the portal's inbox
            return self.reached(task, target.value)
        if target in (Target.REJECTED, Target.REVISION):
            result = "rejected" if target is Target.REJECTED else "revise"
            note = (
                "Nội dung trùng lặp với nhiệm vụ đã thực hiện; không thuộc lĩnh vực ưu tiên."
                if target is Target.REJECTED
                else "Đề nghị làm rõ sản phẩm dự kiến và dự toán kinh phí."
            )
            await self.submit(screen, {"screeningResult": result, "screeningNote": note})
            if target is Target.REJECTED:
                await self.closed(task)
            return self.reached(task, target.value)
        await self.submit(
            screen, {"screeningResult": "passed", "screeningNote": "Đề xuất đầy đủ, hợp lệ."}
        )
        self.reached(task, "screened")

        # Step 1: the advisory council
        await self.confirm(task, "confirmCouncil", rng)
        if target is Target.ADVISORY:
            reviews = await self.take(task, "writeReview", count=None)
            # some members have sent their review, the others (the demo member among them)
            # have not yet
            reviews = [r for r in reviews if r.assignee != COUNCIL_MEMBER.username]
            for job in reviews[: len(reviews) // 2]:
                await self.submit(job, {"opinion": "approve", "comment": _comment(rng)})
            # the other reviews stay open in the members' inboxes
            return self.reached(task, target.value)
        await self.reviews(task, rng)
        against = 3 if target is Target.NOT_RECOMMENDED else 0
        await self.meeting(
            task,
            "castAdvisoryBallot",
            lambda i, _job: {"vote": "reject" if i < against else "approve"},
        )
        if target is Target.NOT_RECOMMENDED:
            await self.closed(task)
            return self.reached(task, target.value)
        method = "selection" if target is Target.CALL_OPEN else "direct"
        decided = OLD_LIST_DECISION if task.old_edition else self.today
        await self.one(
            task,
            "approveList",
            {
                "listApproved": True,
                "method": method,
                "listDecisionNumber": str(100 + task.proposal_id % 800),
                "listDecisionDate": decided.isoformat(),
                "decisionNote": "Phê duyệt danh mục nhiệm vụ KH&CN cấp thành phố.",
            },
        )
        self.reached(task, "listed")

        # Step 2
        task_id = self.task_id(task.task_code)
        call_id = await self.until(
            lambda s: s.scalar(
                select(Call.id)
                .join(CallItem)
                .where(CallItem.task_id == task_id, Call.status == "open")
            ),
            "the call for applications" if method == "selection" else "the direct assignment",
        )
        if target is Target.CALL_OPEN:
            await self.write(self.apply, task, call_id)
            return self.reached(task, target.value)
        application_id = int((await self.file(task, "direct-dossier"))["applicationId"])
        await self.one(
            task,
            "openApplications",
            {"validApplicationIds": [application_id], "openingNote": "Hồ sơ đầy đủ, hợp lệ."},
        )
        await self.confirm(task, "confirmCouncil", rng)
        await self.reviews(task, rng)
        await self.meeting(task, "castSelectionBallot", lambda _i, job: self.scores(job, rng))
        # the council recommended the host: it completes its proposal (TT 20/2023 Đ11.12)
        await self.file(task, "completed-proposal")
        await self.confirm(task, "confirmAppraisal", rng)
        [appraisal] = await self.take(task, "appraiseBudget")
        requested = await self.write(self.requested_budget, application_id)
        # the team never recommends more than was asked (TT 20/2023 Đ13)
        approved = requested - rng.randrange(0, max(requested // 5, 1), 5_000_000)
        await self.submit(
            appraisal,
            {
                "presentMemberIds": [o["value"] for o in appraisal.variables["memberOptions"]],
                "approvedBudget": approved,
                "appraisalNote": "Kinh phí phù hợp với nội dung và định mức hiện hành.",
            },
        )
        await self.one(
            task,
            "approveSelection",
            {
                "selectionDecisionNumber": str(300 + task.proposal_id % 600),
                "selectionDecisionDate": self.today.isoformat(),
                "decisionNote": "Giao trực tiếp tổ chức chủ trì.",
            },
        )
        await self.until(
            lambda s: s.scalar(select(Contract.id).where(Contract.task_id == task_id)),
            "the contract",
        )
        if target is Target.CONTRACT:
            return self.reached(task, target.value)
        await self.file(task, "signed-contract")
        await self.until(
            lambda s: (
                s.scalar(select(Contract.status).where(Contract.task_id == task_id))
                == ContractStatus.SIGNED
                and s.scalar(select(ProgressReport.id).where(ProgressReport.task_id == task_id))
            ),
            "the signed contract and the report schedule",
        )
        self.reached(task, "contracted")

        # Step 3
        if target is Target.IMPLEMENTING:
            if task.extension:
                await self.extension(task)
            return self.reached(task, target.value)
        await self.file(task, "final-report")
        self.reached(task, "implemented")

        # Step 4
        await self.one(task, "checkDossier", {"dossierValid": True, "missingDocuments": ""})
        await self.confirm(task, "confirmCouncil", rng)
        if target is Target.ACCEPTANCE:
            reviews = await self.take(task, "writeReview", count=None)
            for job in reviews[: len(reviews) // 3]:
                await self.submit(job, {"opinion": "approve", "comment": _comment(rng)})
            # the other reviews stay open in the members' inboxes
            return self.reached(task, target.value)
        await self.reviews(task, rng)

        def rating(i: int, _job: InboxItem) -> dict[str, Any]:
            if target is Target.FAILED:
                value = "fail" if i < 4 else "pass"  # 4 of 9: more than 1/3 (TT 11/2014 Đ13.2b)
            else:
                value = "excellent" if rng.random() < 0.3 else "pass"
            return {"rating": value, "comment": _comment(rng, value)}

        await self.meeting(task, "castAcceptanceBallot", rating)
        if target is Target.FAILED:
            await self.one(
                task,
                "settleFailure",
                {
                    "workDone": "Hoàn thành nội dung điều tra, khảo sát; chưa có sản phẩm chính.",
                    "refundAmount": 150_000_000,
                },
            )
            await self.closed(task)
            return self.reached(task, target.value)
        await self.file(task, "acceptance-completion")
        await self.one(
            task,
            "confirmCompletion",
            {"dossierCompleted": True, "completionNote": "Đã hoàn thiện theo kết luận."},
        )
        await self.until(
            lambda s: s.scalar(select(Task.stage).where(Task.id == task_id)) == "registration",
            "the official acceptance",
        )
        self.reached(task, "accepted")
        if target is Target.REGISTRATION:
            return self.reached(task, target.value)

        # Step 5
        await self.file(task, "registration-dossier")
        await self.one(task, "checkRegistration", {"registrationValid": True})
        await self.one(
            task,
            "recognizeResults",
            {
                "acceptanceDecisionNumber": str(700 + task.proposal_id % 200),
                "acceptanceDecisionDate": self.today.isoformat(),
            },
        )
        await self.until(
            lambda s: s.scalar(
                select(ResultRegistration.published_on).where(ResultRegistration.task_id == task_id)
            ),
            "the published result",
        )
        await self.closed(task)
        self.reached(task, target.value)

    async def closed(self, task: SeededTask) -> None:
        """Wait for the last job of an ended task (`khcn.task.close`), so no worker of this
        task still writes when the next task starts."""
        task_id = self.task_id(task.task_code)
        await self.until(
            lambda s: s.scalar(
                select(AuditEntry.id).where(
                    AuditEntry.task_id == task_id, AuditEntry.action == "task.close"
                )
            ),
            "the closed task",
        )

    def council_state(self, council_id: int) -> tuple[str | None, str]:
        """A council's decision number (None while forming) and its edition."""
        with self.sessions() as session:
            council = session.get(Council, council_id)
            if council is None:
                raise LookupError(f"no council #{council_id}")
            return council.decision_number, council.edition

    def requested_budget(self, application_id: int) -> int:
        """The state budget an application asked for."""
        with self.sessions() as session:
            found = session.scalar(
                select(Application.requested_budget).where(Application.id == application_id)
            )
        return int(found or 0)

    async def confirm(self, task: SeededTask, element_id: str, rng: random.Random) -> None:
        """Staff confirm the proposed members and the meeting, by a decision dated today.

        The meeting is the first day the edition's lead time allows. A council that already
        has its decision (a batch of proposals of one field) is confirmed with it."""
        [job] = await self.take(task, element_id)
        council_id = int(job.variables["councilId"])
        number, edition = await self.write(self.council_state, council_id)
        kind = str(job.variables.get("councilType", ""))
        chosen = self.regulations.edition(edition)
        lead = (
            chosen.selection.appraisal.documents_lead_working_days
            if element_id == "confirmAppraisal"
            else chosen.council(kind).documents_lead_working_days
        )
        day = earliest_meeting_day(self.today, lead)
        hour = rng.choice(("08:00", "08:30", "14:00"))
        await self.submit(
            job,
            {
                "decisionNumber": number or f"{next(self.decision_numbers)}/QĐ-SKHCN",
                "decisionDate": self.today.isoformat(),
                "meetingAt": f"{day.isoformat()}T{hour}:00+07:00",
                "meetingPlace": rng.choice(MEETING_PLACES),
                "meetingMode": "in_person",
                "removedPersonIds": [],
            },
        )

    async def reviews(self, task: SeededTask, rng: random.Random) -> None:
        """Every member files the written review before the meeting."""
        for job in await self.take(task, "writeReview", count=None):
            await self.submit(job, {"opinion": "approve", "comment": _comment(rng)})

    async def meeting(
        self,
        task: SeededTask,
        ballot: str,
        values: Callable[[int, InboxItem], dict[str, Any]],
    ) -> None:
        """The council meets: the secretary records everyone present and three of them to
        count the votes; each member present casts a secret ballot."""
        [job] = await self.take(task, "recordAttendance")
        members = [o["value"] for o in job.variables.get("memberOptions") or []]
        await self.submit(
            job,
            {
                "presentMemberIds": members,
                "countingMemberIds": members[-3:],
                "countingHeadId": members[-1],
                "meetingNote": "Hội đồng làm việc đúng quy định.",
            },
        )
        for i, ballot_job in enumerate(await self.take(task, ballot, count=None)):
            await self.submit(ballot_job, values(i, ballot_job))

    def scores(self, job: InboxItem, rng: random.Random) -> dict[str, Any]:
        """A member's scores on the task's sheet (TT 20/2023 Đ12), well above 70 in total."""
        sheet = str(job.variables["scoringSheet"])
        maxima = SCORING_SHEETS[sheet].maxima()
        return {
            key: round(maxima[code] * rng.uniform(0.78, 0.95) * 2) / 2
            for key, code in ballot_fields(sheet).items()
        } | {"comment": _comment(rng)}

    async def extension(self, task: SeededTask) -> None:
        """A change request: six more months, reviewed by staff and approved by the leader."""
        requested = await self.write(self.request_extension, task)
        if requested is None:
            return
        request_id, filing_id = requested
        sent = await asyncio.to_thread(self.driver.tasks.publish, filing_id)
        if sent is not Outcome.DONE:
            raise RuntimeError(f"the message of the change request was not taken: {sent}")
        note = "Lý do gia hạn có cơ sở, đề nghị chấp thuận."
        await self.one(task, "reviewChange", {"changeReviewNote": note})
        await self.one(
            task,
            "decideChange",
            {
                "changeApproved": True,
                "extensionMonths": 6,
                "changeDecisionNote": "Đồng ý gia hạn 6 tháng.",
            },
        )
        await self.until(
            lambda s: (
                s.scalar(select(ChangeRequest.status).where(ChangeRequest.id == request_id))
                == "approved"
            ),
            "the approved extension",
        )


def _registered(proposal_id: int) -> Callable[[Session], Any]:
    """A check: the proposal was registered (its task row and code exist)."""
    return lambda s: s.scalar(select(Task.code).where(Task.proposal_id == proposal_id))


def demo_pdf(text: str) -> bytes:
    """A one-page PDF saying `text` (accents folded: the standard fonts have none), so the
    demo's documents open in any reader."""
    line = fold(text).replace("\\", "").replace("(", "").replace(")", "")[:90]
    stream = f"BT /F1 12 Tf 56 780 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


def _comment(rng: random.Random, verdict: str = "approve") -> str:
    good = [
        "Nội dung phù hợp với định hướng phát triển của tỉnh.",
        "Phương pháp nghiên cứu rõ ràng, khả thi.",
        "Sản phẩm có khả năng ứng dụng thực tiễn cao.",
        "Đề nghị bổ sung phân tích hiệu quả kinh tế.",
    ]
    bad = [
        "Mục tiêu chưa rõ, trùng lặp với nghiên cứu đã có.",
        "Sản phẩm chưa đạt yêu cầu đặt hàng.",
        "Số liệu chưa đủ độ tin cậy.",
    ]
    return rng.choice(bad if verdict in ("reject", "fail") else good)


# --------------------------------------------------------------------------- entry points


def plan_total(people: int, targets: list[Target]) -> int:
    """The progress bar's total for a run."""
    return 1 + sum(STEPS[t] for t in targets)


async def seed_demo(
    settings: Settings,
    *,
    people: int = DEFAULT_PEOPLE,
    tasks: int = DEFAULT_TASKS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: ProgressCallback | None = None,
    step_timeout: float = 60.0,
    sessions: sessionmaker[Session] | None = None,
    concurrency: int | None = None,
    inbox: bool = True,
) -> SeedReport:
    """Fill the domain database and the engine with the demo province (workers must run).

    User tasks are answered through the portal's inbox: with `inbox` the seeder runs an inbox
    worker of its own for its duration (beside any other one, such as a running `khcn run`'s:
    they share the jobs, and both record into the domain database); `khcn run`'s first-start
    seed relies on its own inbox worker instead.
    """
    from pyzeebe import create_insecure_channel

    from models.db import make_engine, make_sessionmaker
    from portal.inbox.work import run_inbox_worker

    advance = progress or (lambda _n, _what: None)
    own_engine = None
    if sessions is None:
        own_engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(own_engine)
    report = SeedReport()
    channel = create_insecure_channel(grpc_address=settings.zeebe_address)
    portal = settings.portal()
    user_tasks = UserTasks(portal, sessions)
    stopping = asyncio.Event()
    inbox_task: asyncio.Task[None] | None = None
    try:
        with sessions() as session, session.begin():
            if has_data(session) and not force:
                raise SeedRefused(REFUSAL)
            reference, report.tasks, rng = seed_plan(
                session,
                seed=seed,
                people=people,
                tasks=tasks,
                documents_dir=Path(settings.documents_dir),
            )
        advance(1, f"{people} nhà khoa học, {len(data.ORGANISATIONS)} tổ chức")
        stub = GatewayStub(channel)
        if inbox:
            inbox_task = asyncio.create_task(run_inbox_worker(portal, sessions, stopping=stopping))
        driver = InboxDriver(user_tasks)
        seeder = Seeder(
            stub=stub,
            sessions=sessions,
            documents_dir=Path(settings.documents_dir),
            rng=rng,
            reference=reference,
            driver=driver,
            progress=advance,
            step_timeout=step_timeout,
            regulations=settings.regulations(),
        )
        # Started one after the other, each once registered, so task codes follow the
        # proposals' order from one run to the next.
        for seeded in report.tasks:
            created = await stub.CreateProcessInstance(
                pb.CreateProcessInstanceRequest(
                    bpmnProcessId=PROCESS_ID,
                    version=-1,
                    variables=json.dumps({"proposalId": seeded.proposal_id}),
                )
            )
            seeded.process_instance_key = created.processInstanceKey
            try:
                await seeder.until(_registered(seeded.proposal_id), "the registered proposal")
            except TimeoutError:
                if seeded is report.tasks[0]:
                    raise SeedError(
                        "không có worker nào tiếp nhận đề xuất / no worker registered the first "
                        f"proposal within {step_timeout:.0f} s: are the job workers running "
                        f"against {settings.zeebe_address}?"
                    ) from None
            await seeder.write(seeder.record_started, seeded)
            advance(1, f"{seeded.title[:60]}")
        # SQLite takes one writer at a time and the workers' transactions read before they
        # write, so concurrent steps of several tasks make them fail with "database is
        # locked": on SQLite the tasks are driven one after the other.
        if concurrency is None:
            sqlite = sessions.kw["bind"].dialect.name == "sqlite"
            concurrency = 1 if sqlite else 4
        gate = asyncio.Semaphore(concurrency)

        async def drive(seeded: SeededTask) -> None:
            async with gate:
                await seeder.drive(seeded)

        await asyncio.gather(*(drive(t) for t in report.tasks))
        with sessions() as session:
            count_reference(session, report)
            left = len(open_items(session=session))
        log.info("%d work items open in the portal's inbox", left)
        return report
    finally:
        if inbox_task is not None:
            # the jobs its worker received are recorded first: none is lost in flight
            stopping.set()
            with contextlib.suppress(Exception):
                await inbox_task
        user_tasks.link.close()
        await channel.close()
        if own_engine is not None:
            own_engine.dispose()


async def seed_with_workers(settings: Settings, **kwargs: Any) -> SeedReport:
    """Seed with the job workers running in this process for the duration."""
    from workers.runtime import run_workers

    workers = asyncio.create_task(run_workers(settings.workers()))
    try:
        return await seed_demo(settings, **kwargs)
    finally:
        workers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await workers
