"""Signing in and out, changing one's password, and the administrators' user pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.services import accounts
from models.services.audit import Actor, record_audit
from models.services.errors import DomainError, get_or_raise
from models.users import User
from portal.auth.access import (
    PUBLIC,
    Admin,
    Anyone,
    SignedIn,
    Viewer,
    cookie_names,
    session_token,
    set_cookie,
)
from portal.config import PortalConfig
from portal.deps import Render, Translator, WriteSession

router = APIRouter(include_in_schema=False)


def actor_of(viewer: Viewer) -> Actor:
    """The audit log's actor for a signed-in person."""
    return Actor(name=viewer.user.username, user_id=viewer.user.id)


def message(error: DomainError, request: Request) -> str:
    """A service's refusal in the page's language."""
    return error.message_vi if request.state.language == "vi" else error.message_en


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/inbox"


def throttle_rules(config: PortalConfig) -> accounts.ThrottleRules:
    """The configured sign-in throttling."""
    return accounts.ThrottleRules(
        window=timedelta(minutes=config.sign_in_window_minutes),
        per_account=config.sign_in_failures_per_account,
        per_address=config.sign_in_failures_per_address,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, viewer: Anyone, render: Render, next: str = "") -> Response:
    """The sign-in form."""
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render.render(request, "auth/sign_in.html", {"next": next, "username": "", "error": ""})


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
def sign_in(
    request: Request,
    session: WriteSession,
    render: Render,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the name and password; a fresh session (and session id) on success."""
    config: PortalConfig = request.app.state.config
    names = cookie_names(request, config)
    if names is None:
        error = (
            "Chỉ đăng nhập qua https. / Sign in over https only."
            if request.state.language == "vi"
            else "Sign in over https only."
        )
        return render.render(
            request,
            "auth/sign_in.html",
            {"next": next, "username": username, "error": error},
            status_code=400,
        )
    try:
        opened = accounts.sign_in(
            session=session,
            username=username,
            password=password,
            address=request.client.host if request.client else "",
            user_agent=request.headers.get("user-agent", ""),
            allow_demo=config.development,
            throttle=throttle_rules(config),
            previous_token=session_token(request) or None,
        )
    except accounts.SignInRefused as refused:
        # returning (not raising) commits the recorded attempt and its audit entry
        status = 429 if refused.code == "sign_in_throttled" else 400
        return render.render(
            request,
            "auth/sign_in.html",
            {"next": next, "username": username, "error": message(refused, request)},
            status_code=status,
        )
    target = "/account/password" if opened.user.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, names[0], opened.token, names[2])
    return response


@router.post("/sign-out")
def sign_out(request: Request, viewer: SignedIn, session: WriteSession) -> Response:
    """End the session; its token is never valid again."""
    token = session_token(request)
    accounts.end_session(session=session, token=token, why="sign_out")
    record_audit(
        session=session,
        action="account.sign_out",
        entity_type="user",
        entity_id=viewer.user.id,
        actor=actor_of(viewer),
    )
    response = RedirectResponse("/", status_code=303)
    names = cookie_names(request, request.app.state.config)
    if names is not None:
        response.delete_cookie(names[0], path="/", secure=names[2], httponly=True, samesite="lax")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, viewer: SignedIn, render: Render) -> Response:
    """The form to change one's password."""
    return render.render(
        request, "auth/password.html", {"viewer": viewer, "error": "", "done": False}
    )


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    viewer: SignedIn,
    session: WriteSession,
    render: Render,
    _: Translator,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Change one's password (the current one first); the other sessions end."""
    error = ""
    if new != confirm:
        error = _.gettext("The two new passwords differ.")
    else:
        try:
            accounts.change_password(
                session=session,
                user_id=viewer.user.id,
                current=current,
                new=new,
                keep_session_id=viewer.session_id,
                actor=actor_of(viewer),
            )
        except DomainError as refused:
            error = message(refused, request)
    if error:  # the services refuse before writing anything
        return render.render(
            request,
            "auth/password.html",
            {"viewer": viewer, "error": error, "done": False},
            status_code=400,
        )
    return render.render(
        request, "auth/password.html", {"viewer": viewer, "error": "", "done": True}
    )


# ----------------------------------------------------------------------------- administrators


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, viewer: Admin, session: WriteSession, render: Render) -> Response:
    """Every user with their roles."""
    users = session.scalars(
        select(User).options(selectinload(User.roles)).order_by(User.username)
    ).all()
    return render.render(request, "auth/users.html", {"users": users, "reset": None})


@router.post("/admin/users/{user_id}/reset-password", response_class=HTMLResponse)
def reset_password(
    request: Request, user_id: int, viewer: Admin, session: WriteSession, render: Render
) -> Response:
    """Give a user a temporary password, shown once; they must change it at sign-in."""
    user = get_or_raise(session, User, user_id)
    temporary = accounts.reset_password(session=session, user_id=user.id, actor=actor_of(viewer))
    users = session.scalars(
        select(User).options(selectinload(User.roles)).order_by(User.username)
    ).all()
    response = render.render(
        request, "auth/users.html", {"users": users, "reset": (user, temporary)}
    )
    response.headers["Cache-Control"] = "no-store"
    return response
