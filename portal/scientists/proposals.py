"""A scientist's proposals: submit one with its dossier (starting `khcn-task`), see their own.

The proposal form is a Camunda Forms schema like the user tasks' forms, drawn and validated by
the same code (portal/inbox/forms.py), so the same server-side rules hold. Submitting saves the
proposal and its dossier in one transaction and commits; then `khcn-task` is started with
`{proposalId}` (bpmn/README.md) and the instance key recorded. When the engine does not answer,
the proposal stays saved and its page offers to start the procedure again.
"""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from models.enums import Field, Method, TaskKind
from models.labels import label
from models.people import Person
from models.proposals import Proposal
from models.services.attachments import attach, attachments_of
from models.services.audit import Actor
from models.services.proposals import create_proposal
from models.services.submissions import proposals_of, record_process_start, task_of_proposal
from portal.auth.access import Scientist, SignedIn, Viewer, may_see_proposal
from portal.auth.routes import actor_of
from portal.deps import Render, Translator, WriteSession
from portal.engine_link import EngineUnavailable
from portal.inbox import forms
from portal.uploads import ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, CheckedUpload, read_submission

router = APIRouter(include_in_schema=False)
PROCESS_ID = "khcn-task"


def proposal_form(language: str, translator: gettext.NullTranslations) -> forms.FormSchema:
    """The proposal form (đề xuất đặt hàng nhiệm vụ KH&CN) in the page's language."""
    _ = translator.gettext

    def choices(values: Any) -> list[dict[str, str]]:
        lang: Literal["vi", "en"] = "en" if language == "en" else "vi"
        return [{"value": v.value, "label": label(v, lang)} for v in values]

    return forms.parse_form(
        {
            "id": "khcn-proposal",
            "components": [
                {
                    "type": "textfield",
                    "key": "title",
                    "label": _("Title of the proposed task"),
                    "validate": {"required": True, "minLength": 10, "maxLength": 500},
                },
                {
                    "type": "select",
                    "key": "field",
                    "label": _("Field of science and technology"),
                    "values": choices(Field),
                    "validate": {"required": True},
                },
                {
                    "type": "radio",
                    "key": "kind",
                    "label": _("Kind of task"),
                    "values": choices(TaskKind),
                    "validate": {"required": True},
                },
                {
                    "type": "textarea",
                    "key": "rationale",
                    "label": _("Why it is needed"),
                    "validate": {"required": True, "maxLength": 5000},
                },
                {
                    "type": "textarea",
                    "key": "objectives",
                    "label": _("Objectives"),
                    "validate": {"required": True, "maxLength": 5000},
                },
                {
                    "type": "textarea",
                    "key": "expected_results",
                    "label": _("Expected results"),
                    "validate": {"maxLength": 5000},
                },
                {
                    "type": "number",
                    "key": "estimated_budget",
                    "label": _("Estimated budget (dong)"),
                    "validate": {"min": 0, "max": 1_000_000_000_000},
                    "decimalDigits": 0,
                },
                {
                    "type": "select",
                    "key": "suggested_method",
                    "label": _("Suggested method"),
                    "values": choices(Method),
                },
                {
                    "type": "filepicker",
                    "key": "dossier",
                    "label": _("Proposal dossier (form B1-2)"),
                    "validate": {"required": True},
                },
            ],
        }
    )


