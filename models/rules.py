"""The regulation rules as pure functions, every number taken from one ``RuleSettings``.

Sources are the national circulars that provinces copy into their own decisions:

- TT 06/2023/TT-BKHCN (replaced TT 07/2014): identifying tasks, the advisory council (step 1).
- TT 20/2023/TT-BKHCN (replaced TT 08/2017): selection and direct assignment, dossier forms
  (step 2).
- TT 11/2014/TT-BKHCN: acceptance of tasks (step 4).
- TT 14/2014/TT-BKHCN: registration of results (step 5).
- Bộ luật Lao động 2019 (Labour Code), Article 112: the public holidays, as calendared by the
  ``holidays`` package for Vietnam.

Items marked "(unverified)" come from common practice as recorded in DOMAIN.md, not from a text
we could read; they are settings precisely so staff can correct them without a code change.
Nothing here touches the database: services and workers feed these functions plain values.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import Generic, TypeVar

import holidays

from models.enums import CouncilRole, CouncilType, DocumentKind, PointsRating, Rating, TaskKind

T = TypeVar("T", bound=Hashable)


def _default_council_sizes() -> Mapping[CouncilType, tuple[int, int]]:
    return MappingProxyType(
        {
            CouncilType.ADVISORY: (7, 7),
            CouncilType.SELECTION: (7, 9),
            CouncilType.ACCEPTANCE: (9, 9),
        }
    )


def _default_required_documents() -> Mapping[TaskKind, frozenset[DocumentKind]]:
    common = {
        DocumentKind.APPLICATION_FORM,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    }
    return MappingProxyType(
        {
            TaskKind.RESEARCH_TOPIC: frozenset(common | {DocumentKind.PROPOSAL_RESEARCH}),
            TaskKind.PILOT_PROJECT: frozenset(common | {DocumentKind.PROPOSAL_PILOT}),
            TaskKind.SCHEME: frozenset(common | {DocumentKind.PROPOSAL_SCHEME}),
        }
    )


@dataclass(frozen=True)
class RuleSettings:
    """Every number of the regulations, in one place; pass a changed copy to change a rule."""

    # Council sizes as (minimum, maximum) members, per council type.
    council_sizes: Mapping[CouncilType, tuple[int, int]] = field(
        default_factory=_default_council_sizes
    )
    reviewers_per_council: int = 2
    # Acceptance councils need at least this many members who sat on the task's earlier councils.
    acceptance_members_from_earlier_councils: int = 1
    quorum_fraction: Fraction = Fraction(2, 3)
    vote_pass_fraction: Fraction = Fraction(3, 4)
    selection_min_average: float = 70.0
    selection_max_points: float = 100.0
    selection_zero_score_max_fraction: Fraction = Fraction(1, 3)
    acceptance_pass_fraction: Fraction = Fraction(3, 4)
    acceptance_excellent_fraction: Fraction = Fraction(3, 4)
    points_excellent: float = 85.0
    points_good: float = 70.0
    points_pass: float = 50.0
    points_max_months_late: int = 6
    acceptance_council_working_days: int = 15
    review_lead_working_days: int = 1
    registration_days: int = 30
    progress_report_months: int = 6
    required_application_documents: Mapping[TaskKind, frozenset[DocumentKind]] = field(
        default_factory=_default_required_documents
    )
    required_registration_documents: frozenset[DocumentKind] = frozenset(
        {
            DocumentKind.REGISTRATION_FORM,
            DocumentKind.FINAL_REPORT,
            DocumentKind.SUMMARY_REPORT,
            DocumentKind.COUNCIL_MINUTES,
            DocumentKind.AUTHORS_AGREEMENT,
        }
    )


DEFAULT_RULES = RuleSettings()


# --- Councils -----------------------------------------------------------------------------


def council_composition_problems(
    council_type: CouncilType,
    roles: Sequence[CouncilRole],
    *,
    members_from_earlier_councils: int = 0,
    rules: RuleSettings = DEFAULT_RULES,
) -> list[str]:
    """What is wrong with a council's membership; an empty list means it may be convened.

    Sources: advisory 7 (TT 06/2023; 5 or 7 in some ministries), selection 7–9 (TT 20/2023),
    acceptance 9 (TT 11/2014). Every council has one chair, at most one vice-chair, two
    reviewers and one scientific secretary elected from the members; an acceptance council also
    needs a member who sat on the task's step-1 or step-2 council (TT 11/2014).
    """
    problems: list[str] = []
    low, high = rules.council_sizes[council_type]
    size = len(roles)
    if not low <= size <= high:
        wanted = str(low) if low == high else f"{low}–{high}"
        problems.append(f"size {size}, must be {wanted}")
    counts = Counter(roles)
    if counts[CouncilRole.CHAIR] != 1:
        problems.append(f"{counts[CouncilRole.CHAIR]} chairs, must be 1")
    if counts[CouncilRole.VICE_CHAIR] > 1:
        problems.append(f"{counts[CouncilRole.VICE_CHAIR]} vice-chairs, must be at most 1")
    if counts[CouncilRole.REVIEWER] != rules.reviewers_per_council:
        problems.append(
            f"{counts[CouncilRole.REVIEWER]} reviewers, must be {rules.reviewers_per_council}"
        )
    if counts[CouncilRole.SECRETARY] != 1:
        problems.append(f"{counts[CouncilRole.SECRETARY]} scientific secretaries, must be 1")
    if (
        council_type is CouncilType.ACCEPTANCE
        and members_from_earlier_councils < rules.acceptance_members_from_earlier_councils
    ):
        problems.append("no member sat on the task's advisory or selection council")
    return problems


def role_limit(role: CouncilRole, rules: RuleSettings = DEFAULT_RULES) -> int | None:
    """How many members may hold a role on one council (None: no limit but the size)."""
    if role is CouncilRole.REVIEWER:
        return rules.reviewers_per_council
    if role is CouncilRole.MEMBER:
        return None
    return 1


@dataclass(frozen=True)
class QuorumResult:
    """Whether a meeting may deliberate, and why not."""

    ok: bool
    present: int
    total: int
    reasons: tuple[str, ...]


def check_quorum(
    attendance: Iterable[tuple[CouncilRole, bool]], rules: RuleSettings = DEFAULT_RULES
) -> QuorumResult:
    """Whether a meeting has quorum, given each member's role and presence.

    Rule: at least 2/3 of members present, including the chair or vice-chair and both
    reviewers. Source: the council rules of TT 06/2023, TT 20/2023 and TT 11/2014 as DOMAIN.md
    records them (article not pinned).
    """
    members = list(attendance)
    total = len(members)
    present = sum(1 for _, here in members if here)
    reasons: list[str] = []
    if total == 0 or Fraction(present, total) < rules.quorum_fraction:
        reasons.append(f"only {present} of {total} members present, need {rules.quorum_fraction}")
    if not any(
        here and role in (CouncilRole.CHAIR, CouncilRole.VICE_CHAIR) for role, here in members
    ):
        reasons.append("neither the chair nor the vice-chair is present")
    reviewers = [here for role, here in members if role is CouncilRole.REVIEWER]
    if not reviewers or not all(reviewers):
        reasons.append("not every reviewer is present")
    return QuorumResult(ok=not reasons, present=present, total=total, reasons=tuple(reasons))


def vote_passes(in_favour: int, present: int, rules: RuleSettings = DEFAULT_RULES) -> bool:
    """Whether a council vote passes.

    Rule: strictly more than 3/4 of the members present in favour; exactly 3/4 does not pass.
    Source: TT 06/2023 (advisory council conclusions in step 1).
    """
    if present <= 0:
        return False
    return Fraction(in_favour, present) > rules.vote_pass_fraction


@dataclass(frozen=True)
class Conflict:
    """One reason why a person may not sit on a task's selection council."""

    code: str
    message_vi: str
    message_en: str


