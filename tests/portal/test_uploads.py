"""Uploads: the type comes from the content, the size is limited."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from models.enums import Role
from portal.app import create_app
from portal.config import PortalConfig
from portal.uploads import DOCX, JPEG, PDF, PNG, UploadRefused, check_upload, sniff
from tests.portal.people import client_of, login, make_user


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.4\n...", PDF),
        (b"\x89PNG\r\n\x1a\n....", PNG),
        (b"\xff\xd8\xff\xe0....", JPEG),
        (_zip("[Content_Types].xml", "word/document.xml"), DOCX),
        (_zip("readme.txt", "setup.exe"), None),  # a plain archive renamed .docx
        (b"MZ\x90\x00", None),  # a Windows program
        (b"<html><script>", None),
    ],
)
def test_the_type_is_read_from_the_content(content: bytes, kind: str | None) -> None:
    assert sniff(content) == kind


def test_name_and_claimed_type_do_not_matter_size_and_emptiness_do() -> None:
    checked = check_upload("C:\\tai lieu\\bao-cao.exe", b"%PDF-1.7 ...", 100)
    assert checked.content_type == PDF and checked.name == "bao-cao.exe"
    for content, code in (
        (b"", "empty"),
        (b"%PDF" + b"x" * 200, "too_big"),
        (b"MZ..", "wrong_type"),
    ):
        with pytest.raises(UploadRefused) as refused:
            check_upload("ho-so.pdf", content, 100)
        assert refused.value.code == code


def test_a_too_big_upload_is_refused_with_a_message_and_a_huge_body_cut_off(
    portal_sessions: sessionmaker[Session],
) -> None:
    app: FastAPI = create_app(replace(PortalConfig(), max_upload_bytes=1000), portal_sessions)
    me = login(portal_sessions, make_user(portal_sessions, [Role.SCIENTIST], person=True).id)
    client = client_of(app, me)
    big = client.post(
        "/proposals/new",
        data={"csrf_token": me.csrf, "title": "Một đề xuất đủ dài"},
        files={"dossier": ("ho-so.pdf", b"%PDF-" + b"x" * 5000, "application/pdf")},
    )
    assert big.status_code == 400 and "lớn hơn" in big.text
    huge = client.post(
        "/proposals/new",
        data={"csrf_token": me.csrf},
        files={"dossier": ("ho-so.pdf", b"%PDF-" + b"x" * (2 * 1024 * 1024), "application/pdf")},
    )
    assert huge.status_code == 413
