"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and a real engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.engine_process import (
    DATABASE_KINDS,
    PG_URL,
    EngineProcess,
    create_database,
    drop_databases,
)

__all__ = ["DATABASE_KINDS", "PG_URL"]  # imported by test modules


@pytest.fixture(scope="session")
def make_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Return a factory that makes a fresh, empty database of a kind; drops them at the end."""
    created: list[str] = []

    def make(kind: str) -> str:
        url = create_database(kind, tmp_path_factory.mktemp("db"))
        created.append(url)
        return url

    yield make
    drop_databases(created)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def engine_process(request: pytest.FixtureRequest, make_database_url) -> Iterator[EngineProcess]:
    """A real engine process on a free port, shared by the tests of one module, per database.

    A module may set ENGINE_ARGS (extra `python -m engine` options) for its engine.
    """
    proc = EngineProcess(
        make_database_url(request.param), extra_args=getattr(request.module, "ENGINE_ARGS", [])
    )
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
