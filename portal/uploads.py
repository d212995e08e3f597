"""Uploads: size limit and type checked by content (magic bytes), never by name or browser.

Dossiers are PDF, Word and spreadsheet documents, OpenDocument files and scans (PNG, JPEG). The
type is read from the file's first bytes; an OOXML or OpenDocument file (a ZIP) must also hold
the part that makes it one, so a renamed archive or executable is refused whatever its name or
the Content-Type the browser sent.
"""

from __future__ import annotations

import gettext
import io
import zipfile
from dataclasses import dataclass

from fastapi import Request

from portal.i18n import N_

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOC = "application/msword"
# the names people know the accepted types by (shown in the form's hint)
ACCEPTED_NAMES = "PDF, DOCX, DOC, XLSX, ODT, ODS, PNG, JPEG"
ACCEPT_ATTRIBUTE = ".pdf,.docx,.doc,.xlsx,.odt,.ods,.png,.jpg,.jpeg"


class UploadRefused(ValueError):
    """An upload refused; `code` names why (too_big, empty, wrong_type)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: its content and the type its content shows."""

    name: str
    content: bytes
    content_type: str


def _zip_type(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in (ODT, ODS) else None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def sniff(content: bytes) -> str | None:
    """The document type the content is, by its bytes (None: not a type we accept)."""
    head = content[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return DOC  # OLE compound file: Word 97-2003 (and the old Excel)
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    return None


def check_upload(name: str, content: bytes, max_bytes: int) -> CheckedUpload:
    """Refuse an empty, too big or wrongly typed upload; its type as the content shows."""
    if not content:
        raise UploadRefused("empty")
    if len(content) > max_bytes:
        raise UploadRefused("too_big")
    kind = sniff(content)
    if kind is None:
        raise UploadRefused("wrong_type")
    clean = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "tai-lieu"
    return CheckedUpload(clean[:300], content, kind)


UPLOAD_MESSAGES = {
    "empty": N_("The file is empty."),
    "too_big": N_("The file is larger than %(mb)s MB."),
    "wrong_type": N_(
        "This kind of file is not accepted (allowed: %(types)s). "
        "The file's content decides, not its name."
    ),
}


async def read_submission(
    request: Request, translator: gettext.NullTranslations
) -> tuple[dict[str, list[str]], dict[str, list[CheckedUpload]], dict[str, str]]:
    """A posted form: its texts by name, its checked uploads by name, and refused uploads."""
    max_bytes: int = request.app.state.config.max_upload_bytes
    form = await request.form()
    texts: dict[str, list[str]] = {}
    checked: dict[str, list[CheckedUpload]] = {}
    refused: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            texts.setdefault(key, []).append(value)
            continue
        if not value.filename:
            continue  # a file input left empty
        content = await value.read(max_bytes + 1)
        try:
            checked.setdefault(key, []).append(check_upload(value.filename, content, max_bytes))
        except UploadRefused as error:
            refused[key] = translator.gettext(UPLOAD_MESSAGES[error.code]) % {
                "mb": max_bytes // (1024 * 1024),
                "types": ACCEPTED_NAMES,
            }
    return texts, checked, refused
