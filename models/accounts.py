"""Sign-in sessions and sign-in attempts (the portal's accounts; users live in models/users.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin
from models.users import User


class LoginSession(IdMixin, Base):
    """A server-side session: the cookie carries a random token, the database only its hash."""

    __tablename__ = "login_sessions"

    # SHA-256 of the cookie's token: a copy of the database gives nobody a usable session
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # the synchronizer token every state-changing request of this session must carry
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # set when the session ends (sign-out, timeout, password change); never reused after
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_why: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class SignInAttempt(IdMixin, Base):
    """One attempt to sign in, kept for throttling per account and per address."""

    __tablename__ = "sign_in_attempts"

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # as typed (lower-cased): attempts on accounts that do not exist count too
    username: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
