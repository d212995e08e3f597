"""Errors the services raise, with a Vietnamese message for people and an English one for logs."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from models.base import Base
from models.rules import Conflict

M = TypeVar("M", bound=Base)


class DomainError(Exception):
    """A business rule refused the operation; ``code`` is stable for BPMN error events."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


class NotFoundError(DomainError):
    """The referenced row does not exist."""


class InvalidRequestError(DomainError):
    """What was asked cannot mean anything (an unknown organisation, an empty range, a search
    too long): the asker's mistake (400), not a refusal by the state of things (409)."""


class InvalidStateError(DomainError):
    """The operation does not fit where the object stands in the procedure."""


class ConflictOfInterestError(DomainError):
    """The person may not sit on the council because of a conflict of interest."""

    def __init__(self, person_name: str, conflicts: list[Conflict]) -> None:
        super().__init__(
            "conflict_of_interest",
            f"Không thể bổ nhiệm {person_name} vào hội đồng do xung đột lợi ích: "
            + " ".join(c.message_vi for c in conflicts),
            f"Cannot appoint {person_name} to the council, conflict of interest: "
            + " ".join(c.message_en for c in conflicts),
        )
        self.conflicts = conflicts


def get_or_raise(session: Session, model: type[M], ident: Any) -> M:
    """Load a row by primary key or raise NotFoundError."""
    row = session.get(model, ident)
    if row is None:
        name = model.__tablename__
        raise NotFoundError(
            "not_found",
            f"Không tìm thấy {name} #{ident}.",
            f"{name} #{ident} not found.",
        )
    return row


class NotEnoughMembersError(DomainError):
    """Too few eligible people to form a council: staff (or an operator) must add experts."""
