"""Every regulation rule against the numbers in DOMAIN.md, with its edge cases."""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

import pytest

from models.enums import CouncilRole, CouncilType, DocumentKind, PointsRating, Rating, TaskKind
from models.rules import (
    DEFAULT_RULES,
    VIETNAM,
    RuleSettings,
    SelectionOutcome,
    WorkingCalendar,
    acceptance_council_deadline,
    acceptance_rating,
    add_months,
    check_quorum,
    conflicts_of_interest,
    council_composition_problems,
    is_too_late,
    missing_application_documents,
    missing_registration_documents,
    points_rating,
    progress_report_due_dates,
    rank_applications,
    registration_deadline,
    review_due_date,
    review_on_time,
    role_limit,
    selection_outcome,
    vote_passes,
)

C, VC, R, M, S = (
    CouncilRole.CHAIR,
    CouncilRole.VICE_CHAIR,
    CouncilRole.REVIEWER,
    CouncilRole.MEMBER,
    CouncilRole.SECRETARY,
)


def roles(size: int) -> list[CouncilRole]:
    """Chair, vice-chair, two reviewers, a secretary and ordinary members up to ``size``."""
    return [C, VC, R, R, S] + [M] * (size - 5)


# --- Settings -----------------------------------------------------------------------------


def test_settings_hold_the_domain_numbers() -> None:
    rules = RuleSettings()
    assert rules.council_sizes[CouncilType.ADVISORY] == (7, 7)
    assert rules.council_sizes[CouncilType.SELECTION] == (7, 9)
    assert rules.council_sizes[CouncilType.ACCEPTANCE] == (9, 9)
    assert rules.quorum_fraction == Fraction(2, 3)
    assert rules.vote_pass_fraction == Fraction(3, 4)
    assert rules.selection_min_average == 70
    assert rules.selection_zero_score_max_fraction == Fraction(1, 3)
    assert rules.acceptance_pass_fraction == Fraction(3, 4)
    assert rules.acceptance_excellent_fraction == Fraction(3, 4)
    assert (rules.points_excellent, rules.points_good, rules.points_pass) == (85, 70, 50)
    assert rules.points_max_months_late == 6
    assert rules.acceptance_council_working_days == 15
    assert rules.review_lead_working_days == 1
    assert rules.registration_days == 30
    assert rules.progress_report_months == 6


def test_settings_are_frozen_and_changed_by_copy() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.selection_min_average = 60  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_RULES.council_sizes[CouncilType.ADVISORY] = (5, 7)  # type: ignore[index]
    lenient = dataclasses.replace(DEFAULT_RULES, selection_min_average=60)
    assert selection_outcome([{"a": 65}], lenient).recommended
    assert not selection_outcome([{"a": 65}]).recommended


# --- Council composition ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("council_type", "size", "ok"),
    [
        (CouncilType.ADVISORY, 7, True),
        (CouncilType.ADVISORY, 6, False),
        (CouncilType.ADVISORY, 8, False),
        (CouncilType.SELECTION, 6, False),
        (CouncilType.SELECTION, 7, True),
        (CouncilType.SELECTION, 8, True),
        (CouncilType.SELECTION, 9, True),
        (CouncilType.SELECTION, 10, False),
        (CouncilType.ACCEPTANCE, 8, False),
        (CouncilType.ACCEPTANCE, 9, True),
        (CouncilType.ACCEPTANCE, 10, False),
    ],
)
def test_council_sizes(council_type: CouncilType, size: int, ok: bool) -> None:
    problems = council_composition_problems(
        council_type, roles(size), members_from_earlier_councils=1
    )
    assert (problems == []) is ok
    if not ok:
        assert problems[0].startswith(f"size {size}")


