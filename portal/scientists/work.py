"""A scientist's work on their tasks: follow a task's progress, file what its process waits for
(a revised proposal, a dossier, the signed contract, the final report ...), apply to an open
call with the dossier.

Filing is thin here: the form (a Camunda Forms schema made from the filing's documents, drawn
and validated like every other form) is checked, then `filings.file` keeps the documents and
the message in one transaction; after the commit the message is published
(`UserTasks.publish`; the inbox worker sends it again when the engine was away).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from models.calls import Call
from models.enums import ChangeKind, Role
from models.labels import Language, label
from models.people import Affiliation
from models.services import filings as filings_service
from models.services import progress as progress_service
from models.services.errors import DomainError
from models.services.tasks import edition_of, task_by_code
from models.tasks import Task
from portal.auth.access import Scientist, SignedIn, Viewer
from portal.auth.routes import actor_of, message
from portal.deps import Render, Translator, WriteSession
from portal.engine_link import Outcome
from portal.i18n import N_
from portal.inbox import forms
from portal.inbox.work import UserTasks
from portal.uploads import ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, CheckedUpload, read_submission

router = APIRouter(include_in_schema=False)
NOTICES = {
    "filed": N_("Your filing was received and the procedure goes on."),
    "pending": N_(
        "Your filing is saved; the process engine did not answer, so it will be sent again "
        "automatically."
    ),
    "applied": N_("Your application was filed; it is opened with the others when the call closes."),
    "change": N_(
        "Your change request was filed: the Department's staff review it, then its leaders decide."
    ),
}


def _task(session: Session, viewer: Viewer, code: str) -> Task:
    """A task the viewer may follow (staff and leaders follow every task)."""
    task = task_by_code(session, code)
    person = viewer.user.person_id
    if not viewer.has(Role.STAFF, Role.LEADER) and not progress_service.follows(
        session=session, task=task, person_id=person
    ):
        raise HTTPException(404)
    return task


def _lang(request: Request) -> str:
    return "en" if request.state.language == "en" else "vi"


def _slot_form(
    form_id: str,
    slots: tuple[filings_service.Slot, ...],
    language: str,
    head: list[dict[str, Any]] | None = None,
    note: bool = True,
) -> forms.FormSchema:
    """A Camunda Forms schema of a filing: its `head` fields, one file field per document,
    and a note."""
    english = language == "en"
    components: list[dict[str, Any]] = list(head or [])
    components += [
        {
            "type": "filepicker",
            "key": slot.key,
            "label": slot.label_en if english else slot.label_vi,
            "validate": {"required": slot.required},
        }
        for slot in slots
    ]
    if note:
        components.append(
            {
                "type": "textarea",
                "key": "note",
                "label": "Note" if english else "Ghi chú",
                "validate": {"maxLength": 2000},
            }
        )
    return forms.parse_form({"id": form_id, "components": components})


async def _posted(
    request: Request,
    translator: gettext.NullTranslations,
    handle: Callable[..., Response],
    *args: Any,
) -> Response:
    """Read a posted form with its uploads, then handle it off the event loop (the handler
    gets the request, its arguments, the translator, the texts, the checked and the refused
    uploads)."""
    texts, checked, refused = await read_submission(request, translator)
    return await run_in_threadpool(handle, request, *args, translator, texts, checked, refused)


def _uploads(checked: dict[str, list[CheckedUpload]]) -> list[filings_service.Upload]:
    return [
        filings_service.Upload(key, f.name, f.content, f.content_type)
        for key, files in checked.items()
        for f in files
    ]


def _after_filing(tasks: UserTasks, filing_id: int, code: str, done: str) -> Response:
    """Publish a committed filing's message, then back to the task's page with what happened."""
    notice = done if tasks.publish(filing_id) is Outcome.DONE else "pending"
    return RedirectResponse(f"/work/tasks/{code}?notice={notice}", status_code=303)


# ----------------------------------------------------------------------------- progress


@router.get("/work/tasks/{code}", response_class=HTMLResponse)
def task_page(
    request: Request,
    code: str,
    viewer: SignedIn,
    session: WriteSession,
    render: Render,
    notice: str = "",
) -> Response:
    """A task's progress: its step, who it waits for, what to file, what was filed."""
    task = _task(session, viewer, code)
    progress = progress_service.progress_of(
        session=session, task=task, person_id=viewer.user.person_id
    )
    return render.render(
        request,
        "scientists/task.html",
        {
            "progress": progress,
            "kinds": filings_service.ALL_KINDS,
            "lang": _lang(request),
            "notice": NOTICES.get(notice, ""),
        },
    )


