"""Users of the system and their roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import Role
from models.people import Person


class User(IdMixin, TimestampMixin, Base):
    """A login; linked to a person when the user is a scientist or council member."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"), unique=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # after an administrator's reset: the temporary password must be replaced at sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # a demo account of `khcn seed --demo` (known password): refused when KHCN_ENV=production
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person | None] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def has_role(self, role: Role) -> bool:
        """Whether the user holds the role."""
        return any(r.role == role for r in self.roles)


class UserRole(IdMixin, Base):
    """One role held by a user."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_type(Role))

    user: Mapped[User] = relationship(back_populates="roles")
