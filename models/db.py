"""Engines and sessions for the domain database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for the domain database; SQLite gets foreign keys and a parent directory.

    `read_only` engines (the portal's public pages) begin SQLite transactions DEFERRED, so
    readers share the database instead of queueing for the write lock behind the workers. On
    PostgreSQL they run each statement on its own (autocommit): at READ COMMITTED every
    statement takes its own snapshot inside a transaction too, so a reader sees the same, and
    saves the BEGIN and ROLLBACK round trips around each page (two of a task page's ten).
    """
    url = normalise_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if read_only and url.startswith("postgresql"):
        kwargs.setdefault("isolation_level", "AUTOCOMMIT")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin_read if read_only else _sqlite_on_begin)
    elif read_only and engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_on_connect_read)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory; callers own the transaction (services never commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, and pysqlite's own transaction handling breaks
    # SAVEPOINT; hand transaction control to SQLAlchemy (the documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # workers run jobs on several threads: wait for the write lock instead of failing at once
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred BEGIN that reads and then writes
    # can fail with "database is locked" when another thread wrote meanwhile (no busy wait)
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_on_begin_read(conn: Any) -> None:
    # a reader never writes: a deferred BEGIN takes no lock until it reads (WAL: no blocking)
    conn.exec_driver_sql("BEGIN")


def _postgresql_on_connect_read(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement once it ran 5 times, and PostgreSQL then plans it once for
    # any value: a full-text search planned for an average word picks the wrong plan for a
    # common one (measured: 200 ms instead of 20 ms). Public reads are planned each time.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode TO force_custom_plan")
    dbapi_connection.commit()
