"""Files people upload through the portal, linked to what they belong to."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin
from models.documents import StoredFile


class Attachment(IdMixin, TimestampMixin, Base):
    """An uploaded file and what it belongs to: a user task, a proposal, a task, a filing."""

    __tablename__ = "attachments"

    stored_file_id: Mapped[int] = mapped_column(BigId, ForeignKey("stored_files.id"), index=True)
    # the name the uploader gave it (the stored file keeps the first uploader's name)
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    inbox_item_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("inbox_items.id", ondelete="SET NULL"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    # a host's filing for the task (models/filings.py)
    filing_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("filings.id"), index=True)
    # the form field it was uploaded for ("dossier" on the proposal form)
    field_key: Mapped[str] = mapped_column(String(100), default="")

    stored_file: Mapped[StoredFile] = relationship()
