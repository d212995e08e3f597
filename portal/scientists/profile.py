"""A scientist's own profile, and the staff page that verifies degree and title changes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from models.enums import AcademicTitle, Degree, Field
from models.people import Organisation, Person
from models.services import profiles
from models.services.errors import DomainError
from portal.auth.access import Scientist, Staff, Viewer
from portal.auth.routes import actor_of, message
from portal.deps import Render, Translator, WriteSession
from portal.i18n import N_

router = APIRouter(include_in_schema=False)
PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
NOTICES = {
    "saved": N_("Your profile has been saved."),
    "requested": N_("Your request has been sent; staff will verify it."),
    "publication": N_("The publication list has been updated."),
}


def _person(session: Session, viewer: Viewer) -> Person:
    if viewer.user.person_id is None:
        raise HTTPException(409, "no profile")
    person = session.get(Person, viewer.user.person_id)
    if person is None:
        raise HTTPException(409, "no profile")
    return person


def _page(
    request: Request,
    render: Render,
    session: Session,
    person: Person,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    organisations = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    current = [a for a in person.affiliations if a.ended_on is None]
    return render.render(
        request,
        "scientists/profile.html",
        {
            "person": person,
            "affiliation": current[0] if current else None,
            "organisations": organisations,
            "fields": list(Field),
            "degrees": list(Degree),
            "titles": list(AcademicTitle),
            "publications": profiles.publications_of(session=session, person_id=person.id),
            "pending": profiles.pending_changes(session=session, person_ids=[person.id]),
            "errors": errors or {},
            "notice": NOTICES.get(notice, ""),
        },
        status_code=status_code,
    )


@router.get("/profile", response_class=HTMLResponse)
def profile_page(
    request: Request, viewer: Scientist, session: WriteSession, render: Render, notice: str = ""
) -> Response:
    """The scientist's own profile."""
    return _page(request, render, session, _person(session, viewer), notice=notice)


@router.post("/profile", response_class=HTMLResponse)
async def save_profile(
    request: Request, viewer: Scientist, session: WriteSession, render: Render, _: Translator
) -> Response:
    """Save what the scientist changes directly (a scientist edits only their own profile)."""
    form = await request.form()
    person = _person(session, viewer)
    errors: dict[str, str] = {}
    biography = str(form.get("biography") or "")
    phone = str(form.get("phone") or "").strip()
    if len(biography) > 5000:
        errors["biography"] = _.gettext("Enter at most %(n)s characters.") % {"n": 5000}
    if phone and not PHONE.match(phone):
        errors["phone"] = _.gettext("Enter a telephone number.")
    expertise: list[tuple[Field, str]] = []
    known = {f.value for f in Field}
    specialities = [str(s)[:200] for s in form.getlist("expertise_speciality")]
    for index, raw in enumerate(str(r) for r in form.getlist("expertise_field")):
        if not raw:
            continue  # the empty "add a field" row
        if raw not in known:
            errors["expertise"] = _.gettext("Choose from the options given.")
            continue
        speciality = specialities[index] if index < len(specialities) else ""
        expertise.append((Field(raw), speciality))
    organisation = str(form.get("organisation_id") or "")
    if organisation and not organisation.isdigit():
        errors["organisation_id"] = _.gettext("Choose from the options given.")
    if errors:
        return _page(request, render, session, person, errors, status_code=400)
    profiles.update_profile(
        session=session,
        person_id=person.id,
        edit=profiles.ProfileEdit(
            biography=biography,
            phone=phone,
            public_profile=form.get("public_profile") == "true",
            expertise=expertise,
            organisation_id=int(organisation) if organisation else None,
            position=str(form.get("position") or "")[:200],
        ),
        actor=actor_of(viewer),
    )
    return RedirectResponse("/profile?notice=saved", status_code=303)


@router.post("/profile/publications", response_class=HTMLResponse)
def add_publication(
    request: Request,
    viewer: Scientist,
    session: WriteSession,
    render: Render,
    _: Translator,
    title: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
    venue: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    is_public: Annotated[str, Form()] = "",
) -> Response:
    """List a publication on one's profile."""
    person = _person(session, viewer)
    errors = {}
    if not title.strip() or len(title) > 500:
        errors["pub_title"] = _.gettext("This field is required.")
    if year and not (year.isdigit() and 1900 <= int(year) <= 2100):
        errors["pub_year"] = _.gettext("Enter a year.")
    if url and not url.startswith(("http://", "https://")):
        errors["pub_url"] = _.gettext("Enter an address starting with http:// or https://.")
    if errors:
        return _page(request, render, session, person, errors, status_code=400)
    profiles.add_publication(
        session=session,
        person_id=person.id,
        title=title,
        year=int(year) if year else None,
        venue=venue[:300],
        url=url[:500],
        is_public=is_public == "true",
        actor=actor_of(viewer),
    )
    return RedirectResponse("/profile?notice=publication", status_code=303)


@router.post("/profile/publications/{publication_id}/delete")
def remove_publication(publication_id: int, viewer: Scientist, session: WriteSession) -> Response:
    """Take a publication off one's own profile."""
    person = _person(session, viewer)
    profiles.remove_publication(
        session=session, person_id=person.id, publication_id=publication_id, actor=actor_of(viewer)
    )
    return RedirectResponse("/profile?notice=publication", status_code=303)


@router.post("/profile/changes", response_class=HTMLResponse)
def request_change(
    request: Request,
    viewer: Scientist,
    session: WriteSession,
    render: Render,
    attribute: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
) -> Response:
    """Ask staff to change one's degree or academic title."""
    person = _person(session, viewer)
    try:
        profiles.request_change(
            session=session,
            person_id=person.id,
            attribute=attribute,
            new_value=value or None,
            evidence=evidence[:2000],
            actor=actor_of(viewer),
        )
    except (DomainError, ValueError) as refused:
        text = message(refused, request) if isinstance(refused, DomainError) else str(refused)
        return _page(request, render, session, person, {"change": text}, status_code=400)
    return RedirectResponse("/profile?notice=requested", status_code=303)


# ----------------------------------------------------------------------------- staff


@router.get("/staff/profile-changes", response_class=HTMLResponse)
def changes_page(
    request: Request, viewer: Staff, session: WriteSession, render: Render
) -> Response:
    """Degree and title changes waiting for verification."""
    return render.render(
        request,
        "scientists/changes.html",
        {"changes": profiles.pending_changes(session=session)},
    )


@router.post("/staff/profile-changes/{change_id}")
def decide_change(
    change_id: int,
    viewer: Staff,
    session: WriteSession,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Verify (apply) or reject a change."""
    if decision not in ("approve", "reject"):
        raise HTTPException(400, "decision")
    profiles.decide_change(
        session=session,
        change_id=change_id,
        approve=decision == "approve",
        note=note[:2000],
        actor=actor_of(viewer),
    )
    return RedirectResponse("/staff/profile-changes", status_code=303)
