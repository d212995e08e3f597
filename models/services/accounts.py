"""Accounts: passwords (argon2id, OWASP ASVS 5.0 level 2), sign-in with throttling, sessions.

Password rules follow ASVS 5.0 V6.2 (level 2): at least 8 characters (6.2.1), at least 64
accepted (6.2.9; we accept 128), checked against the most common passwords (6.2.4: the 30,000
of zxcvbn's list) and against words of this context (6.2.11: the Department, the portal, the
user's own names), no composition rules (6.2.5), checked exactly as typed (6.2.8), never
expiring (6.2.10). Hashes are argon2id (argon2-cffi's RFC 9106 low-memory profile).

Sessions live in the database (ASVS V7): the cookie carries a random token and the database only
its SHA-256; a session ends after 30 minutes idle or 8 hours in all (7.3.1, 7.3.2, settable); a
new one is made at every sign-in (7.2.4: no fixation); a password change or reset ends the
others (7.4.3). Sign-in is throttled per account and per address (6.3.1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from models.accounts import LoginSession, SignInAttempt
from models.services.audit import Actor, record_audit
from models.services.errors import DomainError, get_or_raise
from models.users import User

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
# Words anyone guesses first on this portal (ASVS 6.2.11), compared without accents.
CONTEXT_WORDS = frozenset(
    {
        "khcn",
        "skhcn",
        "sokhcn",
        "sokhoahoccongnghe",
        "khoahoc",
        "congnghe",
        "khoahoccongnghe",
        "hue",
        "thuathienhue",
        "thanhphohue",
        "matkhau",
        "password",
        "quanly",
        "nhiemvu",
    }
)
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class SessionRules:
    """How long a session lives (ASVS 7.3.1 idle, 7.3.2 absolute); settable per deployment."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)
    # last_seen_at is written at most this often, so reading a page is not always a write
    touch_every: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class ThrottleRules:
    """Failed sign-ins allowed within the window, per account and per address."""

    window: timedelta = timedelta(minutes=15)
    per_account: int = 5
    per_address: int = 20


class PasswordRejected(DomainError):
    """The new password breaks a rule; the message says which."""


class SignInRefused(DomainError):
    """Sign-in refused: wrong name or password, throttled, inactive or a refused demo account."""


@dataclass(frozen=True)
class OpenedSession:
    """A session just made: the token goes into the cookie and nowhere else."""

    token: str
    csrf_token: str
    user: User
    login_session: LoginSession


def now_utc() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite hands back naive UTC values)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits of a text (accents and đ folded)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's frequency list, from leaked password sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, *, context: Iterable[str] = ()) -> None:
    """Refuse a new password that breaks a rule (PasswordRejected says which)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordRejected(
            "password_too_short",
            f"Mật khẩu phải có ít nhất {PASSWORD_MIN_LENGTH} ký tự.",
            f"The password must be at least {PASSWORD_MIN_LENGTH} characters long.",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordRejected(
            "password_too_long",
            f"Mật khẩu dài tối đa {PASSWORD_MAX_LENGTH} ký tự.",
            f"The password may be at most {PASSWORD_MAX_LENGTH} characters long.",
        )
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise PasswordRejected(
            "password_common",
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến, dễ bị đoán; "
            "hãy chọn mật khẩu khác.",
            "This password is on the list of common passwords; choose another one.",
        )
    folded = fold(password)
    letters = "".join(c for c in folded if c.isalpha())
    own = {fold(word) for word in context if len(fold(word)) >= 4}
    if (
        letters in CONTEXT_WORDS
        or folded in own
        or letters in own
        or any(word in folded for word in own)
    ):
        raise PasswordRejected(
            "password_context",
            "Mật khẩu không được dựa trên tên đăng nhập, họ tên, thư điện tử hay tên Sở, "
            "cổng thông tin.",
            "The password may not be built on your user name, name, e-mail address or the "
            "Department's or portal's name.",
        )


def _audit_account(
    session: Session, action: str, user_id: int | None, actor: Actor, details: dict[str, Any]
) -> None:
    record_audit(
        session=session,
        action=action,
        entity_type="user",
        entity_id=user_id,
        actor=actor,
        details=details,
    )


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether the password is the one hashed (False for no hash or a broken one)."""
    if not password_hash:
        # the same work as a real check, so a missing account takes as long as a wrong password
        _HASHER.hash(password)
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def context_of(user: User) -> list[str]:
    """The user's own words a password may not be built on."""
    words = [user.username, user.email.split("@")[0], user.display_name]
    words += user.display_name.split()
    return words


def set_password(
    *,
    session: Session,
    user_id: int,
    password: str,
    actor: Actor,
    must_change: bool = False,
    action: str = "account.password_set",
) -> User:
    """Give a user a new password (checked against the rules), audited."""
    user = get_or_raise(session, User, user_id)
    check_password(password, context=context_of(user))
    user.password_hash = hash_password(password)
    user.password_changed_at = now_utc()
    user.must_change_password = must_change
    session.flush()
    _audit_account(session, action, user.id, actor, {"username": user.username})
    return user


def change_password(
    *,
    session: Session,
    user_id: int,
    current: str,
    new: str,
    keep_session_id: int | None,
    actor: Actor,
) -> User:
    """The user changes their own password (the current one first); other sessions end."""
    user = get_or_raise(session, User, user_id)
    if not password_matches(user.password_hash, current):
        raise PasswordRejected(
            "password_current_wrong",
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        )
    if new == current:
        raise PasswordRejected(
            "password_unchanged",
            "Mật khẩu mới phải khác mật khẩu hiện tại.",
            "The new password must differ from the current one.",
        )
    set_password(
        session=session,
        user_id=user.id,
        password=new,
        actor=actor,
        action="account.password_change",
    )
    end_sessions_of(session=session, user_id=user.id, why="password_change", keep=keep_session_id)
    return user


