"""The regulation rules as pure functions; every number comes from an edition (models/editions).

Each function cites the article it follows (the stored texts are in ../shared/regulations/);
the numbers themselves are never written here, so a province's settings file and the 2025
edition change them in one place. Nothing here touches the database: services feed plain
values in. Working days follow Bộ luật Lao động 2019 Article 112 (public holidays, as the
``holidays`` package calendars them for Vietnam) plus the days the government swaps.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from fractions import Fraction
from functools import lru_cache
from typing import Generic, Literal, TypeVar

import holidays

from models.editions import (
    SCORING_SHEETS,
    AcceptanceRules,
    CouncilRules,
    ImplementationRules,
    Quorum,
    RegistrationRules,
    ScoringSheet,
    SelectionRules,
)
from models.enums import CouncilRole, CouncilType, DocumentKind, Field, Rating, TaskKind

T = TypeVar("T", bound=Hashable)

# Vietnam keeps UTC+7 all year (Asia/Ho_Chi_Minh has no daylight saving time).
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


# --- Working days ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _vietnam_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


@dataclass(frozen=True)
class WorkingCalendar:
    """Vietnam's working days: Monday to Friday, except public holidays.

    Source: Bộ luật Lao động 2019 Article 112, as calendared by the ``holidays`` package, plus
    the days the government swaps each year, given here.
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

    def on_or_after(self, day: date) -> date:
        """The day itself when offices work, else the next working day."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)


VIETNAM = WorkingCalendar()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (a task's duration as contracts count it)."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    while months > 0 and add_months(start, months) > end + timedelta(days=1):
        months -= 1
    return months


# --- Councils -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One member of a council as the composition rules see them."""

    role: CouncilRole
    # TT 11/2014 Đ9.3a: an acceptance council has experts and members from the ordering or
    # using side.
    user_side: bool = False
    # Sat on the task's advisory or selection council (TT 11/2014 Đ9.3a).
    earlier: bool = False
    # Works for the host organisation (TT 11/2014 Đ9.3b).
    from_host: bool = False


KEY_ROLES = (CouncilRole.CHAIR, CouncilRole.VICE_CHAIR, CouncilRole.REVIEWER, CouncilRole.SECRETARY)


def council_roles(
    size: int, reviewers: int, *, council_reviewers: bool = True
) -> list[CouncilRole]:
    """The roles of a council of ``size`` members in the order they are handed out.

    Every council has a chair, a vice-chair and a scientific secretary (NĐ 08/2014 Đ32.2); the
    selection and acceptance councils have two reviewers (TT 20/2023 Đ8.1a, TT 11/2014 Đ9.3),
    the advisory council names two reviewers per proposal among its members (TT 06/2023 Đ10.2).
    """
    head = [CouncilRole.CHAIR, CouncilRole.VICE_CHAIR]
    head += [CouncilRole.REVIEWER] * (reviewers if council_reviewers else 0)
    head += [CouncilRole.SECRETARY]
    return head + [CouncilRole.MEMBER] * (size - len(head))


