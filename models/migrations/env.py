"""Alembic environment of the domain database: the URL from ``-x url=`` or the config."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import models
from models.db import make_engine
from models.search import outside_the_models

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.metadata


def _database_url() -> str:
    # Precedence: an explicit `-x url=`, then a URL set by models.migrate (khcn db upgrade).
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit(
            "no database URL: run `khcn db upgrade` (reads KHCN_DATABASE_URL) "
            "or `alembic -x url=URL upgrade head`"
        )
    return url


def _described_by_the_models(name: str | None, type_: str, _parents: object) -> bool:
    return not outside_the_models(name, type_)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables the portable way.
        render_as_batch=True,
        compare_type=True,
        # the full-text machinery is the database's own, not the models' (models/search.py)
        include_name=_described_by_the_models,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade head --sql`)."""
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a live connection (one given by the caller, or a new engine)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
