"""Throughput, activation latency and per-step cost of the embedded engine, with real workers.

Run from the repository root:  .venv/bin/python bench/engine_throughput.py [--instances 300]
See bench/README.md for what each figure means.
"""

# No `from __future__ import annotations`: pyzeebe recognises the Job parameter of a handler by
# comparing its evaluated annotation with `Job`.

import argparse
import asyncio
import contextlib
import inspect
import io
import operator
import os
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe import Job, ZeebeClient, ZeebeWorker, create_insecure_channel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.admin_client import AdminClient  # noqa: E402

TARGET_JOBS_PER_S = 500.0
TARGET_P99_MS = 50.0
TARGET_STEP_RATIO = 1.20
SHORT_STEPS = 3
WINDOW = 10  # transitions averaged at the start and at the end of the long process
LIGHT_LANES = 4  # instances in flight during the light-load latency run
LIGHT_INSTANCES = 200
LIGHT_BASE = 500_000  # instance indexes of the light-load run

LATENCY_DEFINITION = (
    "activation latency = from the moment the client sends the command that creates a job\n"
    "  (CreateProcessInstance for step 1; for later steps the previous job's CompleteJob, timed\n"
    "  when its handler returns, just before pyzeebe sends it) to the moment the handler of\n"
    "  the new job starts. It includes the command's round trip and the engine's work on it."
)


# --------------------------------------------------------------------------- the engine


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Engine:
    """The engine as a subprocess (`python -m engine`), its output in a log file.

    `root` is the folder whose engine/ package runs (the working tree, or a baseline's).
    """

    def __init__(self, database_url: str, root: Path = ROOT) -> None:
        self.database_url = database_url
        self.root = root
        self.address = f"127.0.0.1:{free_port()}"
        self.log_path = Path(tempfile.gettempdir()) / f"khcn-bench-{self.address[10:]}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the engine and wait for its health service to say SERVING."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "--address", self.address,
                 "--database", self.database_url],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"engine exited early, see {self.log_path}")
            if self._serving():
                return
            time.sleep(0.1)
        raise SystemExit(f"engine not serving after {timeout:.0f} s, see {self.log_path}")

    def _serving(self) -> bool:
        try:
            with grpc.insecure_channel(self.address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"), timeout=1
                )
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
        except grpc.RpcError:
            return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def baseline_root(ref: str) -> Path:
    """The engine/ of a git revision, with its own FEEL bundle, under var/cache (made once).

    It lives inside the repository so its FEEL build finds node_modules; `python -m engine`
    started there runs that engine, not the working tree's.
    """
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    root = ROOT / "var" / "cache" / "bench-baseline" / sha
    bundle = root / "engine" / "feel" / "dist" / "feel.js"
    if not bundle.is_file():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", sha, "engine"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root, filter="data")
        subprocess.run(["node", "engine/feel/js/build.mjs"], cwd=root, check=True)
    return root