def council_composition_problems(
    kind: CouncilType,
    seats: Sequence[Seat],
    rules: CouncilRules,
    acceptance: AcceptanceRules | None = None,
) -> list[str]:
    """What is wrong with a council's membership; an empty list means it may be established.

    Sizes: advisory 7–11 (TT 06/2023 Đ10.2), selection 7–9 (TT 20/2023 Đ8.1a), acceptance 9 of
    whom 6 experts and 3 from the ordering or using side, at least one who sat on an earlier
    council, the host's experts never chair, vice-chair, reviewer or secretary (TT 11/2014
    Đ9.3). One chair, one vice-chair, one scientific secretary (NĐ 08/2014 Đ32.2).
    """
    problems: list[str] = []
    size = len(seats)
    if not rules.size_min <= size <= rules.size_max:
        wanted = (
            str(rules.size_min)
            if rules.size_min == rules.size_max
            else f"{rules.size_min}–{rules.size_max}"
        )
        problems.append(f"{size} thành viên, phải là {wanted} / {size} members, must be {wanted}")
    counts = Counter(s.role for s in seats)
    for role, wanted_count in (
        (CouncilRole.CHAIR, 1),
        (CouncilRole.VICE_CHAIR, 1),
        (CouncilRole.SECRETARY, 1),
        (CouncilRole.REVIEWER, rules.reviewers if kind is not CouncilType.ADVISORY else 0),
    ):
        if counts[role] != wanted_count:
            problems.append(
                f"{counts[role]} {role.value}, phải là {wanted_count} / must be {wanted_count}"
            )
    if kind is CouncilType.ACCEPTANCE and acceptance is not None:
        user_side = sum(s.user_side for s in seats)
        if user_side != acceptance.user_side_members:
            problems.append(
                f"{user_side} thành viên phía đặt hàng, sử dụng kết quả, phải là "
                f"{acceptance.user_side_members} / user-side members must be "
                f"{acceptance.user_side_members}"
            )
        if sum(s.earlier for s in seats) < acceptance.earlier_council_members:
            problems.append(
                "không có thành viên đã tham gia hội đồng xác định hoặc tuyển chọn nhiệm vụ / "
                "no member sat on the task's advisory or selection council"
            )
        for s in seats:
            if s.from_host and s.role in KEY_ROLES:
                problems.append(
                    f"chuyên gia của tổ chức chủ trì không được làm {s.role.value} / "
                    f"an expert of the host organisation may not be {s.role.value}"
                )
    return problems


def role_limit(role: CouncilRole, rules: CouncilRules) -> int | None:
    """How many members may hold a role on one council (None: no limit but the size)."""
    if role is CouncilRole.REVIEWER:
        return rules.reviewers
    if role is CouncilRole.MEMBER:
        return None
    return 1


@dataclass(frozen=True)
class QuorumResult:
    """Whether a meeting may deliberate, and why not (Vietnamese / English)."""

    ok: bool
    present: int
    total: int
    reasons: tuple[str, ...]


def check_quorum(
    attendance: Iterable[tuple[CouncilRole, bool]],
    quorum: Quorum,
    *,
    reviewers_present: Sequence[bool] | None = None,
) -> QuorumResult:
    """Whether a council meeting has quorum, from each member's role and presence.

    Rule: at least 2/3 of the members present, among them the chair or the vice-chair, every
    reviewer and the scientific secretary (NĐ 08/2014 Đ33.1; TT 06/2023 Đ11.2; TT 20/2023
    Đ10.2a; TT 11/2014 Đ10.2b). ``reviewers_present`` gives the reviewers of the item under
    discussion when reviewers are named per item (the advisory council, TT 06/2023 Đ10.2);
    otherwise the members holding the reviewer role are the reviewers.
    """
    members = list(attendance)
    total = len(members)
    present = sum(1 for _, here in members if here)
    reasons: list[str] = []
    if total == 0 or Fraction(present, total) < quorum.share:
        reasons.append(
            f"chỉ {present}/{total} thành viên có mặt, cần {quorum.share} / "
            f"only {present} of {total} members present, {quorum.share} needed"
        )
    if quorum.chair_or_vice and not any(
        here and role in (CouncilRole.CHAIR, CouncilRole.VICE_CHAIR) for role, here in members
    ):
        reasons.append("vắng cả chủ tịch và phó chủ tịch / neither chair nor vice-chair present")
    reviewers = (
        list(reviewers_present)
        if reviewers_present is not None
        else [here for role, here in members if role is CouncilRole.REVIEWER]
    )
    if quorum.all_reviewers and (not reviewers or not all(reviewers)):
        reasons.append("vắng ủy viên phản biện / not every reviewer is present")
    if quorum.secretary and not any(
        here and role is CouncilRole.SECRETARY for role, here in members
    ):
        reasons.append("vắng ủy viên thư ký khoa học / the scientific secretary is absent")
    return QuorumResult(ok=not reasons, present=present, total=total, reasons=tuple(reasons))


