"""Stored files and the dossier documents that point at them."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import DocumentKind


class StoredFile(IdMixin, TimestampMixin, Base):
    """A file kept in the document store, identified by the SHA-256 of its content."""

    __tablename__ = "stored_files"

    # Same content is stored once, however many dossiers cite it.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(300))
    # Relative to the document store root, so the store can move.
    path: Mapped[str] = mapped_column(String(500))
    uploaded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))


class DossierDocument(IdMixin, TimestampMixin, Base):
    """One document of a dossier: an application, an acceptance dossier or a registration."""

    __tablename__ = "dossier_documents"
    __table_args__ = (
        # A document belongs to exactly one dossier.
        CheckConstraint(
            "(CASE WHEN application_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN acceptance_dossier_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN registration_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind))
    stored_file_id: Mapped[int] = mapped_column(BigId, ForeignKey("stored_files.id"))
    application_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    acceptance_dossier_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("acceptance_dossiers.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("result_registrations.id", ondelete="CASCADE"), index=True
    )

    stored_file: Mapped[StoredFile] = relationship()
