"""The inbox pages: my tasks, my groups' tasks, claiming, and a task's form."""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from models.councils import Council
from models.enums import Role, Stage
from models.inbox import InboxItem, InboxState
from models.services import inbox as inbox_service
from models.services import progress as progress_service
from models.services.accounts import aware
from models.services.attachments import attach, attachments_of
from models.services.audit import Actor
from models.services.submissions import proposals_of, task_of_proposal
from portal.auth.access import Viewer, Worker, may_see_council
from portal.deps import Render, Translator, WriteSession
from portal.engine_link import Outcome
from portal.i18n import N_
from portal.inbox import forms
from portal.inbox.work import UserTasks
from portal.uploads import ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, read_submission

router = APIRouter(include_in_schema=False)
NOTICES = {
    "done": N_("The task has been completed and the procedure goes on."),
    "gone": N_(
        "This task no longer exists: the procedure was stopped or the task was completed "
        "elsewhere. Nothing more needs doing here."
    ),
    "pending": N_(
        "Your answer is saved; the process engine did not answer, so it will be sent "
        "again automatically."
    ),
    "claimed": N_("The task is yours now."),
    "unclaimed": N_("The task is back with the group."),
}
SORTS = ("due", "task", "step")


def user_tasks(request: Request) -> UserTasks:
    """The app's inbox operations."""
    return request.app.state.user_tasks  # type: ignore[no-any-return]


def _now() -> datetime:
    return datetime.now(UTC)


def _row(item: InboxItem, viewer: Viewer, now: datetime) -> dict[str, Any]:
    due = aware(item.due_at) if item.due_at else None
    return {
        "item": item,
        "mine": inbox_service.is_mine(viewer.user, item),
        "overdue": due is not None and due < now,
        "claimed_by_other": item.claimed_by_id not in (None, viewer.user.id),
    }


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    viewer: Worker,
    session: WriteSession,
    render: Render,
    view: str = "mine",
    step: str = "",
    task: str = "",
    sort: str = "due",
    overdue: str = "",
    notice: str = "",
) -> Response:
    """My tasks (assigned or claimed), or my groups' tasks; filtered and sorted."""
    now = _now()
    every = inbox_service.visible_items(session=session, user=viewer.user)
    names = sorted({i.name for i in every})
    rows = [_row(i, viewer, now) for i in every]
    rows = [r for r in rows if r["mine"] == (view != "groups")]
    if step:
        rows = [r for r in rows if r["item"].stage is not None and r["item"].stage.value == step]
    if task:
        rows = [r for r in rows if r["item"].name == task]
    if overdue:
        rows = [r for r in rows if r["overdue"]]
    far = datetime.max.replace(tzinfo=UTC)
    keys = {
        "due": lambda r: (aware(r["item"].due_at) if r["item"].due_at else far, r["item"].id),
        "task": lambda r: (r["item"].name, r["item"].id),
        "step": lambda r: (r["item"].stage.value if r["item"].stage else "~", r["item"].id),
    }
    rows.sort(key=keys[sort if sort in SORTS else "due"])
    person = viewer.user.person_id
    followed = (
        [
            progress_service.progress_of(session=session, task=t, person_id=person)
            for t in progress_service.tasks_of(session=session, person_id=person)
        ]
        if person is not None and viewer.has(Role.SCIENTIST)
        else []
    )
    unregistered = (
        [
            p
            for p in proposals_of(session=session, person_id=person)
            if task_of_proposal(session=session, proposal_id=p.id) is None
        ]
        if person is not None and viewer.has(Role.SCIENTIST)
        else []
    )
    return render.render(
        request,
        "inbox/list.html",
        {
            "rows": rows,
            "view": "groups" if view == "groups" else "mine",
            "names": names,
            "stages": list(Stage),
            "step": step,
            "task": task,
            "sort": sort,
            "overdue_only": bool(overdue),
            "notice": NOTICES.get(notice, ""),
            "followed": followed,
            "unregistered": unregistered,
            "lang": "en" if request.state.language == "en" else "vi",
        },
    )


def _load(session: Session, viewer: Viewer, item_id: int) -> tuple[InboxItem | None, bool]:
    """The item and whether the viewer may see it (None when there is no such item)."""
    item = session.get(InboxItem, item_id)
    if item is None:
        return None, False
    mine = inbox_service.involvement(session=session, user=viewer.user)
    return item, inbox_service.may_see(viewer.user, item, mine)