def appraisal_quorum(
    present: int, team_size: int, council_member_present: bool, share: Fraction
) -> QuorumResult:
    """Whether the budget appraisal team may meet.

    Rule: at least 4/5 of its members, one of them the chair, vice-chair or a reviewer of the
    council (TT 20/2023 Đ13.1b).
    """
    reasons = []
    if team_size == 0 or Fraction(present, team_size) < share:
        reasons.append(
            f"chỉ {present}/{team_size} thành viên tổ thẩm định có mặt, cần {share} / "
            f"only {present} of {team_size} present, {share} needed"
        )
    if not council_member_present:
        reasons.append(
            "vắng thành viên là chủ tịch, phó chủ tịch hoặc phản biện của hội đồng / "
            "no chair, vice-chair or reviewer of the council present"
        )
    return QuorumResult(ok=not reasons, present=present, total=team_size, reasons=tuple(reasons))


def earliest_meeting_day(
    documents_sent_on: date, lead_working_days: int, cal: WorkingCalendar = VIETNAM
) -> date:
    """The first day a council may meet after its documents went out.

    Rule: documents reach the members at least N working days before the meeting: 5 for the
    advisory council (TT 06/2023 Đ11.4), 7 for selection (TT 20/2023 Đ9.1) and acceptance
    (TT 11/2014 Đ10.1), 3 for budget appraisal (TT 20/2023 Đ9.1).
    """
    return cal.on_or_after(cal.add_working_days(documents_sent_on, lead_working_days))


def reviews_due_day(meeting_on: date, working_days: int, cal: WorkingCalendar = VIETNAM) -> date:
    """The last day a member may file a written review for a meeting.

    Rule: all written reviews reach the Department at least 1 working day before the meeting
    (TT 11/2014 Đ10.2a, Đ23.1a); reviews are written before the meeting (TT 06/2023 Đ11.3b).
    """
    return cal.add_working_days(meeting_on, -working_days)


def review_on_time(
    submitted_on: date, meeting_on: date, working_days: int, cal: WorkingCalendar = VIETNAM
) -> bool:
    """Whether a written review came in by its due day."""
    return submitted_on <= reviews_due_day(meeting_on, working_days, cal)


# --- Step 1: the advisory council -------------------------------------------------------------


def advisory_recommended(in_favour: int, ballots: int, pass_share: Fraction) -> bool:
    """Whether the advisory council recommends a proposal.

    Rule: more than 3/4 of the ballots rate it "Đạt yêu cầu"; exactly 3/4 does not pass
    (TT 06/2023 Đ12.7).
    """
    return ballots > 0 and Fraction(in_favour, ballots) > pass_share


# --- Step 2: selection ----------------------------------------------------------------------


SheetKey = Literal["technology", "social", "scheme", "project"]


def sheet_key(kind: TaskKind, task_field: Field) -> SheetKey:
    """Which sheet of TT 20/2023 Đ12 scores a task: technology topics, social sciences and
    humanities topics, schemes (đề án) or projects (dự án).

    Đ12.3: topics of other fields take sheet 1 or 2 by their content; the field decides here.
    """
    if kind is TaskKind.PILOT_PROJECT:
        return "project"
    if kind is TaskKind.SCHEME:
        return "scheme"
    if task_field in (Field.SOCIAL_SCIENCES, Field.HUMANITIES):
        return "social"
    return "technology"


def scoring_sheet(kind: TaskKind, task_field: Field, rules: SelectionRules) -> ScoringSheet:
    """The scoring sheet an application for a task is scored on (TT 20/2023 Đ12)."""
    return SCORING_SHEETS[rules.scoring_sheets[sheet_key(kind, task_field)]]