def generate_password() -> str:
    """A random temporary password: four groups of letters and digits, easy to read out."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def reset_password(*, session: Session, user_id: int, actor: Actor) -> str:
    """An administrator's reset: a temporary password to be changed at the next sign-in."""
    temporary = generate_password()
    set_password(
        session=session,
        user_id=user_id,
        password=temporary,
        actor=actor,
        must_change=True,
        action="account.password_reset",
    )
    end_sessions_of(session=session, user_id=user_id, why="password_reset")
    return temporary


# ----------------------------------------------------------------------------- sign-in


def _failures(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    """Failed attempts on `column` = value since `since`, after the last success there."""
    last_success = session.scalar(
        select(func.max(SignInAttempt.at)).where(
            column == value,
            SignInAttempt.succeeded.is_(True),
            SignInAttempt.at >= since,
        )
    )
    start = max(since, aware(last_success)) if last_success is not None else since
    return (
        session.scalar(
            select(func.count()).where(
                column == value,
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.at >= start,
            )
        )
        or 0
    )


def throttled(
    *, session: Session, username: str, address: str, now: datetime, rules: ThrottleRules
) -> bool:
    """Whether sign-in is paused for this account or this address."""
    since = now - rules.window
    return (
        _failures(session, SignInAttempt.username, username, since) >= rules.per_account
        or _failures(session, SignInAttempt.address, address, since) >= rules.per_address
    )


def _refuse(code: str) -> SignInRefused:
    messages = {
        "invalid": (
            "Tên đăng nhập hoặc mật khẩu không đúng.",
            "The user name or password is wrong.",
        ),
        "throttled": (
            "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút.",
            "Too many failed sign-ins; please try again in 15 minutes.",
        ),
        "demo_refused": (
            "Tài khoản mẫu không được dùng trên hệ thống chính thức.",
            "Demo accounts cannot sign in to the production system.",
        ),
    }
    vi, en = messages[code]
    return SignInRefused(f"sign_in_{code}", vi, en)


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    address: str,
    user_agent: str = "",
    allow_demo: bool = True,
    throttle: ThrottleRules = ThrottleRules(),
    previous_token: str | None = None,
    now: datetime | None = None,
) -> OpenedSession:
    """Check the name and password and open a new session (SignInRefused when not)."""
    moment = now or now_utc()
    name = username.strip().lower()[:100]
    if throttled(session=session, username=name, address=address, now=moment, rules=throttle):
        _audit_account(
            session,
            "account.sign_in_throttled",
            None,
            Actor(name=f"anonymous@{address}"),
            {"username": name, "address": address},
        )
        raise _refuse("throttled")
    user = session.scalar(select(User).where(func.lower(User.username) == name))
    good = password_matches(user.password_hash if user else None, password)
    ok = good and user is not None and user.is_active
    session.add(SignInAttempt(at=moment, username=name, address=address, succeeded=ok))
    if not ok or user is None:
        session.flush()
        _audit_account(
            session,
            "account.sign_in_failed",
            user.id if user else None,
            Actor(name=f"anonymous@{address}"),
            {"username": name, "address": address},
        )
        raise _refuse("invalid")
    if user.is_demo and not allow_demo:
        _audit_account(
            session,
            "account.sign_in_refused_demo",
            user.id,
            Actor(name=user.username, user_id=user.id),
            {"address": address},
        )
        raise _refuse("demo_refused")
    if previous_token:
        end_session(session=session, token=previous_token, why="replaced")
    opened = open_session(
        session=session, user=user, address=address, user_agent=user_agent, now=moment
    )
    _audit_account(
        session,
        "account.sign_in",
        user.id,
        Actor(name=user.username, user_id=user.id),
        {"address": address, "session": opened.login_session.id},
    )
    return opened


# ----------------------------------------------------------------------------- sessions


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    *,
    session: Session,
    user: User,
    address: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> OpenedSession:
    """A new session with a fresh random token and CSRF token."""
    moment = now or now_utc()
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=moment,
        last_seen_at=moment,
        address=address[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    session.flush()
    return OpenedSession(token, row.csrf_token, user, row)


def load_session(
    *,
    session: Session,
    token: str,
    rules: SessionRules = SessionRules(),
    now: datetime | None = None,
) -> LoginSession | None:
    """The live session of a token (None when unknown, ended or timed out: then it ends)."""
    if not token:
        return None
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    moment = now or now_utc()
    why = None
    if moment - aware(row.created_at) >= rules.absolute:
        why = "absolute_timeout"
    elif moment - aware(row.last_seen_at) >= rules.idle:
        why = "idle_timeout"
    elif not row.user.is_active:
        why = "inactive"
    if why is not None:
        row.ended_at, row.ended_why = moment, why
        session.flush()
        return None
    if moment - aware(row.last_seen_at) >= rules.touch_every:
        row.last_seen_at = moment
        session.flush()
    return row


def end_session(*, session: Session, token: str, why: str = "sign_out") -> LoginSession | None:
    """End the session of a token (sign-out); the token is never valid again."""
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = now_utc(), why
        session.flush()
    return row


def end_sessions_of(*, session: Session, user_id: int, why: str, keep: int | None = None) -> None:
    """End every live session of a user (but `keep`)."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep)
    session.execute(stmt.values(ended_at=now_utc(), ended_why=why))
    session.flush()


def csrf_matches(expected: str, given: str | None) -> bool:
    """Whether a submitted CSRF token is the expected one (constant-time)."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
