"""What the public may see: one rule, written once, obeyed by every public page and API response.

Public (the law asks for it to be published; TT 20/2023/TT-BKHCN Đ3.1a, Đ16.2; TT 14/2014):
- tasks on an approved list (`public_task`: the workers open a task for every proposal they
  receive, and it stays private until its proposal is approved): code, title, field, kind,
  method, step and status, objectives, expected results, host organisation, principal
  investigator and members (names, roles), budget, contract number and dates, the acceptance
  decision (number, date, rating), registered results and, once a result is published, its
  documents of the kinds in `PUBLIC_DOCUMENT_KINDS`;
- what happened when: the audit log's entries only as the events `models/timeline.py` names,
  with only the details it names;
- calls for applications with their tasks, deadlines and dossier requirements; selection
  decisions (host, principal investigator, budget, duration);
- proposals still in the procedure or approved: title, field, kind, year, proposing
  organisation, status (`PROPOSAL_PUBLIC_FIELDS`);
- organisations (they are not persons: their address and contacts are public);
- the profiles of people who chose to have one (`public_profile`): name, degrees, expertise,
  affiliations, biography, tasks led or joined, results.

Private, never on a public page or in an API response (`PRIVATE_MODELS` are the rows that
hold them; the public read services may not import them, a test checks):
- council members' scores, score sheets, reviews, votes and acceptance ratings;
- council membership: who sat on which council;
- personal contact data (email, phone) unless the person chose to show it (`contact_public`);
- dossiers under review: applications, their documents, teams and requested budgets,
  acceptance dossiers' documents, progress reports, change requests not approved;
- anything of a rejected proposal (screened out, not recommended, withdrawn) beyond its title.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_

from models.acceptance import AcceptanceRating
from models.calls import ApplicationMember
from models.councils import Attendance, CouncilMember, Review, Score, ScoreSheet, Vote
from models.enums import CallStatus, DocumentKind, ProposalStatus
from models.implementation import ChangeRequest, ProgressReport
from models.people import Person
from models.proposals import Proposal
from models.tasks import Task

# Rows whose contents never reach the public (the read services for the public import none).
PRIVATE_MODELS: tuple[type, ...] = (
    Review,
    ScoreSheet,
    Score,
    Vote,
    AcceptanceRating,
    CouncilMember,
    Attendance,
    ApplicationMember,
    ProgressReport,
    ChangeRequest,
)

# A rejected proposal shows its title only (its rationale, objectives, budget, proposer stay).
WITHHELD_PROPOSALS = frozenset(
    {ProposalStatus.REJECTED, ProposalStatus.NOT_RECOMMENDED, ProposalStatus.WITHDRAWN}
)
PROPOSAL_PUBLIC_FIELDS = ("title", "field", "kind", "year", "proposer_organisation", "status")

# The documents of a published result that anyone may download (TT 14/2014 Đ7: the results
# are published; minutes and the authors' agreement stay in the dossier).
PUBLIC_DOCUMENT_KINDS = frozenset(
    {
        DocumentKind.FINAL_REPORT,
        DocumentKind.SUMMARY_REPORT,
        DocumentKind.RESULT_DATA,
        DocumentKind.TECHNOLOGY_DESCRIPTION,
        DocumentKind.CERTIFICATE,
    }
)

# A call is public once announced (a draft is not, a cancelled one still says it was).
PUBLIC_CALL_STATUSES = frozenset({CallStatus.OPEN, CallStatus.CLOSED, CallStatus.CANCELLED})


def proposal_details_public(status: ProposalStatus) -> bool:
    """Whether more than the title of a proposal in this status may be shown."""
    return status not in WITHHELD_PROPOSALS


def listed(person: type[Person] = Person) -> ColumnElement[bool]:
    """SQL condition: the person chose a public profile (directory, profile page, links)."""
    return person.public_profile.is_(True)


def contact_shown(person: Person) -> bool:
    """Whether a person's email and phone may be shown: a public profile that chose to."""
    return bool(person.public_profile and person.contact_public)


def document_public(kind: DocumentKind, result_published: bool) -> bool:
    """Whether a document of a registered result may be downloaded by anyone."""
    return result_published and kind in PUBLIC_DOCUMENT_KINDS


def contact_condition(person: type[Person] = Person) -> ColumnElement[bool]:
    """SQL form of `contact_shown`."""
    return and_(person.public_profile.is_(True), person.contact_public.is_(True))


def public_task() -> ColumnElement[bool]:
    """SQL: the task is on an approved list (its proposal approved, or it came without one)."""
    approved = exists().where(
        Proposal.id == Task.proposal_id, Proposal.status == ProposalStatus.APPROVED
    )
    return or_(Task.proposal_id.is_(None), approved)