def test_advisory_council_of_five_where_a_ministry_allows_it() -> None:
    five = dataclasses.replace(
        DEFAULT_RULES, council_sizes={**DEFAULT_RULES.council_sizes, CouncilType.ADVISORY: (5, 7)}
    )
    assert council_composition_problems(CouncilType.ADVISORY, roles(5), rules=five) == []
    assert council_composition_problems(CouncilType.ADVISORY, roles(5)) != []


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([C, C, R, R, S, M, M], "2 chairs, must be 1"),
        ([VC, M, R, R, S, M, M], "0 chairs, must be 1"),
        ([C, VC, VC, R, R, S, M], "2 vice-chairs, must be at most 1"),
        ([C, VC, R, M, S, M, M], "1 reviewers, must be 2"),
        ([C, VC, R, R, R, S, M], "3 reviewers, must be 2"),
        ([C, VC, R, R, M, M, M], "0 scientific secretaries, must be 1"),
        ([C, VC, R, R, S, S, M], "2 scientific secretaries, must be 1"),
    ],
)
def test_council_roles(members: list[CouncilRole], expected: str) -> None:
    assert council_composition_problems(CouncilType.ADVISORY, members) == [expected]


def test_vice_chair_is_optional() -> None:
    assert council_composition_problems(CouncilType.ADVISORY, [C, M, R, R, S, M, M]) == []


def test_acceptance_council_needs_a_member_from_an_earlier_council() -> None:
    assert council_composition_problems(
        CouncilType.ACCEPTANCE, roles(9), members_from_earlier_councils=0
    ) == ["no member sat on the task's advisory or selection council"]
    assert (
        council_composition_problems(
            CouncilType.ACCEPTANCE, roles(9), members_from_earlier_councils=2
        )
        == []
    )


def test_role_limits() -> None:
    assert role_limit(C) == 1
    assert role_limit(VC) == 1
    assert role_limit(S) == 1
    assert role_limit(R) == 2
    assert role_limit(M) is None


# --- Quorum ---------------------------------------------------------------------------------


def attendance(members: list[CouncilRole], absent: set[int]) -> list[tuple[CouncilRole, bool]]:
    """Pair each role with presence; ``absent`` holds indexes into ``members``."""
    return [(role, i not in absent) for i, role in enumerate(members)]


def test_quorum_everyone_present() -> None:
    result = check_quorum(attendance(roles(7), set()))
    assert result.ok and result.present == 7 and result.total == 7 and result.reasons == ()


def test_quorum_with_an_ordinary_member_absent() -> None:
    assert check_quorum(attendance(roles(7), {6})).ok


def test_quorum_exactly_two_thirds_present() -> None:
    # 6 of 9: exactly 2/3, and chair and both reviewers are among them.
    result = check_quorum(attendance(roles(9), {4, 5, 6}))
    assert result.ok and result.present == 6


def test_quorum_just_under_two_thirds() -> None:
    # 5 of 9 is below 2/3.
    result = check_quorum(attendance(roles(9), {4, 5, 6, 7}))
    assert not result.ok
    assert result.reasons == ("only 5 of 9 members present, need 2/3",)


def test_quorum_seven_members_five_present_four_not() -> None:
    assert check_quorum(attendance(roles(7), {5, 6})).ok
    assert not check_quorum(attendance(roles(7), {4, 5, 6})).ok


def test_quorum_chair_absent_vice_chair_present() -> None:
    assert check_quorum(attendance(roles(7), {0})).ok


def test_quorum_chair_and_vice_chair_absent() -> None:
    result = check_quorum(attendance(roles(9), {0, 1}))
    assert not result.ok
    assert result.reasons == ("neither the chair nor the vice-chair is present",)


def test_quorum_chair_absent_and_no_vice_chair_on_the_council() -> None:
    assert not check_quorum(attendance([C, M, R, R, S, M, M], {0})).ok


def test_quorum_needs_both_reviewers() -> None:
    result = check_quorum(attendance(roles(9), {3}))
    assert not result.ok
    assert result.reasons == ("not every reviewer is present",)


def test_quorum_of_an_empty_council() -> None:
    result = check_quorum([])
    assert not result.ok and len(result.reasons) == 3


# --- Votes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_favour", "present", "passes"),
    [
        (6, 8, False),  # exactly 3/4 is not "more than"
        (7, 8, True),
        (3, 4, False),
        (4, 5, True),
        (6, 7, True),
        (5, 7, False),
        (7, 7, True),
        (0, 0, False),
    ],
)
def test_vote_passes_with_more_than_three_quarters(
    in_favour: int, present: int, passes: bool
) -> None:
    assert vote_passes(in_favour, present) is passes


# --- Conflicts of interest ------------------------------------------------------------------


