"""Public pages (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.deps import ReadSession, Render

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: ReadSession, render: Render) -> HTMLResponse:
    """The home page: what is happening now."""
    return render.render(request, "public/home.html", {})
