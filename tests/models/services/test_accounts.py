"""Accounts: ASVS level-2 password rules, argon2id, throttled sign-in, session timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import LoginSession
from models.audit import AuditEntry
from models.enums import Role
from models.services import accounts
from models.services.audit import Actor
from tests.models import factories

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
GOOD = "mua-xuan-tren-song-huong"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("ngan", "password_too_short"),
        ("1234567", "password_too_short"),
        ("x" * 129, "password_too_long"),
        ("password", "password_common"),
        ("iloveyou", "password_common"),
        ("Qwerty123", "password_common"),
        ("khcn2026!", "password_context"),
        ("Mật khẩu 2026", "password_context"),
        ("hunglv-1990", "password_context"),
    ],
)
def test_passwords_breaking_a_rule_are_refused_with_the_rule(password: str, code: str) -> None:
    with pytest.raises(accounts.PasswordRejected) as refused:
        accounts.check_password(password, context=["hunglv", "Lê Văn Hùng"])
    assert refused.value.code == code


def test_long_passphrases_and_any_composition_are_accepted() -> None:
    accounts.check_password("a" * 7 + "b")  # 8 characters, one kind only: no composition rules
    accounts.check_password("hoa phượng đỏ thắm " * 3 + "bên dòng sông")  # > 64 characters
    accounts.check_password("é" * 128)
    assert len(accounts.common_passwords()) == 30000


def test_hashes_are_argon2id_and_check_exactly_what_was_typed() -> None:
    digest = accounts.hash_password(GOOD)

    assert digest.startswith("$argon2id$")
    assert accounts.password_matches(digest, GOOD)
    assert not accounts.password_matches(digest, GOOD.upper())  # no case folding
    assert not accounts.password_matches(digest, GOOD + " ")  # no trimming
    assert not accounts.password_matches(None, GOOD)
    assert not accounts.password_matches("not a hash", GOOD)


def _user(session: Session, password: str = GOOD):  # type: ignore[no-untyped-def]
    user = factories.user(session, roles=[Role.STAFF])
    user.password_hash = accounts.hash_password(password)
    session.flush()
    return user


def test_sign_in_opens_a_new_session_and_audits(session: Session) -> None:
    user = _user(session)
    first = accounts.sign_in(
        session=session, username=user.username.upper(), password=GOOD, address="10.0.0.1"
    )
    second = accounts.sign_in(
        session=session,
        username=user.username,
        password=GOOD,
        address="10.0.0.1",
        previous_token=first.token,
    )

    assert first.token != second.token and first.csrf_token != second.csrf_token
    # the database keeps only a hash of the token
    assert first.login_session.token_hash == accounts.token_hash(first.token) != first.token
    # the session the browser had before is over: no fixation
    assert accounts.load_session(session=session, token=first.token) is None
    assert accounts.load_session(session=session, token=second.token) is not None
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == user.id)
    ).all()
    assert actions.count("account.sign_in") == 2


def test_wrong_password_unknown_user_and_inactive_user_are_one_refusal(session: Session) -> None:
    user = _user(session)
    inactive = _user(session)
    inactive.is_active = False
    session.flush()
    for name, password in (
        (user.username, "sai-mat-khau-roi"),
        ("khongco", GOOD),
        (inactive.username, GOOD),
    ):
        with pytest.raises(accounts.SignInRefused) as refused:
            accounts.sign_in(session=session, username=name, password=password, address="10.0.0.2")
        assert refused.value.code == "sign_in_invalid"
    failed = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "account.sign_in_failed")
    ).all()
    assert {e.details["username"] for e in failed} >= {user.username, "khongco"}


def test_sign_in_is_throttled_per_account_then_allowed_after_the_window(session: Session) -> None:
    user = _user(session)
    rules = accounts.ThrottleRules(per_account=3, per_address=100)
    for i in range(3):
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(
                session=session,
                username=user.username,
                password="sai-mat-khau",
                address=f"10.1.0.{i}",
                throttle=rules,
                now=T0 + timedelta(minutes=i),
            )
    # even the right password is refused while throttled, from any address
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.sign_in(
            session=session,
            username=user.username,
            password=GOOD,
            address="10.9.9.9",
            throttle=rules,
            now=T0 + timedelta(minutes=5),
        )
    assert refused.value.code == "sign_in_throttled"
    opened = accounts.sign_in(
        session=session,
        username=user.username,
        password=GOOD,
        address="10.9.9.9",
        throttle=rules,
        now=T0 + timedelta(minutes=16),
    )
    assert opened.user.id == user.id


def test_sign_in_is_throttled_per_address_across_accounts(session: Session) -> None:
    user = _user(session)
    rules = accounts.ThrottleRules(per_account=100, per_address=4)
    for i in range(4):
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(
                session=session,
                username=f"doan-ten-{i}",
                password="x" * 10,
                address="10.2.0.1",
                throttle=rules,
                now=T0,
            )
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.sign_in(
            session=session,
            username=user.username,
            password=GOOD,
            address="10.2.0.1",
            throttle=rules,
            now=T0,
        )
    assert refused.value.code == "sign_in_throttled"
    # another address is not held up
    accounts.sign_in(
        session=session, username=user.username, password=GOOD, address="10.2.0.2", throttle=rules
    )


def test_sessions_end_after_the_idle_and_the_absolute_timeout(session: Session) -> None:
    user = _user(session)
    rules = accounts.SessionRules(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    idle = accounts.open_session(session=session, user=user, now=T0)
    assert accounts.load_session(
        session=session, token=idle.token, rules=rules, now=T0 + timedelta(minutes=29)
    )
    assert (
        accounts.load_session(
            session=session, token=idle.token, rules=rules, now=T0 + timedelta(minutes=60)
        )
        is None
    )
    assert idle.login_session.ended_why == "idle_timeout"

    busy = accounts.open_session(session=session, user=user, now=T0)
    moment = T0
    for _ in range(20):  # active every 29 minutes: never idle, but 8 hours is the end
        moment += timedelta(minutes=29)
        found = accounts.load_session(session=session, token=busy.token, rules=rules, now=moment)
        if moment - T0 < timedelta(hours=8):
            assert found is not None
        else:
            assert found is None
            break
    assert busy.login_session.ended_why == "absolute_timeout"


def test_changing_or_resetting_a_password_ends_the_other_sessions(session: Session) -> None:
    user = _user(session)
    here = accounts.open_session(session=session, user=user)
    elsewhere = accounts.open_session(session=session, user=user)
    actor = Actor(name=user.username, user_id=user.id)
    with pytest.raises(accounts.PasswordRejected) as refused:
        accounts.change_password(
            session=session,
            user_id=user.id,
            current="sai",
            new="mot-mat-khau-moi-dai",
            keep_session_id=here.login_session.id,
            actor=actor,
        )
    assert refused.value.code == "password_current_wrong"
    accounts.change_password(
        session=session,
        user_id=user.id,
        current=GOOD,
        new="mot-mat-khau-moi-dai",
        keep_session_id=here.login_session.id,
        actor=actor,
    )
    session.expire_all()
    assert accounts.load_session(session=session, token=here.token) is not None
    assert accounts.load_session(session=session, token=elsewhere.token) is None

    admin = factories.user(session, roles=[Role.ADMIN])
    temporary = accounts.reset_password(
        session=session, user_id=user.id, actor=Actor(name=admin.username, user_id=admin.id)
    )
    session.expire_all()
    assert accounts.load_session(session=session, token=here.token) is None
    assert user.must_change_password and accounts.password_matches(user.password_hash, temporary)
    reset = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "account.password_reset", AuditEntry.entity_id == user.id
        )
    )
    assert reset is not None and reset.actor_user_id == admin.id
    assert (
        session.scalar(
            select(LoginSession).where(LoginSession.id == here.login_session.id)
        ).ended_why
        == "password_reset"
    )
