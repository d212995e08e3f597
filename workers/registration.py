"""Step 5: registration, certificate, archive, publication (each handler one service)."""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.services import registration
from models.services.variables import deadline_at, parse_date
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

START = "khcn.registration.start"
REQUEST_REVISION = "khcn.registration.request-revision"
ISSUE_CERTIFICATE = "khcn.registration.issue-certificate"
ARCHIVE = "khcn.registration.archive"
PUBLISH = "khcn.registration.publish"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 5."""
    r = ZeebeTaskRouter()

    @r.task(task_type=START)
    @retry_when_locked
    def start(job: Job, taskCode: str) -> dict[str, Any]:
        """Ask the host to register the results within 30 days of the official acceptance."""
        with deps.transaction() as session:
            begun = registration.start_registration(
                session=session,
                task_code=taskCode,
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            out = {"registrationDueAt": deadline_at(begun.due_on)}
        deps.send(job, begun.notices)
        return out

    @r.task(task_type=REQUEST_REVISION)
    @retry_when_locked
    def request_revision(job: Job, taskCode: str, registrationRevisionDueAt: str) -> dict[str, Any]:
        """Ask the host to complete the registration dossier by its due day."""
        with deps.transaction() as session:
            letter = registration.registration_revision_letter(
                session=session, task_code=taskCode, due_on=parse_date(registrationRevisionDueAt)
            )
        deps.send(job, [letter])
        return {}

    @r.task(task_type=ISSUE_CERTIFICATE)
    @retry_when_locked
    def issue_certificate(job: Job, taskCode: str) -> dict[str, Any]:
        """Issue the certificate (one number per result, never twice) and render it."""
        with deps.transaction() as session:
            certified = registration.certify_results(
                session=session,
                task_code=taskCode,
                today=deps.today(),
                maker=deps.maker,
                actor=actor_of(job),
            )
            number = certified.registration.certificate_number
        deps.send(job, certified.notices)
        return {"certificateNumber": number}

    @r.task(task_type=ARCHIVE)
    @retry_when_locked
    def archive(job: Job, taskCode: str) -> dict[str, Any]:
        """Check every stored file against its hash and record the archive manifest."""
        with deps.transaction() as session:
            registration.archive_results(
                session=session, task_code=taskCode, root=deps.documents_dir, actor=actor_of(job)
            )
        return {}

    @r.task(task_type=PUBLISH)
    @retry_when_locked
    def publish(job: Job, taskCode: str) -> dict[str, Any]:
        """List the recognised result on the public portal and tell the host."""
        with deps.transaction() as session:
            _registration, notices = registration.publish_results(
                session=session, task_code=taskCode, today=deps.today(), actor=actor_of(job)
            )
        deps.send(job, notices)
        return {}

    return r
