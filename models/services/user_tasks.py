"""What each user task's form does in the domain: form id → one service taking its values.

This is the contract between the Camunda Forms of bpmn/forms and the domain, used by whoever
completes a user task: the portal's inbox (a person fills the form; the inbox validates it
against the form's schema, calls ``submit`` in the request's transaction with the person as
the actor, commits, then completes the job with the variables ``submit`` returns), and until
then the demo seeder and the tests. Each entry calls exactly one model service; a service the
same job reaches twice changes nothing the second time (the actor carries the job's key).

The variables returned are the form's own values plus what the service found out (for
example ``quorumMet`` after the attendance): the diagrams route on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models.editions import DEFAULT_REGULATIONS, SCORING_SHEETS, Regulations
from models.enums import InspectionKind, MeetingMode, Method, ReviewOpinion
from models.rules import VIETNAM, WorkingCalendar, scoring_sheet
from models.services import acceptance as acceptance_service
from models.services import calls as calls_service
from models.services import contracts as contracts_service
from models.services import councils as councils_service
from models.services import implementation as implementation_service
from models.services import meetings as meetings_service
from models.services import proposals as proposals_service
from models.services import registration as registration_service
from models.services.audit import Actor
from models.services.errors import DomainError
from models.services.tasks import task_by_code
from models.services.variables import deadline_at, ids, iso_vn, parse_date, parse_moment, today_of


@dataclass(frozen=True)
class Submission:
    """A person's answer to a user task: the job's variables, the form's values, who, when."""

    variables: Mapping[str, Any]
    values: Mapping[str, Any]
    actor: Actor
    now: datetime
    regulations: Regulations = DEFAULT_REGULATIONS
    calendar: WorkingCalendar = VIETNAM

    @property
    def today(self) -> Any:
        """The office's day of the submission."""
        return today_of(self.now)

    def var(self, name: str) -> Any:
        """A process variable the task needs; a clear error when the process lacks it."""
        if self.variables.get(name) is None:
            raise DomainError(
                "variable_missing",
                f"Công việc thiếu biến quy trình '{name}'.",
                f"The user task has no process variable {name!r}.",
            )
        return self.variables[name]

    def value(self, name: str, default: Any = None) -> Any:
        """A form field (its default when left empty)."""
        given = self.values.get(name)
        return default if given is None or given == "" else given

    def _parsed(
        self, name: str, parse: Callable[[Any], Any], what: tuple[str, str], default: Any
    ) -> Any:
        raw = self.value(name)
        if raw is None:
            if default is None:
                raise DomainError(
                    "field_missing",
                    f"Chưa nhập trường '{name}'.",
                    f"The form field {name!r} is empty.",
                )
            return default
        try:
            return parse(raw)
        except (TypeError, ValueError):
            raise DomainError(
                "field_invalid",
                f"Trường '{name}': '{raw}' không phải {what[0]}.",
                f"Form field {name!r}: {raw!r} is not {what[1]}.",
            ) from None

    def day(self, name: str) -> date:
        """A date field (YYYY-MM-DD); today when left empty."""
        return self._parsed(name, parse_date, ("ngày hợp lệ", "a date"), self.today)

    def moment(self, name: str) -> datetime:
        """A date-time field (a bare date is 08:00 that day); required."""
        return self._parsed(name, parse_moment, ("thời điểm hợp lệ", "a date-time"), None)

    def integer(self, name: str, default: int | None = 0) -> int | None:
        """A whole-number field (its default when left empty)."""
        if self.value(name) is None:
            return default
        return self._parsed(name, int, ("số nguyên", "a whole number"), default)

    def number(self, name: str, default: float = 0.0) -> float:
        """A number field (its default when left empty)."""
        return self._parsed(name, float, ("số", "a number"), default)


Service = Callable[[Session, Submission], dict[str, Any]]


@dataclass(frozen=True)
class FormService:
    """One form's operation: the model service it calls and what it is for."""

    form_id: str
    service: str
    run: Service = field(repr=False)


REGISTRY: dict[str, FormService] = {}


def _form(form_id: str, service: str) -> Callable[[Service], Service]:
    def register(run: Service) -> Service:
        REGISTRY[form_id] = FormService(form_id, service, run)
        return run

    return register


def submit(session: Session, form_id: str, submission: Submission) -> dict[str, Any]:
    """Run the service behind a form; the variables to complete the user task's job with."""
    entry = REGISTRY.get(form_id)
    if entry is None:
        raise DomainError(
            "unknown_form",
            f"Biểu mẫu '{form_id}' không gắn với nghiệp vụ nào.",
            f"No service for form {form_id!r}.",
        )
    return {**submission.values, **entry.run(session, submission)}


