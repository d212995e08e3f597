"""Organisations and people: scientists and experts with expertise, degrees and affiliations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import AcademicTitle, Degree, Field, OrganisationKind


class Organisation(IdMixin, TimestampMixin, Base):
    """An organisation that proposes, hosts or partners in tasks (tổ chức)."""

    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(300), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind))
    tax_code: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))

    affiliations: Mapped[list[Affiliation]] = relationship(back_populates="organisation")


class Person(IdMixin, TimestampMixin, Base):
    """A scientist or expert (nhà khoa học, chuyên gia)."""

    __tablename__ = "people"

    full_name: Mapped[str] = mapped_column(String(200), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    degree: Mapped[Degree | None] = mapped_column(enum_type(Degree))
    academic_title: Mapped[AcademicTitle | None] = mapped_column(enum_type(AcademicTitle))
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    biography: Mapped[str | None] = mapped_column(Text)
    # Only experts who agreed are listed in the public directory.
    is_expert: Mapped[bool] = mapped_column(Boolean, default=False)
    public_profile: Mapped[bool] = mapped_column(Boolean, default=False)
    # Email and phone appear on the public profile only when the person chose to show them.
    contact_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    expertise: Mapped[list[Expertise]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    def current_organisation_ids(self) -> set[int]:
        """Ids of the organisations this person works for now."""
        return {a.organisation_id for a in self.affiliations if a.ended_on is None}


class Expertise(IdMixin, Base):
    """A field of expertise of a person, with an optional speciality."""

    __tablename__ = "expertise"
    __table_args__ = (UniqueConstraint("person_id", "field", "speciality"),)

    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id", ondelete="CASCADE"))
    field: Mapped[Field] = mapped_column(enum_type(Field), index=True)
    speciality: Mapped[str] = mapped_column(String(200), default="")

    person: Mapped[Person] = relationship(back_populates="expertise")


class Affiliation(IdMixin, Base):
    """A person's position in an organisation; ``ended_on`` empty means current."""

    __tablename__ = "affiliations"

    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="affiliations")
    organisation: Mapped[Organisation] = relationship(back_populates="affiliations")
