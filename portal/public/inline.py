"""How a public page reads: one read-only transaction, on the event loop or in one thread hop.

A public page is a few milliseconds of reads and rendering. FastAPI runs a plain `def` route
and each plain `def` dependency in a thread pool, three thread hops a request, and under load
the threads fight over the GIL. Measured on a task page at 100,000 tasks (bench/portal_load.py,
50 clients): on SQLite 5.8 ms of server CPU a request through the pool, 3.5 ms run in place.
SQLite reads never wait, so in place is right. A PostgreSQL server on this machine answers a
read with the machine's own CPU: in place is right there too (task pages on PostgreSQL at
localhost, 2 cores: 4.1-5.1 ms of server CPU a page in place, 5.7-6.2 ms through a thread).
A PostgreSQL server elsewhere makes reads wait on the network, and there one hop to a thread
keeps other requests going meanwhile.

`@reads` turns a route written as `def page(request, session, ...)` into that endpoint: the
session parameter disappears from what FastAPI sees and is filled with the request's
read-only session.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from portal.rendering import Renderer

T = TypeVar("T")


# Where a PostgreSQL server is on this machine (an empty host: its Unix socket).
_LOCAL_HOSTS = frozenset({None, "", "localhost", "127.0.0.1", "::1"})


def _in_place(app: FastAPI) -> bool:
    """Whether the app's reads run on the event loop (SQLite, PostgreSQL on this machine) or
    in a thread (a database elsewhere)."""
    found = getattr(app.state, "reads_in_place", None)
    if found is None:
        url = app.state.read_sessions.kw["bind"].url
        found = url.get_backend_name() == "sqlite" or url.host in _LOCAL_HOSTS
        app.state.reads_in_place = found
    return bool(found)


def reads(func: Callable[..., T]) -> Callable[..., Any]:
    """The endpoint of a public route that reads through `session` (see the module's text)."""
    signature = inspect.signature(func, eval_str=True)
    wants_request = "request" in signature.parameters
    shown = [p for name, p in signature.parameters.items() if name not in ("request", "session")]
    request_parameter = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
    )

    @functools.wraps(func)
    async def endpoint(request: Request, **kwargs: Any) -> T:
        if wants_request:
            kwargs["request"] = request

        def run() -> T:
            with request.app.state.read_sessions() as session, session.begin():
                return func(session=session, **kwargs)

        if _in_place(request.app):
            return run()
        return await run_in_threadpool(run)

    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[request_parameter, *shown]
    )
    del endpoint.__wrapped__  # FastAPI must read the signature above, not the route's
    return endpoint


async def public_renderer(request: Request) -> Renderer:
    """The app's template renderer (on the loop: rendering never waits)."""
    return request.app.state.renderer  # type: ignore[no-any-return]


PublicRender = Annotated[Renderer, Depends(public_renderer)]
