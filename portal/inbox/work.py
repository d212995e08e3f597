"""The inbox's work: recording user-task jobs, submitting forms, and keeping jobs in hand.

`run_inbox_worker` is a pyzeebe job worker of type `io.camunda.zeebe:userTask`, run by `khcn run`
beside the portal. It activates each user-task job with a long timeout and records it as an inbox
item; it never completes a job on activation (the handler ends with `KeptForPeople`, which the
exception handler leaves alone, so the job stays activated for people). People complete it
through a form (`UserTasks.submit`). Beside the worker a maintenance loop sends CompleteJob again
for submissions the engine did not acknowledge (and the messages of filings it did not take,
models/services/filings.py), and extends the held jobs (UpdateJobTimeout):
a job that answers NOT_FOUND is gone (instance cancelled, completed elsewhere) and so is its item.

This is the one way user tasks are answered: people through the portal's pages, and the demo
seeder (khcn/seed.py) and the tests through `UserTasks.answer`, which fills the same form with
the same server-side validation and submits it the same way. Completing a job by its key works
from any client, so items recorded by any inbox worker on the same database can be answered
from anywhere (two inbox workers share the jobs between them harmlessly).
"""

# No `from __future__ import annotations`: pyzeebe finds the job parameter by its annotation.
import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyzeebe import Job, ZeebeWorker, create_insecure_channel
from pyzeebe.job.job import JobController
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.filings import Filing
from models.inbox import InboxItem, InboxState
from models.services import filings as filings_service
from models.services import inbox as inbox_service
from models.services.accounts import aware
from models.services.audit import Actor
from models.services.errors import InvalidStateError
from models.users import User
from portal.config import PortalConfig
from portal.engine_link import EngineLink, Outcome
from portal.inbox import forms
from portal.inbox.forms import FormCatalogue
from portal.inbox.registry import Submission, handler_for
from portal.mail import PortalMail

log = logging.getLogger("portal.inbox")
USER_TASK = "io.camunda.zeebe:userTask"
HEADER = "io.camunda.zeebe:"
WORKER_NAME = "khcn-portal-inbox"
GONE_REASON = "Công việc không còn: quy trình đã dừng hoặc công việc đã được hoàn thành ở nơi khác."
MAINTENANCE_SECONDS = 60
# the held jobs are extended when less than this share of their timeout is left
EXTEND_WHEN_LEFT = 0.5


class KeptForPeople(Exception):
    """Raised by the inbox's job handler: the job is recorded and stays activated for people."""


def parse_moment(text: str | None) -> datetime | None:
    """An ISO 8601 date-time header (a `[Zone]` suffix ignored); None when absent or not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.split("[", 1)[0])
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _header_list(headers: dict[str, str], name: str) -> list[str]:
    raw = headers.get(HEADER + name)
    if not raw:
        return []
    try:
        found = json.loads(raw)
    except ValueError:
        found = [part.strip() for part in raw.split(",")]
    return [str(item) for item in found if str(item).strip()]


class FormRejected(ValueError):
    """Values given to `UserTasks.answer` that the form refuses (the message names each field)."""

    def __init__(self, form_id: str, problems: Mapping[str, str]) -> None:
        listed = "; ".join(f"{key}: {text}" for key, text in problems.items())
        super().__init__(f"form {form_id}: {listed}")
        self.form_id = form_id
        self.problems = dict(problems)


def as_submitted(value: Any) -> list[str]:
    """A value written as a browser sends it for a field (a list of texts)."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true"] if value else []
    if isinstance(value, list | tuple | set):
        return [text for item in value for text in as_submitted(item)]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    return [str(value)]


@dataclass
class SubmitResult:
    """What became of a submission."""

    item_id: int
    outcome: Outcome


