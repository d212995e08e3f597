"""People for portal tests: one user per role, sessions opened directly (no password hashing),
and a client that carries a session's cookie and CSRF token."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from models.enums import Role
from models.services import accounts
from models.services.people import create_person, create_user
from models.users import User

BASE_URL = "https://testserver"
SESSION_COOKIE = "__Host-khcn-session"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Login:
    """A signed-in user: the cookie token and the CSRF token of their session."""

    user_id: int
    username: str
    token: str
    csrf: str
    person_id: int | None


def make_user(
    sessions: sessionmaker[Session], roles: list[Role], *, person: bool = False, **kw: Any
) -> User:
    """A user with roles (and a person of their own when asked)."""
    i = next(_numbers)
    with sessions() as session, session.begin():
        person_id = None
        if person:
            person_id = create_person(
                session=session, full_name=f"Người thử {i}", email=f"nguoi{i}@example.vn"
            ).id
        return create_user(
            session=session,
            username=kw.pop("username", f"u{i}-{roles[0].value}"),
            email=f"u{i}@example.vn",
            display_name=f"Người dùng {i}",
            roles=roles,
            person_id=person_id,
        )


def login(sessions: sessionmaker[Session], user_id: int) -> Login:
    """A fresh session of a user, as a sign-in makes one."""
    with sessions() as session, session.begin():
        user = session.get(User, user_id)
        assert user is not None
        opened = accounts.open_session(session=session, user=user)
        return Login(user.id, user.username, opened.token, opened.csrf_token, user.person_id)


def client_of(app: Any, who: Login | None = None) -> TestClient:
    """An https client, signed in as `who` when given."""
    client = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
    if who is not None:
        client.cookies.set(SESSION_COOKIE, who.token)
    return client


def anonymous_csrf(client: TestClient) -> str:
    """The CSRF token of a visitor not signed in (from the sign-in form)."""
    page = client.get("/sign-in")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)
