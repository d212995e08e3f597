"""A scientist's own profile: what they may change themselves, and what staff verify first.

Degrees and academic titles are credentials the Department relies on (council seats, principal
investigators), so a scientist's change of either waits as a ProfileChange until staff verify
it; everything else (biography, contact, expertise, affiliation, publications, what is public)
the scientist changes directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AcademicTitle, DecisionStatus, Degree, Field
from models.people import Affiliation, Expertise, Organisation, Person
from models.profiles import ProfileChange, Publication
from models.services.accounts import now_utc
from models.services.audit import Actor, record_audit
from models.services.errors import DomainError, InvalidStateError, get_or_raise

VERIFIED_ATTRIBUTES = {"degree": Degree, "academic_title": AcademicTitle}


@dataclass(frozen=True)
class ProfileEdit:
    """What a scientist changes on their own profile directly."""

    biography: str
    phone: str
    public_profile: bool
    expertise: list[tuple[Field, str]]
    organisation_id: int | None
    position: str


def _audit(session: Session, action: str, person_id: int, actor: Actor, details: dict) -> None:
    record_audit(
        session=session,
        action=action,
        entity_type="person",
        entity_id=person_id,
        actor=actor,
        details=details,
    )


def update_profile(*, session: Session, person_id: int, edit: ProfileEdit, actor: Actor) -> Person:
    """Apply the scientist's own changes (not degree or title: see `request_change`)."""
    person = get_or_raise(session, Person, person_id)
    person.biography = edit.biography.strip() or None
    person.phone = edit.phone.strip() or None
    person.public_profile = edit.public_profile
    wanted = {(f, s.strip()) for f, s in edit.expertise}
    for item in list(person.expertise):
        if (item.field, item.speciality) not in wanted:
            person.expertise.remove(item)
    have = {(e.field, e.speciality) for e in person.expertise}
    for field_, speciality in sorted(wanted - have):
        person.expertise.append(Expertise(field=field_, speciality=speciality))
    current = [a for a in person.affiliations if a.ended_on is None]
    if edit.organisation_id is not None:
        get_or_raise(session, Organisation, edit.organisation_id)
        same = [a for a in current if a.organisation_id == edit.organisation_id]
        if same:
            same[0].position = edit.position.strip() or None
        else:
            for old in current:
                old.ended_on = now_utc().date()
            person.affiliations.append(
                Affiliation(
                    organisation_id=edit.organisation_id,
                    position=edit.position.strip() or None,
                    started_on=now_utc().date(),
                )
            )
    session.flush()
    _audit(
        session,
        "profile.update",
        person.id,
        actor,
        {
            "public": edit.public_profile,
            "expertise": [f"{f.value}:{s}" for f, s in sorted(wanted)],
            "organisation_id": edit.organisation_id,
        },
    )
    return person


def add_publication(
    *,
    session: Session,
    person_id: int,
    title: str,
    year: int | None,
    venue: str,
    url: str,
    is_public: bool,
    actor: Actor,
) -> Publication:
    """List a publication on the profile."""
    get_or_raise(session, Person, person_id)
    if not title.strip():
        raise DomainError(
            "publication_title", "Cần nhập tên công trình.", "A publication needs a title."
        )
    publication = Publication(
        person_id=person_id,
        title=title.strip(),
        year=year,
        venue=venue.strip(),
        url=url.strip(),
        is_public=is_public,
    )
    session.add(publication)
    session.flush()
    _audit(session, "profile.publication_add", person_id, actor, {"title": publication.title})
    return publication


def remove_publication(
    *, session: Session, person_id: int, publication_id: int, actor: Actor
) -> None:
    """Take a publication off one's own profile (someone else's is not found)."""
    publication = get_or_raise(session, Publication, publication_id)
    if publication.person_id != person_id:
        raise DomainError(
            "publication_not_yours",
            "Công trình không thuộc hồ sơ của bạn.",
            "The publication is not on your profile.",
        )
    session.delete(publication)
    session.flush()
    _audit(session, "profile.publication_remove", person_id, actor, {"id": publication_id})