def ballot_problems(scores: Mapping[str, float], sheet: ScoringSheet) -> list[str]:
    """What is wrong with a scoring ballot: every criterion of its sheet, within 0..maximum."""
    problems = []
    maxima = sheet.maxima()
    for code in sorted(set(maxima) - set(scores)):
        problems.append(f"thiếu điểm tiêu chí {code} / criterion {code} not scored")
    for code in sorted(set(scores) - set(maxima)):
        problems.append(f"tiêu chí {code} không có trong phiếu / {code} is not on the sheet")
    for code, points in scores.items():
        top = maxima.get(code)
        if top is not None and not 0 <= points <= top:
            problems.append(
                f"điểm tiêu chí {code} phải từ 0 đến {top} / {code} must be scored 0 to {top}"
            )
    return problems


def void_ballots(totals: Sequence[Fraction], deviation: Fraction) -> set[int]:
    """The indexes of the ballots that are void.

    Rule: a ballot whose total differs from the mean of all members' totals by more than 20 %
    of that mean is void (TT 20/2023 Đ11.5d).
    """
    if not totals:
        return set()
    mean = sum(totals, Fraction(0)) / len(totals)
    return {i for i, total in enumerate(totals) if abs(total - mean) > deviation * mean}


@dataclass(frozen=True)
class SelectionOutcome:
    """The council's result for one application."""

    average: float
    recommended: bool
    zeroed_criteria: tuple[str, ...] = ()
    valid_ballots: int = 0
    void_ballots: int = 0
    max_zero_count: int = 0
    members_present: int = 0
    bonus: bool = False
    content_average: float = 0.0
    void_indexes: tuple[int, ...] = ()
    # exact values for ranking: shown averages are rounded down to 2 decimals
    exact_average: Fraction = field(default=Fraction(0), compare=False)
    exact_content: Fraction = field(default=Fraction(0), compare=False)


def _shown(value: Fraction) -> float:
    # rounded down, so an average shown as 70.00 never belongs to a rejected application
    return math.floor(value * 100) / 100


def selection_recommended(
    average: Fraction | float, max_zero_count: int, members_present: int, rules: SelectionRules
) -> bool:
    """Whether an application may be recommended, from its average and the most zeros any
    criterion got (what the decision table selection-recommendation decides too).

    Rule (TT 20/2023 Đ11.8a): the average reaches 70/100 and no criterion got 0 from more than
    1/4 of the members present.
    """
    reached = Fraction(str(average)) >= Fraction(str(rules.min_average))
    return reached and Fraction(max_zero_count) <= rules.zero_share * members_present


def selection_outcome(
    ballots: Sequence[Mapping[str, float]],
    members_present: int,
    sheet: ScoringSheet,
    rules: SelectionRules,
    *,
    proposer: bool = False,
) -> SelectionOutcome:
    """Score one application from the ballots cast at the meeting (criterion → points).

    Rules (TT 20/2023): ballots more than 20 % from the mean are void (Đ11.5d); the average is
    that of the valid ballots (Đ11.6); an application of the organisation that proposed the
    task reaching 70 gets 10 % of its average added (Đ11.7); it may be recommended when the
    average reaches 70/100 and no criterion got 0 from more than 1/4 of the members present
    (Đ11.8a).
    """
    if not ballots:
        return SelectionOutcome(average=0.0, recommended=False, members_present=members_present)
    # Fractions keep "exactly 70" exact: in floats 39.3 + 24.9 + 5.8 is 69.99999999999999.
    exact = [{c: Fraction(str(v)) for c, v in b.items()} for b in ballots]
    totals = [sum(b.values(), Fraction(0)) for b in exact]
    void = void_ballots(totals, rules.ballot_deviation)
    valid = [b for i, b in enumerate(exact) if i not in void]
    zeros = Counter(c for b in exact for c, v in b.items() if v == 0)
    limit = rules.zero_share * members_present
    zeroed = tuple(sorted(c for c, n in zeros.items() if n > limit))
    average = (
        sum((totals[i] for i in range(len(totals)) if i not in void), Fraction(0)) / len(valid)
        if valid
        else Fraction(0)
    )
    minimum = Fraction(str(rules.min_average))
    bonus = proposer and average >= minimum
    if bonus:
        average += average * rules.proposer_bonus
    content_codes = {c.code for c in sheet.criteria if c.content}
    content = (
        sum((v for b in valid for c, v in b.items() if c in content_codes), Fraction(0))
        / len(valid)
        if valid
        else Fraction(0)
    )
    return SelectionOutcome(
        average=_shown(average),
        recommended=bool(valid)
        and selection_recommended(average, max(zeros.values(), default=0), members_present, rules),
        zeroed_criteria=zeroed,
        valid_ballots=len(valid),
        void_ballots=len(void),
        max_zero_count=max(zeros.values(), default=0),
        members_present=members_present,
        bonus=bonus,
        content_average=_shown(content),
        void_indexes=tuple(sorted(void)),
        exact_average=average,
        exact_content=content,
    )


