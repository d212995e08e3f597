"""The fixture that replaces the Zeebe container of pyzeebe's integration tests.

pyzeebe's conftest asks its container two things: the host and the port that 26500 is mapped
to. EngineContainer answers them for a khcn engine process (tests/support/engine_process.py)
on a fresh database of the kind suite.py names in KHCN_PYZEEBE_ENGINE_DATABASE.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _engine_process() -> ModuleType:
    # loaded by path: in pyzeebe's suite, `tests` is pyzeebe's own package, not ours
    spec = importlib.util.spec_from_file_location(
        "khcn_engine_process", ROOT / "tests" / "support" / "engine_process.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


engine_process = _engine_process()


class EngineContainer:
    """A running khcn engine, seen through the two calls pyzeebe makes of its container."""

    def __init__(self, proc) -> None:  # type: ignore[no-untyped-def]
        self.proc = proc

    def get_container_host_ip(self) -> str:
        """The engine's host."""
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:
        """The engine's gateway port (it serves the gateway only: 26500 in Zeebe)."""
        assert port == 26500, f"only Zeebe's gateway port is served, not {port}"
        return self.proc.port


@pytest.fixture(scope="session")
def zeebe_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineContainer]:
    """The khcn engine on a fresh database, for the whole session."""
    kind = os.environ.get("KHCN_PYZEEBE_ENGINE_DATABASE", "sqlite")
    url = engine_process.create_database(kind, tmp_path_factory.mktemp("engine"))
    proc = engine_process.EngineProcess(url)
    proc.start()
    try:
        yield EngineContainer(proc)
    finally:
        proc.stop()
        engine_process.drop_databases([url])
