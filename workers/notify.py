"""Notifications from the processes: reminders and notices by e-mail."""

from pyzeebe import Job, ZeebeTaskRouter

from workers.runtime import WorkerDeps

REMINDER = "khcn.notify.reminder"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the notifications feature."""
    r = ZeebeTaskRouter()

    @r.task(task_type=REMINDER)
    def reminder(job: Job, recipients: list[str], subject: str, message: str) -> dict:
        # the job key makes the Message-ID, so a mail re-sent after a crash is recognisable
        message_id = deps.mailer.send(
            recipients, subject, message, idempotency_key=f"job-{job.key}"
        )
        return {"lastReminderMessageId": message_id}

    return r
