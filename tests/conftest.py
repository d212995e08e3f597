"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and a real engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.engine_process import EngineProcess

PG_URL = os.environ.get("KHCN_TEST_DATABASE_URL", "")

DATABASE_KINDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_url_with_db(url: str, db: str) -> str:
    base = url.rsplit("/", 1)[0]
    return f"{base}/{db}"


@pytest.fixture(scope="session")
def make_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Return a factory that makes a fresh, empty database of a kind; drops them at the end."""
    created: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("db") / "engine.sqlite3"
            return f"sqlite:///{path}"
        import psycopg

        name = f"khcn_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_pg_url_with_db(PG_URL, "test"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _pg_url_with_db(PG_URL, name).replace("postgresql://", "postgresql+psycopg://", 1)

    yield make
    if created:
        import psycopg

        with psycopg.connect(_pg_url_with_db(PG_URL, "test"), autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url) -> Iterator[EngineProcess]:
    """A real engine process on a free port, shared by the tests of one module, per database."""
    proc = EngineProcess(make_database_url(request.param))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def engine_address(engine_process: EngineProcess) -> str:
    """The HOST:PORT of the running engine."""
    return engine_process.address


def pytest_report_header(config: pytest.Config) -> str:
    """Say in one line whether the browser tests run (they need Chromium and chromedriver)."""
    from tests.support.browser import chromium_paths

    found = chromium_paths()
    if found is None:
        return "browser tests: SKIPPED, no Chromium (apt-get install chromium chromium-driver)"
    return f"browser tests: headless {found[0]} with {found[1]}"
