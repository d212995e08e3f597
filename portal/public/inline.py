"""The public pages' dependencies, run on the event loop instead of in a worker thread.

A public page is a few milliseconds of reads and rendering with no slow waits. FastAPI runs a
plain `def` route and each plain `def` dependency in a thread pool: three thread hops a
request, and under load the threads fight over the GIL. Measured on a task page at 100,000
tasks (bench/portal_load.py, 50 clients, SQLite): 5.8 ms of server CPU a request through the
pool, 3.9 ms on the loop. So the public routes are `async def` and do their (short, blocking)
reads in place; the staff pages, which wait on the engine, keep the pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from portal.rendering import Renderer


async def public_session(request: Request) -> AsyncIterator[Session]:
    """One read-only transaction for the request, opened on the event loop."""
    with request.app.state.read_sessions() as session, session.begin():
        yield session


async def public_renderer(request: Request) -> Renderer:
    """The app's template renderer."""
    return request.app.state.renderer  # type: ignore[no-any-return]


PublicSession = Annotated[Session, Depends(public_session)]
PublicRender = Annotated[Renderer, Depends(public_renderer)]
