"""The ``khcn`` command: wires the rooms together, holds no logic of its own."""

from __future__ import annotations

from typing import Annotated

import typer

from khcn.settings import load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

app = typer.Typer(help="khcn: quản lý nhiệm vụ KH&CN / S&T task management.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """khcn command line."""


@app.command()
def engine(
    address: Annotated[
        str | None, typer.Option(help="HOST:PORT to serve Zeebe's gateway on.")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the engine state.")
    ] = None,
    clock: Annotated[
        str,
        typer.Option(
            help="'wall' (default) or 'controlled': time moves only through the admin "
            "IncreaseTime call (for tests of timers and deadlines)."
        ),
    ] = "wall",
) -> None:
    """Run the embedded Zeebe-compatible engine."""
    from engine.clock import Clock, ControlledClock
    from engine.server import run_server

    settings = load_settings()
    if clock not in ("wall", "controlled"):
        raise typer.BadParameter("must be 'wall' or 'controlled'", param_hint="--clock")
    if clock == "controlled" and settings.env == "production":
        raise typer.BadParameter(
            "a controlled clock is for tests; refused when KHCN_ENV=production",
            param_hint="--clock",
        )
    chosen = ControlledClock() if clock == "controlled" else Clock()
    run_server(address or settings.engine_address, database or settings.engine_database, chosen)


@app.command()
def run() -> None:
    """Run the whole system on its embedded defaults (engine, workers, bpmn/ deployed)."""
    import logging

    from khcn.launcher import run_system

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    run_system(load_settings())


@app.command()
def workers() -> None:
    """Run every job worker of khcn against the engine at ZEEBE_ADDRESS."""
    import asyncio
    import logging

    from workers.runtime import run_workers

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_workers(load_settings()))


db_app = typer.Typer(help="Cơ sở dữ liệu nghiệp vụ / the domain database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: KHCN_DATABASE_URL).")
    ] = None,
) -> None:
    """Migrate the domain database to the newest schema (or to REVISION)."""
    from models.migrate import current_revision, upgrade

    url = database or load_settings().database_url
    upgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url)}")


@db_app.command("current")
def db_current(
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: KHCN_DATABASE_URL).")
    ] = None,
) -> None:
    """Print the revision the domain database is at, and the newest one available."""
    from models.migrate import current_revision, head_revision

    url = database or load_settings().database_url
    typer.echo(f"current: {current_revision(url) or '(none)'}")
    typer.echo(f"head:    {head_revision()}")


if __name__ == "__main__":
    app()
