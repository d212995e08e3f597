"""What hosts and applicants file for a task through the portal, and the message that tells the
process (a revised proposal, the direct-assignment dossier, the signed contract, the final
report ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, IdMixin, TimestampMixin


class Filing(IdMixin, TimestampMixin, Base):
    """One filing: its documents are attachments pointing here; `published_at` is set once
    the engine took the message (a filing saved while the engine was away is sent again)."""

    __tablename__ = "filings"

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    # models/services/filings.py KINDS: "final-report", "signed-contract" ...
    kind: Mapped[str] = mapped_column(String(50))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(50))
    # the message's id: the engine refuses a second message with it while the first waits
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    filed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
