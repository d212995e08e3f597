"""The real zbctl binary (Zeebe's Go CLI) drives the engine: the operator's commands must work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from engine.admin_client import AdminClient

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "zbctl_ops.bpmn"
TEMPLATE_ID = "zbctl-ops"
MESSAGE_TEMPLATE = FIXTURES / "zbctl_message.bpmn"
MESSAGE_TEMPLATE_ID = "zbctl-msg"

# The npm package's `bin/zbctl` is a node wrapper that re-prints the Go binary's output chunk by
# chunk (console.log adds newlines inside long JSON) and checks npm for updates over the
# network; the tests run the prebuilt Go binary it wraps, which the same package installs.
_PLATFORM_BINARY = {
    "linux": "zbctl-cli.linux",
    "darwin": "zbctl-cli.darwin",
    "win32": "zbctl-cli.exe",
}


def zbctl_binary() -> Path:
    """Path of the zbctl Go binary installed by `npm install`; fails the test when missing."""
    wrapper = ROOT / "node_modules" / ".bin" / "zbctl"
    binary = ROOT / "node_modules" / "zbctl" / "bin" / _PLATFORM_BINARY.get(sys.platform, "")
    if not wrapper.exists() or not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"zbctl is not installed ({binary} missing): run `npm install` (or `make install`)",
            pytrace=False,
        )
    return binary


@dataclass
class ZbctlResult:
    """Exit code and output of one zbctl run."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The command's stdout parsed as JSON."""
        return json.loads(self.stdout)