def engine_module(root: Path) -> str:
    """Where `python -m engine` started in `root` takes the engine from (shown in the report)."""
    return subprocess.run(
        [sys.executable, "-c", "import engine; print(engine.__file__)"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


class Databases:
    """Fresh, empty databases for one engine run each: SQLite files, or PostgreSQL databases
    made on a server (and dropped at the end)."""

    def __init__(self, folder: Path, postgres: str | None) -> None:
        self.folder = folder
        self.postgres = postgres
        self.made: list[str] = []

    def fresh(self, label: str) -> str:
        """The URL of a new empty database."""
        if self.postgres is None:
            return f"sqlite:///{self.folder / f'{label}.sqlite3'}"
        import psycopg

        name = f"khcn_bench_{label}_{os.getpid()}"
        with psycopg.connect(self.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        base = self.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{name}"

    def drop_all(self) -> None:
        """Drop the PostgreSQL databases made."""
        if not self.made:
            return
        import psycopg

        with psycopg.connect(self.postgres or "", autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- BPMN


def sequential_process(process_id: str, steps: int, job_type: Callable[[int], str]) -> str:
    """BPMN XML (Zeebe dialect) of start -> step-1 -> ... -> step-N -> end."""
    nodes = ['<bpmn:startEvent id="start" />']
    flows = []
    previous = "start"
    for k in range(1, steps + 1):
        nodes.append(
            f'<bpmn:serviceTask id="step-{k}"><bpmn:extensionElements>'
            f'<zeebe:taskDefinition type="{job_type(k)}" retries="3" />'
            f"</bpmn:extensionElements></bpmn:serviceTask>"
        )
        flows.append(
            f'<bpmn:sequenceFlow id="f-{k}" sourceRef="{previous}" targetRef="step-{k}" />'
        )
        previous = f"step-{k}"
    nodes.append('<bpmn:endEvent id="end" />')
    flows.append(f'<bpmn:sequenceFlow id="f-end" sourceRef="{previous}" targetRef="end" />')
    body = "\n    ".join(nodes + flows)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="{process_id}-definitions" targetNamespace="http://khcn.example/bench">
  <bpmn:process id="{process_id}" isExecutable="true">
    {body}
  </bpmn:process>
</bpmn:definitions>
"""


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Tally:
    """Timestamps per (instance index, step): when each job was caused and when it was handled."""

    caused: dict[tuple[int, int], float] = field(default_factory=dict)
    started: dict[tuple[int, int], float] = field(default_factory=dict)
    returned: dict[tuple[int, int], float] = field(default_factory=dict)
    deliveries: int = 0
    done: dict[int, asyncio.Event] = field(default_factory=dict)

    def start(self, i: int, step: int) -> None:
        """A handler starts (first delivery counts; a re-delivery would skew latencies)."""
        self.deliveries += 1
        self.started.setdefault((i, step), time.perf_counter())

    def finish(self, i: int, step: int) -> None:
        """A handler returns: the next step's job is caused by the CompleteJob sent now."""
        now = time.perf_counter()
        self.returned.setdefault((i, step), now)
        self.caused.setdefault((i, step + 1), now)
        if step == SHORT_STEPS and i in self.done:
            self.done[i].set()

    def latencies_ms(self, instances: range) -> list[float]:
        """Activation latency of every job of the given instance indexes whose cause was timed."""
        return [
            (self.started[key] - self.caused[key]) * 1000
            for key in self.started
            if key in self.caused and key[0] in instances
        ]

    def transition_ms(self, i: int, step: int) -> float:
        """Time from step's handler returning to step+1's handler starting."""
        return (self.started[(i, step + 1)] - self.returned[(i, step)]) * 1000


@contextlib.asynccontextmanager
async def running(worker: ZeebeWorker) -> AsyncIterator[None]:
    """Run a pyzeebe worker for the duration of the block."""
    task = asyncio.create_task(worker.work())
    try:
        yield
    finally:
        await worker.stop()
        try:
            await asyncio.wait_for(task, timeout=30)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()


async def progress(label: str, done: Callable[[], int], total: int) -> None:
    """Print a \\r counter until cancelled."""
    try:
        while True:
            print(f"\r  {label}: {done()}/{total} jobs", end="", file=sys.stderr, flush=True)
            await asyncio.sleep(0.2)
    finally:
        print(f"\r  {label}: {done()}/{total} jobs", file=sys.stderr, flush=True)


async def wait_until(
    check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str
) -> None:
    """Poll a (sync or async) condition every 10 ms."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def make_worker(
    channel: grpc.aio.Channel, stream: bool, tally: Tally, types: list[str]
) -> ZeebeWorker:
    """A pyzeebe worker with one timing handler per job type."""
    worker = ZeebeWorker(
        channel, name="bench", stream_enabled=stream, max_connection_retries=-1, poll_retry_delay=1
    )

    def register(job_type: str) -> None:
        async def handle(job: Job, i: int) -> dict[str, Any]:
            step = int(job.element_id.rsplit("-", 1)[1])
            tally.start(i, step)
            tally.finish(i, step)
            return {}

        # max_running_jobs well above max_jobs_to_activate: at the limit pyzeebe's poller
        # sleeps poll_retry_delay (whole seconds), which would measure pyzeebe, not the engine.
        decorate = worker.task(
            job_type, timeout_ms=60_000, max_jobs_to_activate=32, max_running_jobs=256
        )
        decorate(handle)  # type: ignore[arg-type]

    for job_type in types:
        register(job_type)
    return worker


@dataclass
class ModeResult:
    """Figures of one mode."""

    mode: str
    instances: int
    elapsed: float
    burst_latencies: list[float]
    light_latencies: list[float]
    early_ms: float
    late_ms: float
    long_steps: int


async def run_mode(
    engine: Engine, mode: str, instances: int, long_steps: int, long_instances: int, tmp: Path
) -> ModeResult:
    """Short-process throughput and latency, then the long process's per-step cost, in one mode."""
    stream = mode == "streaming"
    channel = create_insecure_channel(engine.address)
    client = ZeebeClient(channel, max_connection_retries=-1)
    admin = AdminClient(channel)

    short_id, long_id = f"bench-short-{mode}", f"bench-long-{mode}"
    short_types = [f"bench.{mode}.s{k}" for k in range(1, SHORT_STEPS + 1)]
    long_type = f"bench.{mode}.long"
    for process_id, steps, job_type in (
        (short_id, SHORT_STEPS, lambda k: short_types[k - 1]),
        (long_id, long_steps, lambda k: long_type),
    ):
        path = tmp / f"{process_id}.bpmn"
        path.write_text(sequential_process(process_id, steps, job_type), encoding="utf-8")
        await client.deploy_resource(str(path))

    tally = Tally()
    worker = make_worker(channel, stream, tally, [*short_types, long_type])
    last_type = short_types[-1]

    async def drained() -> bool:
        return not await admin.list_jobs(last_type)

    async with running(worker):
        # Warm-up (not measured): connections, caches, the first long-polls.
        for w in range(1, 6):
            await client.run_process(short_id, {"i": -w})
        await wait_until(drained, 60, "the warm-up instances")

        sem = asyncio.Semaphore(50)

        async def create(i: int) -> None:
            async with sem:
                tally.caused[(i, 1)] = time.perf_counter()
                await client.run_process(short_id, {"i": i})

        total_jobs = instances * SHORT_STEPS
        measured = lambda: sum(1 for (i, _) in tally.started if i >= 0)  # noqa: E731
        ticker = asyncio.create_task(progress(f"{mode} short", measured, total_jobs))
        t0 = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(instances)))
        await wait_until(lambda: measured() >= total_jobs, 600, "all short instances")
        await wait_until(drained, 60, "the last CompleteJob replies")
        elapsed = time.perf_counter() - t0
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)

        # Light load: LIGHT_LANES instances in flight, each lane starting the next when its
        # instance's last handler returns; latency without a backlog of waiting jobs.
        light = range(LIGHT_BASE, LIGHT_BASE + min(instances, LIGHT_INSTANCES))
        light_left = list(light)

        async def lane() -> None:
            while light_left:
                i = light_left.pop(0)
                tally.done[i] = asyncio.Event()
                tally.caused[(i, 1)] = time.perf_counter()
                await client.run_process(short_id, {"i": i})
                await asyncio.wait_for(tally.done[i].wait(), timeout=60)

        light_started = lambda: sum(1 for (i, _) in tally.started if i in light)  # noqa: E731
        ticker = asyncio.create_task(
            progress(f"{mode} light", light_started, len(light) * SHORT_STEPS)
        )
        await asyncio.gather(*(lane() for _ in range(LIGHT_LANES)))
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)

        # The long process: one instance at a time, so each step's cost is alone on the engine.
        long_keys = [1_000_000 + j for j in range(long_instances)]
        long_done = lambda: sum(1 for (i, _) in tally.started if i in long_keys)  # noqa: E731
        ticker = asyncio.create_task(
            progress(f"{mode} long", long_done, long_instances * long_steps)
        )
        for i in long_keys:
            await client.run_process(long_id, {"i": i})
            await wait_until(
                partial(operator.contains, tally.returned, (i, long_steps)),
                600,
                f"long instance {i}",
            )
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)

    await channel.close()
    early = [tally.transition_ms(i, k) for i in long_keys for k in range(1, WINDOW + 1)]
    late = [
        tally.transition_ms(i, k) for i in long_keys for k in range(long_steps - WINDOW, long_steps)
    ]
    return ModeResult(
        mode=mode,
        instances=instances,
        elapsed=elapsed,
        burst_latencies=tally.latencies_ms(range(instances)),
        light_latencies=tally.latencies_ms(light),
        early_ms=statistics.median(early),
        late_ms=statistics.median(late),
        long_steps=long_steps,
    )


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    """A short mark beside a figure."""
    return "ok" if ok else "MISS"


