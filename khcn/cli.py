"""The ``khcn`` command: wires the rooms together, holds no logic of its own."""

from __future__ import annotations

from typing import Annotated

import typer

from khcn.settings import Settings, SettingsError
from khcn.settings import load_settings as _load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# INFO chatter of libraries, shown with --verbose only: alembic's plugin and context lines,
# aiosmtpd's line-by-line SMTP sessions of the development mail catcher
CHATTY_LOGGERS = ("alembic", "mail.log")

app = typer.Typer(help="khcn: quản lý nhiệm vụ KH&CN / S&T task management.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """khcn command line."""


def load_settings() -> Settings:
    """The settings, or a clear refusal naming what is wrong (exit code 2)."""
    try:
        return _load_settings()
    except SettingsError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(code=2) from None


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
    allow_joining_inclusive_gateway: Annotated[
        bool,
        typer.Option(
            help="Deploy inclusive gateways with several incoming flows (Zeebe 8.6+). Off: "
            "refused as Zeebe 8.5 (docker-compose.yml) refuses them."
        ),
    ] = False,
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
    run_server(
        address or settings.engine_address,
        database or settings.engine_database,
        chosen,
        allow_joining_inclusive_gateway=allow_joining_inclusive_gateway,
    )


@app.command()
def run(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also show alembic's and the SMTP sessions' lines.")
    ] = False,
) -> None:
    """Run the whole system on its embedded defaults (engine, workers, bpmn/ deployed)."""
    import logging

    from khcn.launcher import run_system

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    if not verbose:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    run_system(load_settings())


@app.command()
def portal() -> None:
    """Serve the portal (public pages, staff pages, JSON API) on KHCN_PORTAL_HOST:PORT."""
    import logging

    from khcn.portal_server import run_portal

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    run_portal(load_settings())


@app.command()
def workers() -> None:
    """Run every job worker of khcn against the engine at ZEEBE_ADDRESS."""
    import asyncio
    import logging

    from workers.runtime import run_workers

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_workers(load_settings().workers()))


@app.command()
def seed(
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo tỉnh mẫu / seed the demo province.")
    ] = False,
    tasks: Annotated[int, typer.Option(help="How many demo tasks to drive.")] = 20,
    people: Annotated[int, typer.Option(help="How many scientists and experts.")] = 220,
    random_seed: Annotated[
        int, typer.Option("--seed", help="Seed of the random choices (same seed, same data).")
    ] = 2026,
    force: Annotated[
        bool, typer.Option(help="Seed even when the database already holds data.")
    ] = False,
    workers: Annotated[
        bool,
        typer.Option(
            "--workers/--no-workers",
            help="Run the job workers in this process while seeding (default), or rely on "
            "workers running elsewhere (khcn workers, khcn run).",
        ),
    ] = True,
) -> None:
    """Fill a fresh system with a demo province, its tasks driven through the processes."""
    import logging

    from khcn.launcher import run_demo_seed
    from khcn.seed import SeedError

    if not demo:
        raise typer.BadParameter("only the demo data set exists: pass --demo", param_hint="--demo")
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    # a job retried after a conflict is not news here: the summary names any task that stalled
    logging.getLogger("pyzeebe").setLevel(logging.CRITICAL)
    try:
        report = run_demo_seed(
            load_settings(),
            tasks=tasks,
            people=people,
            seed=random_seed,
            force=force,
            start_workers=workers,
        )
    except SeedError as refused:  # refused over existing data, no workers, too few people
        typer.echo(str(refused), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(report.summary())
    from models.services.demo_accounts import DEMO_ACCOUNTS

    typer.echo("\nTài khoản mẫu / demo accounts (development only):")
    for account in DEMO_ACCOUNTS:
        typer.echo(f"  {account.role.value:<15} {account.username:<18} {account.password}")
    if report.stalled:
        raise typer.Exit(code=2)


rules_app = typer.Typer(
    help="Quy định áp dụng / the regulation editions in force.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def rules_show(
    edition: Annotated[
        str | None, typer.Option(help="One edition (2014, 2025); default: every edition.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the rules in force with their sources (the province's changes included)."""
    from khcn.rules_view import rules_json, rules_text

    regulations = load_settings().regulations()
    try:
        chosen = [regulations.edition(edition)] if edition else list(regulations.editions)
    except KeyError as err:
        raise typer.BadParameter(str(err.args[0]), param_hint="--edition") from None
    if as_json:
        typer.echo(rules_json(regulations, chosen))
    else:
        typer.echo(rules_text(regulations, chosen))


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
