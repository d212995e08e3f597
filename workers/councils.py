"""Councils (hội đồng) of every step, the jobs of `khcn-council-review`.

The system proposes the members (`khcn.council.propose`: models/services/councils.py says
how); staff confirm them and the meeting in the inbox (form khcn-council-confirm); the
members get the decision and the documents (`khcn.council.notify`), file written reviews,
are reminded at the due day (`khcn.council.remind-reviews`); a meeting without quorum is
held again (`khcn.council.reschedule`); after the secret ballots the vote-counting committee
counts them (`khcn.council.count`). Too few eligible experts is a technical failure: the job
fails with a message saying what is missing (retries, then an incident an operator reads).
"""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from models.enums import CouncilType
from models.labels import label
from models.rules import scoring_sheet
from models.services import councils, meetings
from models.services.tasks import task_by_code
from models.services.variables import deadline_at, iso_vn
from workers.job_context import actor_of
from workers.runtime import WorkerDeps, retry_when_locked

PROPOSE = "khcn.council.propose"
NOTIFY = "khcn.council.notify"
REMIND_REVIEWS = "khcn.council.remind-reviews"
RESCHEDULE = "khcn.council.reschedule"
COUNT = "khcn.council.count"


def router(deps: WorkerDeps) -> ZeebeTaskRouter:
    """Job handlers of the councils."""
    r = ZeebeTaskRouter()

    @r.task(task_type=PROPOSE)
    @retry_when_locked
    def propose(job: Job, taskCode: str, councilType: str) -> dict[str, Any]:
        """Propose the council's members for staff to confirm."""
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            council = councils.propose_council(
                session=session,
                task_id=task.id,
                kind=CouncilType(councilType),
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            edition = deps.regulations.edition(council.edition)
            return {
                "councilId": council.id,
                "councilName": council.name,
                "proposedMembers": [
                    {"label": f"{m.person.full_name} ({label(m.role)})", "value": m.person_id}
                    for m in council.members
                ],
                "scoringSheet": scoring_sheet(task.kind, task.field, edition.selection).id,
            }

    @r.task(task_type=NOTIFY)
    @retry_when_locked
    def notify(job: Job, taskCode: str, councilId: int) -> dict[str, Any]:
        """Send every member the decision establishing the council and the documents."""
        with deps.transaction() as session:
            notices = meetings.council_invitations(
                session=session,
                council_id=int(councilId),
                task_id=task_by_code(session, taskCode).id,
                regulations=deps.regulations,
            )
        deps.send(job, notices)
        return {}

    @r.task(task_type=REMIND_REVIEWS)
    @retry_when_locked
    def remind_reviews(job: Job, taskCode: str, councilId: int) -> dict[str, Any]:
        """Remind the members whose written review has not come in by its due day."""
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            notices = meetings.review_reminders(
                session=session, council_id=int(councilId), task_id=task.id
            )
        deps.send(job, notices)
        return {}

    @r.task(task_type=RESCHEDULE)
    @retry_when_locked
    def reschedule(job: Job, taskCode: str, councilId: int) -> dict[str, Any]:
        """Hold the meeting again; members whose review is missing may still file it."""
        with deps.transaction() as session:
            again = meetings.reschedule_meeting(
                session=session,
                council_id=int(councilId),
                task_id=task_by_code(session, taskCode).id,
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            out = {
                "meetingAt": iso_vn(again.meeting.scheduled_at),
                "reviewsDueAt": deadline_at(again.reviews_due_on),
                "reviewAssignments": again.review_assignments,
            }
        deps.send(job, again.notices)
        return out

    @r.task(task_type=COUNT)
    @retry_when_locked
    def count(job: Job, taskCode: str, councilId: int) -> dict[str, Any]:
        """Count the ballots of the meeting: the council concludes on the task."""
        with deps.transaction() as session:
            task = task_by_code(session, taskCode)
            result = meetings.count_ballots(
                session=session,
                council_id=int(councilId),
                task_id=task.id,
                today=deps.today(),
                regulations=deps.regulations,
                actor=actor_of(job),
            )
            edition = deps.regulations.edition(result.council.edition)
            kind = result.council.type
        if kind is CouncilType.ADVISORY:
            return {"councilRecommended": bool(result.recommended)}
        if kind is CouncilType.SELECTION:
            rules = edition.selection
            return {
                "applicationScores": [
                    {
                        "applicationId": application_id,
                        "averageScore": o.average,
                        "maxZeroCount": o.max_zero_count,
                        "membersPresent": o.members_present,
                        "validBallots": o.valid_ballots,
                    }
                    for application_id, o in result.outcomes.items()
                ],
                "selectionRule": {
                    "minAverage": rules.min_average,
                    "zeroShareNumerator": rules.zero_share.numerator,
                    "zeroShareDenominator": rules.zero_share.denominator,
                },
            }
        rules_a = edition.acceptance
        return {
            "ratingCounts": {
                "presentCount": result.members_present,
                "excellentCount": result.ratings.get("excellent", 0),
                "passCount": result.ratings.get("pass", 0),
                "failCount": result.ratings.get("fail", 0),
                "dossierTooLate": result.too_late,
            },
            "acceptanceRule": {
                "excellentShareNumerator": rules_a.excellent_share.numerator,
                "excellentShareDenominator": rules_a.excellent_share.denominator,
                "failShareNumerator": rules_a.fail_share.numerator,
                "failShareDenominator": rules_a.fail_share.denominator,
            },
        }

    return r
