"""Declarative base, constraint naming convention and shared column helpers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum, Integer, MetaData, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints make migrations reproducible: Alembic can drop or alter a constraint only
# when it knows its name, and PostgreSQL and SQLite would otherwise invent different ones.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, so ids are BIGINT elsewhere and INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base class of every domain model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    """A surrogate integer primary key."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)


class TimestampMixin:
    """Creation and last-update times, set by the database."""

    # CURRENT_TIMESTAMP is standard SQL, so the migration reads the same on every database.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("CURRENT_TIMESTAMP"), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        server_default=text("CURRENT_TIMESTAMP"),
        onupdate=func.now(),
        nullable=False,
    )


def enum_type(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column type that stores the enum's values (not its names) as VARCHAR."""
    # native_enum=False keeps PostgreSQL and SQLite schemas identical and lets a value be added
    # without an ALTER TYPE; the Python enum still validates what is written.
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=_enum_values,
        validate_strings=True,
    )


def _enum_values(enum_cls: type[enum.Enum]) -> list[Any]:
    return [member.value for member in enum_cls]
