"""Council work in the browser: a member's councils, the documents of what each reviews (only
while it sits), and the tally the vote-counting committee reads.

Reviews and ballots are user tasks of the council's members, filled in the inbox like any
form (khcn-council-review, khcn-*-ballot); the meeting's attendance is a user task of the
council's scientific secretary and of staff (khcn-council-attendance). These pages give them
what a form alone does not: the dossiers to read, and the count.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from models.councils import Council
from models.enums import Role
from models.inbox import InboxItem
from models.services import council_work
from models.services import inbox as inbox_service
from models.services.documents import read_file
from portal.auth.access import Member, SignedIn, Viewer, may_see_council
from portal.deps import Render, WriteSession

router = APIRouter(include_in_schema=False)


def _council(session: Session, viewer: Viewer, council_id: int) -> Council:
    council = session.get(Council, council_id)
    if council is None or not may_see_council(session, viewer, council):
        raise HTTPException(404)
    return council


def may_see_tally(session: Session, viewer: Viewer, council: Council) -> bool:
    """Staff and leaders, and the members of the meeting's vote-counting committee."""
    return viewer.has(Role.STAFF, Role.LEADER) or council_work.on_counting_committee(
        session=session, council=council, person_id=viewer.user.person_id
    )


@router.get("/councils", response_class=HTMLResponse)
def my_councils(
    request: Request, viewer: Member, session: WriteSession, render: Render
) -> Response:
    """The councils the member sits on now, with their open reviews and ballots."""
    person = viewer.user.person_id
    councils = council_work.councils_of(session=session, person_id=person) if person else []
    mine = [
        item
        for item in inbox_service.visible_items(session=session, user=viewer.user)
        if inbox_service.is_mine(viewer.user, item)
    ]
    rows = [
        {
            "council": c,
            "meeting": c.meetings[-1] if c.meetings else None,
            "items": [i for i in mine if _council_of(i) == c.id],
            "tally": may_see_tally(session, viewer, c),
        }
        for c in councils
    ]
    return render.render(request, "councils/list.html", {"rows": rows})


def _council_of(item: InboxItem) -> int | None:
    try:
        return int(item.variables.get("councilId"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@router.get("/councils/{council_id}", response_class=HTMLResponse)
def council_page(
    request: Request, council_id: int, viewer: SignedIn, session: WriteSession, render: Render
) -> Response:
    """What a council reviews, with its documents: for its members while it sits."""
    council = _council(session, viewer, council_id)
    return render.render(
        request,
        "councils/council.html",
        {
            "council": council,
            "meeting": council.meetings[-1] if council.meetings else None,
            "items": council_work.documents_of(session=session, council=council),
            "tally": may_see_tally(session, viewer, council),
        },
    )


@router.get("/councils/{council_id}/files/{stored_file_id}")
def council_file(
    request: Request,
    council_id: int,
    stored_file_id: int,
    viewer: SignedIn,
    session: WriteSession,
) -> Response:
    """One of the council's documents, as an attachment (never shown inline)."""
    council = _council(session, viewer, council_id)
    stored = council_work.council_file(
        session=session, council=council, stored_file_id=stored_file_id
    )
    if stored is None:
        raise HTTPException(404)
    content = read_file(root=request.app.state.config.documents_dir, stored=stored)
    return Response(
        content,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.original_name)}",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/councils/{council_id}/tally", response_class=HTMLResponse)
def tally_page(
    request: Request, council_id: int, viewer: SignedIn, session: WriteSession, render: Render
) -> Response:
    """The tally of the council's meeting, for the vote-counting committee (and staff)."""
    council = session.get(Council, council_id)
    if council is None or not may_see_tally(session, viewer, council):
        raise HTTPException(404)
    tally = council_work.tally(
        session=session, council=council, regulations=request.app.state.config.regulations
    )
    return render.render(request, "councils/tally.html", {"council": council, "tally": tally})