# --------------------------------------------------------------------------- step 1


@_form("khcn-screen-proposal", "proposals.screen_proposal")
def _screen(session: Session, s: Submission) -> dict[str, Any]:
    proposals_service.screen_proposal(
        session=session,
        task_code=s.var("taskCode"),
        result=s.value("screeningResult", ""),
        note=s.value("screeningNote", ""),
        now=s.now,
        actor=s.actor,
    )
    return {}


@_form("khcn-approve-list", "proposals.approve_task_list")
def _approve_list(session: Session, s: Submission) -> dict[str, Any]:
    approved = bool(s.value("listApproved", False))
    result = proposals_service.approve_task_list(
        session=session,
        task_code=s.var("taskCode"),
        approved=approved,
        method=Method(s.value("method", Method.SELECTION.value)),
        decision_number=s.value("listDecisionNumber", ""),
        decision_date=s.day("listDecisionDate"),
        today=s.today,
        note=s.value("decisionNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    if result.edition is None:
        return {"listApproved": False}
    return {
        "listApproved": True,
        "edition": result.edition.id,
        "stepProcesses": dict(result.edition.processes),
    }


# --------------------------------------------------------------------------- councils


@_form("khcn-council-confirm", "councils.confirm_council")
def _confirm_council(session: Session, s: Submission) -> dict[str, Any]:
    task = task_by_code(session, s.var("taskCode"))
    council = councils_service.confirm_council(
        session=session,
        council_id=int(s.var("councilId")),
        decision_number=str(s.value("decisionNumber", "")),
        established_on=s.day("decisionDate"),
        meeting_at=s.moment("meetingAt"),
        location=s.value("meetingPlace", ""),
        mode=MeetingMode(s.value("meetingMode", MeetingMode.IN_PERSON.value)),
        removed_person_ids=ids(s.value("removedPersonIds")),
        task_id=task.id,
        today=s.today,
        calendar=s.calendar,
        regulations=s.regulations,
        actor=s.actor,
    )
    meeting = meetings_service.latest_meeting(council)
    due = meetings_service.reviews_due_on(council, s.regulations, s.calendar)
    return {
        "meetingAt": iso_vn(meeting.scheduled_at),
        "reviewsDueAt": deadline_at(due),
        "reviewAssignments": meetings_service.review_assignments(session, council.id, task.id),
        "memberOptions": meetings_service.member_options(session, council.id),
        # the secretary records the meeting (staff may too): a candidate user of the attendance
        "secretaryUsers": councils_service.secretary_usernames(session, council),
    }


@_form("khcn-council-review", "meetings.record_review")
def _review(session: Session, s: Submission) -> dict[str, Any]:
    assignment = s.var("assignment")
    meetings_service.record_review(
        session=session,
        council_id=int(s.var("councilId")),
        member_id=int(assignment["memberId"]),
        task_id=task_by_code(session, s.var("taskCode")).id,
        application_id=assignment.get("applicationId"),
        opinion=ReviewOpinion(s.value("opinion", ReviewOpinion.APPROVE.value)),
        comments=s.value("comment", ""),
        submitted_on=s.today,
        calendar=s.calendar,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {}


@_form("khcn-council-attendance", "meetings.record_attendance")
def _attendance(session: Session, s: Submission) -> dict[str, Any]:
    task = task_by_code(session, s.var("taskCode"))
    council_id = int(s.var("councilId"))
    result = meetings_service.record_attendance(
        session=session,
        council_id=council_id,
        task_id=task.id,
        present_member_ids=ids(s.value("presentMemberIds")),
        counting_member_ids=ids(s.value("countingMemberIds")),
        counting_head_id=s.integer("countingHeadId", None),
        note=s.value("meetingNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    ballots = [
        a
        for a in meetings_service.review_assignments(session, council_id, task.id)
        if a["memberId"] in result.present_member_ids
    ]
    # ballots are cast at the meeting: they close at the end of its day (or of today, when
    # the secretary records a meeting afterwards)
    closes_on = max(s.today, meetings_service.meeting_day(result.meeting))
    return {
        "quorumMet": result.ok,
        "quorumReasons": list(result.quorum.reasons + result.reasons),
        "ballotAssignments": ballots if result.ok else [],
        "ballotsCloseAt": deadline_at(closes_on),
    }


def ballot_fields(sheet_id: str) -> dict[str, str]:
    """Form field key → criterion code of a scoring sheet on the selection ballot form."""
    prefix = sheet_id.split("-")[-2] + "_" + sheet_id.split("-")[-1]
    return {f"{prefix}_{c.code}": c.code for c in SCORING_SHEETS[sheet_id].criteria}


def _ballot(session: Session, s: Submission, values: dict[str, Any]) -> dict[str, Any]:
    assignment = s.var("assignment")
    meetings_service.record_ballot(
        session=session,
        council_id=int(s.var("councilId")),
        member_id=int(assignment["memberId"]),
        task_id=task_by_code(session, s.var("taskCode")).id,
        application_id=assignment.get("applicationId"),
        values=values,
        now=s.now,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {}


@_form("khcn-advisory-ballot", "meetings.record_ballot")
def _advisory_ballot(session: Session, s: Submission) -> dict[str, Any]:
    return _ballot(session, s, {"vote": s.value("vote")})


@_form("khcn-selection-ballot", "meetings.record_ballot")
def _selection_ballot(session: Session, s: Submission) -> dict[str, Any]:
    task = task_by_code(session, s.var("taskCode"))
    sheet = scoring_sheet(task.kind, task.field, s.regulations.edition(task.edition).selection)
    scores = {code: s.value(key) for key, code in ballot_fields(sheet.id).items()}
    missing = [code for code, v in scores.items() if v is None]
    if missing:
        raise DomainError(
            "ballot_incomplete",
            "Phiếu chấm điểm còn thiếu tiêu chí: " + ", ".join(missing),
            "The scoring ballot lacks: " + ", ".join(missing),
        )
    return _ballot(session, s, {"scores": {k: float(v) for k, v in scores.items()}})


@_form("khcn-acceptance-ballot", "meetings.record_ballot")
def _acceptance_ballot(session: Session, s: Submission) -> dict[str, Any]:
    return _ballot(session, s, {"rating": s.value("rating"), "comment": s.value("comment", "")})


# --------------------------------------------------------------------------- step 2


@_form("khcn-open-applications", "calls.open_applications")
def _open_applications(session: Session, s: Submission) -> dict[str, Any]:
    opening = calls_service.open_applications(
        session=session,
        task_code=s.var("taskCode"),
        call_id=int(s.var("callId")),
        valid_ids=ids(s.value("validApplicationIds")),
        note=s.value("openingNote", ""),
        actor=s.actor,
    )
    return {"validCount": len(opening.valid)}


@_form("khcn-budget-appraisal", "meetings.record_budget_appraisal")
def _appraisal(session: Session, s: Submission) -> dict[str, Any]:
    result = meetings_service.record_budget_appraisal(
        session=session,
        council_id=int(s.var("councilId")),
        task_id=task_by_code(session, s.var("taskCode")).id,
        application_id=int(s.var("selectedApplicationId")),
        present_member_ids=ids(s.value("presentMemberIds")),
        approved_budget=s.integer("approvedBudget") or 0,
        note=s.value("appraisalNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"quorumMet": result.quorum.ok, "quorumReasons": list(result.quorum.reasons)}


@_form("khcn-approve-selection", "calls.approve_selection")
def _approve_selection(session: Session, s: Submission) -> dict[str, Any]:
    calls_service.approve_selection(
        session=session,
        task_code=s.var("taskCode"),
        application_id=int(s.var("selectedApplicationId")),
        decision_number=str(s.value("selectionDecisionNumber", "")),
        decision_date=s.day("selectionDecisionDate"),
        today=s.today,
        note=s.value("decisionNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    return {}


# --------------------------------------------------------------------------- step 3


@_form("khcn-progress-report", "implementation.record_progress_report")
def _progress(session: Session, s: Submission) -> dict[str, Any]:
    needed = implementation_service.record_progress_report(
        session=session,
        task_code=s.var("taskCode"),
        progress_percent=s.number("progressPercent"),
        summary=s.value("reportSummary", ""),
        now=s.now,
        today=s.today,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"inspectionNeeded": needed}


@_form("khcn-inspection", "implementation.record_inspection")
def _inspection(session: Session, s: Submission) -> dict[str, Any]:
    inspection = implementation_service.record_inspection(
        session=session,
        task_code=s.var("taskCode"),
        result=s.value("inspectionResult", ""),
        findings=s.value("inspectionNote", ""),
        inspected_on=s.today,
        actor=s.actor,
    )
    return {"violation": inspection.conclusion.value == "violation"}


@_form("khcn-annual-evaluation", "implementation.record_inspection")
def _evaluation(session: Session, s: Submission) -> dict[str, Any]:
    inspection = implementation_service.record_inspection(
        session=session,
        task_code=s.var("taskCode"),
        result=s.value("evaluationResult", ""),
        findings=s.value("evaluationNote", ""),
        inspected_on=s.today,
        kind=InspectionKind.ANNUAL_EVALUATION,
        funding_continues=bool(s.value("fundingContinues", True)),
        actor=s.actor,
    )
    return {"violation": inspection.conclusion.value == "violation"}


@_form("khcn-termination-decision", "contracts.decide_termination")
def _termination(session: Session, s: Submission) -> dict[str, Any]:
    terminate = bool(s.value("terminate", False))
    contracts_service.decide_termination(
        session=session,
        task_code=s.var("taskCode"),
        terminate=terminate,
        decision_number=str(s.value("terminationDecisionNumber", "")),
        decision_date=s.day("terminationDecisionDate"),
        refund_amount=s.integer("refundAmount") or 0,
        today=s.today,
        note=s.value("terminationNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"terminate": terminate}


@_form("khcn-change-review", "implementation.review_change")
def _change_review(session: Session, s: Submission) -> dict[str, Any]:
    problems = implementation_service.review_change(
        session=session,
        change_request_id=int(s.var("changeRequestId")),
        note=s.value("changeReviewNote", ""),
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"changeProblems": problems}


@_form("khcn-change-decision", "implementation.decide_change")
def _change_decision(session: Session, s: Submission) -> dict[str, Any]:
    implementation_service.decide_change(
        session=session,
        change_request_id=int(s.var("changeRequestId")),
        approve=bool(s.value("changeApproved", False)),
        extension_months=s.integer("extensionMonths", None),
        note=s.value("changeDecisionNote", ""),
        now=s.now,
        calendar=s.calendar,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {}


# --------------------------------------------------------------------------- step 4


@_form("khcn-acceptance-dossier-check", "acceptance.check_acceptance_dossier")
def _dossier_check(session: Session, s: Submission) -> dict[str, Any]:
    valid = bool(s.value("dossierValid", False))
    check = acceptance_service.check_acceptance_dossier(
        session=session,
        task_code=s.var("taskCode"),
        valid=valid,
        missing=s.value("missingDocuments", ""),
        checked_on=s.today,
        calendar=s.calendar,
        regulations=s.regulations,
        actor=s.actor,
    )
    key = "councilSetupDueAt" if valid else "dossierRevisionDueAt"
    return {key: deadline_at(check.due_on)}


@_form("khcn-acceptance-failure", "acceptance.settle_failed_task")
def _failure(session: Session, s: Submission) -> dict[str, Any]:
    acceptance_service.settle_failed_task(
        session=session,
        task_code=s.var("taskCode"),
        refund_amount=s.integer("refundAmount") or 0,
        work_done=s.value("workDone", ""),
        today=s.today,
        actor=s.actor,
    )
    return {}


@_form("khcn-acceptance-completion", "acceptance.confirm_completion")
def _completion(session: Session, s: Submission) -> dict[str, Any]:
    dossier = acceptance_service.confirm_completion(
        session=session,
        task_code=s.var("taskCode"),
        completed=bool(s.value("dossierCompleted", False)),
        note=s.value("completionNote", ""),
        today=s.today,
        actor=s.actor,
    )
    return {"dossierCompleted": dossier.completed_on is not None}


# --------------------------------------------------------------------------- step 5


@_form("khcn-registration-check", "registration.check_registration")
def _registration_check(session: Session, s: Submission) -> dict[str, Any]:
    _registration, due_on = registration_service.check_registration(
        session=session,
        task_code=s.var("taskCode"),
        valid=bool(s.value("registrationValid", False)),
        missing=s.value("missingDocuments", ""),
        checked_on=s.today,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"registrationRevisionDueAt": deadline_at(due_on)}


@_form("khcn-acceptance-decision", "acceptance.record_recognition_decision")
def _recognition(session: Session, s: Submission) -> dict[str, Any]:
    dossier = acceptance_service.record_recognition_decision(
        session=session,
        task_code=s.var("taskCode"),
        decision_number=str(s.value("acceptanceDecisionNumber", "")),
        decision_date=s.day("acceptanceDecisionDate"),
        today=s.today,
        regulations=s.regulations,
        actor=s.actor,
    )
    return {"acceptanceDecisionNumber": dossier.decision_number}