class Zbctl:
    """Runs zbctl against one gateway address, insecure, with no OAuth in its environment."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.binary = zbctl_binary()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEEBE_", "CAMUNDA_"))}
        env.update(ZEEBE_ADDRESS=address, ZEEBE_INSECURE_CONNECTION="true")
        self.env = env

    def run(self, *args: str, request_timeout: str = "10s", timeout: float = 60.0) -> ZbctlResult:
        """Run one zbctl command and return what it printed, whatever its exit code."""
        cmd = [
            str(self.binary),
            *args,
            "--insecure",
            "--address",
            self.address,
            "--requestTimeout",
            request_timeout,
        ]
        proc = subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return ZbctlResult(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, request_timeout: str = "10s") -> ZbctlResult:
        """Run one zbctl command that must succeed."""
        result = self.run(*args, request_timeout=request_timeout)
        assert result.returncode == 0, (
            f"zbctl {' '.join(args)} exited {result.returncode}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start a zbctl command in the background (for commands that wait on the engine)."""
        cmd = [
            str(self.binary),
            *args,
            "--insecure",
            "--address",
            self.address,
            "--requestTimeout",
            "60s",
        ]
        return subprocess.Popen(
            cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def activate(
        self,
        job_type: str,
        *,
        max_jobs: int = 5,
        timeout: str = "1m",
        request_timeout: str = "10s",
        fetch: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """`zbctl activate jobs`: the activated jobs with their variables decoded."""
        extra = ["--variables", ",".join(fetch)] if fetch else []
        result = self.ok(
            "activate", "jobs", job_type, "--maxJobsToActivate", str(max_jobs),
            "--timeout", timeout, "--worker", "zbctl-test", *extra,
            request_timeout=request_timeout,
        )  # fmt: skip
        if not result.stdout.strip():
            return []
        jobs = result.json().get("jobs", [])
        for job in jobs:
            job["variables"] = json.loads(job.get("variables") or "{}")
            job["customHeaders"] = json.loads(job.get("customHeaders") or "{}")
        return jobs

    def activate_none(self, job_type: str) -> list[dict[str, Any]]:
        """Activate with a short long-poll, for when no job is expected."""
        return self.activate(job_type, max_jobs=5, timeout="5s", request_timeout="2s")

    def activate_eventually(self, job_type: str, within: float = 30.0) -> list[dict[str, Any]]:
        """Activate until a job comes (it becomes activatable later: back-off, timeout)."""
        deadline = time.monotonic() + within
        while True:
            jobs = self.activate(job_type, request_timeout="10s")
            if jobs or time.monotonic() > deadline:
                return jobs


@dataclass
class Deployed:
    """One deployed copy of the template process, with its own process id and job types."""

    process_id: str
    definition_key: int
    version: int
    type_a: str
    type_b: str


def root_variables(instance: dict[str, Any]) -> dict[str, Any]:
    """The process-instance-scope variables from the admin API's GetProcessInstance."""
    return instance["variables"]


def _write_copy(
    tmp_path: Path, tag: str, template: Path = TEMPLATE, template_id: str = TEMPLATE_ID
) -> tuple[Path, str]:
    """A copy of a fixture whose ids, job types and message names all carry a unique tag."""
    process_id = f"{template_id}-{tag}"
    text = template.read_text(encoding="utf-8").replace(template_id, process_id)
    path = tmp_path / f"{process_id}.bpmn"
    path.write_text(text, encoding="utf-8")
    return path, process_id


@pytest.fixture
def zbctl(engine_address: str) -> Zbctl:
    """A zbctl runner pointed at the test engine."""
    return Zbctl(engine_address)


@pytest.fixture
async def admin(engine_address: str) -> AsyncIterator[AdminClient]:
    """The engine's admin API, to check real outcomes."""
    async with grpc.aio.insecure_channel(engine_address) as channel:
        yield AdminClient(channel)


@pytest.fixture
def deployed(zbctl: Zbctl, tmp_path: Path) -> Deployed:
    """A fresh copy of zbctl_ops.bpmn deployed with `zbctl deploy resource`."""
    path, process_id = _write_copy(tmp_path, uuid.uuid4().hex[:8])
    reply = zbctl.ok("deploy", "resource", str(path)).json()
    (deployment,) = reply["deployments"]
    process = deployment["process"]
    assert process["bpmnProcessId"] == process_id
    return Deployed(
        process_id=process_id,
        definition_key=int(process["processDefinitionKey"]),
        version=int(process["version"]),
        type_a=f"{process_id}.a",
        type_b=f"{process_id}.b",
    )


def create_instance(zbctl: Zbctl, process_id: str, variables: dict[str, Any]) -> int:
    """`zbctl create instance` and return the new process instance key."""
    reply = zbctl.ok("create", "instance", process_id, "--variables", json.dumps(variables)).json()
    assert reply["bpmnProcessId"] == process_id
    return int(reply["processInstanceKey"])


def only_job_of(jobs: list[dict[str, Any]], instance_key: int) -> dict[str, Any]:
    """The single activated job, checked to belong to the given instance."""
    assert len(jobs) == 1, jobs
    (job,) = jobs
    assert int(job["processInstanceKey"]) == instance_key
    return job


def test_zbctl_binary_runs() -> None:
    """The installed binary is the expected zbctl 8.4 line."""
    out = subprocess.run(
        [str(zbctl_binary()), "version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert "zbctl 8.4" in out


def test_status_reports_topology(zbctl: Zbctl) -> None:
    """`zbctl status -o json` returns a topology with one healthy leader partition."""
    topology = zbctl.ok("status", "--output", "json").json()
    assert topology["clusterSize"] >= 1
    assert topology["partitionsCount"] >= 1
    assert topology["gatewayVersion"]
    brokers = topology["brokers"]
    assert brokers
    partitions = [p for b in brokers for p in b.get("partitions", [])]
    assert any(p.get("role") == "LEADER" and p.get("health") == "HEALTHY" for p in partitions)
    assert {p["partitionId"] for p in partitions} >= {1}

    human = zbctl.ok("status").stdout
    assert "Cluster size" in human


def test_deploy_process_and_resource(zbctl: Zbctl, tmp_path: Path) -> None:
    """`zbctl deploy` (DeployProcess) and `zbctl deploy resource` both deploy; redeploys dedupe."""
    path, process_id = _write_copy(tmp_path, uuid.uuid4().hex[:8])

    legacy = zbctl.ok("deploy", str(path)).json()
    assert int(legacy["key"]) > 0
    (process,) = legacy["processes"]
    assert process["bpmnProcessId"] == process_id
    assert process["version"] == 1
    first_key = int(process["processDefinitionKey"])

    # Zeebe does not create a new version when the same resource is deployed again.
    again = zbctl.ok("deploy", "resource", str(path)).json()
    (deployment,) = again["deployments"]
    assert deployment["process"]["bpmnProcessId"] == process_id
    assert deployment["process"]["version"] == 1
    assert int(deployment["process"]["processDefinitionKey"]) == first_key

    # A changed resource is a new version with a new key.
    path.write_text(path.read_text().replace('name="Step B"', 'name="Step B v2"'))
    changed = zbctl.ok("deploy", "resource", str(path)).json()
    (deployment,) = changed["deployments"]
    assert deployment["process"]["version"] == 2
    second_key = int(deployment["process"]["processDefinitionKey"])
    assert second_key != first_key

    # Instances start the latest version unless `--version` names another.
    latest = zbctl.ok("create", "instance", process_id).json()
    assert (latest["version"], int(latest["processDefinitionKey"])) == (2, second_key)
    pinned = zbctl.ok("create", "instance", process_id, "--version", "1").json()
    assert (pinned["version"], int(pinned["processDefinitionKey"])) == (1, first_key)
    by_key = zbctl.ok("create", "instance", str(first_key)).json()
    assert (by_key["version"], by_key["bpmnProcessId"]) == (1, process_id)
    for reply in (latest, pinned, by_key):
        zbctl.ok("cancel", "instance", reply["processInstanceKey"])


async def test_create_activate_complete(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """Create with variables, activate, complete with variables: the instance completes."""
    variables = {"n": 7, "label": "Nhiệm vụ KH&CN", "nested": {"a": [1, 2, 3]}}
    pi = create_instance(zbctl, deployed.process_id, variables)

    instance = await admin.get_process_instance(pi)
    assert instance["state"] == "ACTIVE"
    assert root_variables(instance) == variables

    before_ms = time.time() * 1000
    job = only_job_of(zbctl.activate(deployed.type_a, timeout="1m"), pi)
    after_ms = time.time() * 1000
    assert before_ms + 60_000 - 1000 <= int(job["deadline"]) <= after_ms + 60_000 + 1000
    assert job["customHeaders"] == {"priority": "high", "note": "Hồ sơ mới"}
    assert job["type"] == deployed.type_a
    assert job["elementId"] == "task-a"
    assert job["bpmnProcessId"] == deployed.process_id
    assert int(job["processDefinitionKey"]) == deployed.definition_key
    assert job["worker"] == "zbctl-test"
    assert job["retries"] == 3
    assert job["variables"] == variables

    zbctl.ok("complete", "job", job["key"], "--variables", json.dumps({"a": "done"}))
    job_b = only_job_of(zbctl.activate(deployed.type_b), pi)
    assert job_b["elementId"] == "task-b"
    assert job_b["customHeaders"] == {}
    assert job_b["variables"] == {**variables, "a": "done"}

    zbctl.ok("complete", "job", job_b["key"], "--variables", json.dumps({"n": 8}))
    instance = await admin.get_process_instance(pi)
    assert instance["state"] == "COMPLETED"
    assert root_variables(instance) == {**variables, "a": "done", "n": 8}


async def test_fail_to_incident_update_retries_resolve(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """Fail with 0 retries opens an incident; update retries + resolve makes the job come back."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 1})
    job = only_job_of(zbctl.activate(deployed.type_a), pi)
    job_key = int(job["key"])

    zbctl.ok("fail", "job", str(job_key), "--retries", "0", "--errorMessage", "disk full")
    incidents = await admin.list_incidents(pi)
    assert len(incidents) == 1, incidents
    (incident,) = incidents
    assert incident["errorType"] == "JOB_NO_RETRIES"
    if "errorMessage" in incident:
        assert incident["errorMessage"] == "disk full"
    if "jobKey" in incident:
        assert int(incident["jobKey"]) == job_key
    assert (await admin.get_process_instance(pi))["state"] == "ACTIVE"
    assert zbctl.activate_none(deployed.type_a) == []

    zbctl.ok("update", "retries", str(job_key), "--retries", "1")
    zbctl.ok("resolve", "incident", str(incident["key"]))
    assert await admin.list_incidents(pi) == []

    again = only_job_of(zbctl.activate(deployed.type_a), pi)
    assert int(again["key"]) == job_key
    assert again["retries"] == 1
    zbctl.ok("complete", "job", again["key"])
    job_b = only_job_of(zbctl.activate(deployed.type_b), pi)
    zbctl.ok("complete", "job", job_b["key"])
    assert (await admin.get_process_instance(pi))["state"] == "COMPLETED"


async def test_fail_with_retries_left_reactivates(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """Fail with retries left (no back-off): the same job is activatable again, no incident."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 2})
    job = only_job_of(zbctl.activate(deployed.type_a), pi)
    zbctl.ok("fail", "job", job["key"], "--retries", "2", "--errorMessage", "try again")
    assert await admin.list_incidents(pi) == []
    again = only_job_of(zbctl.activate(deployed.type_a), pi)
    assert again["key"] == job["key"]
    assert again["retries"] == 2
    zbctl.ok("cancel", "instance", str(pi))


async def test_activate_fetches_only_requested_variables(zbctl: Zbctl, deployed: Deployed) -> None:
    """`activate jobs --variables n` hands out only the named variables (absent ones omitted)."""
    pi = create_instance(
        zbctl, deployed.process_id, {"n": 1, "secret": "s", "big": list(range(50))}
    )
    job = only_job_of(zbctl.activate(deployed.type_a, fetch=["n", "absent"]), pi)
    assert job["variables"] == {"n": 1}
    zbctl.ok("cancel", "instance", str(pi))


async def test_activate_respects_max_jobs(zbctl: Zbctl, deployed: Deployed) -> None:
    """`--maxJobsToActivate 2` with three jobs waiting hands out two, then the third."""
    instances = {create_instance(zbctl, deployed.process_id, {"n": n}) for n in range(3)}
    first = zbctl.activate(deployed.type_a, max_jobs=2)
    assert len(first) == 2
    rest = zbctl.activate(deployed.type_a, max_jobs=2)
    assert len(rest) == 1
    assert {int(j["processInstanceKey"]) for j in first + rest} == instances
    assert len({j["key"] for j in first + rest}) == 3
    for pi in instances:
        zbctl.ok("cancel", "instance", str(pi))


async def test_fail_with_retry_backoff(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """`fail job --retryBackoff`: the job stays away during the back-off, then comes back."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 4})
    job = only_job_of(zbctl.activate(deployed.type_a), pi)
    zbctl.ok(
        "fail", "job", job["key"], "--retries", "2", "--retryBackoff", "5s",
        "--errorMessage", "later",
    )  # fmt: skip
    assert zbctl.activate_none(deployed.type_a) == []
    assert await admin.list_incidents(pi) == []
    again = only_job_of(zbctl.activate_eventually(deployed.type_a), pi)
    assert (again["key"], again["retries"]) == (job["key"], 2)
    zbctl.ok("cancel", "instance", str(pi))


async def test_update_job_timeout(zbctl: Zbctl, deployed: Deployed) -> None:
    """`update timeout` shortens an activated job's deadline: it is handed out again after it."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 5})
    job = only_job_of(zbctl.activate(deployed.type_a, timeout="10m"), pi)
    assert zbctl.activate_none(deployed.type_a) == []
    zbctl.ok("update", "timeout", job["key"], "--timeout", "1000")
    again = only_job_of(zbctl.activate_eventually(deployed.type_a), pi)
    assert again["key"] == job["key"]
    assert again["retries"] == job["retries"]
    zbctl.ok("cancel", "instance", str(pi))


async def test_throw_error_without_catch_opens_incident(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """`throwError job` with no catching boundary: UNHANDLED_ERROR_EVENT; cancel clears it."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 6})
    job = only_job_of(zbctl.activate(deployed.type_a), pi)
    zbctl.ok(
        "throwError", "job", job["key"], "--errorCode", "NOT_ELIGIBLE",
        "--errorMessage", "no budget",
    )  # fmt: skip
    incidents = await admin.list_incidents(pi)
    assert [i["errorType"] for i in incidents] == ["UNHANDLED_ERROR_EVENT"], incidents
    assert (await admin.get_process_instance(pi))["state"] == "ACTIVE"

    zbctl.ok("cancel", "instance", str(pi))
    assert (await admin.get_process_instance(pi))["state"] == "TERMINATED"
    assert await admin.list_incidents(pi) == []


async def test_publish_message_correlates(zbctl: Zbctl, admin: AdminClient, tmp_path: Path) -> None:
    """`publish message`: correlates to a waiting instance, buffers with a TTL, drops without."""
    path, process_id = _write_copy(
        tmp_path, uuid.uuid4().hex[:8], MESSAGE_TEMPLATE, MESSAGE_TEMPLATE_ID
    )
    zbctl.ok("deploy", "resource", str(path))
    message, ship = f"{process_id}.paid", f"{process_id}.ship"

    waiting = create_instance(zbctl, process_id, {"orderId": "o-1"})
    assert zbctl.activate_none(ship) == []
    zbctl.ok(
        "publish", "message", message, "--correlationKey", "o-1",
        "--variables", json.dumps({"paid": True}),
    )  # fmt: skip
    job = only_job_of(zbctl.activate(ship), waiting)
    assert job["variables"] == {"orderId": "o-1", "paid": True}
    zbctl.ok("complete", "job", job["key"])
    assert (await admin.get_process_instance(waiting))["state"] == "COMPLETED"

    # Published first with a TTL: buffered, and the instance created later takes it.
    zbctl.ok(
        "publish", "message", message, "--correlationKey", "o-2", "--ttl", "1m",
        "--variables", json.dumps({"paid": 2}),
    )  # fmt: skip
    later = create_instance(zbctl, process_id, {"orderId": "o-2"})
    job = only_job_of(zbctl.activate(ship), later)
    assert job["variables"] == {"orderId": "o-2", "paid": 2}
    zbctl.ok("complete", "job", job["key"])

    # TTL 0 and nobody waiting: the message is gone, a later instance keeps waiting.
    zbctl.ok("publish", "message", message, "--correlationKey", "o-3", "--ttl", "0s")
    missed = create_instance(zbctl, process_id, {"orderId": "o-3"})
    assert zbctl.activate_none(ship) == []
    assert (await admin.get_process_instance(missed))["state"] == "ACTIVE"
    zbctl.ok("cancel", "instance", str(missed))


async def test_set_variables_process_and_local(
    zbctl: Zbctl, admin: AdminClient, deployed: Deployed
) -> None:
    """`set variables` on the instance propagates; `--local` on a task scope dies with the task."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 1})

    reply = zbctl.ok(
        "set", "variables", str(pi), "--variables", json.dumps({"n": 2, "x": 5}), "--output", "json"
    ).json()
    assert int(reply["key"]) > 0
    assert root_variables(await admin.get_process_instance(pi)) == {"n": 2, "x": 5}

    job = only_job_of(zbctl.activate(deployed.type_a), pi)
    assert job["variables"] == {"n": 2, "x": 5}

    task_scope = job["elementInstanceKey"]
    zbctl.ok("set", "variables", task_scope, "--local", "--variables", json.dumps({"tmp": "t"}))
    # Activated jobs carry a snapshot: fail it (retries left) to see the task scope again.
    zbctl.ok("fail", "job", job["key"], "--retries", "2", "--errorMessage", "look again")
    again = only_job_of(zbctl.activate(deployed.type_a), pi)
    assert again["variables"] == {"n": 2, "x": 5, "tmp": "t"}
    assert "tmp" not in root_variables(await admin.get_process_instance(pi))

    zbctl.ok("complete", "job", again["key"], "--variables", json.dumps({"fromJob": 1}))
    job_b = only_job_of(zbctl.activate(deployed.type_b), pi)
    assert job_b["variables"] == {"n": 2, "x": 5, "fromJob": 1}
    zbctl.ok("complete", "job", job_b["key"])

    instance = await admin.get_process_instance(pi)
    assert instance["state"] == "COMPLETED"
    assert root_variables(instance) == {"n": 2, "x": 5, "fromJob": 1}


async def test_cancel_instance(zbctl: Zbctl, admin: AdminClient, deployed: Deployed) -> None:
    """`cancel instance` terminates it, removes its jobs; a later complete is NOT_FOUND."""
    pi = create_instance(zbctl, deployed.process_id, {"n": 3})
    job = only_job_of(zbctl.activate(deployed.type_a), pi)

    zbctl.ok("cancel", "instance", str(pi))
    assert (await admin.get_process_instance(pi))["state"] == "TERMINATED"
    assert await admin.list_jobs(process_instance_key=pi) == []

    late = zbctl.run("complete", "job", job["key"])
    assert late.returncode != 0
    assert "NotFound" in late.stderr, late.stderr

    twice = zbctl.run("cancel", "instance", str(pi))
    assert twice.returncode != 0
    assert "NotFound" in twice.stderr, twice.stderr


async def test_create_instance_with_result(zbctl: Zbctl, deployed: Deployed) -> None:
    """`create instance --withResult` waits for the end and returns the final variables."""
    waiting = zbctl.popen(
        "create",
        "instance",
        deployed.process_id,
        "--withResult",
        "--variables",
        json.dumps({"n": 10}),
    )
    try:
        job = zbctl.activate(deployed.type_a)
        assert len(job) == 1, job
        pi = int(job[0]["processInstanceKey"])
        zbctl.ok("complete", "job", job[0]["key"], "--variables", json.dumps({"a": 1}))
        job_b = only_job_of(zbctl.activate(deployed.type_b), pi)
        zbctl.ok("complete", "job", job_b["key"], "--variables", json.dumps({"b": 2}))
        stdout, stderr = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 0, stderr
    result = json.loads(stdout)
    assert int(result["processInstanceKey"]) == pi
    assert json.loads(result["variables"]) == {"n": 10, "a": 1, "b": 2}


async def test_create_instance_with_result_selected_variables(
    zbctl: Zbctl, deployed: Deployed
) -> None:
    """`--withResult=a,n` returns only the named variables of the completed instance."""
    waiting = zbctl.popen(
        "create", "instance", deployed.process_id, "--withResult=a,n",
        "--variables", json.dumps({"n": 11, "other": True}),
    )  # fmt: skip
    try:
        for job_type in (deployed.type_a, deployed.type_b):
            jobs = zbctl.activate(job_type)
            assert len(jobs) == 1, jobs
            zbctl.ok("complete", "job", jobs[0]["key"], "--variables", json.dumps({"a": 1}))
        stdout, stderr = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 0, stderr
    assert json.loads(json.loads(stdout)["variables"]) == {"n": 11, "a": 1}


def test_unknown_keys_and_ids_are_not_found(zbctl: Zbctl) -> None:
    """Commands on things that do not exist fail with gRPC NOT_FOUND, as Zeebe answers."""
    missing_process = zbctl.run("create", "instance", f"no-such-process-{uuid.uuid4().hex[:6]}")
    assert missing_process.returncode != 0
    assert "NotFound" in missing_process.stderr, missing_process.stderr

    for args in (
        ("complete", "job", "2251799813999999"),
        ("fail", "job", "2251799813999999", "--retries", "0"),
        ("update", "retries", "2251799813999999", "--retries", "1"),
        ("resolve", "incident", "2251799813999999"),
        ("cancel", "instance", "2251799813999999"),
    ):
        result = zbctl.run(*args)
        assert result.returncode != 0, args
        assert "NotFound" in result.stderr, (args, result.stderr)
