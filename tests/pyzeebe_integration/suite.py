"""pyzeebe's own integration tests (tests/integration of its sdist on PyPI), run against the
khcn engine instead of a Zeebe container.

`python tests/pyzeebe_integration/suite.py fetch` downloads the sdist of the installed (pinned)
pyzeebe into var/cache/pyzeebe/ and unpacks its tests, replacing one thing: the testcontainers
Zeebe fixture of tests/integration/conftest.py, by engine_fixture.py beside this file (our
engine on a free port). `... run` runs them there with pytest, as pyzeebe runs them (its own
pytest configuration, its own `tests` package), on SQLite and, when KHCN_TEST_DATABASE_URL is
set, on PostgreSQL. Nothing of pyzeebe's code
is kept in this repository, and no Docker is needed.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / "var" / "cache" / "pyzeebe"

# The container fixture as pyzeebe 4.7 writes it, and the import it needs; the fetch fails
# loudly if either is not found exactly once (a new pyzeebe must be looked at, not guessed).
CONTAINER_IMPORTS = (
    "from testcontainers.core.container import DockerContainer\n"
    "from testcontainers.core.wait_strategies import LogMessageWaitStrategy\n"
)
CONTAINER_FIXTURE = re.compile(
    r'@pytest\.fixture\(scope="session"\)\ndef zeebe_container\(\):\n.*?(?=\n\n\n@pytest\.fixture)',
    re.DOTALL,
)
REPLACEMENT_IMPORT = (
    "# khcn: the Zeebe container is replaced by the khcn engine (tests/pyzeebe_integration)\n"
    "from engine_fixture import EngineContainer as DockerContainer\n"
    "from engine_fixture import zeebe_container\n"
)


def suite_dir(version: str) -> Path:
    """Where the unpacked tests of a pyzeebe version live."""
    return CACHE / f"pyzeebe-{version}"


def fetch(version: str) -> Path:
    """Unpack pyzeebe's tests afresh from its sdist (downloaded once per version); the
    suite's folder."""
    target = suite_dir(version)
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"pyzeebe-{version}.tar.gz"
    if not sdist.is_file():
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
                "--no-deps", "--dest", str(CACHE), f"pyzeebe=={version}",
            ],
            check=True,
        )  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    prefix = f"pyzeebe-{version}/"
    with tarfile.open(sdist) as archive:
        wanted = [
            m
            for m in archive.getmembers()
            if m.name == prefix + "pyproject.toml" or m.name.startswith(prefix + "tests/")
        ]
        archive.extractall(CACHE, members=wanted, filter="data")
    conftest = target / "tests" / "integration" / "conftest.py"
    conftest.write_text(replace_container_fixture(conftest.read_text()))
    return target


def replace_container_fixture(source: str) -> str:
    """pyzeebe's integration conftest with the khcn engine in place of its Zeebe container."""
    if source.count(CONTAINER_IMPORTS) != 1 or len(CONTAINER_FIXTURE.findall(source)) != 1:
        raise SystemExit(
            "pyzeebe's tests/integration/conftest.py no longer has the container fixture this "
            "script replaces; look at tests/pyzeebe_integration/suite.py"
        )
    source = source.replace(CONTAINER_IMPORTS, REPLACEMENT_IMPORT)
    return CONTAINER_FIXTURE.sub("# khcn: zeebe_container comes from engine_fixture", source)


def run(version: str, pytest_args: list[str]) -> int:
    """Run the integration tests once per database kind, each run a session of its own as in
    pyzeebe (one Zeebe per session: its tests count process runs by instance key, and two
    engines hand out the same keys); the first failing pytest exit code, else 0."""
    target = fetch(version)
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("KHCN_TEST_DATABASE_URL") else [])
    for kind in kinds:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(target)]),
            "KHCN_PYZEEBE_ENGINE_DATABASE": kind,
        }
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-o", "asyncio_default_fixture_loop_scope=function", "tests/integration",
            *pytest_args,
        ]  # fmt: skip
        print(f"pyzeebe {version}'s integration tests against the khcn engine on {kind}")
        code = subprocess.run(command, cwd=target, env=env).returncode
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    """`fetch` or `run [pytest args]`."""
    version = importlib.metadata.version("pyzeebe")
    if argv[:1] == ["fetch"]:
        fetch(version)
        return 0
    if argv[:1] == ["run"]:
        return run(version, argv[1:])
    raise SystemExit("usage: suite.py fetch | run [pytest options]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