@dataclass(frozen=True)
class TieFacts:
    """What the tie-breaks of TT 20/2023 Đ11.8b look at, besides the scores."""

    requested_state_budget: int | None = None
    # The host or the investigator had a task rated Xuất sắc in the last 5 years.
    prior_excellent: bool = False


@dataclass(frozen=True)
class Ranking(Generic[T]):
    """Recommended applications best first; the winner unless a tie survives every rule."""

    ranked: tuple[T, ...]
    winner: T | None
    tied: bool
    # which tie-break decided between the first two (None: the average did, or no tie)
    decided_by: str | None = None


def rank_applications(
    outcomes: Mapping[T, SelectionOutcome],
    facts: Mapping[T, TieFacts],
    tie_breaks: Sequence[str],
) -> Ranking[T]:
    """Rank the recommended applications and name the winner.

    Rule: the highest average wins (TT 20/2023 Đ11.8a); equal averages are decided in the
    article's order: the smaller request from the state budget, then a host or investigator
    with a task rated Xuất sắc in the last five years, then the higher average on the content
    and implementation criteria (Đ11.8b). A tie that survives them all names no winner: the
    Director decides.
    """

    def key(k: T) -> tuple[object, ...]:
        o, f = outcomes[k], facts.get(k, TieFacts())
        parts: list[object] = [-o.exact_average]
        for rule in tie_breaks:
            if rule == "lower_state_budget":
                budget = f.requested_state_budget
                parts.append(budget if budget is not None else math.inf)
            elif rule == "prior_excellent":
                parts.append(0 if f.prior_excellent else 1)
            elif rule == "content_score":
                parts.append(-o.exact_content)
        return tuple(parts)

    ranked = sorted((k for k, o in outcomes.items() if o.recommended), key=key)
    if not ranked:
        return Ranking(ranked=(), winner=None, tied=False)
    if len(ranked) == 1 or outcomes[ranked[0]].exact_average != outcomes[ranked[1]].exact_average:
        return Ranking(ranked=tuple(ranked), winner=ranked[0], tied=False)
    first, second = key(ranked[0]), key(ranked[1])
    if first == second:
        return Ranking(ranked=tuple(ranked), winner=None, tied=True)
    decided = next(tie_breaks[i - 1] for i in range(1, len(first)) if first[i] != second[i])
    return Ranking(ranked=tuple(ranked), winner=ranked[0], tied=False, decided_by=decided)


def call_closes_on(opens_on: date, rules: SelectionRules, cal: WorkingCalendar = VIETNAM) -> date:
    """The last day applications are received: 30 days after the call is published (TT 20/2023
    Đ3.2); a closing day off moves to the next working day."""
    return cal.on_or_after(opens_on + timedelta(days=rules.call_open_days))


def second_call_allowed(
    first_opened_on: date, rounds_so_far: int, on: date, rules: SelectionRules
) -> bool:
    """Whether the call may be published again.

    Rule: a second call within 6 months of the start of the first one, when the first drew no
    (valid, qualified) application or its result was cancelled (TT 20/2023 Đ3.3).
    """
    return rounds_so_far < rules.max_call_rounds and on <= add_months(
        first_opened_on, rules.second_call_within_months
    )


