"""Files uploaded through the portal: stored by content hash, linked to what they belong to."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.attachments import Attachment
from models.services.audit import Actor, record_audit
from models.services.documents import store_file


def attach(
    *,
    session: Session,
    root: Path,
    content: bytes,
    name: str,
    content_type: str,
    actor: Actor,
    field_key: str = "",
    inbox_item_id: int | None = None,
    proposal_id: int | None = None,
    task_id: int | None = None,
    filing_id: int | None = None,
) -> Attachment:
    """Store an upload (once per content) and link it; the type was checked by the caller."""
    stored = store_file(
        session=session,
        root=root,
        content=content,
        original_name=name,
        content_type=content_type,
        uploaded_by_id=actor.user_id,
    )
    attachment = Attachment(
        stored_file_id=stored.id,
        name=name[:300],
        content_type=content_type,
        uploaded_by_id=actor.user_id,
        inbox_item_id=inbox_item_id,
        proposal_id=proposal_id,
        task_id=task_id,
        filing_id=filing_id,
        field_key=field_key,
    )
    session.add(attachment)
    session.flush()
    record_audit(
        session=session,
        action="file.upload",
        entity_type="attachment",
        entity_id=attachment.id,
        actor=actor,
        task_id=task_id,
        details={"name": attachment.name, "sha256": stored.sha256, "size": stored.size},
    )
    return attachment


def attachments_of(
    *, session: Session, proposal_id: int | None = None, inbox_item_id: int | None = None
) -> list[Attachment]:
    """The files of a proposal or of a user task, oldest first."""
    stmt = select(Attachment).order_by(Attachment.id)
    if proposal_id is not None:
        stmt = stmt.where(Attachment.proposal_id == proposal_id)
    if inbox_item_id is not None:
        stmt = stmt.where(Attachment.inbox_item_id == inbox_item_id)
    return list(session.scalars(stmt))