def publications_of(*, session: Session, person_id: int) -> list[Publication]:
    """A person's publications, newest first."""
    stmt = (
        select(Publication)
        .where(Publication.person_id == person_id)
        .order_by(Publication.year.desc(), Publication.id.desc())
    )
    return list(session.scalars(stmt))


def request_change(
    *,
    session: Session,
    person_id: int,
    attribute: str,
    new_value: str | None,
    evidence: str,
    actor: Actor,
) -> ProfileChange:
    """Ask staff to change one's degree or academic title (pending until verified)."""
    kind = VERIFIED_ATTRIBUTES.get(attribute)
    if kind is None:
        raise DomainError(
            "profile_attribute", "Thông tin không hợp lệ.", f"Unknown attribute {attribute!r}."
        )
    if new_value is not None:
        kind(new_value)  # a value of the vocabulary, or ValueError
    person = get_or_raise(session, Person, person_id)
    old = getattr(person, attribute)
    old_value = old.value if old is not None else None
    if old_value == new_value:
        raise DomainError(
            "profile_unchanged",
            "Giá trị mới trùng giá trị hiện có.",
            "The new value is the current one.",
        )
    pending = session.scalars(
        select(ProfileChange).where(
            ProfileChange.person_id == person_id,
            ProfileChange.attribute == attribute,
            ProfileChange.status == DecisionStatus.PENDING,
        )
    )
    for earlier in pending:  # the newest request replaces an earlier one not yet decided
        earlier.status = DecisionStatus.REJECTED
        earlier.decision_note = "Thay bằng đề nghị mới / replaced by a newer request"
    change = ProfileChange(
        person_id=person_id,
        attribute=attribute,
        old_value=old_value,
        new_value=new_value,
        evidence=evidence.strip(),
        requested_by_id=actor.user_id,
        status=DecisionStatus.PENDING,
    )
    session.add(change)
    session.flush()
    _audit(
        session,
        "profile.change_request",
        person_id,
        actor,
        {"attribute": attribute, "from": old_value, "to": new_value},
    )
    return change


def pending_changes(*, session: Session, person_ids: Iterable[int] | None = None) -> list:
    """Changes waiting for staff, oldest first."""
    stmt = select(ProfileChange).where(ProfileChange.status == DecisionStatus.PENDING)
    if person_ids is not None:
        stmt = stmt.where(ProfileChange.person_id.in_(list(person_ids)))
    return list(session.scalars(stmt.order_by(ProfileChange.id)))


def decide_change(
    *, session: Session, change_id: int, approve: bool, note: str, actor: Actor
) -> ProfileChange:
    """Staff verify a change of degree or title: approved, it is applied to the person."""
    change = get_or_raise(session, ProfileChange, change_id)
    if change.status is not DecisionStatus.PENDING:
        raise InvalidStateError(
            "profile_change_decided",
            "Đề nghị này đã được xử lý.",
            f"This change is already {change.status.value}.",
        )
    if actor.user_id is not None and actor.user_id == change.requested_by_id:
        raise InvalidStateError(
            "profile_change_self",
            "Không tự xác minh thay đổi của chính mình.",
            "Nobody verifies their own change.",
        )
    change.status = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
    change.decided_by_id, change.decided_at = actor.user_id, now_utc()
    change.decision_note = note.strip()
    if approve:
        kind = VERIFIED_ATTRIBUTES[change.attribute]
        value = kind(change.new_value) if change.new_value is not None else None
        setattr(change.person, change.attribute, value)
    session.flush()
    _audit(
        session,
        "profile.change_verify",
        change.person_id,
        actor,
        {"attribute": change.attribute, "to": change.new_value, "approved": approve},
    )
    return change
