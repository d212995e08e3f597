"""Downloading uploaded files: only by those allowed to see what a file belongs to."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from models.attachments import Attachment
from models.services.documents import read_file
from portal.auth.access import SignedIn, may_download
from portal.deps import WriteSession

router = APIRouter(include_in_schema=False)


@router.get("/files/{attachment_id}")
def download(
    request: Request, attachment_id: int, viewer: SignedIn, session: WriteSession
) -> Response:
    """A file, as an attachment (never shown inline), checked against its hash."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not may_download(session, viewer, attachment):
        raise HTTPException(404)
    content = read_file(root=request.app.state.config.documents_dir, stored=attachment.stored_file)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.name)}"
    return Response(
        content,
        media_type=attachment.content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )
