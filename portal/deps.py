"""Per-request dependencies: the database session, the language, the renderer."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from portal.rendering import Renderer


def read_session(request: Request) -> Iterator[Session]:
    """One read-only transaction for the request (public pages never write)."""
    with request.app.state.read_sessions() as session, session.begin():
        yield session


def write_session(request: Request) -> Iterator[Session]:
    """One transaction for the request: committed when the route returns, rolled back on error."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def renderer(request: Request) -> Renderer:
    """The app's template renderer."""
    return request.app.state.renderer  # type: ignore[no-any-return]


def translator(request: Request) -> gettext.NullTranslations:
    """The request language's catalogue, for texts written in Python (messages, errors)."""
    return request.app.state.catalogues[request.state.language]  # type: ignore[no-any-return]


# Annotated forms for route signatures: `session: ReadSession, render: Render`.
ReadSession = Annotated[Session, Depends(read_session)]
WriteSession = Annotated[Session, Depends(write_session)]
Render = Annotated[Renderer, Depends(renderer)]
Translator = Annotated[gettext.NullTranslations, Depends(translator)]
