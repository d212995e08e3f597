"""What every handler derives from its job: the audit actor."""

from pyzeebe import Job

from models.services.audit import Actor


def actor_of(job: Job) -> Actor:
    """The audit actor of a job: the worker, its BPMN element, its instance and its key."""
    return Actor(
        name=f"worker:{job.type}",
        bpmn_element_id=job.element_id,
        process_instance_key=job.process_instance_key,
        job_key=job.key,
    )