def _form_page(
    request: Request,
    render: Render,
    translator: gettext.NullTranslations,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    schema = proposal_form(request.state.language, translator)
    return render.render(
        request,
        "scientists/proposal_new.html",
        {
            "components": forms.form_view(schema, {}, values, errors),
            "errors": errors,
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_names": ACCEPTED_NAMES,
        },
        status_code=status_code,
    )


@router.get("/proposals", response_class=HTMLResponse)
def my_proposals(
    request: Request, viewer: Scientist, session: WriteSession, render: Render, notice: str = ""
) -> Response:
    """The scientist's own proposals and where each stands."""
    rows = []
    if viewer.user.person_id is not None:
        for proposal in proposals_of(session=session, person_id=viewer.user.person_id):
            task = task_of_proposal(session=session, proposal_id=proposal.id)
            rows.append({"proposal": proposal, "task": task})
    return render.render(request, "scientists/proposals.html", {"rows": rows, "notice": notice})


@router.get("/proposals/new", response_class=HTMLResponse)
def new_proposal(
    request: Request, viewer: Scientist, render: Render, translator: Translator
) -> Response:
    """The proposal form."""
    return _form_page(request, render, translator, {}, {})


@router.post("/proposals/new", response_class=HTMLResponse)
async def submit_proposal(
    request: Request, viewer: Scientist, render: Render, translator: Translator
) -> Response:
    """Validate, save the proposal and its dossier, then start its procedure."""
    texts, checked, refused = await read_submission(request, translator)
    schema = proposal_form(request.state.language, translator)
    outcome = forms.validate(schema, texts, {}, checked)
    errors = {**forms.translated(outcome.errors, translator), **refused}
    if viewer.user.person_id is None:
        raise HTTPException(409, translator.gettext("Your account has no scientist profile."))
    if errors:
        return _form_page(request, render, translator, outcome.typed, errors, 400)
    return await run_in_threadpool(_save_and_start, request, viewer, outcome.values, checked)


def _save_and_start(
    request: Request, viewer: Viewer, values: dict[str, Any], checked: dict[str, Any]
) -> Response:
    config = request.app.state.config
    actor = actor_of(viewer)
    with request.app.state.sessions() as session, session.begin():
        person = session.get(Person, viewer.user.person_id)
        current = [a for a in person.affiliations if a.ended_on is None] if person else []
        proposal = create_proposal(
            session=session,
            year=datetime.now(UTC).year,
            title=values["title"],
            field=Field(values["field"]),
            kind=TaskKind(values["kind"]),
            proposer_person_id=viewer.user.person_id,
            proposer_organisation_id=current[0].organisation_id if current else None,
            rationale=values.get("rationale", ""),
            objectives=values.get("objectives", ""),
            expected_results=values.get("expected_results", ""),
            estimated_budget=values.get("estimated_budget"),
            suggested_method=Method(values["suggested_method"])
            if values.get("suggested_method")
            else None,
            actor=actor,
        )
        upload: CheckedUpload
        for upload in checked.get("dossier", []):
            attach(
                session=session,
                root=config.documents_dir,
                content=upload.content,
                name=upload.name,
                content_type=upload.content_type,
                actor=actor,
                field_key="dossier",
                proposal_id=proposal.id,
            )
        proposal_id = proposal.id
    started = _start(request, proposal_id, actor)
    notice = "submitted" if started else "not-started"
    return RedirectResponse(f"/proposals/{proposal_id}?notice={notice}", status_code=303)


def _start(request: Request, proposal_id: int, actor: Actor) -> bool:
    """Start `khcn-task` for a saved proposal and keep its key; False when the engine is away."""
    link = request.app.state.user_tasks.link
    try:
        key = link.start_process(PROCESS_ID, {"proposalId": proposal_id})
    except EngineUnavailable:
        return False
    with request.app.state.sessions() as session, session.begin():
        record_process_start(
            session=session, proposal_id=proposal_id, process_instance_key=key, actor=actor
        )
    return True


def _own(session: Session, viewer: Viewer, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not may_see_proposal(viewer, proposal):
        raise HTTPException(404)
    return proposal


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(
    request: Request,
    proposal_id: int,
    viewer: SignedIn,
    session: WriteSession,
    render: Render,
    notice: str = "",
) -> Response:
    """One proposal: its content, its dossier, where it stands (owner, staff, leaders)."""
    proposal = _own(session, viewer, proposal_id)
    return render.render(
        request,
        "scientists/proposal.html",
        {
            "proposal": proposal,
            "task": task_of_proposal(session=session, proposal_id=proposal.id),
            "documents": attachments_of(session=session, proposal_id=proposal.id),
            "notice": notice,
            "owner": proposal.proposer_person_id == viewer.user.person_id,
        },
    )


@router.post("/proposals/{proposal_id}/start")
def start_again(request: Request, proposal_id: int, viewer: Scientist) -> Response:
    """Start the procedure of a saved proposal whose start failed (owner only, once)."""
    with request.app.state.sessions() as session:
        proposal = _own(session, viewer, proposal_id)
        if proposal.proposer_person_id != viewer.user.person_id:
            raise HTTPException(404)
        if proposal.process_instance_key is not None:
            return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)
    started = _start(request, proposal_id, actor_of(viewer))
    notice = "submitted" if started else "not-started"
    return RedirectResponse(f"/proposals/{proposal_id}?notice={notice}", status_code=303)
