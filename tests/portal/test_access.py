"""Access: a role × route matrix generated from the app's route table, object ownership, CSRF,
session fixation, idle and absolute timeouts, throttling, cookies, demo accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.accounts import LoginSession
from models.audit import AuditEntry
from models.councils import Council, CouncilMember
from models.enums import CouncilRole, CouncilStatus, CouncilType, Field, Role
from models.profiles import Publication
from models.services import accounts
from models.services.proposals import create_proposal
from models.users import User
from portal.app import create_app
from portal.auth.access import route_table
from portal.config import PortalConfig
from tests.portal.people import (
    SESSION_COOKIE,
    anonymous_csrf,
    client_of,
    login,
    make_user,
)

ROLES = [Role.SCIENTIST, Role.COUNCIL_MEMBER, Role.STAFF, Role.LEADER, Role.ADMIN]
PASSWORD = "chieu-tim-tren-song-huong"
# routes that are not APIRoutes: Starlette's own, each named here with why it needs no rule
NOT_API_ROUTES = {"/openapi.json": "the API's schema, public", "/static": "CSS and scripts"}


@pytest.fixture(scope="module")
def users(portal_sessions: sessionmaker[Session]) -> dict[Role, int]:
    """One user per role; scientists and council members are people."""
    return {
        role: make_user(
            portal_sessions, [role], person=role in (Role.SCIENTIST, Role.COUNCIL_MEMBER)
        ).id
        for role in ROLES
    }


def test_every_route_declares_exactly_one_rule_and_no_other_route_exists(
    portal_app: FastAPI,
) -> None:
    table = route_table(portal_app)
    for entry in table:
        if entry.rules is None:
            assert entry.path in NOT_API_ROUTES, entry.path
        else:
            assert len(entry.rules) == 1, entry.path
    assert {"/inbox", "/sign-in", "/profile", "/admin/users"} <= {e.path for e in table}


def test_an_app_with_a_route_without_a_rule_is_refused(
    portal_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.auth import routes as auth_routes

    stray = APIRouter()

    @stray.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    bigger = APIRouter()
    bigger.include_router(auth_routes.router)
    bigger.include_router(stray)
    monkeypatch.setattr(auth_routes, "router", bigger)
    with pytest.raises(RuntimeError, match="/forgotten"):
        create_app(PortalConfig(), portal_sessions)


def test_role_route_matrix(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    """Every route × every role: anonymous visitors are sent to sign in, the wrong role gets
    403, the right role gets past the gate (a missing object may still be 404)."""
    checked = 0
    api = [e for e in route_table(portal_app) if e.rules is not None]
    for entry, method in [(e, m) for e in api for m in sorted(e.methods - {"HEAD"})]:
        [rule] = entry.rules or ()
        path = re.sub(r"\{[^}]+\}", "999999", entry.path)
        for role in [None, *ROLES]:
            who = login(portal_sessions, users[role]) if role else None
            client = client_of(portal_app, who)
            csrf = who.csrf if who else anonymous_csrf(client)
            if method == "GET":
                response = client.get(path, follow_redirects=False)
            else:
                response = client.request(
                    method, path, data={"csrf_token": csrf}, follow_redirects=False
                )
            where = f"{method} {entry.path} as {role}"
            allowed = rule.allows({role} if role else None)
            if allowed:
                assert response.status_code not in (401, 403), where
                assert "/sign-in?next" not in response.headers.get("location", ""), where
            elif role is None:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/sign-in?next="), where
            else:
                assert response.status_code == 403, where
            checked += 1
    assert checked >= 6 * 20


def test_the_header_links_each_role_only_to_pages_it_may_open(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    """A link in the account menu that answers 403 is a dead end (an administrator has no inbox)."""
    from bs4 import BeautifulSoup

    for role in ROLES:
        client = client_of(portal_app, login(portal_sessions, users[role]))
        page = BeautifulSoup(client.get("/").text, "html.parser")
        links = [a["href"] for a in page.select("nav.account-tools a[href]")]
        assert links, role
        for href in links:
            assert client.get(href).status_code == 200, f"{href} as {role}"
        assert ("/inbox" in links) == (role is not Role.ADMIN), role


# ----------------------------------------------------------------------------- objects


def _proposal(sessions: sessionmaker[Session], person_id: int | None) -> int:
    with sessions() as session, session.begin():
        return create_proposal(
            session=session,
            year=2027,
            title="Nghiên cứu chọn tạo giống sen Huế",
            field=Field.AGRICULTURAL,
            proposer_person_id=person_id,
        ).id


def test_an_applicant_sees_only_their_own_proposals(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    owner = login(portal_sessions, users[Role.SCIENTIST])
    other = make_user(portal_sessions, [Role.SCIENTIST], person=True)
    mine = _proposal(portal_sessions, owner.person_id)

    assert client_of(portal_app, owner).get(f"/proposals/{mine}").status_code == 200
    stranger = client_of(portal_app, login(portal_sessions, other.id))
    assert stranger.get(f"/proposals/{mine}").status_code == 404
    assert "sen Huế" not in stranger.get("/proposals").text
    staff = client_of(portal_app, login(portal_sessions, users[Role.STAFF]))
    assert staff.get(f"/proposals/{mine}").status_code == 200


def test_a_council_member_sees_their_council_only_while_it_sits(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    member = login(portal_sessions, users[Role.COUNCIL_MEMBER])
    outsider = make_user(portal_sessions, [Role.COUNCIL_MEMBER], person=True)
    with portal_sessions() as session, session.begin():
        # a sitting council with the member on it (how it was proposed is not the point here)
        council = Council(type=CouncilType.ADVISORY, name="Hội đồng tư vấn 2027")
        council.members.append(CouncilMember(person_id=member.person_id, role=CouncilRole.MEMBER))
        session.add(council)
        session.flush()
        council_id = council.id

    assert client_of(portal_app, member).get(f"/councils/{council_id}").status_code == 200
    other = client_of(portal_app, login(portal_sessions, outsider.id))
    assert other.get(f"/councils/{council_id}").status_code == 404
    with portal_sessions() as session, session.begin():
        session.execute(
            update(type(council))
            .where(type(council).id == council_id)
            .values(status=CouncilStatus.CONCLUDED)
        )
    assert client_of(portal_app, member).get(f"/councils/{council_id}").status_code == 404
    staff = client_of(portal_app, login(portal_sessions, users[Role.STAFF]))
    assert staff.get(f"/councils/{council_id}").status_code == 200


def test_a_scientist_cannot_remove_another_scientists_publication(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    owner = make_user(portal_sessions, [Role.SCIENTIST], person=True)
    with portal_sessions() as session, session.begin():
        publication = Publication(person_id=owner.person_id, title="Sen Huế và khí hậu")
        session.add(publication)
        session.flush()
        publication_id = publication.id
    intruder = login(portal_sessions, users[Role.SCIENTIST])
    response = client_of(portal_app, intruder).post(
        f"/profile/publications/{publication_id}/delete",
        data={"csrf_token": intruder.csrf},
        follow_redirects=False,
    )

    assert response.status_code == 409
    with portal_sessions() as session:
        assert session.get(Publication, publication_id) is not None


# ----------------------------------------------------------------------------- CSRF


def test_state_changing_requests_need_the_sessions_csrf_token(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    me = login(portal_sessions, users[Role.SCIENTIST])
    someone = login(portal_sessions, users[Role.STAFF])
    client = client_of(portal_app, me)
    url = "/profile/publications"
    form = {"title": "Bài báo", "year": "2026"}

    assert client.post(url, data=form).status_code == 403
    assert client.post(url, data={**form, "csrf_token": "sai"}).status_code == 403
    assert client.post(url, data={**form, "csrf_token": someone.csrf}).status_code == 403
    assert (
        client.post(
            url, data=form, headers={"X-CSRF-Token": me.csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    with portal_sessions() as session:
        titles = session.scalars(
            select(Publication.title).where(Publication.person_id == me.person_id)
        ).all()
    assert titles == ["Bài báo"]


def test_signing_in_needs_the_visitors_csrf_token(portal_app: FastAPI) -> None:
    client = client_of(portal_app)
    refused = client.post("/sign-in", data={"username": "x", "password": "y" * 8})
    token = anonymous_csrf(client)
    other = anonymous_csrf(client_of(portal_app))

    assert refused.status_code == 403
    assert (
        client.post(
            "/sign-in", data={"username": "x", "password": "y" * 8, "csrf_token": other}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/sign-in", data={"username": "x", "password": "y" * 8, "csrf_token": token}
        ).status_code
        == 400
    )


# ----------------------------------------------------------------------------- sign-in


def _with_password(sessions: sessionmaker[Session], role: Role = Role.STAFF, **kw: Any) -> User:
    user = make_user(sessions, [role], **kw)
    with sessions() as session, session.begin():
        row = session.get(User, user.id)
        assert row is not None
        row.password_hash = accounts.hash_password(PASSWORD)
        for name, value in kw.items():
            setattr(row, name, value)
    return user


def _sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = anonymous_csrf(client)
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token, "next": "/inbox"},
        follow_redirects=False,
    )


def test_sign_in_sets_a_host_only_secure_httponly_lax_cookie_with_a_new_id(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    user = _with_password(portal_sessions)
    planted = login(portal_sessions, user.id)  # a session id someone else knows
    client = client_of(portal_app, planted)
    response = _sign_in(client, user.username)

    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain=" not in cookie.lower()
    new_token = cookie.split(";")[0].split("=", 1)[1]
    assert new_token and new_token != planted.token
    # the planted session is over: knowing its id gives nothing
    assert client_of(portal_app, planted).get("/inbox", follow_redirects=False).status_code == 303
    fresh = client_of(portal_app)
    fresh.cookies.set(SESSION_COOKIE, new_token)
    assert fresh.get("/inbox").status_code == 200
    with portal_sessions() as session:
        audit = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "account.sign_in", AuditEntry.entity_id == user.id
            )
        ).all()
    assert len(audit) == 1


def test_an_unknown_session_cookie_is_ignored(portal_app: FastAPI) -> None:
    client = client_of(portal_app)
    client.cookies.set(SESSION_COOKIE, "toi-tu-dat")

    assert (
        client.get("/inbox", follow_redirects=False).headers["location"] == "/sign-in?next=/inbox"
    )


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=8, minutes=1))],
)
def test_sessions_time_out_idle_and_absolute(
    portal_app: FastAPI,
    portal_sessions: sessionmaker[Session],
    users: dict[Role, int],
    column: str,
    age: timedelta,
) -> None:
    me = login(portal_sessions, users[Role.STAFF])
    client = client_of(portal_app, me)
    assert client.get("/inbox").status_code == 200
    with portal_sessions() as session, session.begin():
        session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == accounts.token_hash(me.token))
            .values(
                {
                    column: datetime.now(UTC) - age,
                    "last_seen_at": datetime.now(UTC)
                    - (age if column == "last_seen_at" else timedelta(0)),
                }
            )
        )

    assert client.get("/inbox", follow_redirects=False).headers["location"].startswith("/sign-in")
    with portal_sessions() as session:
        why = session.scalar(
            select(LoginSession.ended_why).where(
                LoginSession.token_hash == accounts.token_hash(me.token)
            )
        )
    assert why == ("idle_timeout" if column == "last_seen_at" else "absolute_timeout")


def test_sign_in_is_throttled_over_http(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session]
) -> None:
    user = _with_password(portal_sessions)
    client = client_of(portal_app)
    for _ in range(5):
        assert _sign_in(client, user.username, "sai-mat-khau-nay").status_code == 400
    throttled = _sign_in(client, user.username)

    assert throttled.status_code == 429
    assert "15" in throttled.text


def test_sign_out_ends_the_session(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    me = login(portal_sessions, users[Role.LEADER])
    client = client_of(portal_app, me)
    response = client.post("/sign-out", data={"csrf_token": me.csrf}, follow_redirects=False)

    assert response.status_code == 303
    assert client_of(portal_app, me).get("/inbox", follow_redirects=False).status_code == 303


def test_a_reset_password_must_be_changed_before_anything_else(
    portal_app: FastAPI, portal_sessions: sessionmaker[Session], users: dict[Role, int]
) -> None:
    user = _with_password(portal_sessions, Role.SCIENTIST)
    admin = login(portal_sessions, users[Role.ADMIN])
    page = client_of(portal_app, admin).post(
        f"/admin/users/{user.id}/reset-password", data={"csrf_token": admin.csrf}
    )
    temporary = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert page.status_code == 200 and temporary is not None

    client = client_of(portal_app)
    assert _sign_in(client, user.username).status_code == 400  # the old password is gone
    signed_in = _sign_in(client, user.username, temporary.group(1))
    assert signed_in.headers["location"] == "/account/password"
    assert (
        client.get("/proposals", follow_redirects=False).headers["location"] == "/account/password"
    )
    form = client.get("/account/password")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": temporary.group(1),
            "new": "password1",
            "confirm": "password1",
        },
    )
    assert weak.status_code == 400 and "phổ biến" in weak.text
    done = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": temporary.group(1),
            "new": "gio-thoi-qua-cau",
            "confirm": "gio-thoi-qua-cau",
        },
    )
    assert done.status_code == 200
    assert client.get("/proposals").status_code == 200
    with portal_sessions() as session:
        reset = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "account.password_reset", AuditEntry.entity_id == user.id
            )
        )
    assert reset is not None and reset.actor_user_id == users[Role.ADMIN]


def test_demo_accounts_are_refused_in_production(portal_sessions: sessionmaker[Session]) -> None:
    user = _with_password(portal_sessions, is_demo=True)
    production = create_app(PortalConfig(env="production", secret_key="s" * 40), portal_sessions)
    development = create_app(PortalConfig(), portal_sessions)

    refused = _sign_in(client_of(production), user.username)
    assert refused.status_code == 400 and "mẫu" in refused.text
    assert _sign_in(client_of(development), user.username).status_code == 303


def test_plain_http_cookies_only_on_loopback_in_development(
    portal_sessions: sessionmaker[Session],
) -> None:
    from fastapi.testclient import TestClient

    user = _with_password(portal_sessions)
    loopback = TestClient(create_app(PortalConfig(), portal_sessions), base_url="http://127.0.0.1")
    response = _sign_in(loopback, user.username)
    assert response.status_code == 303
    assert response.headers["set-cookie"].startswith("khcn-session=")
    assert "secure" not in response.headers["set-cookie"].lower()

    production = create_app(PortalConfig(env="production", secret_key="s" * 40), portal_sessions)
    plain = TestClient(production, base_url="http://portal.example.vn")
    page = plain.get("/sign-in")
    refused = plain.post(
        "/sign-in", data={"username": user.username, "password": PASSWORD, "csrf_token": "x"}
    )
    assert (
        page.status_code == 200
        and refused.status_code == 403
        and "set-cookie" not in refused.headers
    )
