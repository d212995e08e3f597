"""What the public read services share: references to organisations and people, and pages."""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.enums import AcademicTitle, Degree
from models.people import Organisation, Person
from models.publicity import contact_shown
from models.services.errors import NotFoundError

PER_PAGE_CHOICES = (10, 20, 50, 100)
MAX_PAGE = 10_000

# How Vietnamese documents abbreviate degrees and titles before a name ("PGS.TS. Lê Văn A").
_DEGREE_SHORT = {
    Degree.BACHELOR: "CN.",
    Degree.ENGINEER: "KS.",
    Degree.MASTER: "ThS.",
    Degree.DOCTOR: "TS.",
    Degree.DOCTOR_OF_SCIENCE: "TSKH.",
}
_TITLE_SHORT = {AcademicTitle.PROFESSOR: "GS.", AcademicTitle.ASSOCIATE_PROFESSOR: "PGS."}


def honorific(degree: Degree | None, title: AcademicTitle | None) -> str:
    """The abbreviation written before a scientist's name, e.g. "PGS.TS." ("" when none)."""
    prefix = _TITLE_SHORT.get(title, "") if title else ""
    return prefix + (_DEGREE_SHORT.get(degree, "") if degree else "")


@dataclass(frozen=True)
class OrganisationRef:
    """An organisation as other pages link to it."""

    id: int
    name: str
    short_name: str | None = None


@dataclass(frozen=True)
class PersonRef:
    """A person as task pages name them; `id` only when their profile is public (a link)."""

    name: str
    honorific: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Contact:
    """Contact data a person chose to show."""

    email: str | None
    phone: str | None


def organisation_ref(org: Organisation | None) -> OrganisationRef | None:
    """The reference of an organisation (None stays None)."""
    if org is None:
        return None
    return OrganisationRef(id=org.id, name=org.name, short_name=org.short_name)


def person_ref(person: Person | None) -> PersonRef | None:
    """The reference of a person: linked only when they chose a public profile."""
    if person is None:
        return None
    return PersonRef(
        name=person.full_name,
        honorific=honorific(person.degree, person.academic_title),
        id=person.id if person.public_profile else None,
    )


def contact_of(person: Person) -> Contact | None:
    """The person's contact data, only where they chose to show it."""
    if not contact_shown(person) or not (person.email or person.phone):
        return None
    return Contact(email=person.email, phone=person.phone)


@dataclass(frozen=True)
class Paging:
    """Which slice of a list a page shows."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.per_page


def paging(page: int, per_page: int, total: int) -> Paging:
    """The slice for `page`; a page past the last one is not found (a bookmark gone stale)."""
    found = Paging(page=page, per_page=per_page, total=total)
    if page > found.pages:
        raise NotFoundError(
            "page_out_of_range",
            f"Không có trang {page}: danh sách có {found.pages} trang.",
            f"There is no page {page}: the list has {found.pages} pages.",
        )
    return found
