"""What submitting each form does: the form's model service, run with the person as actor.

Every form of bpmn/forms has one model service (models/services/user_tasks.py REGISTRY, the
contract bpmn/README.md documents). A handler runs it inside the request's transaction (the
inbox commits, then sends CompleteJob) and returns the variables the job completes with.
A form without a service is refused rather than passed through: the process would go on
without its domain change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.editions import Regulations
from models.inbox import InboxItem
from models.services import user_tasks
from models.services.audit import Actor
from models.services.errors import DomainError
from models.users import User


@dataclass(frozen=True)
class Submission:
    """A validated form submission of one inbox item."""

    session: Session
    item: InboxItem
    values: dict[str, Any]
    user: User
    actor: Actor
    regulations: Regulations
    now: datetime


Handler = Callable[[Submission], dict[str, Any]]


def handler_for(form_id: str | None) -> Handler:
    """The domain operation of a form; a clear refusal for a form without one."""
    key = form_id or ""
    if key not in user_tasks.REGISTRY:
        raise DomainError(
            "unknown_form",
            f"Biểu mẫu '{key}' không gắn với nghiệp vụ nào.",
            f"No service for form {key!r}.",
        )

    def run(submission: Submission) -> dict[str, Any]:
        return user_tasks.submit(
            submission.session,
            key,
            user_tasks.Submission(
                variables=dict(submission.item.variables or {}),
                values=submission.values,
                actor=submission.actor,
                now=submission.now,
                regulations=submission.regulations,
            ),
        )

    return run