def required_application_documents(kind: TaskKind) -> frozenset[DocumentKind]:
    """The documents an application dossier for a kind of task must hold.

    Source: TT 20/2023 Đ5: application form (B1-1-ĐON), the description by kind of task
    (B1-2a..d), the organisation's profile (B1-3-LLTC), the investigator's CV (B1-4-LLCN).
    """
    description = {
        TaskKind.RESEARCH_TOPIC: DocumentKind.PROPOSAL_RESEARCH,
        TaskKind.PILOT_PROJECT: DocumentKind.PROPOSAL_PILOT,
        TaskKind.SCHEME: DocumentKind.PROPOSAL_SCHEME,
    }[kind]
    return frozenset(
        {
            DocumentKind.APPLICATION_FORM,
            DocumentKind.ORGANISATION_PROFILE,
            DocumentKind.CURRICULUM_VITAE,
            description,
        }
    )


def missing_application_documents(
    kind: TaskKind, present: Collection[DocumentKind]
) -> set[DocumentKind]:
    """The documents an application dossier lacks (TT 20/2023 Đ5)."""
    return set(required_application_documents(kind)) - set(present)


# --- Step 3: implementation ----------------------------------------------------------------


def progress_report_due_dates(
    start: date, end: date, rules: ImplementationRules, cal: WorkingCalendar = VIETNAM
) -> list[date]:
    """The due dates of a task's periodic progress reports: every N months from the start,
    before the end; a day off moves to the next working day (see the edition's source)."""
    due: list[date] = []
    period = 1
    while (day := add_months(start, rules.progress_report_months * period)) < end:
        due.append(cal.on_or_after(day))
        period += 1
    return due


def expected_progress(start: date | None, end: date | None, on: date) -> float:
    """The share of the planned time spent by a day, in percent (0 before, 100 after)."""
    if start is None or end is None or end <= start:
        return 0.0
    spent = (on - start).days / (end - start).days
    return max(0.0, min(1.0, spent)) * 100


def inspection_needed(progress: float, expected: float, rules: ImplementationRules) -> bool:
    """Whether a reported progress lags so far behind the time spent that staff must inspect
    (an unscheduled inspection, TT 04/2015 Đ6.2; the lag is the province's number)."""
    return progress + rules.inspection_lag_points < expected


def extension_problems(
    *,
    starts_on: date,
    ends_on: date,
    new_end: date,
    requested_on: date,
    extensions_so_far: int,
    rules: ImplementationRules,
) -> list[str]:
    """Why an extension may not be granted (empty: it may).

    Rules (TT 04/2015 Đ12): once only per task (Đ12.1); at most 12 months for tasks longer
    than 24 months, at most 6 months otherwise (Đ12.1); asked at least one month before the
    contract ends (Đ12.2).
    """
    problems = []
    if extensions_so_far >= rules.extensions_allowed:
        problems.append("nhiệm vụ đã được gia hạn / the task was already extended")
    duration = months_between(starts_on, ends_on)
    limit = (
        rules.extension_max_months_long
        if duration > rules.extension_long_task_months
        else rules.extension_max_months_short
    )
    if new_end <= ends_on:
        problems.append("ngày kết thúc mới phải sau ngày hiện tại / the new end must be later")
    elif new_end > add_months(ends_on, limit):
        problems.append(
            f"gia hạn tối đa {limit} tháng cho nhiệm vụ {duration} tháng / "
            f"at most {limit} months for a {duration}-month task"
        )
    if requested_on > add_months(ends_on, -rules.extension_request_months_before):
        problems.append(
            f"phải đề nghị trước khi kết thúc hợp đồng ít nhất "
            f"{rules.extension_request_months_before} tháng / asked less than "
            f"{rules.extension_request_months_before} month(s) before the end"
        )
    return problems


# --- Step 4: acceptance ----------------------------------------------------------------------


def dossier_due_day(contract_ends_on: date, rules: AcceptanceRules) -> date:
    """The last day to file the acceptance dossier: 30 days after the contract (or its
    extension) ends (TT 11/2014 Đ7.1)."""
    return contract_ends_on + timedelta(days=rules.dossier_due_days)