def test_no_conflict() -> None:
    assert (
        conflicts_of_interest(
            person_id=1,
            person_organisation_ids={10},
            task_participant_ids={2, 3},
            applying_organisation_ids={20},
        )
        == []
    )


def test_conflict_registered_on_the_task() -> None:
    found = conflicts_of_interest(
        person_id=2,
        person_organisation_ids={10},
        task_participant_ids={2, 3},
        applying_organisation_ids={20},
    )
    assert [c.code for c in found] == ["participant"]
    assert "tham gia thực hiện nhiệm vụ" in found[0].message_vi


def test_conflict_from_the_applying_organisation() -> None:
    found = conflicts_of_interest(
        person_id=1,
        person_organisation_ids={10, 20},
        task_participant_ids=set(),
        applying_organisation_ids={20, 30},
    )
    assert [c.code for c in found] == ["applying_organisation"]
    assert "tổ chức đăng ký chủ trì" in found[0].message_vi


def test_both_conflicts() -> None:
    found = conflicts_of_interest(
        person_id=2,
        person_organisation_ids={20},
        task_participant_ids={2},
        applying_organisation_ids={20},
    )
    assert [c.code for c in found] == ["participant", "applying_organisation"]


# --- Selection scoring ----------------------------------------------------------------------


def test_average_exactly_seventy_is_recommended() -> None:
    outcome = selection_outcome([{"a": 40, "b": 30}, {"a": 35, "b": 35}, {"a": 30, "b": 40}])
    assert outcome == SelectionOutcome(average=70.0, recommended=True, zeroed_criteria=())


def test_exactly_seventy_despite_binary_floating_point() -> None:
    sheet = {"a": 39.3, "b": 24.9, "c": 5.8}
    assert 39.3 + 24.9 + 5.8 < 70  # the naive float sum falls short
    assert selection_outcome([sheet]).recommended


def test_average_just_under_seventy_is_not_recommended() -> None:
    outcome = selection_outcome([{"a": 70}, {"a": 69.98}])
    assert outcome.average == 69.99 and not outcome.recommended
    # 69.995 is shown rounded down, never as a misleading 70.00.
    assert selection_outcome([{"a": 70}, {"a": 69.99}]).average == 69.99


def test_zero_from_exactly_one_third_of_members_is_tolerated() -> None:
    sheets = [{"a": 0, "b": 80}] * 2 + [{"a": 20, "b": 80}] * 4
    outcome = selection_outcome(sheets)
    assert outcome.recommended and outcome.zeroed_criteria == ()


def test_zero_from_more_than_one_third_of_members_blocks() -> None:
    sheets = [{"a": 0, "b": 90}] * 3 + [{"a": 20, "b": 80}] * 4
    outcome = selection_outcome(sheets)
    assert outcome.average > 70
    assert not outcome.recommended and outcome.zeroed_criteria == ("a",)


def test_two_zeros_of_seven_members_is_under_one_third() -> None:
    sheets = [{"a": 0, "b": 90}] * 2 + [{"a": 20, "b": 80}] * 5
    assert selection_outcome(sheets).recommended


def test_no_score_sheets() -> None:
    assert not selection_outcome([]).recommended


def test_the_highest_recommended_application_wins() -> None:
    outcomes = {
        "A": SelectionOutcome(75.0, True, ()),
        "B": SelectionOutcome(82.5, True, ()),
        "C": SelectionOutcome(90.0, False, ("x",)),
        "D": SelectionOutcome(60.0, False, ()),
    }
    ranking = rank_applications(outcomes)
    assert ranking.ranked == ("B", "A") and ranking.winner == "B" and not ranking.tied


def test_a_tie_at_the_top_names_no_winner() -> None:
    ranking = rank_applications(
        {1: SelectionOutcome(80.0, True, ()), 2: SelectionOutcome(80.0, True, ())}
    )
    assert ranking.tied and ranking.winner is None and set(ranking.ranked) == {1, 2}


def test_no_application_reached_the_threshold() -> None:
    ranking = rank_applications({1: SelectionOutcome(65.0, False, ())})
    assert ranking.ranked == () and ranking.winner is None and not ranking.tied


