"""Domain database fixtures: a migrated database per kind; each test rolls back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.db import make_engine
from models.migrate import upgrade
from tests.conftest import DATABASE_KINDS


@pytest.fixture(scope="session", params=DATABASE_KINDS)
def domain_engine(request: pytest.FixtureRequest, make_database_url) -> Iterator[Engine]:
    """A fresh database of each kind, migrated to head by Alembic (the real schema path)."""
    url = make_database_url(request.param)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(domain_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with domain_engine.connect() as connection:
        transaction = connection.begin()
        # Savepoints let code under test use begin_nested() without ending our transaction.
        db = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db
        finally:
            db.close()
            transaction.rollback()
