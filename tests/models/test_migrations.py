"""Alembic migrations: they build exactly the models' schema, and come down cleanly."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

import models
from khcn.cli import app
from khcn.settings import ROOT
from models.db import make_engine
from models.migrate import MIGRATIONS, current_revision, downgrade, head_revision, upgrade
from models.search import outside_the_models
from tests.conftest import DATABASE_KINDS


@pytest.fixture(params=DATABASE_KINDS)
def fresh_url(request: pytest.FixtureRequest, make_database_url) -> str:
    """An empty database of each kind."""
    return make_database_url(request.param)


def schema_diff(url: str) -> list:
    """What autogenerate would change to make the database match the models."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    # the full-text machinery (FTS5 tables, tsvector, GIN) is not in the models
                    "include_name": lambda name, type_, _: not outside_the_models(name, type_),
                },
            )
            return compare_metadata(context, models.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    """Tables in the database."""
    engine = make_engine(url)
    try:
        names = inspect(engine).get_table_names()
        return {name for name in names if not outside_the_models(name, "table")}
    finally:
        engine.dispose()


def test_upgrade_matches_the_models_and_downgrade_clears(fresh_url: str) -> None:
    assert current_revision(fresh_url) is None
    upgrade(fresh_url)
    assert current_revision(fresh_url) == head_revision()
    assert schema_diff(fresh_url) == []
    assert table_names(fresh_url) == set(models.metadata.tables) | {"alembic_version"}

    downgrade(fresh_url, "base")
    assert current_revision(fresh_url) is None
    assert table_names(fresh_url) <= {"alembic_version"}

    upgrade(fresh_url)  # and back up again: the downgrade left nothing behind
    assert schema_diff(fresh_url) == []


def test_an_empty_database_differs_from_the_models(fresh_url: str) -> None:
    # Guards the comparison itself: it must see missing tables.
    assert schema_diff(fresh_url) != []


def test_khcn_db_upgrade_and_current(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHCN_DATABASE_URL", fresh_url)
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert "current: (none)" in before.output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"database at revision {head_revision()}" in result.output
    assert current_revision(fresh_url) == head_revision()
    again = runner.invoke(app, ["db", "upgrade", "--database", fresh_url])
    assert again.exit_code == 0, again.output


def test_revision_files_are_date_prefixed() -> None:
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py") if p.stem != "__init__")
    assert names, "no migrations"
    for name in names:
        assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\w+\.py", name), name


def test_the_alembic_command_line_uses_alembic_ini(make_database_url) -> None:
    # What a developer types: `alembic -x url=... upgrade head`, then `alembic ... check`.
    url = make_database_url("sqlite")
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "-x", f"url={url}"]
            + args,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert current_revision(url) == head_revision()