def test_application_dossier_documents() -> None:
    complete = {
        DocumentKind.APPLICATION_FORM,
        DocumentKind.PROPOSAL_RESEARCH,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    }
    assert missing_application_documents(TaskKind.RESEARCH_TOPIC, complete) == set()
    assert missing_application_documents(
        TaskKind.RESEARCH_TOPIC, complete - {DocumentKind.CURRICULUM_VITAE}
    ) == {DocumentKind.CURRICULUM_VITAE}
    # A pilot project is described on form B1-2b, not B1-2a.
    assert missing_application_documents(TaskKind.PILOT_PROJECT, complete) == {
        DocumentKind.PROPOSAL_PILOT
    }


# --- Acceptance rating ----------------------------------------------------------------------

E, P, F = Rating.EXCELLENT, Rating.PASS, Rating.FAIL


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([P] * 7 + [F] * 2, P),  # 7/9 ≥ 3/4
        ([P] * 6 + [F] * 3, F),  # 6/9 < 3/4
        ([P] * 6 + [F] * 2, P),  # exactly 3/4 of 8 present
        ([E] * 6 + [P] * 2, E),  # exactly 3/4 rate Xuất sắc
        ([E] * 5 + [P] * 3, P),  # 5/8 Xuất sắc is not enough
        ([E] * 6 + [F] * 2, E),  # Xuất sắc counts as Đạt or better
        ([E] * 5 + [F] * 3, F),  # 5/8 < 3/4, however excellent
        ([E] * 9, E),
        ([F] * 9, F),
        ([], F),
    ],
)
def test_acceptance_rating(ratings: list[Rating], expected: Rating) -> None:
    assert acceptance_rating(ratings) is expected


def test_acceptance_rating_with_a_member_absent() -> None:
    # 8 of 9 present: 6 Đạt of 8 present is exactly 3/4.
    assert acceptance_rating([P] * 6 + [F] * 2, members_present=8) is P


def test_a_present_member_who_did_not_rate_counts_against() -> None:
    assert acceptance_rating([P] * 6, members_present=9) is F
    assert acceptance_rating([P] * 7, members_present=9) is P


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (100, PointsRating.EXCELLENT),
        (85, PointsRating.EXCELLENT),
        (84.99, PointsRating.GOOD),
        (70, PointsRating.GOOD),
        (69.99, PointsRating.PASS),
        (50, PointsRating.PASS),
        (49.99, PointsRating.FAIL),
        (0, PointsRating.FAIL),
    ],
)
def test_points_variant(points: float, expected: PointsRating) -> None:
    assert points_rating(points) is expected


def test_points_variant_lateness_fails_whatever_the_points() -> None:
    assert points_rating(95, too_late=True) is PointsRating.FAIL


def test_lateness_of_more_than_six_months() -> None:
    planned = date(2027, 3, 15)
    assert not is_too_late(planned, date(2027, 9, 15))  # exactly 6 months
    assert is_too_late(planned, date(2027, 9, 16))
    assert not is_too_late(planned, date(2027, 3, 1))


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


# --- Working days ---------------------------------------------------------------------------


def test_vietnamese_public_holidays_are_not_working_days() -> None:
    for day in [
        date(2027, 1, 1),  # Tết Dương lịch
        date(2027, 2, 5),  # Giao thừa
        date(2027, 2, 8),  # Mùng ba Tết
        date(2027, 4, 16),  # Giỗ Tổ Hùng Vương (10/3 âm lịch)
        date(2027, 4, 30),
        date(2027, 9, 2),
        date(2026, 5, 1),
    ]:
        assert day.weekday() < 5 and not VIETNAM.is_working_day(day), day
    assert VIETNAM.is_working_day(date(2027, 2, 11))
    assert not VIETNAM.is_working_day(date(2027, 3, 6))  # a Saturday


def test_acceptance_council_deadline_in_an_ordinary_month() -> None:
    # 15 working days after Monday 8 March 2027: three full weeks.
    assert acceptance_council_deadline(date(2027, 3, 8)) == date(2027, 3, 29)


def test_acceptance_council_deadline_across_tet_2027() -> None:
    # Valid on Monday 1 February; Tết closes offices from Thursday 4 to Wednesday 10 February.
    assert acceptance_council_deadline(date(2027, 2, 1)) == date(2027, 3, 1)
    without_holidays = date(2027, 2, 22)
    assert acceptance_council_deadline(date(2027, 2, 1)) > without_holidays