def dossier_too_late(contract_ends_on: date, filed_on: date, rules: AcceptanceRules) -> bool:
    """Whether a dossier came more than 6 months after the contract (or its extension) ended:
    such a task is Không đạt whatever the council thinks (TT 11/2014 Đ13.1c)."""
    return filed_on > add_months(contract_ends_on, rules.late_limit_months)


def acceptance_verdict(
    *,
    excellent: int,
    passed: int,
    failed: int,
    present: int,
    too_late: bool,
    rules: AcceptanceRules,
) -> Rating:
    """The acceptance council's rating from the ratings of the members present.

    Rule (TT 11/2014 Đ13.2): Xuất sắc when at least 3/4 of the members present rate Xuất sắc
    and nobody rates Không đạt; Không đạt when more than 1/3 rate Không đạt; otherwise Đạt.
    A dossier more than 6 months late is Không đạt (Đ13.1c). Nobody present: Không đạt.
    """
    del passed  # Đạt is what is left: the counts that matter are Xuất sắc and Không đạt
    if too_late or present <= 0:
        return Rating.FAIL
    if Fraction(failed, present) > rules.fail_share:
        return Rating.FAIL
    if failed == 0 and Fraction(excellent, present) >= rules.excellent_share:
        return Rating.EXCELLENT
    return Rating.PASS


def council_setup_due(
    dossier_valid_on: date, rules: AcceptanceRules, cal: WorkingCalendar = VIETNAM
) -> date:
    """The last day to establish the acceptance council: 15 working days after a valid dossier
    (TT 11/2014 Đ9.1)."""
    return cal.add_working_days(dossier_valid_on, rules.setup_working_days)


def latest_meeting_day(established_on: date, rules: AcceptanceRules) -> date:
    """The last day the acceptance council may first meet: 30 days after the decision that
    established it (TT 11/2014 Đ10.2)."""
    return established_on + timedelta(days=rules.meeting_within_days)


def completion_due(rated_on: date, rules: AcceptanceRules, cal: WorkingCalendar = VIETNAM) -> date:
    """The last day to complete the dossier after a Đạt or Xuất sắc: 30 working days (TT 11/2014
    Đ13.3)."""
    return cal.add_working_days(rated_on, rules.completion_working_days)


# --- Step 5: registration ------------------------------------------------------------------


def registration_due(accepted_on: date, rules: RegistrationRules) -> date:
    """The last day to register the results: 30 days after the official acceptance, i.e. the
    day the council's chair confirmed the completed dossier (TT 14/2014; TT 11/2014 Đ13.3)."""
    return accepted_on + timedelta(days=rules.registration_days)


def missing_registration_documents(
    present: Collection[DocumentKind],
    *,
    has_technology: bool = False,
    has_result_data: bool = False,
) -> set[DocumentKind]:
    """The documents a result registration dossier lacks.

    Source: TT 14/2014: registration form (Mẫu 5), final and summary reports, council minutes,
    authors' agreement; data/software/media and the technology description (Mẫu 8) where the
    results include them.
    """
    required = {
        DocumentKind.REGISTRATION_FORM,
        DocumentKind.FINAL_REPORT,
        DocumentKind.SUMMARY_REPORT,
        DocumentKind.COUNCIL_MINUTES,
        DocumentKind.AUTHORS_AGREEMENT,
    }
    if has_technology:
        required.add(DocumentKind.TECHNOLOGY_DESCRIPTION)
    if has_result_data:
        required.add(DocumentKind.RESULT_DATA)
    return required - set(present)


# --- Conflicts of interest -----------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """One reason why a person may not sit on a council."""

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
    """Why a person may not sit on a task's council (empty: no conflict).

    Rule: nobody registered to lead or work on the task, nor anyone of an applying or
    partner organisation (TT 20/2023 Đ8.2a-c; TT 11/2014 Đ9.5a).
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
