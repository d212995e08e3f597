"""The document store and dossier documents."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.documents import DossierDocument
from models.enums import DocumentKind
from models.services import documents
from models.services.errors import DomainError
from tests.models import factories as f


def test_store_and_read_a_file(session: Session, tmp_path: Path) -> None:
    content = "Thuyết minh đề tài".encode()
    stored = documents.store_file(
        session=session,
        root=tmp_path,
        content=content,
        original_name="thuyet-minh.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.size == len(content)
    assert (tmp_path / stored.path).read_bytes() == content
    assert documents.read_file(root=tmp_path, stored=stored) == content


def test_same_content_is_stored_once(session: Session, tmp_path: Path) -> None:
    one = documents.store_file(
        session=session, root=tmp_path, content=b"x", original_name="a", content_type="text/plain"
    )
    two = documents.store_file(
        session=session, root=tmp_path, content=b"x", original_name="b", content_type="text/plain"
    )
    assert one.id == two.id
    assert len(list(tmp_path.rglob("*"))) == 3  # two directory levels and one file


def test_a_changed_file_is_detected(session: Session, tmp_path: Path) -> None:
    stored = documents.store_file(
        session=session, root=tmp_path, content=b"a", original_name="a", content_type="text/plain"
    )
    (tmp_path / stored.path).write_bytes(b"b")
    with pytest.raises(DomainError) as err:
        documents.read_file(root=tmp_path, stored=stored)
    assert err.value.code == "document_corrupt"


def test_a_document_belongs_to_exactly_one_dossier(session: Session, tmp_path: Path) -> None:
    task = f.task(session)
    call = f.open_call(session, [task])
    application = f.application(session, call, task, root=tmp_path, documents=())
    stored = documents.store_file(
        session=session, root=tmp_path, content=b"a", original_name="a", content_type="text/plain"
    )
    with pytest.raises(DomainError):
        documents.add_dossier_document(
            session=session, stored_file_id=stored.id, kind=DocumentKind.OTHER
        )
    doc = documents.add_dossier_document(
        session=session,
        stored_file_id=stored.id,
        kind=DocumentKind.OTHER,
        application_id=application.id,
    )
    assert doc.stored_file.sha256 == stored.sha256
    # The database refuses it too, whoever writes the row.
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(DossierDocument(stored_file_id=stored.id, kind=DocumentKind.OTHER))
        session.flush()