def report(results: list[ModeResult], database_url: str, instances: int) -> None:
    """Print the figures beside their targets."""
    print()
    print(f"database: {database_url}")
    print(f"short process: {instances} instances x {SHORT_STEPS} sequential service tasks")
    print(LATENCY_DEFINITION)
    print()
    print(
        f"burst: all instances created at once (<= 50 creates in flight);\n"
        f"light: "
        f"{LIGHT_LANES} instances in flight, {LIGHT_INSTANCES} at most."
    )
    row = "{:<10} {:>11} {:>10} {:>10} {:>15} {:>10} {:>15}"
    print(row.format("", "burst", "burst", "burst", "burst", "light", "light"))
    print(row.format("mode", "instances/s", "jobs/s", "act p50", "act p99", "act p50", "act p99"))
    for r in results:
        jobs_s = r.instances * SHORT_STEPS / r.elapsed
        cells = [r.mode, f"{r.instances / r.elapsed:.1f}"]
        cells.append(f"{jobs_s:.0f} {verdict(jobs_s >= TARGET_JOBS_PER_S)}")
        for latencies in (r.burst_latencies, r.light_latencies):
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            cells += [f"{p50:.1f} ms", f"{p99:.1f} ms {verdict(p99 <= TARGET_P99_MS)}"]
        print(row.format(*cells))
    p99_target = f"<= {TARGET_P99_MS:.0f} ms"
    print(row.format("target", "", f">= {TARGET_JOBS_PER_S:.0f}", "", p99_target, "", p99_target))
    print()
    print(
        "per-step cost = median time from a job's handler returning (CompleteJob about to be\n"
        "  sent) to the next step's handler starting, in a process of sequential service tasks,\n"
        "  one instance at a time."
    )
    for r in results:
        ratio = r.late_ms / r.early_ms if r.early_ms else float("inf")
        n = r.long_steps
        mark = verdict(ratio <= TARGET_STEP_RATIO)
        print(
            f"{r.mode:<10} steps 1-{WINDOW + 1}: {r.early_ms:.2f} ms   "
            f"steps {n - WINDOW}-{n}: {r.late_ms:.2f} ms   "
            f"ratio {ratio:.2f} (target <= {TARGET_STEP_RATIO:.2f}) {mark}"
        )