def conflicts_of_interest(
    *,
    person_id: int,
    person_organisation_ids: Set[int],
    task_participant_ids: Set[int],
    applying_organisation_ids: Set[int],
) -> list[Conflict]:
    """Why a person may not sit on a task's selection council (empty: no conflict).

    Rule: nobody registered to lead or work on the task, nor anyone from an applying
    organisation. Source: TT 20/2023.
    """
    found: list[Conflict] = []
    if person_id in task_participant_ids:
        found.append(
            Conflict(
                "participant",
                "Người này đăng ký chủ nhiệm hoặc tham gia thực hiện nhiệm vụ.",
                "This person is registered to lead or work on the task.",
            )
        )
    if person_organisation_ids & applying_organisation_ids:
        found.append(
            Conflict(
                "applying_organisation",
                "Người này thuộc tổ chức đăng ký chủ trì nhiệm vụ.",
                "This person belongs to an organisation applying for the task.",
            )
        )
    return found


# --- Selection (step 2) -------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionOutcome:
    """The result of scoring one application."""

    average: float
    recommended: bool
    zeroed_criteria: tuple[str, ...]


def selection_outcome(
    sheets: Sequence[Mapping[str, float]], rules: RuleSettings = DEFAULT_RULES
) -> SelectionOutcome:
    """Score one application from its members' score sheets (criterion → points).

    Rule: recommended when the average of the members' totals is at least 70 of 100
    (TT 20/2023) and no criterion got 0 from more than 1/3 of the members (unverified).
    """
    if not sheets:
        return SelectionOutcome(average=0.0, recommended=False, zeroed_criteria=())
    # Fractions keep "exactly 70.0" exact: in floats 39.3 + 24.9 + 5.8 is 69.99999999999999.
    totals = [sum((Fraction(str(v)) for v in sheet.values()), Fraction(0)) for sheet in sheets]
    average = sum(totals, Fraction(0)) / len(totals)
    zeros = Counter(c for sheet in sheets for c, v in sheet.items() if v == 0)
    zeroed = tuple(
        sorted(
            c
            for c, n in zeros.items()
            if Fraction(n, len(sheets)) > rules.selection_zero_score_max_fraction
        )
    )
    recommended = average >= Fraction(str(rules.selection_min_average)) and not zeroed
    # Rounded down, so an average shown as 70.00 never belongs to a rejected application.
    shown = math.floor(average * 100) / 100
    return SelectionOutcome(average=shown, recommended=recommended, zeroed_criteria=zeroed)


