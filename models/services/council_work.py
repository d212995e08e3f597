"""A council's work as its members see it: the councils they sit on, the documents of what
each reviews, and the tally the vote-counting committee reads (secret ballots: counts only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.acceptance import AcceptanceDossier
from models.attachments import Attachment
from models.audit import AuditEntry
from models.calls import Application
from models.councils import Attendance, Council, CouncilMember, Meeting
from models.documents import DossierDocument, StoredFile
from models.editions import DEFAULT_REGULATIONS, Regulations
from models.enums import AcceptanceLevel, CouncilType, MeetingStatus, Rating
from models.rules import SelectionOutcome, acceptance_verdict, advisory_recommended
from models.services import meetings as meetings_service
from models.services.councils import council_edition
from models.services.inbox import SITTING
from models.tasks import Task


def councils_of(*, session: Session, person_id: int) -> list[Council]:
    """The councils a person sits on now (proposed or convened), newest first."""
    return list(
        session.scalars(
            select(Council)
            .join(CouncilMember, CouncilMember.council_id == Council.id)
            .where(CouncilMember.person_id == person_id, Council.status.in_(SITTING))
            .order_by(Council.id.desc())
        )
    )


@dataclass(frozen=True)
class Document:
    """A document a council reviews: the stored file and what it is."""

    stored_file_id: int
    name: str
    what: str


@dataclass
class ItemDocuments:
    """What a council deliberates on, with its documents."""

    task: Task
    application: Application | None
    documents: list[Document] = field(default_factory=list)


def documents_of(*, session: Session, council: Council) -> list[ItemDocuments]:
    """The documents of every item a council reviews: the proposal's dossier, the
    application's dossier, and what the host filed for the task (revised proposal, final
    report, completed dossier ...)."""
    found: list[ItemDocuments] = []
    for item in council.items:
        task = session.get(Task, item.task_id)
        if task is None:
            continue
        application = session.get(Application, item.application_id) if item.application_id else None
        candidates: list[Document] = []
        if task.proposal_id is not None:
            candidates += [
                Document(a.stored_file_id, a.name, "proposal")
                for a in session.scalars(
                    select(Attachment)
                    .where(Attachment.proposal_id == task.proposal_id)
                    .order_by(Attachment.id)
                )
            ]
        if application is not None:
            candidates += [
                Document(d.stored_file_id, d.stored_file.original_name, d.kind.value)
                for d in session.scalars(
                    select(DossierDocument)
                    .where(DossierDocument.application_id == application.id)
                    .order_by(DossierDocument.id)
                )
            ]
        candidates += [
            Document(a.stored_file_id, a.name, a.field_key)
            for a in session.scalars(
                select(Attachment)
                .where(Attachment.task_id == task.id, Attachment.filing_id.is_not(None))
                .order_by(Attachment.id)
            )
        ]
        entry = ItemDocuments(task, application)
        for document in candidates:
            if all(d.stored_file_id != document.stored_file_id for d in entry.documents):
                entry.documents.append(document)
        found.append(entry)
    return found


def council_file(*, session: Session, council: Council, stored_file_id: int) -> StoredFile | None:
    """A stored file, when it is one of the council's documents (None otherwise)."""
    for item in documents_of(session=session, council=council):
        if any(d.stored_file_id == stored_file_id for d in item.documents):
            return session.get(StoredFile, stored_file_id)
    return None


# ----------------------------------------------------------------------------- the tally


def latest_meeting_held(council: Council) -> Meeting | None:
    """The council's latest meeting, when it was held with quorum."""
    if not council.meetings:
        return None
    meeting = council.meetings[-1]
    return meeting if meeting.status is MeetingStatus.HELD else None


def on_counting_committee(*, session: Session, council: Council, person_id: int | None) -> bool:
    """Whether a person is on the vote-counting committee of the council's meeting."""
    meeting = latest_meeting_held(council)
    if meeting is None or person_id is None:
        return False
    found = session.scalar(
        select(Attendance.id)
        .join(CouncilMember, CouncilMember.id == Attendance.member_id)
        .where(
            Attendance.meeting_id == meeting.id,
            Attendance.counting_role.is_not(None),
            CouncilMember.person_id == person_id,
        )
    )
    return found is not None


@dataclass
class ItemTally:
    """The ballots on one item: how many were cast, and what they add up to so far."""

    task: Task
    application: Application | None
    cast: int
    in_favour: int = 0
    recommended: bool | None = None
    outcome: SelectionOutcome | None = None
    ratings: dict[str, int] = field(default_factory=dict)
    verdict: Rating | None = None


@dataclass
class Tally:
    """The tally of a council's meeting (no name beside any ballot: they are secret)."""

    council: Council
    meeting: Meeting
    present: int
    counted: bool
    items: list[ItemTally] = field(default_factory=list)


def tally(
    *, session: Session, council: Council, regulations: Regulations = DEFAULT_REGULATIONS
) -> Tally | None:
    """The ballots of the council's meeting counted as the rules count them (None before the
    meeting was held); `counted` once the count was announced."""
    meeting = latest_meeting_held(council)
    if meeting is None or council.type is CouncilType.APPRAISAL:
        return None
    present = meetings_service.members_present_at(meeting)
    edition = council_edition(council, regulations)
    counted = (
        session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == "council.count",
                AuditEntry.entity_type == "council",
                AuditEntry.entity_id == council.id,
            )
        )
        is not None
    )
    result = Tally(council, meeting, len(present), counted)
    for item in council.items:
        task = session.get(Task, item.task_id)
        if task is None:
            continue
        if council.type is CouncilType.ADVISORY:
            votes = meetings_service.advisory_votes(session, meeting, task, present)
            in_favour = sum(v.in_favour for v in votes)
            result.items.append(
                ItemTally(
                    task,
                    None,
                    len(votes),
                    in_favour=in_favour,
                    recommended=advisory_recommended(
                        in_favour, len(votes), edition.advisory.pass_share
                    ),
                )
            )
        elif council.type is CouncilType.SELECTION:
            application = session.get(Application, item.application_id)
            if application is None:
                continue
            ballots, outcome = meetings_service.score_application(
                session, meeting, task, application, regulations
            )
            result.items.append(ItemTally(task, application, len(ballots), outcome=outcome))
        else:
            ratings = meetings_service.acceptance_ratings(session, meeting, task, present)
            counts = {r.value: sum(1 for x in ratings if x is r) for r in Rating}
            dossier = session.scalar(
                select(AcceptanceDossier).where(
                    AcceptanceDossier.task_id == task.id,
                    AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
                )
            )
            verdict = acceptance_verdict(
                excellent=counts["excellent"],
                passed=counts["pass"],
                failed=counts["fail"],
                present=len(present),
                too_late=bool(dossier and dossier.too_late),
                rules=edition.acceptance,
            )
            result.items.append(
                ItemTally(task, None, len(ratings), ratings=counts, verdict=verdict)
            )
    return result
