"""The portal application: `create_app(config, sessions)` builds it; nothing at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import api_docs, councils, files
from portal.auth import routes as auth_routes
from portal.auth.access import PUBLIC, check_access_declared, csrf_token, install_access
from portal.config import PortalConfig
from portal.errors import install_domain_errors, install_error_pages
from portal.i18n import LANGUAGES, choose_language, load_catalogues
from portal.inbox import routes as inbox_routes
from portal.inbox.work import UserTasks
from portal.public import api as public_api
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
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(_Language)
    # Every router, listed explicitly (later areas slot in here: designer ...). Every route
    # declares its access rule (portal/auth/access.py); the public ones get it here.
    app.include_router(public_routes.router, dependencies=[Depends(PUBLIC)])
    app.include_router(public_api.router, dependencies=[Depends(PUBLIC)])
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


class _Language:
    """Picks the page's language; remembers an explicit `?lang=` in the `lang` cookie.

    Plain ASGI rather than `@app.middleware("http")`: every page pays for a middleware, and
    Starlette's request/response wrapping for the decorator form costs a large share of a
    public page's time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        remembered = request.cookies.get("lang")
        language = choose_language(asked, remembered, request.headers.get("accept-language"))
        scope.setdefault("state", {})["language"] = language

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Language"] = language
                headers["Vary"] = "Accept-Language, Cookie"
                if asked in LANGUAGES and remembered != asked:
                    headers.append(
                        "set-cookie",
                        f"lang={asked}; HttpOnly; Max-Age={LANGUAGE_COOKIE_SECONDS}; Path=/; "
                        "SameSite=lax",
                    )
            await send(message)

        await self.app(scope, receive, send_with_language)


class _SecurityHeaders:
    """The CSP and its companions on every response that did not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in (
                    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                    ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"),
                    ("X-Frame-Options", "DENY"),
                ):
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