def test_review_due_before_a_meeting_after_30_4_and_1_5() -> None:
    # Meeting Tuesday 4 May 2027: Monday 3 May is 1/5 observed, 30/4 is a Friday holiday.
    assert review_due_date(date(2027, 5, 4)) == date(2027, 4, 29)
    # 2026: 30/4 and 1/5 are Thursday and Friday.
    assert review_due_date(date(2026, 5, 4)) == date(2026, 4, 29)


def test_review_due_before_a_meeting_after_national_day() -> None:
    # 2/9/2027 is a Thursday and 3/9 a holiday too: due Wednesday 1 September.
    assert review_due_date(date(2027, 9, 6)) == date(2027, 9, 1)


def test_review_due_on_an_ordinary_day() -> None:
    assert review_due_date(date(2027, 3, 10)) == date(2027, 3, 9)
    assert review_due_date(date(2027, 3, 8)) == date(2027, 3, 5)  # Monday → Friday


def test_review_on_time() -> None:
    meeting = date(2027, 3, 10)
    assert review_on_time(date(2027, 3, 9), meeting)
    assert review_on_time(date(2027, 3, 1), meeting)
    assert not review_on_time(date(2027, 3, 10), meeting)


def test_calendar_with_announced_swaps() -> None:
    # A government notice may add a bridge day off and a make-up Saturday.
    cal = WorkingCalendar(
        extra_days_off=frozenset({date(2027, 3, 9)}),
        extra_working_days=frozenset({date(2027, 3, 13)}),
    )
    assert not cal.is_working_day(date(2027, 3, 9))
    assert cal.is_working_day(date(2027, 3, 13))
    assert cal.add_working_days(date(2027, 3, 8), 5) == date(2027, 3, 15)
    assert VIETNAM.add_working_days(date(2027, 3, 8), 5) == date(2027, 3, 15)
    assert cal.add_working_days(date(2027, 3, 8), 4) == date(2027, 3, 13)


def test_add_zero_and_negative_working_days() -> None:
    assert VIETNAM.add_working_days(date(2027, 3, 6), 0) == date(2027, 3, 6)
    assert VIETNAM.add_working_days(date(2027, 2, 11), -1) == date(2027, 2, 3)


def test_working_days_between() -> None:
    assert VIETNAM.working_days_between(date(2027, 2, 1), date(2027, 3, 1)) == 15
    assert VIETNAM.working_days_between(date(2027, 3, 8), date(2027, 3, 8)) == 0


def test_registration_within_thirty_days() -> None:
    assert registration_deadline(date(2027, 5, 20)) == date(2027, 6, 19)
    assert registration_deadline(date(2027, 12, 15)) == date(2028, 1, 14)


def test_progress_reports_every_six_months() -> None:
    assert progress_report_due_dates(date(2027, 3, 3), date(2028, 9, 3)) == [
        date(2027, 9, 6),  # 3/9/2027 is a holiday (2/9 bridge), then a weekend
        date(2028, 3, 3),
    ]


def test_progress_report_falling_on_labour_day_moves_to_next_working_day() -> None:
    dates = progress_report_due_dates(date(2027, 5, 1), date(2029, 4, 30))
    # 1/5/2028 is Monday, 2/5 the observed 30/4: the report is due Wednesday 3 May.
    assert dates == [date(2027, 11, 1), date(2028, 5, 3), date(2028, 11, 1)]


def test_no_progress_report_for_a_short_task() -> None:
    assert progress_report_due_dates(date(2027, 3, 1), date(2027, 9, 1)) == []


def test_registration_dossier_documents() -> None:
    base = {
        DocumentKind.REGISTRATION_FORM,
        DocumentKind.FINAL_REPORT,
        DocumentKind.SUMMARY_REPORT,
        DocumentKind.COUNCIL_MINUTES,
        DocumentKind.AUTHORS_AGREEMENT,
    }
    assert missing_registration_documents(base) == set()
    assert missing_registration_documents(base - {DocumentKind.REGISTRATION_FORM}) == {
        DocumentKind.REGISTRATION_FORM
    }
    assert missing_registration_documents(base, has_technology=True, has_result_data=True) == {
        DocumentKind.TECHNOLOGY_DESCRIPTION,
        DocumentKind.RESULT_DATA,
    }
