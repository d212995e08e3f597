"""Job-worker user tasks (Zeebe 8.5 "job worker implementation" of user tasks).

A user task without <zeebe:userTask/> creates a job of type io.camunda.zeebe:userTask. Zeebe
passes its assignment, form and schedule as custom headers: assignee as a plain string,
candidateGroups/candidateUsers as a JSON array string (e.g. ["a","b"] from "a, b"), formKey
as modelled, dueDate/followUpDate as ISO 8601 date-times. Headers are only set when the
value is not empty.

All user-task jobs share one job type, so each test picks its own job by instance key.
"""

import json

import pytest
from pyzeebe import Job

from tests.support.zeebe import (
    USER_TASK_JOB_TYPE,
    ActivatedJob,
    Process,
    activate,
    activate_one,
    await_incident,
    await_instance_state,
    complete,
    connect,
    deploy,
    resolve_incident,
    running_worker,
    set_variables,
    unique_id,
    wait_for,
)

ASSIGNEE = "io.camunda.zeebe:assignee"
CANDIDATE_GROUPS = "io.camunda.zeebe:candidateGroups"
CANDIDATE_USERS = "io.camunda.zeebe:candidateUsers"
FORM_KEY = "io.camunda.zeebe:formKey"
DUE_DATE = "io.camunda.zeebe:dueDate"
FOLLOW_UP_DATE = "io.camunda.zeebe:followUpDate"
USER_TASK_HEADERS = (
    ASSIGNEE,
    CANDIDATE_GROUPS,
    CANDIDATE_USERS,
    FORM_KEY,
    DUE_DATE,
    FOLLOW_UP_DATE,
)


@pytest.fixture
async def zb(engine_address):
    """A connection to the module's engine."""
    async with connect(engine_address) as conn:
        yield conn


async def _user_task_job(zb, process_instance_key: int, timeout: float = 10.0) -> ActivatedJob:
    """Activate user-task jobs until the one of this instance shows up."""
    found: list[ActivatedJob] = []

    async def poll() -> bool:
        jobs = await activate(
            zb.stub, USER_TASK_JOB_TYPE, max_jobs=32, timeout_ms=5_000, request_timeout_ms=500
        )
        found.extend(j for j in jobs if j.process_instance_key == process_instance_key)
        return bool(found)

    await wait_for(poll, timeout, message=f"user task job of instance {process_instance_key}")
    return found[0]


async def test_user_task_creates_job_with_assignment_form_and_schedule_headers(zb):
    """Static assignment, form key and schedule become the documented headers."""
    p = Process(unique_id("review"))
    p.chain(
        p.start(),
        p.user_task(
            "Task_Review",
            assignee="alice",
            candidate_groups="staff, managers",
            candidate_users="bob,carol",
            form_key="camunda-forms:bpmn:reviewForm",
            due_date="2030-01-02T10:15:30+07:00",
            follow_up_date="2030-01-01T09:45:10+07:00",
        ),
        p.end(),
    )
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"proposalId": 9})

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.type == USER_TASK_JOB_TYPE
    assert job.element_id == "Task_Review"
    assert job.variables == {"proposalId": 9}
    headers = job.custom_headers
    assert headers[ASSIGNEE] == "alice"
    assert json.loads(headers[CANDIDATE_GROUPS]) == ["staff", "managers"]
    assert json.loads(headers[CANDIDATE_USERS]) == ["bob", "carol"]
    assert headers[FORM_KEY] == "camunda-forms:bpmn:reviewForm"
    assert headers[DUE_DATE] == "2030-01-02T10:15:30+07:00"
    assert headers[FOLLOW_UP_DATE] == "2030-01-01T09:45:10+07:00"
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, created.process_instance_key, "COMPLETED")


async def test_candidate_lists_are_compact_json_like_zeebe(zb):
    """Zeebe writes candidate lists as compact JSON ("a, b" -> '["a","b"]'); same bytes here."""
    p = Process(unique_id("compact"))
    p.chain(
        p.start(),
        p.user_task(
            "Task_Compact", candidate_groups="staff, managers", candidate_users="bob,carol"
        ),
        p.end(),
    )
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.custom_headers[CANDIDATE_GROUPS] == '["staff","managers"]'
    assert job.custom_headers[CANDIDATE_USERS] == '["bob","carol"]'
    await complete(zb.stub, job.key)


