"""What every handler derives from its job: the audit actor, and the task the process carries."""

from pyzeebe import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.services.audit import Actor
from models.services.errors import NotFoundError
from models.tasks import Task


def actor_of(job: Job) -> Actor:
    """The audit actor of a job: the worker, its BPMN element and its process instance."""
    return Actor(
        name=f"worker:{job.type}",
        bpmn_element_id=job.element_id,
        process_instance_key=job.process_instance_key,
    )


def task_by_code(session: Session, code: str) -> Task:
    """The task a process carries, by its code (the messages' correlation key).

    A missing task is a technical failure, not a business outcome: the job is retried, then
    raises an incident that says which code was not found.
    """
    task = session.scalar(select(Task).where(Task.code == code))
    if task is None:
        raise NotFoundError(
            "task_not_found",
            f"Không tìm thấy nhiệm vụ {code}.",
            f"No task with code {code}.",
        )
    return task
