"""The API's interactive documentation (Swagger UI served from the portal, not a CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.deps import Render

router = APIRouter(include_in_schema=False)

# Swagger UI styles its widgets with inline style attributes; scripts stay 'self' only.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, render: Render) -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    response = render.render(request, "api_docs.html", {})
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
