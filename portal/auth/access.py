"""Who may open what: every route declares one access rule; objects are checked on top.

A rule is a FastAPI dependency (`Depends(STAFF)` or an annotated parameter such as `viewer:
Staff`). It loads the signed-in person from the session cookie, checks the CSRF token of every
state-changing request, and refuses a visitor without the role: anonymous visitors of a page
are sent to sign in, signed-in people without the role get 403. tests/portal/test_access.py
walks the app's route table and fails for a route without exactly one rule, so no route can
skip it. Object rules (whose proposal, which council, which inbox item) are the `may_*`
functions below and in models/services/inbox.py, called by the routes after loading the object.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException

from models.attachments import Attachment
from models.councils import Council, CouncilMember
from models.enums import Role
from models.inbox import InboxItem
from models.proposals import Proposal
from models.services import accounts
from models.services.inbox import LIVE, SITTING, involvement, may_see, my_open_count
from models.users import User
from portal.config import PortalConfig

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "khcn-session"
CSRF_COOKIE = "khcn-csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# the roles that work on user tasks, and so have an inbox
INBOX_ROLES = frozenset({Role.STAFF, Role.LEADER, Role.COUNCIL_MEMBER, Role.SCIENTIST})
# pages a person with a temporary password may still open (to change it, or leave)
WHILE_PASSWORD_MUST_CHANGE = frozenset({"/account/password", "/sign-out"})


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of a request."""

    user: User
    session_id: int
    csrf_token: str
    inbox_count: int

    def has(self, *roles: Role) -> bool:
        """Whether the person holds one of the roles."""
        return any(self.user.has_role(role) for role in roles)

    @property
    def works_on_user_tasks(self) -> bool:
        """Whether the inbox is for this person (an administrator alone has none)."""
        return self.has(*INBOX_ROLES)


class SignInRequired(Exception):
    """The page needs a signed-in person."""


class PasswordChangeRequired(Exception):
    """The person signed in with a temporary password: it must be changed first."""


CSRF_REFUSED = (
    "Mã bảo vệ của biểu mẫu thiếu hoặc đã hết hạn: hãy tải lại trang rồi gửi lại. / "
    "The form's security token is missing or stale: reload the page and submit again."
)


# ----------------------------------------------------------------------------- cookies


def cookie_names(request: Request, config: PortalConfig) -> tuple[str, str, bool] | None:
    """(session cookie, CSRF cookie, secure) for this request; None when cookies are refused.

    Over https the cookies are `__Host-` prefixed and Secure (bound to this host, path /).
    Plain http is allowed only in development on a loopback address, with unprefixed cookies
    (the prefix demands Secure, which a browser will not send back over http).
    """
    if request.url.scheme == "https":
        return "__Host-" + SESSION_COOKIE, "__Host-" + CSRF_COOKIE, True
    if config.development and (request.url.hostname or "") in LOOPBACK:
        return SESSION_COOKIE, CSRF_COOKIE, False
    return None


def set_cookie(response: Response, name: str, value: str, secure: bool) -> None:
    """A session-lifetime cookie, HttpOnly and SameSite=Lax, on path /."""
    response.set_cookie(name, value, path="/", secure=secure, httponly=True, samesite="lax")


def session_token(request: Request) -> str:
    """The session token the request carries ('' when none)."""
    names = cookie_names(request, request.app.state.config)
    return request.cookies.get(names[0], "") if names else ""


def anonymous_csrf(request: Request) -> str:
    """The CSRF token of a visitor not signed in: an HMAC of their random CSRF cookie."""
    seed = getattr(request.state, "csrf_seed", "")
    secret = request.app.state.config.secret_key.encode()
    return hmac.new(secret, seed.encode(), hashlib.sha256).hexdigest()


