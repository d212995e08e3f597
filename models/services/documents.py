"""The document store: content-addressed files on disk, rows in the database."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.documents import DossierDocument, StoredFile
from models.enums import DocumentKind
from models.services.errors import DomainError, get_or_raise


def store_file(
    *,
    session: Session,
    root: Path,
    content: bytes,
    original_name: str,
    content_type: str,
    uploaded_by_id: int | None = None,
) -> StoredFile:
    """Keep a file under ``root`` by its SHA-256; the same content is stored only once."""
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(StoredFile).where(StoredFile.sha256 == digest))
    if existing is not None:
        return existing
    relative = Path(digest[:2]) / digest[2:4] / digest
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a truncated file under the final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, target)
    stored = StoredFile(
        sha256=digest,
        size=len(content),
        content_type=content_type,
        original_name=original_name,
        path=relative.as_posix(),
        uploaded_by_id=uploaded_by_id,
    )
    session.add(stored)
    session.flush()
    return stored


def read_file(*, root: Path, stored: StoredFile) -> bytes:
    """The content of a stored file, checked against its hash."""
    content = (root / stored.path).read_bytes()
    if hashlib.sha256(content).hexdigest() != stored.sha256:
        raise DomainError(
            "document_corrupt",
            f"Tệp {stored.original_name} đã bị thay đổi.",
            f"Stored file {stored.original_name} does not match its hash.",
        )
    return content


def add_dossier_document(
    *,
    session: Session,
    stored_file_id: int,
    kind: DocumentKind,
    application_id: int | None = None,
    acceptance_dossier_id: int | None = None,
    registration_id: int | None = None,
) -> DossierDocument:
    """Attach a stored file to exactly one dossier."""
    owners = [application_id, acceptance_dossier_id, registration_id]
    if sum(o is not None for o in owners) != 1:
        raise DomainError(
            "document_owner",
            "Tài liệu phải thuộc đúng một hồ sơ.",
            "A document belongs to exactly one dossier.",
        )
    get_or_raise(session, StoredFile, stored_file_id)
    doc = DossierDocument(
        stored_file_id=stored_file_id,
        kind=kind,
        application_id=application_id,
        acceptance_dossier_id=acceptance_dossier_id,
        registration_id=registration_id,
    )
    session.add(doc)
    session.flush()
    return doc
