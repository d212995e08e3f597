"""Step 2 (tuyển chọn, giao trực tiếp): calls for applications, ranking, direct assignment."""

from datetime import datetime, time, timedelta
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter
from pyzeebe.errors import BusinessError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Application, Call
from models.enums import ApplicationStatus, CallStatus, Stage
from models.people import Affiliation, Person
from models.rules import VIETNAM, SelectionOutcome, rank_applications
from models.services import calls as calls_service
from models.services.audit import record_audit
from models.services.errors import get_or_raise
from models.tasks import Task
from workers.clock import VIETNAM_TZ, today_vn
from workers.job_context import actor_of, task_by_code
from workers.runtime import WorkerDeps

ASSIGN_DIRECT = "khcn.selection.assign-direct"
PUBLISH_CALL = "khcn.selection.publish-call"
RANK = "khcn.selection.rank"
REOPEN_CALL = "khcn.selection.reopen-call"

NO_QUALIFIED_APPLICATION = "NO_QUALIFIED_APPLICATION"

# How long a call stays open, in calendar days (common practice, unverified: the province's
# own notice decides); a closing day off moves to the next working day.
CALL_OPEN_DAYS = 30
# Applications are received until the end of the office day of the closing date.
CALL_CLOSES_AT = time(17, 0)


def call_number(task: Task, call_round: int) -> str:
    """The call's number: one per task and round, so a repeated job finds the same call."""
    return f"TB-{task.code}-L{call_round}"


def application_options(session: Session, call_id: int) -> list[dict[str, Any]]:
    """The applications of a call as `{label, value}` options of the opening form."""
    rows = session.scalars(
        select(Application).where(Application.call_id == call_id).order_by(Application.id)
    )
    return [
        {"label": f"Hồ sơ #{a.id}: {a.organisation.name}", "value": a.id}
        for a in rows
        if a.status is not ApplicationStatus.WITHDRAWN
    ]


