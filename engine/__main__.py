"""``python -m engine``: run the embedded engine on its own (``khcn engine`` adds the settings)."""

from __future__ import annotations

import argparse

from engine.clock import Clock, ControlledClock
from engine.server import run_server


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    parser.add_argument("--address", default="127.0.0.1:26500", help="HOST:PORT to serve on")
    parser.add_argument(
        "--database", default="sqlite:///var/engine.sqlite3", help="SQLAlchemy URL of the state"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "controlled"),
        default="wall",
        help="'controlled': time moves only through the admin IncreaseTime call (tests)",
    )
    parser.add_argument(
        "--allow-joining-inclusive-gateway",
        action="store_true",
        help="deploy inclusive gateways with several incoming flows (Zeebe 8.6+); off: refused "
        "as Zeebe 8.5 refuses them",
    )
    args = parser.parse_args(argv)
    clock = ControlledClock() if args.clock == "controlled" else Clock()
    run_server(
        args.address,
        args.database,
        clock,
        allow_joining_inclusive_gateway=args.allow_joining_inclusive_gateway,
    )


if __name__ == "__main__":
    main()