class UserTasks:
    """The inbox's operations, shared by the worker and the portal's routes."""

    def __init__(
        self,
        config: PortalConfig,
        sessions: sessionmaker[Session],
        catalogue: FormCatalogue | None = None,
        link: EngineLink | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.catalogue = catalogue or FormCatalogue(config.bpmn_dir)
        self.link = link or EngineLink(config.zeebe_address)
        self.mail = PortalMail(config.smtp_host, config.smtp_port, config.mail_from)

    def now(self) -> datetime:
        """Now, for dating submissions: the engine's clock when configured so, else the host's."""
        if self.config.clock == "engine":
            return self.link.engine_now()
        return datetime.now(UTC)

    # ------------------------------------------------------------------------- recording

    def job_record(self, job: Job) -> inbox_service.JobRecord:
        """What the inbox keeps of an activated pyzeebe job."""
        headers = {str(k): str(v) for k, v in (job.custom_headers or {}).items()}
        form_key = headers.get(HEADER + "formKey")
        info = self.catalogue.user_task(job.bpmn_process_id, job.element_id, form_key)
        deadline = datetime.fromtimestamp(job.deadline / 1000, UTC) if job.deadline else None
        return inbox_service.JobRecord(
            key=job.key,
            process_instance_key=job.process_instance_key,
            bpmn_process_id=job.bpmn_process_id,
            element_id=job.element_id,
            element_instance_key=job.element_instance_key,
            variables=dict(job.variables or {}),
            assignee=headers.get(HEADER + "assignee") or None,
            candidate_groups=_header_list(headers, "candidateGroups"),
            candidate_users=_header_list(headers, "candidateUsers"),
            form_key=form_key,
            form_id=info.form_id,
            name=info.name,
            stage=info.stage,
            due_at=parse_moment(headers.get(HEADER + "dueDate")),
            follow_up_at=parse_moment(headers.get(HEADER + "followUpDate")),
            deadline=deadline,
        )

    def record(self, record: inbox_service.JobRecord) -> int:
        """Record (or refresh) the item of a job; tell a newly named assignee by mail."""
        with self.sessions() as session, session.begin():
            item = inbox_service.record_job(session=session, job=record)
            item_id, assignee = item.id, item.assignee
            told = item.notified_assignee
            user = None
            if assignee and told != assignee and item.state is InboxState.OPEN:
                user = session.scalar(select(User).where(User.username == assignee))
        if user is not None and assignee:
            self._tell_assignee(item_id, user, record.name)
        return item_id

    def _tell_assignee(self, item_id: int, user: User, name: str) -> None:
        link = f"{self.config.base_url.rstrip('/')}/inbox/items/{item_id}"
        sent = self.mail.send(
            user.email,
            user.display_name,
            f"[Sở KH&CN] Công việc mới: {name} / New task",
            f"Kính gửi {user.display_name},\n\n"
            f"Quý vị được giao công việc «{name}» trên hệ thống quản lý nhiệm vụ KH&CN.\n"
            f"Mở công việc: {link}\n\n"
            f"--\nYou have been assigned the task '{name}'. Open it: {link}\n",
            key=f"inbox-{item_id}-{user.username}",
        )
        if sent:
            with self.sessions() as session, session.begin():
                item = session.get(InboxItem, item_id)
                if item is not None:
                    item.notified_assignee = user.username

    # ------------------------------------------------------------------------- submitting

    def submit(
        self,
        *,
        item_id: int,
        user_id: int,
        values: dict[str, Any],
        attach: Callable[[Session, InboxItem, Actor], dict[str, Any]] | None = None,
    ) -> SubmitResult:
        """Run the form's domain operation and commit, then complete the job.

        `attach` stores the uploads of the form (same transaction) and returns their values.
        """
        with self.sessions() as session, session.begin():
            item = session.get(InboxItem, item_id)
            user = session.get(User, user_id)
            if item is None or user is None:
                raise InvalidStateError(
                    "inbox_item_missing", "Không tìm thấy công việc.", "Inbox item not found."
                )
            mine = inbox_service.involvement(session=session, user=user)
            if item.state is InboxState.OPEN:
                if not inbox_service.may_work(user, item, mine):
                    raise InvalidStateError(
                        "inbox_not_yours",
                        "Công việc này do người khác thực hiện.",
                        "This item is someone else's to do.",
                    )
                actor = Actor(
                    name=user.username,
                    user_id=user.id,
                    bpmn_element_id=item.element_id,
                    process_instance_key=item.process_instance_key,
                    job_key=item.job_key,
                )
                if attach is not None:
                    values = {**values, **attach(session, item, actor)}
                result = handler_for(item.form_id)(
                    Submission(
                        session=session,
                        item=item,
                        values=values,
                        user=user,
                        actor=actor,
                        regulations=self.config.regulations,
                        now=self.now(),
                    )
                )
                inbox_service.begin_completion(
                    session=session, item_id=item.id, user=user, result=result, actor=actor
                )
            elif item.state is not InboxState.COMPLETING or item.submitted_by_id != user.id:
                raise InvalidStateError(
                    "inbox_not_open",
                    "Công việc này đã được gửi hoặc không còn.",
                    "This item was submitted already or no longer exists.",
                )
            # COMPLETING by the same person: the domain operation stands, send again
            job_key, result = item.job_key, dict(item.result or {})
        return SubmitResult(item_id, self.complete(item_id, job_key, result))

    def open_items(self, element_id: str, match: Mapping[str, Any]) -> list[InboxItem]:
        """The open items of a user task whose variables hold every value of `match`."""
        with self.sessions() as session:
            return inbox_service.open_items_of(session=session, element_id=element_id, match=match)

    def answer(self, item_id: int, username: str, values: Mapping[str, Any]) -> SubmitResult:
        """Fill an item's form as `username` and submit it, as a person does through its page:
        the values written as the browser sends them and validated against the form on the
        server (FormRejected names what it refuses), then `submit`. For the seeder and tests.
        """
        with self.sessions() as session:
            item = session.get(InboxItem, item_id)
            user_id = session.scalar(select(User.id).where(User.username == username))
        if item is None or user_id is None:
            raise InvalidStateError(
                "inbox_answer_missing",
                "Không tìm thấy công việc hoặc người dùng.",
                f"No inbox item #{item_id} or no user {username!r}.",
            )
        schema = self.catalogue.form(item.form_id)
        if schema is None:
            raise FormRejected(str(item.form_id), {"": "no form"})
        unknown = set(values) - schema.keys()
        if unknown:
            raise FormRejected(schema.id, {key: "not a field of the form" for key in unknown})
        texts = {key: as_submitted(value) for key, value in values.items()}
        outcome = forms.validate(schema, texts, item.variables)
        if not outcome.ok:
            raise FormRejected(
                schema.id, {k: m.text % dict(m.params) for k, m in outcome.errors.items()}
            )
        return self.submit(item_id=item_id, user_id=user_id, values=outcome.values)

    def complete(self, item_id: int, job_key: int, result: dict[str, Any]) -> Outcome:
        """Send CompleteJob for a committed submission and record what the engine said."""
        outcome = self.link.complete_job(job_key, result)
        if outcome is Outcome.UNAVAILABLE:
            log.warning("CompleteJob of job %s not acknowledged; will try again", job_key)
            return outcome
        with self.sessions() as session, session.begin():
            if outcome is Outcome.DONE:
                inbox_service.finish_completion(session=session, item_id=item_id)
            else:
                item = inbox_service.mark_gone(session=session, item_id=item_id, reason=GONE_REASON)
                if item.state is InboxState.COMPLETED:
                    # a retry of the same submission completed it first: done, not gone
                    return Outcome.DONE
        return outcome

    # ------------------------------------------------------------------------- filings

    def publish(self, filing_id: int) -> Outcome:
        """Send a committed filing's message to the engine and record that it took it."""
        with self.sessions() as session:
            filing = session.get(Filing, filing_id)
            if filing is None or filing.published_at is not None:
                return Outcome.DONE
            name, key, variables = filing.message_name, filing.correlation_key, filing.variables
            message_id = filing.message_id
        outcome = self.link.publish_message(
            name,
            key,
            dict(variables or {}),
            message_id=message_id,
            ttl_ms=filings_service.MESSAGE_TTL_MS,
        )
        if outcome is Outcome.DONE:
            with self.sessions() as session, session.begin():
                filings_service.mark_published(session=session, filing_id=filing_id, at=self.now())
        else:
            log.warning("message of filing %s not taken by the engine; will try again", filing_id)
        return outcome

    def retry_publications(self) -> int:
        """Send again every filing's message the engine has not taken; how many were sent."""
        with self.sessions() as session:
            pending = [f.id for f in filings_service.unpublished(session=session)]
        for filing_id in pending:
            self.publish(filing_id)
        return len(pending)

    # ------------------------------------------------------------------------- maintenance

    def retry_completions(self) -> int:
        """Send CompleteJob again for every submission not acknowledged for a while (not one
        whose submitter is still waiting for the engine's answer); how many were sent."""
        older = datetime.now(UTC).timestamp() - self.config.completion_retry_seconds
        with self.sessions() as session:
            pending = [
                (i.id, i.job_key, dict(i.result or {}))
                for i in inbox_service.completing_items(session=session)
                if i.submitted_at is None or aware(i.submitted_at).timestamp() <= older
            ]
        for item_id, job_key, result in pending:
            self.complete(item_id, job_key, result)
        return len(pending)

    def keep_jobs(self, now: datetime | None = None) -> int:
        """Extend held jobs running short of time; mark the ones the engine no longer has gone.

        Returns how many items were found gone.
        """
        moment = now or datetime.now(UTC)
        timeout = self.config.inbox_job_timeout_ms
        with self.sessions() as session:
            held = [
                (i.id, i.job_key, i.job_deadline) for i in inbox_service.open_items(session=session)
            ]
        gone = 0
        for item_id, job_key, deadline in held:
            if deadline is not None:
                left = (aware(deadline) - moment).total_seconds() * 1000
                if left > timeout * EXTEND_WHEN_LEFT:
                    continue
            outcome = self.link.extend_job(job_key, timeout)
            with self.sessions() as session, session.begin():
                if outcome is Outcome.GONE:
                    inbox_service.mark_gone(session=session, item_id=item_id, reason=GONE_REASON)
                    gone += 1
                elif outcome is Outcome.DONE:
                    item = session.get(InboxItem, item_id)
                    if item is not None:
                        item.job_deadline = datetime.fromtimestamp(
                            moment.timestamp() + timeout / 1000, UTC
                        )
        return gone


async def keep_open(exception: Exception, job: Job, job_controller: JobController) -> None:
    """pyzeebe's exception handler: a recorded job stays activated; a failure is retried."""
    if isinstance(exception, KeptForPeople):
        return
    log.exception("could not record user task job %s", job.key, exc_info=exception)
    await job_controller.set_failure_status(
        f"the portal's inbox could not record the task: {exception}", retry_back_off_ms=30_000
    )


def inbox_worker(tasks: UserTasks, worker: ZeebeWorker) -> None:
    """Register the inbox's handler of user-task jobs on a pyzeebe worker."""

    # pyzeebe's overloads do not admit a handler that always raises: hence the ignore
    @worker.task(  # type: ignore[arg-type]
        task_type=USER_TASK,
        exception_handler=keep_open,
        timeout_ms=tasks.config.inbox_job_timeout_ms,
        max_jobs_to_activate=32,
        max_running_jobs=32,
    )
    async def record(job: Job) -> dict[str, Any]:
        await asyncio.to_thread(tasks.record, tasks.job_record(job))
        raise KeptForPeople()


async def _maintain(tasks: UserTasks, every: float) -> None:
    while True:
        try:
            await asyncio.to_thread(tasks.retry_completions)
            await asyncio.to_thread(tasks.retry_publications)
            await asyncio.to_thread(tasks.keep_jobs)
        except Exception:  # the engine or database away for a moment: try again next round
            log.exception("inbox maintenance failed")
        await asyncio.sleep(every)


async def run_inbox_worker(
    config: PortalConfig,
    sessions: sessionmaker[Session],
    *,
    maintenance_seconds: float = MAINTENANCE_SECONDS,
    stopping: asyncio.Event | None = None,
) -> None:
    """Hold user-task jobs as inbox items until cancelled, or until `stopping` is set: then
    the jobs already received are recorded before it returns (the seeder stops it so)."""
    tasks = UserTasks(config, sessions)
    channel = create_insecure_channel(grpc_address=config.zeebe_address)
    worker = ZeebeWorker(channel, name=WORKER_NAME)
    inbox_worker(tasks, worker)
    maintenance = asyncio.create_task(_maintain(tasks, maintenance_seconds))
    work = asyncio.create_task(worker.work())
    try:
        if stopping is None:
            await work
        else:
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not work.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(worker.stop(), timeout=15)
            await work
    finally:
        for running in (maintenance, work):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        with contextlib.suppress(Exception):
            await asyncio.wait_for(worker.stop(), timeout=5)
        await channel.close()
        tasks.link.close()
