"""The portal application: `create_app(config, sessions)` builds it; nothing at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from portal import api_docs
from portal.config import PortalConfig
from portal.errors import install_error_pages
from portal.i18n import LANGUAGES, choose_language, load_catalogues
from portal.public import api as public_api
from portal.public import routes as public_routes
from portal.rendering import Renderer

STATIC = Path(__file__).resolve().parent / "static"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Everything is served by the portal itself: no CDN, no other host.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(
    config: PortalConfig,
    sessions: sessionmaker[Session],
    *,
    read_sessions: sessionmaker[Session] | None = None,
) -> FastAPI:
    """The portal on the domain database behind `sessions` (reads may use their own pool)."""
    app = FastAPI(
        title="Cổng thông tin KH&CN / S&T portal",
        description=f"{config.department}: public data on science and technology tasks.",
        version="1",
        docs_url=None,  # served by portal/api_docs.py from local assets, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    catalogues = load_catalogues()
    app.state.config = config
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions or sessions
    app.state.catalogues = catalogues
    app.state.renderer = Renderer(catalogues, {"config": config})
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app)
    app.middleware("http")(_security_headers)
    app.middleware("http")(_language)
    # Every router, listed explicitly (later areas slot in here: inbox, designer ...).
    app.include_router(public_routes.router)
    app.include_router(public_api.router)
    app.include_router(api_docs.router)
    return app


async def _language(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Pick the page's language; remember an explicit `?lang=` in the `lang` cookie."""
    asked = request.query_params.get("lang")
    request.state.language = choose_language(
        asked, request.cookies.get("lang"), request.headers.get("accept-language")
    )
    response = await call_next(request)
    response.headers["Content-Language"] = request.state.language
    response.headers["Vary"] = "Accept-Language, Cookie"
    if asked in LANGUAGES and request.cookies.get("lang") != asked:
        response.set_cookie(
            "lang", asked, max_age=LANGUAGE_COOKIE_SECONDS, samesite="lax", httponly=True
        )
    return response


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
