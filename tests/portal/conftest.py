"""Portal fixtures: a migrated domain database per kind, the app, a client, a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from portal.app import create_app
from portal.config import PortalConfig
from tests.conftest import DATABASE_KINDS
from tests.portal.data import Province, build_province
from tests.support.browser import chromium, chromium_paths


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def portal_database_url(request: pytest.FixtureRequest, make_database_url: Any) -> str:
    """A fresh domain database of each kind, migrated, shared by one test module."""
    url = str(make_database_url(request.param))
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def portal_sessions(portal_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the module's database."""
    engine = make_engine(portal_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def documents_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's document store."""
    return tmp_path_factory.mktemp("documents")


@pytest.fixture(scope="module")
def portal_app(portal_sessions: sessionmaker[Session], documents_root: Path) -> FastAPI:
    """The portal as `khcn portal` builds it, on the module's database."""
    return create_app(PortalConfig(documents_dir=str(documents_root)), portal_sessions)


@pytest.fixture(scope="module")
def province(portal_sessions: sessionmaker[Session], documents_root: Path) -> Province:
    """The module's database filled with a small province (tests/portal/data.py)."""
    with portal_sessions() as session, session.begin():
        return build_province(session, documents_root)


@pytest.fixture
def client(portal_app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client on the app (no server; errors become 500 pages, not exceptions)."""
    with TestClient(portal_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium shared by the module's browser tests."""
    if chromium_paths() is None:
        pytest.skip("no Chromium here (Debian packages chromium, chromium-driver)")
    with chromium() as driver:
        yield driver