def _direct_host(session: Session, task: Task) -> tuple[int, int]:
    """The organisation and principal investigator a task is assigned to directly."""
    proposal = task.proposal
    organisation_id = task.host_organisation_id or (
        proposal.proposer_organisation_id if proposal else None
    )
    person_id = task.principal_investigator_id or (
        proposal.proposer_person_id if proposal else None
    )
    if organisation_id is not None and person_id is None:
        person_id = session.scalar(
            select(Person.id)
            .join(Affiliation)
            .where(Affiliation.organisation_id == organisation_id, Affiliation.ended_on.is_(None))
            .order_by(Person.id)
        )
    if organisation_id is None or person_id is None:
        raise LookupError(
            f"task {task.code}: no host organisation and principal investigator to assign to"
        )
    return organisation_id, person_id


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of step 2's selection and direct assignment."""
    r = ZeebeTaskRouter()

    @r.task(task_type=ASSIGN_DIRECT)
    def assign_direct(job: Job, taskCode: str) -> dict[str, Any]:  # noqa: N803 - BPMN name
        """Direct assignment (giao trực tiếp): the proposer's dossier is the one chosen."""
        actor = actor_of(job)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            number = f"GTT-{task.code}"
            # An application needs a call: direct assignment gets a closed call of its own.
            call = session.scalar(select(Call).where(Call.number == number))
            application = (
                session.scalar(
                    select(Application).where(
                        Application.call_id == call.id, Application.task_id == task.id
                    )
                )
                if call is not None
                else None
            )
            if application is None:
                organisation_id, person_id = _direct_host(session, task)
                call = calls_service.open_call(
                    session=session,
                    number=number,
                    title=f"Giao trực tiếp nhiệm vụ {task.code}: {task.title}"[:500],
                    year=task.year,
                    opens_on=today_vn(deps.clock),
                    closes_on=today_vn(deps.clock),
                    task_ids=[task.id],
                    actor=actor,
                )
                application = calls_service.submit_application(
                    session=session,
                    call_id=call.id,
                    task_id=task.id,
                    organisation_id=organisation_id,
                    principal_investigator_id=person_id,
                    submitted_at=deps.clock.now(),
                )
                # No council scores a direct assignment: the leader approves it as recommended.
                application.status = ApplicationStatus.RECOMMENDED
                calls_service.close_call(session=session, call_id=call.id, actor=actor)
                record_audit(
                    session=session,
                    action="selection.assign_direct",
                    entity_type="application",
                    entity_id=application.id,
                    actor=actor,
                    task_id=task.id,
                    stage=Stage.SELECTION,
                    details={"organisation_id": organisation_id, "person_id": person_id},
                )
            return {"selectedApplicationId": application.id}

    @r.task(task_type=PUBLISH_CALL)
    def publish_call(
        job: Job,
        taskCode: str,  # noqa: N803 - BPMN names
        callRound: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Publish the call for applications (thông báo tuyển chọn), or publish it again."""
        actor = actor_of(job)
        call_round = int(callRound or 0) + 1
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            previous = (
                session.scalar(select(Call).where(Call.number == call_number(task, call_round - 1)))
                if call_round > 1
                else None
            )
            opens_on = today_vn(deps.clock)
            closes_on = opens_on + timedelta(days=CALL_OPEN_DAYS)
            if not VIETNAM.is_working_day(closes_on):
                closes_on = VIETNAM.add_working_days(closes_on, 1)
            call = calls_service.open_call(
                session=session,
                number=call_number(task, call_round),
                title=(
                    f"Thông báo tuyển chọn tổ chức, cá nhân chủ trì nhiệm vụ {task.code}"
                    f" (đợt {call_round}): {task.title}"
                )[:500],
                year=task.year,
                opens_on=opens_on,
                closes_on=closes_on,
                task_ids=[task.id],
                reopens_call_id=previous.id if previous is not None else None,
                actor=actor,
            )
            closes_at = datetime.combine(call.closes_on, CALL_CLOSES_AT, tzinfo=VIETNAM_TZ)
            return {
                "callId": call.id,
                "callRound": call_round,
                "callClosesAt": closes_at.isoformat(),
                "applicationOptions": application_options(session, call.id),
            }

    @r.task(task_type=RANK)
    def rank(
        job: Job,
        recommendations: list[dict[str, Any]] | None = None,
        applicationScores: list[dict[str, Any]] | None = None,  # noqa: N803 - BPMN names
        taskCode: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """Record the criteria's verdict on each application and choose the highest recommended."""
        actor = actor_of(job)
        scorers = {s["applicationId"]: s.get("scorerCount") for s in applicationScores or []}
        outcomes: dict[int, SelectionOutcome] = {}
        with deps.transaction() as session:
            # No valid application at all leaves the list empty: the task still gets the entry.
            task_id = task_by_code(session, taskCode).id if taskCode else None
            for item in recommendations or []:
                application = get_or_raise(session, Application, int(item["applicationId"]))
                task_id = application.task_id
                average = float(item.get("averageScore") or 0.0)
                recommended = bool(item.get("recommended"))
                outcomes[application.id] = SelectionOutcome(average, recommended, ())
                # The decision table (staff edit it in Modeler) is the authority here, so its
                # verdict overrides what the council's tally recorded.
                application.average_score = average
                if application.status is not ApplicationStatus.SELECTED:
                    application.status = (
                        ApplicationStatus.RECOMMENDED
                        if recommended
                        else ApplicationStatus.NOT_RECOMMENDED
                    )
            ranking = rank_applications(outcomes)
            # A tie at the top names no winner in the rule; the earlier application is put
            # forward and the tie is recorded, so the leader sees it when approving.
            winner = ranking.winner
            if winner is None and ranking.ranked:
                top = outcomes[ranking.ranked[0]].average
                winner = min(k for k in ranking.ranked if outcomes[k].average == top)
            if winner is not None:
                # The round is decided: its call receives no more applications.
                call = get_or_raise(session, Application, winner).call
                if call.status is CallStatus.OPEN:
                    calls_service.close_call(session=session, call_id=call.id, actor=actor)
            session.flush()
            record_audit(
                session=session,
                action="selection.rank",
                entity_type="application",
                entity_id=winner,
                actor=actor,
                task_id=task_id,
                stage=Stage.SELECTION,
                details={
                    "averages": {str(k): o.average for k, o in outcomes.items()},
                    "recommended": [k for k, o in outcomes.items() if o.recommended],
                    "scorers": {str(k): v for k, v in scorers.items()},
                    "winner": winner,
                    "tied": ranking.tied,
                },
            )
        if winner is None:
            # Raised after the commit: the verdicts above stay recorded.
            raise BusinessError(NO_QUALIFIED_APPLICATION)
        return {"selectedApplicationId": winner}

    @r.task(task_type=REOPEN_CALL)
    def reopen_call(job: Job, taskCode: str, callId: int) -> dict[str, Any]:  # noqa: N803
        """Close the round that produced no qualified application; the call is published again."""
        actor = actor_of(job)
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            call = get_or_raise(session, Call, int(callId))
            if call.status is not CallStatus.CLOSED:
                calls_service.close_call(session=session, call_id=call.id, actor=actor)
                record_audit(
                    session=session,
                    action="selection.reopen_call",
                    entity_type="call",
                    entity_id=call.id,
                    actor=actor,
                    task_id=task.id,
                    stage=Stage.SELECTION,
                    details={"number": call.number, "reason": NO_QUALIFIED_APPLICATION},
                )
        return {}

    return r
