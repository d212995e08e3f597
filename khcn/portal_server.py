"""Serving the portal: the app built from the settings, and uvicorn inside our own event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from khcn.settings import Settings
from models.db import make_engine, make_sessionmaker
from portal.app import create_app


async def serve_inbox(settings: Settings) -> None:
    """The portal's inbox worker: user-task jobs held as inbox items, until cancelled."""
    from portal.inbox.work import run_inbox_worker

    engine = make_engine(settings.database_url, pool_pre_ping=True)
    try:
        await run_inbox_worker(settings.portal(), make_sessionmaker(engine))
    finally:
        engine.dispose()


def build_portal(settings: Settings) -> FastAPI:
    """The portal app on the domain database (a reader pool for public pages)."""
    sessions = make_sessionmaker(make_engine(settings.database_url, pool_pre_ping=True))
    readers = make_sessionmaker(
        make_engine(settings.database_url, read_only=True, pool_pre_ping=True)
    )
    return create_app(settings.portal(), sessions, read_sessions=readers)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the launcher decides when the system stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_portal(settings: Settings) -> None:
    """Serve the portal until cancelled, then finish the requests in flight and stop."""
    config = uvicorn.Config(
        build_portal(settings),
        host=settings.portal_host,
        port=settings.portal_port,
        log_level="warning",
        lifespan="off",
        proxy_headers=False,
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        server.should_exit = True
        await serving
        raise


def run_portal(settings: Settings) -> None:
    """`khcn portal`: the portal alone (the engine and workers run elsewhere)."""
    uvicorn.run(
        build_portal(settings),
        host=settings.portal_host,
        port=settings.portal_port,
        log_level="info",
        lifespan="off",
    )