async def csrf_seed_cookie(request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
    """Middleware: give every visitor a random CSRF cookie (the double-submit seed)."""
    names = cookie_names(request, request.app.state.config)
    seed = request.cookies.get(names[1], "") if names else ""
    fresh = not seed
    request.state.csrf_seed = seed or secrets.token_urlsafe(24)
    response: Response = await call_next(request)
    if fresh and names is not None:
        set_cookie(response, names[1], request.state.csrf_seed, names[2])
    return response


def csrf_token(request: Request) -> str:
    """The token forms of this page must send back (templates: `csrf_token(request)`)."""
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    return viewer.csrf_token if viewer is not None else anonymous_csrf(request)


async def check_csrf(request: Request, viewer: Viewer | None) -> None:
    """Refuse a state-changing request without the right CSRF token (403)."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    expected = viewer.csrf_token if viewer is not None else anonymous_csrf(request)
    if not accounts.csrf_matches(expected, given):
        raise HTTPException(403, CSRF_REFUSED)


# ----------------------------------------------------------------------------- the viewer


def session_rules(config: PortalConfig) -> accounts.SessionRules:
    """The configured session timeouts."""
    from datetime import timedelta

    return accounts.SessionRules(
        idle=timedelta(minutes=config.session_idle_minutes),
        absolute=timedelta(hours=config.session_absolute_hours),
    )


def load_viewer(request: Request) -> Viewer | None:
    """The signed-in person of the request's session cookie (None: nobody, or it timed out)."""
    token = session_token(request)
    if not token:
        return None
    config: PortalConfig = request.app.state.config
    with request.app.state.sessions() as session, session.begin():
        row = accounts.load_session(session=session, token=token, rules=session_rules(config))
        if row is None:
            return None
        user = session.scalar(
            select(User).where(User.id == row.user_id).options(selectinload(User.roles))
        )
        if user is None:
            return None
        count = my_open_count(session=session, user=user)
        return Viewer(user=user, session_id=row.id, csrf_token=row.csrf_token, inbox_count=count)


class Rule:
    """An access rule: public, any signed-in person, or people holding one of some roles."""

    def __init__(self, name: str, roles: frozenset[Role] | None = None, public: bool = False):
        self.name = name
        self.roles = roles
        self.public = public

    def __repr__(self) -> str:
        return f"Rule({self.name})"

    def allows(self, roles: set[Role] | None) -> bool:
        """Whether a visitor with these roles (None: not signed in) passes this rule."""
        if self.public:
            return True
        if roles is None:
            return False
        return self.roles is None or bool(self.roles & roles)

    async def __call__(self, request: Request) -> Viewer | None:
        viewer = await run_in_threadpool(load_viewer, request)
        request.state.viewer = viewer
        if request.method not in SAFE_METHODS:
            await check_csrf(request, viewer)
        if self.public:
            return viewer
        if viewer is None:
            raise SignInRequired()
        if viewer.user.must_change_password and request.url.path not in WHILE_PASSWORD_MUST_CHANGE:
            raise PasswordChangeRequired()
        if self.roles is not None and not viewer.has(*self.roles):
            raise HTTPException(403)
        return viewer


PUBLIC = Rule("public", public=True)
SIGNED_IN = Rule("signed-in")
STAFF = Rule("staff", frozenset({Role.STAFF}))
LEADER = Rule("leader", frozenset({Role.LEADER}))
ADMIN = Rule("admin", frozenset({Role.ADMIN}))
SCIENTIST = Rule("scientist", frozenset({Role.SCIENTIST}))
COUNCIL = Rule("council", frozenset({Role.COUNCIL_MEMBER}))
# the inbox: everyone who works on user tasks
WORKER = Rule("worker", INBOX_ROLES)
RULES = (PUBLIC, SIGNED_IN, STAFF, LEADER, ADMIN, SCIENTIST, COUNCIL, WORKER)

# Annotated parameters for routes: `viewer: SignedIn` declares the rule and hands the viewer.
Anyone = Annotated[Viewer | None, Depends(PUBLIC)]
SignedIn = Annotated[Viewer, Depends(SIGNED_IN)]
Staff = Annotated[Viewer, Depends(STAFF)]
Admin = Annotated[Viewer, Depends(ADMIN)]
Scientist = Annotated[Viewer, Depends(SCIENTIST)]
Member = Annotated[Viewer, Depends(COUNCIL)]
Worker = Annotated[Viewer, Depends(WORKER)]


@dataclass(frozen=True)
class RouteEntry:
    """One route of the app as the access checks see it."""

    path: str
    methods: frozenset[str]
    # the rules the route declares (on itself, its router, or a parameter); None: not an API route
    rules: tuple[Rule, ...] | None


def _rules_of(dependant: Dependant) -> list[Rule]:
    found: list[Rule] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Rule):
            found.append(dependency.call)
        found += _rules_of(dependency)
    return found


