"""Jobs: creation (with user task headers), hand-out, completion, failure, retries, and the
timers of job deadlines and back-offs (a mixin of Engine)."""

from __future__ import annotations

import functools
import heapq
import json
from collections.abc import Callable
from typing import Any

from engine.bpmn.model import Element
from engine.clock import Clock
from engine.errors import EngineError, not_found
from engine.expressions import ExpressionFailure, Expressions, body_of, feel_type, with_warnings
from engine.state import Deployed, ElementInstance, Incident, Job
from engine.store import Changes
from engine.timers import TimerError, parse_date


class JobBehaviour:
    """Job commands and their timers (mixed into Engine)."""

    # what the host (engine.runtime.Engine) provides
    instances: dict[int, ElementInstance]
    jobs: dict[int, Job]
    activatable: dict[str, dict[int, None]]
    timers: list[tuple[int, int, str, int]]
    versions: dict[tuple[str, str], list[Deployed]]
    changes: Changes
    after_commit: list[Callable[[], None]]
    clock: Clock
    expr: Expressions
    on_jobs_available: Callable[[str], None]
    on_timer_added: Callable[[], None]
    next_key: Callable[[], int]
    visible: Callable[[int], dict[str, Any]]
    _complete: Callable[..., None]
    _index_job: Callable[[Job], None]
    _raise_incident: Callable[..., Incident | None]
    _set_local: Callable[[int, str, Any], None]
    _throw_error: Callable[..., bool]
    _uncaught_error: Callable[[ElementInstance, str, str], str]
    _fire_event_timer: Callable[[str, int, int], bool]
    _touch: Callable[[ElementInstance], None]

    def _create_job(self, inst: ElementInstance, el: Element) -> None:
        context = self.visible(inst.key)
        job_type = self.expr.typed(el.job_type or "", context, "STRING")
        retries = self.expr.typed(el.job_retries, context, "NUMBER")
        headers = dict(el.headers)
        if el.kind == "userTask":
            headers.update(self._user_task_headers(el, context))
        root = self.instances[inst.process_instance_key]
        job = Job(
            key=self.next_key(),
            type=job_type,
            process_instance_key=inst.process_instance_key,
            element_instance_key=inst.key,
            element_id=el.id,
            bpmn_process_id=root.data["bpmnProcessId"],
            version=root.data["version"],
            process_definition_key=root.data["definitionKey"],
            retries=int(retries),
            headers=headers,
        )
        inst.data["job"] = job.key
        self._touch(inst)
        self._put_job(job)

    def _user_task_headers(self, el: Element, context: dict[str, Any]) -> dict[str, str]:
        headers: dict[str, str] = {}
        if el.assignee:
            assignee = self.expr.typed(el.assignee, context, "STRING")
            headers["io.camunda.zeebe:assignee"] = str(assignee)
        lists = (("candidate_groups", "candidateGroups"), ("candidate_users", "candidateUsers"))
        for attr, header in lists:
            text = getattr(el, attr)
            if not text:
                continue
            if text.strip().startswith("="):
                items = self.expr.typed(text, context, "ARRAY")
                if not all(isinstance(i, str) for i in items):
                    raise ExpressionFailure(
                        f"Expected result of the expression '{body_of(text)}' to be 'ARRAY' "
                        "containing 'STRING' items, but was 'ARRAY' containing at least one "
                        "non-'STRING' item."
                    )
            else:
                items = [part.strip() for part in text.split(",") if part.strip()]
            headers[f"io.camunda.zeebe:{header}"] = json.dumps(items, separators=(",", ":"))
        if el.form_key:
            headers["io.camunda.zeebe:formKey"] = el.form_key
        elif el.form_id:
            forms = self.versions.get(("form", el.form_id), [])
            if not forms:
                raise ExpressionFailure(
                    f"Expected to find a form with id '{el.form_id}', but no form with this id "
                    "is found, at least a form with this id should be available",
                    error_type="FORM_NOT_FOUND",
                )
            headers["io.camunda.zeebe:formKey"] = str(forms[-1].key)
        for attr, header in (("due_date", "dueDate"), ("follow_up_date", "followUpDate")):
            text = getattr(el, attr)
            if not text:
                continue
            # as Zeebe: null or an empty string means no date
            value, warnings = self.expr.evaluate(text, context)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise ExpressionFailure(
                    with_warnings(
                        f"Expected result of the expression '{body_of(text)}' to be one of "
                        f"'[NULL, DATE_TIME, STRING]', but was '{feel_type(value)}'.",
                        warnings,
                    )
                )
            try:
                parse_date(value)
            except TimerError as exc:
                raise ExpressionFailure(
                    with_warnings(
                        f"Invalid date-time format '{value}' for expression '{body_of(text)}'.",
                        warnings,
                    )
                ) from exc
            headers[f"io.camunda.zeebe:{header}"] = value
        return headers

    def _jobs_available(self, job_type: str) -> None:
        self.on_jobs_available(job_type)

    def _put_job(self, job: Job) -> None:
        self.jobs[job.key] = job
        self.changes.jobs.add(job.key)
        self._index_job(job)
        if job.state == "ACTIVATABLE":
            self.after_commit.append(functools.partial(self._jobs_available, job.type))

    def _set_job_state(self, job: Job, state: str) -> None:
        if job.state == "ACTIVATABLE":
            self.activatable.get(job.type, {}).pop(job.key, None)
        job.state = state
        self.changes.jobs.add(job.key)
        self._index_job(job)
        if state == "ACTIVATABLE":
            self.after_commit.append(functools.partial(self._jobs_available, job.type))

    def _delete_job(self, job: Job) -> None:
        self.activatable.get(job.type, {}).pop(job.key, None)
        self.jobs.pop(job.key, None)
        self.changes.jobs.add(job.key)

    def job(self, key: int) -> Job:
        """A live job or NOT_FOUND."""
        job = self.jobs.get(key)
        if job is None:
            raise not_found("job", key)
        return job

    def activate_jobs(
        self, job_type: str, max_jobs: int, worker: str, timeout_ms: int
    ) -> list[Job]:
        """Hand out up to max_jobs activatable jobs of a type, marking them ACTIVATED."""
        queue = self.activatable.get(job_type)
        if not queue:
            return []
        taken: list[Job] = []
        now = self.clock.now_ms()
        for key in list(queue)[:max_jobs]:
            job = self.jobs[key]
            job.worker = worker
            job.deadline = now + max(timeout_ms, 1)
            self._set_job_state(job, "ACTIVATED")
            taken.append(job)
        return taken

    def yield_jobs(self, keys: list[int]) -> None:
        """Give back jobs that were activated for a stream but never delivered."""
        for key in keys:
            job = self.jobs.get(key)
            if job is not None and job.state == "ACTIVATED":
                job.worker = ""
                job.deadline = 0
                self._set_job_state(job, "ACTIVATABLE")

    def complete_job(self, key: int, variables: dict[str, Any]) -> None:
        """CompleteJob: the element completes with the job's variables."""
        job = self.job(key)
        if job.state not in ("ACTIVATED", "ACTIVATABLE"):
            raise EngineError(
                "FAILED_PRECONDITION",
                f"Expected to complete job with key '{key}', but it is in state '{job.state}'",
            )
        self._delete_job(job)
        inst = self.instances[job.element_instance_key]
        inst.data.pop("job", None)
        self._complete(inst, variables)

    def fail_job(
        self, key: int, retries: int, message: str, backoff_ms: int, variables: dict
    ) -> None:
        """FailJob: retry later, or raise an incident when no retries are left."""
        job = self.job(key)
        if job.state != "ACTIVATED":
            raise EngineError(
                "FAILED_PRECONDITION",
                f"Expected to fail activated job with key '{key}', but it is in state "
                f"'{job.state}'",
            )
        for name, value in variables.items():
            self._set_local(job.element_instance_key, name, value)
        job.retries = retries
        job.error_message = message
        job.worker = ""
        job.deadline = 0
        if retries > 0 and backoff_ms > 0:
            job.backoff_until = self.clock.now_ms() + backoff_ms
            self._set_job_state(job, "BACKOFF")
        elif retries > 0:
            self._set_job_state(job, "ACTIVATABLE")
        else:
            self._set_job_state(job, "FAILED")
            inst = self.instances[job.element_instance_key]
            self._raise_incident(
                inst, "JOB_NO_RETRIES", message or "No more retries left.", resume="job", job=job
            )

    def throw_error(self, key: int, code: str, message: str, variables: dict) -> None:
        """ThrowError: no catch events exist yet, so the error becomes an incident."""
        job = self.job(key)
        if job.state not in ("ACTIVATED", "ACTIVATABLE"):
            raise EngineError(
                "FAILED_PRECONDITION",
                f"Expected to throw an error for job with key '{key}', but it is in state "
                f"'{job.state}'",
            )
        source = self.instances[job.element_instance_key]
        if self._throw_error(source, code, message, variables):
            if job.key in self.jobs:
                self._delete_job(job)
            return
        for name, value in variables.items():
            self._set_local(job.element_instance_key, name, value)
        job.error_message = message
        self._set_job_state(job, "ERROR")
        inst = self.instances[job.element_instance_key]
        self._raise_incident(
            inst,
            "UNHANDLED_ERROR_EVENT",
            self._uncaught_error(inst, code, message),
            resume="job",
            job=job,
        )

    def update_job_retries(self, key: int, retries: int) -> None:
        """UpdateJobRetries: set the retries a failed job will have when resolved."""
        if retries < 1:
            raise EngineError(
                "INVALID_ARGUMENT",
                f"Expected retries to be greater than zero, but it was '{retries}'",
            )
        job = self.job(key)
        job.retries = retries
        self.changes.jobs.add(job.key)

    def update_job_timeout(self, key: int, timeout_ms: int) -> None:
        """UpdateJobTimeout: move an activated job's deadline to now + timeout."""
        job = self.job(key)
        if job.state != "ACTIVATED":
            raise EngineError(
                "FAILED_PRECONDITION",
                f"Expected to update the timeout of job with key '{key}', but it is not active",
            )
        job.deadline = self.clock.now_ms() + max(timeout_ms, 1)
        self.changes.jobs.add(job.key)
        self._add_timer(job.deadline, "job-timeout", job.key)

    # ------------------------------------------------------------------ timers
    def _add_timer(self, due: int, kind: str, key: int) -> None:
        heapq.heappush(self.timers, (due, key, kind, key))
        self.on_timer_added()

    def next_due(self) -> int | None:
        """When the earliest timer is due (ms), if any."""
        return self.timers[0][0] if self.timers else None

    def fire_due_timers(self) -> None:
        """Apply every timer that is due now (job deadlines and retry back-offs)."""
        now = self.clock.now_ms()
        while self.timers and self.timers[0][0] <= now:
            due, _, kind, key = heapq.heappop(self.timers)
            if self._fire_event_timer(kind, key, due):
                continue
            job = self.jobs.get(key)
            if job is None:
                continue
            if kind == "job-timeout" and job.state == "ACTIVATED" and job.deadline == due:
                job.worker = ""
                job.deadline = 0
                self._set_job_state(job, "ACTIVATABLE")
            elif kind == "backoff" and job.state == "BACKOFF" and job.backoff_until == due:
                job.backoff_until = 0
                self._set_job_state(job, "ACTIVATABLE")