@dataclass(frozen=True)
class Ranking(Generic[T]):
    """Recommended applications best first, and the winner when there is exactly one best."""

    ranked: tuple[T, ...]
    winner: T | None
    tied: bool


def rank_applications(outcomes: Mapping[T, SelectionOutcome]) -> Ranking[T]:
    """Rank the recommended applications and name the winner.

    Rule: the highest recommended application wins (TT 20/2023). A tie at the top names no
    winner, so the council or the Director decides (our choice; no rule for ties was found).
    """
    ranked = sorted(
        (key for key, o in outcomes.items() if o.recommended),
        key=lambda key: outcomes[key].average,
        reverse=True,
    )
    if not ranked:
        return Ranking(ranked=(), winner=None, tied=False)
    tied = len(ranked) > 1 and outcomes[ranked[0]].average == outcomes[ranked[1]].average
    return Ranking(ranked=tuple(ranked), winner=None if tied else ranked[0], tied=tied)


def missing_application_documents(
    kind: TaskKind, present: Collection[DocumentKind], rules: RuleSettings = DEFAULT_RULES
) -> set[DocumentKind]:
    """The documents an application dossier lacks.

    Source: TT 20/2023 forms B1-1-ĐON, B1-2a..d (by kind of task), B1-3-LLTC, B1-4-LLCN;
    B1-5-PHNC only where there are partners, so it is never required here.
    """
    return set(rules.required_application_documents[kind]) - set(present)


# --- Acceptance (step 4) ------------------------------------------------------------------


def acceptance_rating(
    ratings: Sequence[Rating],
    *,
    members_present: int | None = None,
    rules: RuleSettings = DEFAULT_RULES,
) -> Rating:
    """The acceptance council's rating of a task from its present members' ratings.

    Rule: "Đạt" when at least 3/4 of the members present rate Đạt or better (unverified
    detail), "Xuất sắc" when in addition at least 3/4 rate Xuất sắc, otherwise "Không đạt".
    A present member who did not rate counts against. Source: TT 11/2014.
    """
    present = len(ratings) if members_present is None else members_present
    if present <= 0:
        return Rating.FAIL
    excellent = sum(1 for r in ratings if r is Rating.EXCELLENT)
    passing = excellent + sum(1 for r in ratings if r is Rating.PASS)
    if Fraction(passing, present) < rules.acceptance_pass_fraction:
        return Rating.FAIL
    if Fraction(excellent, present) >= rules.acceptance_excellent_fraction:
        return Rating.EXCELLENT
    return Rating.PASS


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_too_late(planned_end: date, delivered_on: date, rules: RuleSettings = DEFAULT_RULES) -> bool:
    """Whether results came more than 6 months after the planned end (points variant)."""
    return delivered_on > add_months(planned_end, rules.points_max_months_late)


