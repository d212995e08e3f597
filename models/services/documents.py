"""The document store: content-addressed files on disk, rows in the database."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.documents import DossierDocument, StoredFile
from models.enums import DocumentKind, Issuer
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


# --------------------------------------------------------------------------- official documents

Renderer = Callable[[str, Mapping[str, Any]], tuple[bytes, bytes | None]]
"""Fills the DOCX template of a kind with a context: (DOCX, PDF or None)."""

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class DocumentMaker:
    """Where official documents are rendered and kept (the workers' templates and store)."""

    root: Path
    render: Renderer
    # The province as its documents name it, e.g. "Thành phố Huế".
    province: str = "Thành phố Huế"

    @property
    def place(self) -> str:
        """The place written before the date: "Huế"."""
        for prefix in ("Thành phố ", "thành phố ", "Tỉnh ", "tỉnh "):
            if self.province.startswith(prefix):
                return self.province.removeprefix(prefix)
        return self.province

    def letterhead(self, issuer: Issuer) -> dict[str, str]:
        """The administrative header and signature block of the issuer (NĐ 30/2020 forms)."""
        local = f"{self.province[0].lower()}{self.province[1:]}"
        authority = f"Ủy ban nhân dân {local}"
        if issuer is Issuer.PEOPLE_COMMITTEE:
            return {
                "header_top": "",
                "header_bottom": authority.upper(),
                "issuer_name": authority,
                "issuer_title": f"CHỦ TỊCH {authority.upper()}",
                "signer_title": "CHỦ TỊCH",
                "place": self.place,
            }
        return {
            "header_top": authority.upper().replace("ỦY BAN NHÂN DÂN", "UBND"),
            "header_bottom": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "issuer_name": f"Sở Khoa học và Công nghệ {local}",
            "issuer_title": "GIÁM ĐỐC SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "signer_title": "GIÁM ĐỐC",
            "place": self.place,
        }


def make_document(
    *,
    session: Session,
    maker: DocumentMaker,
    template: str,
    context: Mapping[str, Any],
    name: str,
    kind: DocumentKind,
    application_id: int | None = None,
    acceptance_dossier_id: int | None = None,
    registration_id: int | None = None,
) -> DossierDocument:
    """Render an official document, keep its DOCX (and PDF when made) on one dossier."""
    docx, pdf = maker.render(template, context)
    owner = {
        "application_id": application_id,
        "acceptance_dossier_id": acceptance_dossier_id,
        "registration_id": registration_id,
    }
    stored = store_file(
        session=session, root=maker.root, content=docx, original_name=name, content_type=DOCX
    )
    document = add_dossier_document(session=session, stored_file_id=stored.id, kind=kind, **owner)
    if pdf is not None:
        kept = store_file(
            session=session,
            root=maker.root,
            content=pdf,
            original_name=name.removesuffix(".docx") + ".pdf",
            content_type="application/pdf",
        )
        add_dossier_document(session=session, stored_file_id=kept.id, kind=kind, **owner)
    return document