# ----------------------------------------------------------------------------- filings


def _filing_page(
    request: Request,
    render: Render,
    task: Task,
    kind: filings_service.FilingKind,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    schema = _slot_form(f"filing-{kind.kind}", kind.slots(task), request.state.language)
    return render.render(
        request,
        "scientists/filing.html",
        {
            "task": task,
            "kind": kind,
            "lang": _lang(request),
            "components": forms.form_view(schema, {}, values, errors),
            "errors": errors,
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_names": ACCEPTED_NAMES,
        },
        status_code=status_code,
    )


def _expected(session: Session, viewer: Viewer, code: str, kind: str) -> tuple[Task, Any]:
    """The task and the filing the viewer is expected to make (404 otherwise)."""
    task = _task(session, viewer, code)
    person = viewer.user.person_id
    for expected_task, expected in filings_service.expected_of(
        session=session, person_id=person or 0, tasks=[task]
    ):
        if expected.kind == kind:
            return expected_task, expected
    raise HTTPException(404)


@router.get("/work/tasks/{code}/file/{kind}", response_class=HTMLResponse)
def filing_form(
    request: Request, code: str, kind: str, viewer: Scientist, session: WriteSession, render: Render
) -> Response:
    """The form of a filing the task's process waits for."""
    task, expected = _expected(session, viewer, code, kind)
    return _filing_page(request, render, task, expected, {}, {})


@router.post("/work/tasks/{code}/file/{kind}", response_class=HTMLResponse)
async def file_it(
    request: Request,
    code: str,
    kind: str,
    viewer: Scientist,
    render: Render,
    translator: Translator,
) -> Response:
    """Check the filing, keep it, then tell the process."""
    return await _posted(request, translator, _file, code, kind, viewer, render)


def _file(
    request: Request,
    code: str,
    kind: str,
    viewer: Viewer,
    render: Render,
    translator: gettext.NullTranslations,
    texts: dict[str, list[str]],
    checked: dict[str, list[CheckedUpload]],
    refused: dict[str, str],
) -> Response:
    tasks = request.app.state.user_tasks
    with request.app.state.sessions() as session, session.begin():
        task, expected = _expected(session, viewer, code, kind)
        schema = _slot_form(f"filing-{kind}", expected.slots(task), request.state.language)
        outcome = forms.validate(schema, texts, {}, checked)
        errors = {**forms.translated(outcome.errors, translator), **refused}
        if errors:
            return _filing_page(request, render, task, expected, outcome.typed, errors, 400)
        filing = filings_service.file(
            session=session,
            task_id=task.id,
            kind=kind,
            person_id=viewer.user.person_id,
            uploads=_uploads(checked),
            root=request.app.state.config.documents_dir,
            now=tasks.now(),
            actor=actor_of(viewer),
            note=str(outcome.values.get("note") or ""),
        )
        filing_id = filing.id
    return _after_filing(tasks, filing_id, code, "filed")


# ----------------------------------------------------------------------------- changes


def _change_form(task: Task, language: str) -> forms.FormSchema:
    """The change request's form: what to change, why, the new end date or budget, a letter."""
    english = language == "en"
    lang: Language = "en" if english else "vi"
    head: list[dict[str, Any]] = [
        {
            "type": "select",
            "key": "changeKind",
            "label": "What to change" if english else "Nội dung đề nghị",
            "values": [{"label": label(k, lang), "value": k.value} for k in ChangeKind],
            "validate": {"required": True},
        },
        {
            "type": "textarea",
            "key": "reason",
            "label": "Why" if english else "Lý do",
            "validate": {"required": True, "maxLength": 2000},
        },
        {
            "type": "datetime",
            "subtype": "date",
            "key": "requestedEndDate",
            "dateLabel": "New end date" if english else "Ngày kết thúc mới",
            "validate": {"required": True},
            "conditional": {"hide": '=changeKind != "extension"'},
        },
        {
            "type": "number",
            "key": "requestedBudget",
            "label": "Budget asked for (VND)" if english else "Kinh phí đề nghị (đồng)",
            "validate": {"required": True, "min": 1},
            "conditional": {"hide": '=changeKind != "budget"'},
        },
        {
            "type": "textarea",
            "key": "details",
            "label": "What changes, in detail" if english else "Nội dung điều chỉnh cụ thể",
            "validate": {"maxLength": 4000},
        },
    ]
    slots = filings_service.CHANGE_REQUEST.slots(task)
    return _slot_form("change-request", slots, language, head, note=False)


def _changeable(session: Session, viewer: Viewer, code: str) -> Task:
    """A task the viewer may ask a change of (404 otherwise)."""
    task = _task(session, viewer, code)
    person = viewer.user.person_id
    if not filings_service.may_request_change(session=session, task=task, person_id=person):
        raise HTTPException(404)
    return task


def _change_page(
    request: Request,
    render: Render,
    task: Task,
    values: dict[str, Any],
    errors: dict[str, str],
    refusal: str = "",
    status_code: int = 200,
) -> Response:
    schema = _change_form(task, request.state.language)
    return render.render(
        request,
        "scientists/change.html",
        {
            "task": task,
            "kind": filings_service.CHANGE_REQUEST,
            "lang": _lang(request),
            "components": forms.form_view(schema, {}, values, errors),
            "context": forms.browser_context(schema, {}),
            "errors": errors,
            "refusal": refusal,
            "edition": edition_of(task, request.app.state.config.regulations),
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_names": ACCEPTED_NAMES,
        },
        status_code=status_code,
    )


@router.get("/work/tasks/{code}/change-request", response_class=HTMLResponse)
def change_form(
    request: Request, code: str, viewer: Scientist, session: WriteSession, render: Render
) -> Response:
    """The form of a change request (extension, budget, personnel, content)."""
    return _change_page(request, render, _changeable(session, viewer, code), {}, {})


@router.post("/work/tasks/{code}/change-request", response_class=HTMLResponse)
async def request_change(
    request: Request, code: str, viewer: Scientist, render: Render, translator: Translator
) -> Response:
    """Check the change request, keep it, then tell the implementation's process."""
    return await _posted(request, translator, _request_change, code, viewer, render)


def _request_change(
    request: Request,
    code: str,
    viewer: Viewer,
    render: Render,
    translator: gettext.NullTranslations,
    texts: dict[str, list[str]],
    checked: dict[str, list[CheckedUpload]],
    refused: dict[str, str],
) -> Response:
    tasks = request.app.state.user_tasks
    with request.app.state.sessions() as session, session.begin():
        task = _changeable(session, viewer, code)
        schema = _change_form(task, request.state.language)
        outcome = forms.validate(schema, texts, {}, checked)
        errors = {**forms.translated(outcome.errors, translator), **refused}
        if errors:
            return _change_page(request, render, task, outcome.typed, errors, "", 400)
        values = outcome.values
        end = values.get("requestedEndDate")
        budget = values.get("requestedBudget")
        try:
            filing = filings_service.request_change(
                session=session,
                task_id=task.id,
                person_id=viewer.user.person_id,
                kind=ChangeKind(values["changeKind"]),
                reason=str(values["reason"]),
                requested_end_date=date.fromisoformat(end) if end else None,
                requested_budget=int(budget) if budget is not None else None,
                details=str(values.get("details") or ""),
                uploads=_uploads(checked),
                root=request.app.state.config.documents_dir,
                now=tasks.now(),
                actor=actor_of(viewer),
                regulations=request.app.state.config.regulations,
            )
        except DomainError as refusal:
            # the law refuses it (an extension too late, too long, a second one): say why,
            # keep what was typed (the service refuses before it writes anything)
            return _change_page(
                request, render, task, outcome.typed, {}, message(refusal, request), 400
            )
        filing_id = filing.id
    return _after_filing(tasks, filing_id, code, "change")


# ----------------------------------------------------------------------------- open calls


@router.get("/work/calls", response_class=HTMLResponse)
def calls_page(
    request: Request, viewer: Scientist, session: WriteSession, render: Render, notice: str = ""
) -> Response:
    """The calls for applications open now, and the viewer's applications."""
    person = viewer.user.person_id
    return render.render(
        request,
        "scientists/calls.html",
        {
            "calls": filings_service.open_calls(session=session),
            "applications": filings_service.applications_of(session=session, person_id=person)
            if person
            else [],
            "notice": NOTICES.get(notice, ""),
        },
    )


def _application_form(
    session: Session, viewer: Viewer, task: Task, language: str
) -> forms.FormSchema:
    """The application form: the host organisation, the budget asked, the dossier."""
    organisations = session.scalars(
        select(Affiliation).where(
            Affiliation.person_id == viewer.user.person_id, Affiliation.ended_on.is_(None)
        )
    )
    english = language == "en"
    head: list[dict[str, Any]] = [
        {
            "type": "select",
            "key": "organisation",
            "label": "Host organisation" if english else "Tổ chức chủ trì",
            "values": [
                {"value": str(a.organisation_id), "label": a.organisation.name}
                for a in organisations
            ],
            "validate": {"required": True},
        },
        {
            "type": "number",
            "key": "requested_budget",
            "label": "State budget asked (dong)"
            if english
            else "Kinh phí đề nghị từ ngân sách nhà nước (đồng)",
            "decimalDigits": 0,
            "validate": {"required": True, "min": 1, "max": 1_000_000_000_000},
        },
    ]
    slots = filings_service.dossier_slots(task)
    return _slot_form("application", slots, language, head=head, note=False)


def _open_item(session: Session, call_id: int, task_id: int) -> tuple[Call, Task]:
    call = session.get(Call, call_id)
    if call is None or call not in filings_service.open_calls(session=session):
        raise HTTPException(404)
    task = next((i.task for i in call.items if i.task_id == task_id), None)
    if task is None:
        raise HTTPException(404)
    return call, task


def _application_page(
    request: Request,
    render: Render,
    session: Session,
    viewer: Viewer,
    call: Call,
    task: Task,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    schema = _application_form(session, viewer, task, request.state.language)
    return render.render(
        request,
        "scientists/apply.html",
        {
            "call": call,
            "task": task,
            "components": forms.form_view(schema, {}, values, errors),
            "errors": errors,
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_names": ACCEPTED_NAMES,
        },
        status_code=status_code,
    )


@router.get("/work/calls/{call_id}/apply/{task_id}", response_class=HTMLResponse)
def application_form(
    request: Request,
    call_id: int,
    task_id: int,
    viewer: Scientist,
    session: WriteSession,
    render: Render,
) -> Response:
    """The application form for one task of an open call."""
    call, task = _open_item(session, call_id, task_id)
    return _application_page(request, render, session, viewer, call, task, {}, {})


@router.post("/work/calls/{call_id}/apply/{task_id}", response_class=HTMLResponse)
async def apply(
    request: Request,
    call_id: int,
    task_id: int,
    viewer: Scientist,
    render: Render,
    translator: Translator,
) -> Response:
    """Check the application and its dossier, then file it."""
    return await _posted(request, translator, _apply, call_id, task_id, viewer, render)


def _apply(
    request: Request,
    call_id: int,
    task_id: int,
    viewer: Viewer,
    render: Render,
    translator: gettext.NullTranslations,
    texts: dict[str, list[str]],
    checked: dict[str, list[CheckedUpload]],
    refused: dict[str, str],
) -> Response:
    if viewer.user.person_id is None:
        raise HTTPException(409, translator.gettext("Your account has no scientist profile."))
    with request.app.state.sessions() as session, session.begin():
        call, task = _open_item(session, call_id, task_id)
        schema = _application_form(session, viewer, task, request.state.language)
        outcome = forms.validate(schema, texts, {}, checked)
        errors = {**forms.translated(outcome.errors, translator), **refused}
        if errors:
            return _application_page(
                request, render, session, viewer, call, task, outcome.typed, errors, 400
            )
        filings_service.apply_to_call(
            session=session,
            call_id=call.id,
            task_id=task.id,
            organisation_id=int(outcome.values["organisation"]),
            person_id=viewer.user.person_id,
            requested_budget=int(outcome.values["requested_budget"]),
            uploads=_uploads(checked),
            root=request.app.state.config.documents_dir,
            actor=actor_of(viewer),
        )
    return RedirectResponse("/work/calls?notice=applied", status_code=303)
