"""What submitting each form does: form id (the user task's form key) → domain operation.

A handler takes the validated values and runs one model service with the person as the actor,
inside the request's transaction (the inbox commits, then sends CompleteJob). It returns the
variables the job completes with (usually the form's values). A form without a handler of its
own is recorded (audited with who submitted it) and its values go to the process unchanged;
the workers downstream do the domain work, as before the portal existed.

Wired now: proposal screening. The others wait for the corrected procedure (issue 9), which
gives each user task one model service; add them to HANDLERS as they land.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models.inbox import InboxItem
from models.services.audit import Actor
from models.services.proposals import screen_proposal
from models.users import User


@dataclass(frozen=True)
class Submission:
    """A validated form submission of one inbox item."""

    session: Session
    item: InboxItem
    values: dict[str, Any]
    user: User
    actor: Actor


Handler = Callable[[Submission], dict[str, Any]]


def record_only(submission: Submission) -> dict[str, Any]:
    """No domain operation of its own: the values go to the process as they are."""
    return dict(submission.values)


def screen(submission: Submission) -> dict[str, Any]:
    """Sàng lọc đề xuất: pass the proposal on or reject it, with staff as the actor."""
    values = submission.values
    result = values.get("screeningResult")
    proposal_id = submission.item.variables.get("proposalId")
    if proposal_id is not None and result in ("passed", "rejected"):
        screen_proposal(
            session=submission.session,
            proposal_id=int(proposal_id),
            accept=result == "passed",
            note=str(values.get("screeningNote") or ""),
            actor=submission.actor,
        )
    # "revise": the proposal stays submitted; khcn.proposal.request-revision tells the applicant
    return dict(values)


HANDLERS: dict[str, Handler] = {
    "khcn-screen-proposal": screen,
}


def handler_for(form_id: str | None) -> Handler:
    """The domain operation of a form (record_only when it has none yet)."""
    return HANDLERS.get(form_id or "", record_only)
