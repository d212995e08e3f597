"""The ``khcn`` command: wires the rooms together, holds no logic of its own."""

from __future__ import annotations

from typing import Annotated

import typer

from khcn.settings import load_settings

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