def points_rating(
    average_points: float, *, too_late: bool = False, rules: RuleSettings = DEFAULT_RULES
) -> PointsRating:
    """The rating in the points variant.

    Rule: ≥85 Xuất sắc, 70–<85 Khá, 50–<70 Đạt, <50 Không đạt; more than 6 months late is
    Không đạt whatever the points. Source: used by some ministries, per DOMAIN.md (unverified).
    """
    if too_late or average_points < rules.points_pass:
        return PointsRating.FAIL
    if average_points >= rules.points_excellent:
        return PointsRating.EXCELLENT
    if average_points >= rules.points_good:
        return PointsRating.GOOD
    return PointsRating.PASS


# --- Working days and deadlines -----------------------------------------------------------


@lru_cache(maxsize=64)
def _vietnam_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


@dataclass(frozen=True)
class WorkingCalendar:
    """Vietnam's working days: Monday to Friday, except public holidays.

    Source: Bộ luật Lao động 2019, Article 112, as calendared by the ``holidays`` package,
    plus the days the government swaps each year, given here.
    """

    # The government swaps days around holidays by yearly notice; staff record them here.
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def is_holiday(self, day: date) -> bool:
        """Whether the day is a public holiday or an announced day off."""
        return day in self.extra_days_off or day in _vietnam_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on that day."""
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and not self.is_holiday(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The day ``days`` working days after ``start`` (before it if negative; start excluded)."""
        step = timedelta(days=1 if days >= 0 else -1)
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


VIETNAM = WorkingCalendar()


def acceptance_council_deadline(
    dossier_valid_on: date,
    *,
    calendar_: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
) -> date:
    """The last day to set up the acceptance council.

    Rule: within 15 working days of a valid acceptance dossier. Source: TT 11/2014.
    """
    return calendar_.add_working_days(dossier_valid_on, rules.acceptance_council_working_days)


def review_due_date(
    meeting_on: date, *, calendar_: WorkingCalendar = VIETNAM, rules: RuleSettings = DEFAULT_RULES
) -> date:
    """The last day a member may file a written review for a meeting.

    Rule: at least 1 working day before the meeting. Source: the council rules DOMAIN.md
    records (TT 20/2023, TT 11/2014; article not pinned).
    """
    return calendar_.add_working_days(meeting_on, -rules.review_lead_working_days)


def review_on_time(
    submitted_on: date,
    meeting_on: date,
    *,
    calendar_: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
) -> bool:
    """Whether a written review came in by its due date."""
    return submitted_on <= review_due_date(meeting_on, calendar_=calendar_, rules=rules)


def missing_registration_documents(
    present: Collection[DocumentKind],
    *,
    has_technology: bool = False,
    has_result_data: bool = False,
    rules: RuleSettings = DEFAULT_RULES,
) -> set[DocumentKind]:
    """The documents a result registration dossier lacks.

    Source: TT 14/2014: registration form (Mẫu 5), final and summary reports, council minutes,
    authors' agreement; data/software/media and the technology description (Mẫu 8) where the
    results include them.
    """
    required = set(rules.required_registration_documents)
    if has_technology:
        required.add(DocumentKind.TECHNOLOGY_DESCRIPTION)
    if has_result_data:
        required.add(DocumentKind.RESULT_DATA)
    return required - set(present)


def registration_deadline(decision_on: date, rules: RuleSettings = DEFAULT_RULES) -> date:
    """The last day to register results.

    Rule: within 30 (calendar) days of the acceptance decision. Source: TT 14/2014.
    """
    return decision_on + timedelta(days=rules.registration_days)


def progress_report_due_dates(
    start: date,
    end: date,
    *,
    calendar_: WorkingCalendar = VIETNAM,
    rules: RuleSettings = DEFAULT_RULES,
) -> list[date]:
    """The due dates of a task's periodic progress reports.

    Rule: every 6 months from the start, before the end; a date falling on a day off moves to
    the next working day. Source: common practice (unverified).
    """
    due: list[date] = []
    period = 1
    while (day := add_months(start, rules.progress_report_months * period)) < end:
        if not calendar_.is_working_day(day):
            day = calendar_.add_working_days(day, 1)
        due.append(day)
        period += 1
    return due