async def main_async(args: argparse.Namespace) -> None:
    """Start the engine(s), run the modes, print the report."""
    modes = ["polling", "streaming"] if args.mode == "both" else [args.mode]
    with tempfile.TemporaryDirectory(prefix="khcn-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.baseline:
            await compare(args, modes, tmp)
            return
        database_url = args.database or f"sqlite:///{tmp / 'bench.sqlite3'}"
        engine = Engine(database_url)
        print(f"engine on {engine.address}, log {engine.log_path}", file=sys.stderr)
        engine.start()
        try:
            results = [
                await run_mode(engine, mode, args.instances, args.steps, args.long_instances, tmp)
                for mode in modes
            ]
        finally:
            engine.stop()
        report(results, database_url, args.instances)


async def compare(args: argparse.Namespace, modes: list[str], tmp: Path) -> None:
    """Before (a git revision's engine) and after (the working tree's), in one run.

    For each mode, `--repeat` rounds; in each round both engines run one after the other, each
    on a fresh database, the first of them alternating from round to round (before-after,
    after-before, ...), so that neither side always meets the machine first. The comparison is
    of the medians over the rounds.
    """
    variants = {"before": baseline_root(args.baseline), "after": ROOT}
    for label, root in variants.items():
        print(f"{label}: {engine_module(root)}", file=sys.stderr)
    databases = Databases(tmp, args.postgres)
    results: dict[str, list[ModeResult]] = {label: [] for label in variants}
    urls: dict[str, str] = {}
    try:
        for mode in modes:
            for round_ in range(args.repeat):
                order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
                for label in order:
                    urls[label] = databases.fresh(f"{label}_{mode}_{round_}")
                    engine = Engine(urls[label], variants[label])
                    print(
                        f"{label} {mode} round {round_ + 1}: log {engine.log_path}", file=sys.stderr
                    )
                    engine.start()
                    try:
                        results[label].append(
                            await run_mode(
                                engine, mode, args.instances, args.steps, args.long_instances, tmp
                            )
                        )
                    finally:
                        engine.stop()
    finally:
        databases.drop_all()
    for label, root in variants.items():
        source = "the working tree" if root == ROOT else f"git {args.baseline}"
        print(f"\n===== {label}: engine/ of {source}, {args.repeat} round(s) per mode")
        report(results[label], urls[label], args.instances)
    print_comparison(results["before"], results["after"], modes)


def _figures(r: ModeResult) -> dict[str, float]:
    return {
        "burst jobs/s": r.instances * SHORT_STEPS / r.elapsed,
        "burst act p50 ms": percentile(r.burst_latencies, 50),
        "burst act p99 ms": percentile(r.burst_latencies, 99),
        "light act p50 ms": percentile(r.light_latencies, 50),
        "light act p99 ms": percentile(r.light_latencies, 99),
        "steps 1-11 ms": r.early_ms,
        "last 10 steps ms": r.late_ms,
    }


def print_comparison(before: list[ModeResult], after: list[ModeResult], modes: list[str]) -> None:
    """Each figure's median before and after, the change, and the range over the rounds
    (jobs/s: higher is better; ms: lower is better)."""
    print("\n===== before -> after (medians over the rounds; range in brackets)")
    row = "{:<10} {:<18} {:>22} {:>22} {:>9}"
    print(row.format("mode", "figure", "before", "after", "change"))
    for mode in modes:
        per_side = [[_figures(r) for r in side if r.mode == mode] for side in (before, after)]
        for name in per_side[0][0]:
            cells = []
            medians = []
            for runs in per_side:
                values = [f[name] for f in runs]
                medians.append(statistics.median(values))
                cells.append(f"{medians[-1]:.2f} [{min(values):.1f}-{max(values):.1f}]")
            change = (medians[1] - medians[0]) / medians[0] * 100 if medians[0] else float("nan")
            print(row.format(mode, name, *cells, f"{change:+.1f} %"))


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300, help="short-process instances")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--mode", choices=["polling", "streaming", "both"], default="both")
    parser.add_argument("--steps", type=int, default=200, help="tasks of the long process")
    parser.add_argument(
        "--long-instances", type=int, default=3, help="long-process instances, run one by one"
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also run the engine/ of this git revision (before) beside the working tree's "
        "(after), in one run, and compare",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="with --baseline: rounds per mode (each runs both engines, first one alternating)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="with --baseline: a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1/test) "
        "on which each engine run gets a fresh database (default: SQLite files)",
    )
    args = parser.parse_args()
    if args.baseline and args.database:
        parser.error("--baseline makes a fresh database per run: use --postgres, not --database")
    if args.steps <= 2 * WINDOW:
        parser.error(f"--steps must be more than {2 * WINDOW}")
    os.environ.pop("ZEEBE_ADDRESS", None)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