async def test_linked_camunda_form_gives_the_deployed_form_key(zb):
    """zeebe:formDefinition formId links a Camunda Form deployed with the process; the job's
    formKey header is the key the deployment assigned to that form."""
    form_id = unique_id("review-form")
    form = json.dumps(
        {
            "id": form_id,
            "type": "default",
            "schemaVersion": 16,
            "components": [{"key": "approved", "label": "Approved", "type": "checkbox"}],
        }
    )
    p = Process(unique_id("linkedform"))
    p.chain(
        p.start(),
        p.node(
            "userTask", "Task_Linked", extensions=(f'<zeebe:formDefinition formId="{form_id}" />')
        ),
        p.end(),
    )

    reply = await deploy(zb, p, ("review.form", form))

    forms = [d.form for d in reply.deployments if d.WhichOneof("Metadata") == "form"]
    assert [(f.formId, f.version, f.resourceName) for f in forms] == [(form_id, 1, "review.form")]
    created = await zb.client.run_process(p.id)
    job = await _user_task_job(zb, created.process_instance_key)
    assert job.custom_headers[FORM_KEY] == str(forms[0].formKey)
    await complete(zb.stub, job.key, approved=True)


async def test_user_task_job_is_listed_with_its_headers_by_admin(zb):
    """The admin job list shows the user-task job and the same custom headers."""
    p = Process(unique_id("listed"))
    p.chain(
        p.start(), p.user_task("Task_Listed", assignee="bao", candidate_groups="council"), p.end()
    )
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    jobs = await wait_for(
        lambda: zb.admin.list_jobs(process_instance_key=created.process_instance_key)
    )

    (job,) = jobs
    assert job["type"] == USER_TASK_JOB_TYPE
    assert job["elementId"] == "Task_Listed"
    assert job["customHeaders"][ASSIGNEE] == "bao"
    assert json.loads(job["customHeaders"][CANDIDATE_GROUPS]) == ["council"]
    await zb.client.cancel_process_instance(created.process_instance_key)


async def test_feel_assignment_is_evaluated(zb):
    """assignee="=owner" and candidateGroups="=groups" are evaluated against the variables."""
    p = Process(unique_id("feelassign"))
    p.chain(
        p.start(),
        p.user_task(
            "Task_Assess",
            assignee="=owner",
            candidate_groups="=groups",
            candidate_users='=["u-" + owner]',
        ),
        p.end(),
    )
    await deploy(zb, p)
    created = await zb.client.run_process(
        p.id, {"owner": "dana", "groups": ["council", "secretariat"]}
    )

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.custom_headers[ASSIGNEE] == "dana"
    assert json.loads(job.custom_headers[CANDIDATE_GROUPS]) == ["council", "secretariat"]
    assert json.loads(job.custom_headers[CANDIDATE_USERS]) == ["u-dana"]
    await complete(zb.stub, job.key)


async def test_failing_assignee_expression_raises_incident_then_resolves(zb):
    """assignee="=owner" without an owner variable cannot be evaluated to a string: an
    EXTRACT_VALUE_ERROR incident on the user task and no job; once the variable is set and
    the incident resolved, the job is created with the evaluated header."""
    p = Process(unique_id("noowner"))
    p.chain(p.start(), p.user_task("Task_Owned", assignee="=owner"), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)
    pik = created.process_instance_key

    incident = await await_incident(zb.admin, pik)

    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "Task_Owned"
    assert await zb.admin.list_jobs(process_instance_key=pik) == []
    await set_variables(zb.stub, pik, {"owner": "hoa"})
    await resolve_incident(zb.stub, incident["key"])
    job = await _user_task_job(zb, pik)
    assert job.custom_headers[ASSIGNEE] == "hoa"
    await complete(zb.stub, job.key)
    await await_instance_state(zb.admin, pik, "COMPLETED")


async def test_feel_schedule_is_evaluated(zb):
    """dueDate/followUpDate expressions may give a date-time string or a FEEL date and time."""
    p = Process(unique_id("feeldue"))
    p.chain(
        p.start(),
        p.user_task(
            "Task_Due",
            due_date="=dueAt",
            follow_up_date='=date and time("2031-01-30T08:30:45+07:00")',
        ),
        p.end(),
    )
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"dueAt": "2031-02-03T04:05:06Z"})

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.custom_headers[DUE_DATE] == "2031-02-03T04:05:06Z"
    assert job.custom_headers[FOLLOW_UP_DATE] == "2031-01-30T08:30:45+07:00"
    await complete(zb.stub, job.key)