def route_table(app: FastAPI) -> list[RouteEntry]:
    """Every route of the app (included routers opened), with the rules each declares."""
    table = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        table.append(
            RouteEntry(
                path=str(context.path),
                methods=frozenset(context.methods or ()),
                rules=tuple(_rules_of(dependant)) if isinstance(dependant, Dependant) else None,
            )
        )
    return table


def check_access_declared(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no access rule, or more than one."""
    wrong = [
        f"{sorted(entry.methods)} {entry.path}"
        for entry in route_table(app)
        if entry.rules is not None and len(entry.rules) != 1
    ]
    if wrong:
        raise RuntimeError(
            "every route declares exactly one access rule (portal/auth/access.py): "
            + ", ".join(wrong)
        )


def install_access(app: FastAPI) -> None:
    """Send visitors who must sign in to the sign-in page (401 JSON under /api)."""
    app.middleware("http")(csrf_seed_cookie)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _error: SignInRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def change_first(_request: Request, _error: PasswordChangeRequired) -> Response:
        return RedirectResponse("/account/password", status_code=303)


# ----------------------------------------------------------------------------- object rules


def may_see_proposal(viewer: Viewer, proposal: Proposal) -> bool:
    """Staff and leaders see every proposal; an applicant only their own."""
    if viewer.has(Role.STAFF, Role.LEADER):
        return True
    return proposal.proposer_person_id is not None and (
        proposal.proposer_person_id == viewer.user.person_id
    )


def sitting_member(session: Session, viewer: Viewer, council: Council) -> bool:
    """Whether the viewer sits on the council now (a concluded council shows nothing)."""
    if council.status not in SITTING or viewer.user.person_id is None:
        return False
    found = session.scalar(
        select(CouncilMember.id).where(
            CouncilMember.council_id == council.id,
            CouncilMember.person_id == viewer.user.person_id,
        )
    )
    return found is not None


def may_see_council(session: Session, viewer: Viewer, council: Council) -> bool:
    """Staff and leaders see every council; a member only theirs, and only while it sits."""
    return viewer.has(Role.STAFF, Role.LEADER) or sitting_member(session, viewer, council)


def may_download(session: Session, viewer: Viewer, attachment: Attachment) -> bool:
    """Whether the viewer may download a file: through what it belongs to."""
    if viewer.has(Role.STAFF, Role.LEADER):
        return True
    if attachment.uploaded_by_id == viewer.user.id:
        return True
    if attachment.proposal_id is not None:
        proposal = session.get(Proposal, attachment.proposal_id)
        if proposal is not None and may_see_proposal(viewer, proposal):
            return True
        # a council member reads the proposals their sitting council reviews
        mine = involvement(session=session, user=viewer.user)
        councils = session.scalars(select(Council).where(Council.id.in_(mine.council_ids)))
        if proposal is not None and any(
            c.task_id is not None and _task_of(session, proposal.id) == c.task_id for c in councils
        ):
            return True
    if attachment.inbox_item_id is not None:
        item = session.get(InboxItem, attachment.inbox_item_id)
        if item is not None and item.state in LIVE:
            return may_see(viewer.user, item, involvement(session=session, user=viewer.user))
    return False


def _task_of(session: Session, proposal_id: int) -> int | None:
    from models.tasks import Task

    return session.scalar(select(Task.id).where(Task.proposal_id == proposal_id))
