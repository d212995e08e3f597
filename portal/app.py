"""The portal application: `create_app(config, sessions)` builds it; nothing at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from portal import api_docs, councils, files
from portal.auth import routes as auth_routes
from portal.auth.access import PUBLIC, check_access_declared, csrf_token, install_access
from portal.config import PortalConfig
from portal.errors import install_domain_errors, install_error_pages
from portal.i18n import LANGUAGES, choose_language, load_catalogues
from portal.inbox import routes as inbox_routes
from portal.inbox.work import UserTasks
from portal.public import routes as public_routes
from portal.rendering import Renderer
from portal.scientists import profile as profile_routes
from portal.scientists import proposals as proposal_routes
from portal.scientists import work as work_routes

STATIC = Path(__file__).resolve().parent / "static"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
BODY_OVERHEAD = 1024 * 1024
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
        # a request may carry one upload of the largest size allowed, plus its form
        max_body_size=config.max_upload_bytes + BODY_OVERHEAD,
    )
    catalogues = load_catalogues()
    app.state.config = config
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions or sessions
    app.state.catalogues = catalogues
    # the inbox's operations (forms of bpmn/, CompleteJob), shared with `khcn run`'s worker
    app.state.user_tasks = UserTasks(config, sessions)
    app.state.renderer = Renderer(catalogues, {"config": config, "csrf_token": csrf_token})
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app)
    install_domain_errors(app)
    install_access(app)
    app.middleware("http")(_security_headers)
    app.middleware("http")(_language)
    # Every router, listed explicitly (later areas slot in here: designer ...). Every route
    # declares its access rule (portal/auth/access.py); the public ones get it here.
    app.include_router(public_routes.router, dependencies=[Depends(PUBLIC)])
    app.include_router(api_docs.router, dependencies=[Depends(PUBLIC)])
    app.include_router(auth_routes.router)
    app.include_router(inbox_routes.router)
    app.include_router(proposal_routes.router)
    app.include_router(profile_routes.router)
    app.include_router(work_routes.router)
    app.include_router(councils.router)
    app.include_router(files.router)
    check_access_declared(app)
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