def _item_page(
    request: Request,
    render: Render,
    session: Session,
    viewer: Viewer,
    item: InboxItem,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    tasks = user_tasks(request)
    schema = tasks.catalogue.form(item.form_id)
    mine = inbox_service.involvement(session=session, user=viewer.user)
    shown = (
        values
        if values is not None
        else (forms.initial_values(schema, item.variables) if schema else {})
    )
    documents = attachments_of(session=session, inbox_item_id=item.id)
    proposal_id = item.variables.get("proposalId")
    if proposal_id is not None:
        documents += attachments_of(session=session, proposal_id=int(proposal_id))
    council_id = item.variables.get("councilId")
    council = session.get(Council, int(council_id)) if council_id else None
    if council is not None and not may_see_council(session, viewer, council):
        council = None
    return render.render(
        request,
        "inbox/item.html",
        {
            "item": item,
            "schema": schema,
            "components": forms.form_view(schema, item.variables, shown, errors or {})
            if schema
            else [],
            "errors": errors or {},
            "context": forms.browser_context(schema, item.variables) if schema else "{}",
            "may_work": inbox_service.may_work(viewer.user, item, mine),
            "mine": inbox_service.is_mine(viewer.user, item),
            "documents": documents,
            "council": council,
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_names": ACCEPTED_NAMES,
            "overdue": item.due_at is not None and aware(item.due_at) < _now(),
        },
        status_code=status_code,
    )


def _gone_page(request: Request, render: Render, item: InboxItem) -> Response:
    return render.render(request, "inbox/gone.html", {"item": item}, status_code=410)


@router.get("/inbox/items/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request, item_id: int, viewer: Worker, session: WriteSession, render: Render
) -> Response:
    """One task: what it is about, its documents, and its form."""
    item, allowed = _load(session, viewer, item_id)
    if item is not None and item.state is InboxState.GONE:
        return _gone_page(request, render, item)
    if item is None or not allowed:
        raise HTTPException(404)
    return _item_page(request, render, session, viewer, item)


@router.post("/inbox/items/{item_id}", response_class=HTMLResponse)
async def submit(
    request: Request, item_id: int, viewer: Worker, render: Render, translator: Translator
) -> Response:
    """Validate the form on the server; run its domain operation; complete the job."""
    tasks = user_tasks(request)
    submitted, checked, upload_errors = await read_submission(request, translator)
    return await run_in_threadpool(
        _submit,
        request,
        item_id,
        viewer,
        render,
        translator,
        tasks,
        submitted,
        checked,
        upload_errors,
    )


def _submit(
    request: Request,
    item_id: int,
    viewer: Viewer,
    render: Render,
    translator: gettext.NullTranslations,
    tasks: UserTasks,
    submitted: dict[str, list[str]],
    checked: dict[str, list[Any]],
    upload_errors: dict[str, str],
) -> Response:
    with tasks.sessions() as session:
        item, allowed = _load(session, viewer, item_id)
        if item is not None and item.state is InboxState.GONE:
            return _gone_page(request, render, item)
        if item is None or not allowed:
            raise HTTPException(404)
        schema = tasks.catalogue.form(item.form_id)
        if schema is None:
            raise HTTPException(409, "no form")
        # files count as given for the schema's required check; stored only when all is valid
        outcome = forms.validate(schema, submitted, item.variables, checked)
        errors = forms.translated(outcome.errors, translator)
        errors.update(upload_errors)
        if errors:
            typed = {**forms.initial_values(schema, item.variables), **outcome.typed}
            return _item_page(request, render, session, viewer, item, typed, errors, 400)

    def store(session: Session, item: InboxItem, actor: Actor) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        for key, files in checked.items():
            ids = [
                attach(
                    session=session,
                    root=request.app.state.config.documents_dir,
                    content=f.content,
                    name=f.name,
                    content_type=f.content_type,
                    actor=actor,
                    field_key=key,
                    inbox_item_id=item.id,
                ).id
                for f in files
            ]
            field = next(x for x in schema.fields() if x.key == key)
            stored[key] = ids if field.multiple else ids[0]
        return stored

    result = tasks.submit(
        item_id=item_id, user_id=viewer.user.id, values=outcome.values, attach=store
    )
    notice = {Outcome.DONE: "done", Outcome.GONE: "gone"}.get(result.outcome, "pending")
    return RedirectResponse(f"/inbox?notice={notice}", status_code=303)


@router.post("/inbox/items/{item_id}/claim")
def claim(item_id: int, viewer: Worker, session: WriteSession) -> Response:
    """Take a task of one's group."""
    inbox_service.claim(session=session, item_id=item_id, user=viewer.user)
    return RedirectResponse(f"/inbox/items/{item_id}", status_code=303)


@router.post("/inbox/items/{item_id}/unclaim")
def unclaim(item_id: int, viewer: Worker, session: WriteSession) -> Response:
    """Give a claimed task back to the group."""
    inbox_service.unclaim(session=session, item_id=item_id, user=viewer.user)
    return RedirectResponse("/inbox?view=groups&notice=unclaimed", status_code=303)