@pytest.mark.parametrize(
    ("attribute", "variables"),
    [
        ({"candidate_groups": "=groups"}, {"groups": "council"}),
        ({"candidate_users": "=users"}, {"users": [1, 2]}),
        ({"due_date": "=dueAt"}, {"dueAt": "next friday"}),
    ],
)
async def test_invalid_assignment_or_schedule_value_raises_incident(zb, attribute, variables):
    """Candidate lists must be lists of strings and dates ISO 8601 date-times; otherwise an
    EXTRACT_VALUE_ERROR incident on the user task and no job."""
    p = Process(unique_id("badvalue"))
    p.chain(p.start(), p.user_task("Task_Bad", **attribute), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, variables)

    incident = await await_incident(zb.admin, created.process_instance_key, timeout=5)

    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "Task_Bad"
    assert await zb.admin.list_jobs(process_instance_key=created.process_instance_key) == []


async def test_user_task_without_assignment_has_no_assignment_headers(zb):
    """Nothing modelled: none of the io.camunda.zeebe:* user task headers is set."""
    p = Process(unique_id("plainut"))
    p.chain(p.start(), p.user_task("Task_Plain"), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.type == USER_TASK_JOB_TYPE
    assert not set(USER_TASK_HEADERS) & set(job.custom_headers)
    await complete(zb.stub, job.key)


async def test_user_task_keeps_its_own_task_headers(zb):
    """zeebe:taskHeaders on a user task are passed beside the user task headers."""
    p = Process(unique_id("utheaders"))
    extra = '<zeebe:taskHeaders><zeebe:header key="step" value="screening" /></zeebe:taskHeaders>'
    p.chain(p.start(), p.user_task("Task_Screen", assignee="an", extensions=extra), p.end())
    await deploy(zb, p)
    created = await zb.client.run_process(p.id)

    job = await _user_task_job(zb, created.process_instance_key)

    assert job.custom_headers["step"] == "screening"
    assert job.custom_headers[ASSIGNEE] == "an"
    await complete(zb.stub, job.key)


async def test_completing_user_task_continues_with_form_variables(zb):
    """The form's submitted values (job completion variables) drive the rest of the process."""
    p = Process(unique_id("approve"))
    notify_type, reject_type = unique_id("notify"), unique_id("reject")
    g = p.exclusive("Gateway_Approved")
    p.chain(
        p.start(),
        p.user_task(
            "Task_Approve", candidate_groups="council", form_key="camunda-forms:bpmn:approveForm"
        ),
        g,
    )
    p.flow(g, p.task("Task_Notify", notify_type), condition="=approved")
    p.flow(g, p.task("Task_Reject", reject_type), default=True)
    p.chain("Task_Notify", p.end("End_Approved"))
    p.chain("Task_Reject", p.end("End_Rejected"))
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"proposalId": 3})
    pik = created.process_instance_key
    job = await _user_task_job(zb, pik)

    await complete(zb.stub, job.key, approved=True, comment="Đạt yêu cầu")

    notify = await activate_one(zb.stub, notify_type)
    assert notify.process_instance_key == pik
    assert notify.variables == {"proposalId": 3, "approved": True, "comment": "Đạt yêu cầu"}
    view = await zb.admin.get_process_instance(pik)
    assert view["variables"]["approved"] is True
    assert await zb.admin.list_jobs(job_type=reject_type) == []


async def test_inbox_worker_completes_user_task(zb):
    """A real pyzeebe worker of the user task type (as the portal inbox is) completes it."""
    p = Process(unique_id("inbox"))
    p.chain(
        p.start(),
        p.user_task("Task_Inbox", assignee="minh", form_key="camunda-forms:bpmn:inboxForm"),
        p.end(),
    )
    await deploy(zb, p)
    created = await zb.client.run_process(p.id, {"title": "Đề tài"})
    pik = created.process_instance_key
    seen: dict[str, dict] = {}

    async def inbox(job: Job) -> dict:
        if job.process_instance_key != pik:
            return {}
        seen["headers"] = dict(job.custom_headers)
        seen["variables"] = dict(job.variables)
        return {"decision": "accept"}

    async with running_worker(zb.channel, {USER_TASK_JOB_TYPE: inbox}, name="inbox"):
        view = await await_instance_state(zb.admin, pik, "COMPLETED")

    assert seen["headers"][ASSIGNEE] == "minh"
    assert seen["headers"][FORM_KEY] == "camunda-forms:bpmn:inboxForm"
    assert seen["variables"] == {"title": "Đề tài"}
    assert view["variables"] == {"title": "Đề tài", "decision": "accept"}
