"""Every regulation rule at its edges, written from the articles, for both editions.

The stored texts are in ../shared/regulations/ (pháp điển; the 2026 circulars applying the
2025 law). Each test names the article it checks; tests parametrised over ``EDITIONS`` show the
rule holds in the 2014 edition and in the 2025 one (whose unverified numbers are the 2014 ones).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from models.editions import DEFAULT_REGULATIONS, EDITION_2014, EDITION_2025, SCORING_SHEETS
from models.enums import CouncilRole, CouncilType, DocumentKind, Field, Rating, TaskKind
from models.rules import (
    VIETNAM,
    Seat,
    TieFacts,
    WorkingCalendar,
    acceptance_verdict,
    add_months,
    advisory_recommended,
    appraisal_quorum,
    ballot_problems,
    call_closes_on,
    check_quorum,
    completion_due,
    conflicts_of_interest,
    council_composition_problems,
    council_roles,
    council_setup_due,
    dossier_due_day,
    dossier_too_late,
    earliest_meeting_day,
    extension_problems,
    latest_meeting_day,
    missing_application_documents,
    missing_registration_documents,
    months_between,
    progress_report_due_dates,
    rank_applications,
    registration_due,
    review_on_time,
    reviews_due_day,
    role_limit,
    scoring_sheet,
    second_call_allowed,
    selection_outcome,
    void_ballots,
)

EDITIONS = pytest.mark.parametrize("edition", DEFAULT_REGULATIONS.editions, ids=lambda e: e.id)
C, VC, R, M, S = (
    CouncilRole.CHAIR,
    CouncilRole.VICE_CHAIR,
    CouncilRole.REVIEWER,
    CouncilRole.MEMBER,
    CouncilRole.SECRETARY,
)
TECH = SCORING_SHEETS["tt20-2023-d12-1"]


def seats(size: int) -> list[Seat]:
    """Chair, vice-chair, two reviewers, a secretary and members up to ``size``."""
    return [Seat(r) for r in [C, VC, R, R, S] + [M] * (size - 5)]


def present(roles: list[CouncilRole], absent: frozenset[int] | set[int] = frozenset()) -> list:
    """Attendance: everyone present except the indexes in ``absent``."""
    return [(role, i not in absent) for i, role in enumerate(roles)]


# --- Council sizes and make-up --------------------------------------------------------------


@EDITIONS
@pytest.mark.parametrize(("size", "ok"), [(6, False), (7, True), (9, True), (10, False)])
def test_selection_council_7_to_9_members_tt20_2023_d8_1a(edition, size, ok):
    problems = council_composition_problems(
        CouncilType.SELECTION, seats(size), edition.selection.council
    )
    assert (not problems) is ok, problems


@EDITIONS
@pytest.mark.parametrize(("size", "ok"), [(6, False), (7, True), (11, True), (12, False)])
def test_advisory_council_7_to_11_members_tt06_2023_d10_2(edition, size, ok):
    members = [Seat(r) for r in council_roles(size, 2, council_reviewers=False)]
    problems = council_composition_problems(CouncilType.ADVISORY, members, edition.advisory.council)
    assert (not problems) is ok, problems


def test_advisory_reviewers_are_named_per_proposal_not_per_council_tt06_2023_d10_2():
    roles = council_roles(7, 2, council_reviewers=False)
    assert roles.count(R) == 0 and roles.count(M) == 4
    with_council_reviewers = [Seat(r) for r in council_roles(7, 2)]
    problems = council_composition_problems(
        CouncilType.ADVISORY, with_council_reviewers, EDITION_2014.advisory.council
    )
    assert any("reviewer" in p for p in problems)


def acceptance_seats(*, user_side: int = 3, earlier: int = 1, host_key: bool = False) -> list[Seat]:
    """An acceptance council of 9: six experts in the key roles and seats, the user side."""
    experts = [C, VC, R, R, S, M]
    found = [
        Seat(r, earlier=i < earlier, from_host=host_key and i == 0) for i, r in enumerate(experts)
    ]
    return found + [Seat(M, user_side=i < user_side) for i in range(3)]


@EDITIONS
def test_acceptance_council_is_9_six_experts_three_user_side_tt11_2014_d9_3a(edition):
    rules = edition.acceptance
    assert (rules.council.size_min, rules.council.size_max) == (9, 9)
    assert (rules.expert_members, rules.user_side_members) == (6, 3)
    assert not council_composition_problems(
        CouncilType.ACCEPTANCE, acceptance_seats(), rules.council, rules
    )
    two = council_composition_problems(
        CouncilType.ACCEPTANCE, acceptance_seats(user_side=2), rules.council, rules
    )
    assert any("user-side" in p for p in two)


@EDITIONS
def test_acceptance_council_needs_someone_from_an_earlier_council_tt11_2014_d9_3a(edition):
    rules = edition.acceptance
    problems = council_composition_problems(
        CouncilType.ACCEPTANCE, acceptance_seats(earlier=0), rules.council, rules
    )
    assert any("earlier" in p or "advisory or selection" in p for p in problems)


@EDITIONS
def test_host_expert_never_chair_vice_reviewer_or_secretary_tt11_2014_d9_3b(edition):
    rules = edition.acceptance
    problems = council_composition_problems(
        CouncilType.ACCEPTANCE, acceptance_seats(host_key=True), rules.council, rules
    )
    assert any("host" in p for p in problems)
    as_member = acceptance_seats()
    as_member[5] = Seat(M, from_host=True)  # an ordinary seat is allowed
    assert not council_composition_problems(CouncilType.ACCEPTANCE, as_member, rules.council, rules)


def test_one_chair_one_vice_chair_one_secretary_nd08_2014_d32_2():
    rules = EDITION_2014.selection.council
    two_chairs = [Seat(r) for r in [C, C, R, R, S, M, M]]
    no_secretary = [Seat(r) for r in [C, VC, R, R, M, M, M]]
    assert council_composition_problems(CouncilType.SELECTION, two_chairs, rules)
    assert council_composition_problems(CouncilType.SELECTION, no_secretary, rules)
    assert role_limit(R, rules) == 2 and role_limit(M, rules) is None and role_limit(C, rules) == 1


# --- Quorum: two thirds, the chair or vice-chair, both reviewers, the secretary ---------------


@EDITIONS
def test_quorum_everyone_present_nd08_2014_d33_1(edition):
    assert check_quorum(present([C, VC, R, R, S, M, M]), edition.selection.council.quorum).ok


@EDITIONS
def test_quorum_exactly_two_thirds_is_enough_nd08_2014_d33_1(edition):
    # 6 of 9: exactly 2/3
    result = check_quorum(
        present([C, VC, R, R, S, M, M, M, M], {6, 7, 8}), edition.acceptance.council.quorum
    )
    assert result.ok and result.present == 6


@EDITIONS
def test_quorum_just_under_two_thirds_nd08_2014_d33_1(edition):
    # 4 of 7 < 2/3
    result = check_quorum(
        present([C, VC, R, R, S, M, M], {1, 5, 6}), edition.selection.council.quorum
    )
    assert not result.ok and "2/3" in result.reasons[0]


@EDITIONS
def test_quorum_needs_the_scientific_secretary_nd08_2014_d33_1(edition):
    result = check_quorum(present([C, VC, R, R, S, M, M], {4}), edition.selection.council.quorum)
    assert not result.ok
    assert result.reasons == ("vắng ủy viên thư ký khoa học / the scientific secretary is absent",)


@EDITIONS
def test_quorum_needs_both_reviewers_tt20_2023_d10_2a(edition):
    result = check_quorum(present([C, VC, R, R, S, M, M], {3}), edition.selection.council.quorum)
    assert not result.ok and any("reviewer" in r for r in result.reasons)


@EDITIONS
def test_quorum_chair_or_vice_chair_tt11_2014_d10_2b(edition):
    quorum = edition.acceptance.council.quorum
    roles = [C, VC, R, R, S, M, M, M, M]
    assert check_quorum(present(roles, {0}), quorum).ok
    assert not check_quorum(present(roles, {0, 1}), quorum).ok


def test_advisory_quorum_counts_the_reviewers_of_the_proposal_tt06_2023_d11_2():
    quorum = EDITION_2014.advisory.council.quorum
    roles = [C, VC, S, M, M, M, M]
    assert check_quorum(present(roles), quorum, reviewers_present=[True, True]).ok
    assert not check_quorum(present(roles), quorum, reviewers_present=[True, False]).ok


@EDITIONS
def test_appraisal_team_four_of_five_with_a_council_key_member_tt20_2023_d13_1b(edition):
    share = edition.selection.appraisal.quorum_share
    assert appraisal_quorum(4, 5, True, share).ok
    assert not appraisal_quorum(3, 5, True, share).ok
    assert not appraisal_quorum(5, 5, False, share).ok


# --- Lead times and windows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "council", "lead"),
    [
        (EDITION_2014, "advisory", 5),  # TT 06/2023 Đ11.4
        (EDITION_2014, "selection", 7),  # TT 20/2023 Đ9.1
        (EDITION_2014, "acceptance", 7),  # TT 11/2014 Đ10.1
        (EDITION_2025, "selection", 3),  # TT 42/2026 (unverified in the stored texts)
    ],
    ids=lambda v: getattr(v, "id", str(v)),
)
def test_documents_reach_members_n_working_days_before(edition, council, lead):
    rules = edition.council(council)
    assert rules.documents_lead_working_days == lead
    sent = date(2027, 3, 8)  # a Monday
    earliest = earliest_meeting_day(sent, lead)
    assert VIETNAM.working_days_between(sent, earliest) == lead


def test_appraisal_documents_three_working_days_before_tt20_2023_d9_1():
    assert EDITION_2014.selection.appraisal.documents_lead_working_days == 3


@EDITIONS
def test_acceptance_council_established_within_15_working_days_tt11_2014_d9_1(edition):
    # Valid Monday 8 March 2027: three full weeks later.
    assert council_setup_due(date(2027, 3, 8), edition.acceptance) == date(2027, 3, 29)
    # Valid Monday 1 February 2027: Tết closes offices 4–10 February.
    assert council_setup_due(date(2027, 2, 1), edition.acceptance) == date(2027, 3, 1)


@EDITIONS
def test_acceptance_council_meets_within_30_days_of_its_decision_tt11_2014_d10_2(edition):
    assert latest_meeting_day(date(2027, 3, 1), edition.acceptance) == date(2027, 3, 31)


@EDITIONS
def test_written_reviews_due_one_working_day_before_tt11_2014_d10_2a(edition):
    days = edition.acceptance.council.reviews_due_working_days
    assert reviews_due_day(date(2027, 3, 10), days) == date(2027, 3, 9)
    assert reviews_due_day(date(2027, 3, 8), days) == date(2027, 3, 5)  # Monday → Friday
    # Tuesday 4 May 2027: Monday 3 May is 1/5 observed and 30/4 a Friday holiday
    assert reviews_due_day(date(2027, 5, 4), days) == date(2027, 4, 29)
    assert review_on_time(date(2027, 3, 9), date(2027, 3, 10), days)
    assert not review_on_time(date(2027, 3, 10), date(2027, 3, 10), days)


# --- Step 1: the advisory council --------------------------------------------------------------


@EDITIONS
@pytest.mark.parametrize(
    ("in_favour", "ballots", "passes"),
    [(7, 7, True), (6, 7, True), (6, 8, False), (7, 9, True), (3, 4, False), (0, 0, False)],
)
def test_proposal_recommended_by_more_than_three_quarters_tt06_2023_d12_7(
    edition, in_favour, ballots, passes
):
    assert advisory_recommended(in_favour, ballots, edition.advisory.pass_share) is passes


# --- Step 2: selection -------------------------------------------------------------------------


def ballot(total: int, sheet=TECH, zero: str | None = None) -> dict[str, float]:
    """A ballot on ``sheet`` adding up to ``total``, spread by the criteria's maxima."""
    scores = {c.code: Fraction(c.max_points * total, sheet.max_total) for c in sheet.criteria}
    if zero:
        scores[zero] = Fraction(0)
    rounded = {k: float(round(v, 2)) for k, v in scores.items()}
    drift = total - sum(rounded.values()) if not zero else 0
    first = next(k for k in rounded if k != zero)
    rounded[first] = round(rounded[first] + drift, 2)
    return rounded


@EDITIONS
def test_average_exactly_70_is_recommended_tt20_2023_d11_8a(edition):
    outcome = selection_outcome([ballot(70)] * 7, 7, TECH, edition.selection)
    assert outcome.recommended and outcome.average == 70.0


@EDITIONS
def test_average_just_under_70_is_not_tt20_2023_d11_8a(edition):
    outcome = selection_outcome([ballot(70)] * 6 + [ballot(69)], 7, TECH, edition.selection)
    assert not outcome.recommended and outcome.average == 69.85


def test_exactly_70_despite_binary_floating_point():
    sheet = {
        "overview": 7.0,
        "content": 20.7,
        "products": 12.8,
        "application": 12.8,
        "feasibility": 13.1,
        "capacity": 3.6,
    }
    assert sum(sheet.values()) != 70  # in floats
    assert selection_outcome([sheet], 1, TECH, EDITION_2014.selection).recommended


@EDITIONS
@pytest.mark.parametrize(
    ("zeros", "present", "blocked"),
    [(2, 8, False), (3, 8, True), (2, 9, False), (3, 9, True), (1, 7, False), (2, 7, True)],
)
def test_no_criterion_zeroed_by_more_than_a_quarter_of_members_present_tt20_2023_d11_8a(
    edition, zeros, present, blocked
):
    ballots = [ballot(85, zero="products") if i < zeros else ballot(85) for i in range(present)]
    # zeros lower those totals; keep every ballot valid by scoring the rest high
    outcome = selection_outcome(ballots, present, TECH, edition.selection)
    assert ("products" in outcome.zeroed_criteria) is blocked
    assert outcome.max_zero_count == zeros


@EDITIONS
def test_a_ballot_more_than_20_percent_from_the_mean_is_void_tt20_2023_d11_5d(edition):
    # totals 80 ×6 and 40: mean 74.29; 40 is 46 % away → void; the average is 80
    outcome = selection_outcome([ballot(80)] * 6 + [ballot(40)], 7, TECH, edition.selection)
    assert outcome.void_ballots == 1 and outcome.valid_ballots == 6
    assert outcome.average == 80.0 and outcome.recommended


@EDITIONS
def test_a_ballot_exactly_20_percent_from_the_mean_counts_tt20_2023_d11_5d(edition):
    # totals 60 and 90: mean 75, both exactly 20 % away → valid
    assert void_ballots([Fraction(60), Fraction(90)], edition.selection.ballot_deviation) == set()
    assert void_ballots([Fraction(59), Fraction(91)], edition.selection.ballot_deviation) == {0, 1}


@EDITIONS
def test_the_proposing_organisation_gets_ten_percent_from_70_tt20_2023_d11_7(edition):
    rules = edition.selection
    assert selection_outcome([ballot(70)], 1, TECH, rules, proposer=True).average == 77.0
    assert selection_outcome([ballot(69)], 1, TECH, rules, proposer=True).average == 69.0


def test_criteria_and_maxima_differ_by_kind_of_task_tt20_2023_d12():
    rules = EDITION_2014.selection
    technology = scoring_sheet(TaskKind.RESEARCH_TOPIC, Field.AGRICULTURAL, rules)
    social = scoring_sheet(TaskKind.RESEARCH_TOPIC, Field.HUMANITIES, rules)
    scheme = scoring_sheet(TaskKind.SCHEME, Field.AGRICULTURAL, rules)
    project = scoring_sheet(TaskKind.PILOT_PROJECT, Field.AGRICULTURAL, rules)
    assert technology.source == "TT 20/2023 Đ12.1" and technology.maxima()["content"] == 24
    assert social.source == "TT 20/2023 Đ12.2" and social.maxima()["products"] == 24
    assert scheme is social
    assert project.source == "TT 20/2023 Đ12.4" and len(project.criteria) == 7
    assert {s.max_total for s in (technology, social, project)} == {100}


def test_a_ballot_must_score_every_criterion_of_its_sheet_within_its_maximum():
    assert ballot_problems(ballot(80), TECH) == []
    over = {**ballot(80), "content": 25}
    assert any("0 to 24" in p for p in ballot_problems(over, TECH))
    missing = {k: v for k, v in ballot(80).items() if k != "capacity"}
    assert any("capacity" in p for p in ballot_problems(missing, TECH))


def outcome(average: float, content: float = 20.0):
    """An outcome as the count leaves it (recommended when ≥ 70)."""
    from models.rules import SelectionOutcome

    return SelectionOutcome(
        average=average,
        recommended=average >= 70,
        exact_average=Fraction(str(average)),
        exact_content=Fraction(str(content)),
    )


def test_the_highest_average_wins_tt20_2023_d11_8a():
    ranking = rank_applications(
        {1: outcome(75), 2: outcome(82), 3: outcome(60)}, {}, EDITION_2014.selection.tie_breaks
    )
    assert ranking.ranked == (2, 1) and ranking.winner == 2 and ranking.decided_by is None


def test_tie_broken_by_the_smaller_state_budget_first_tt20_2023_d11_8b():
    ranking = rank_applications(
        {1: outcome(80), 2: outcome(80)},
        {1: TieFacts(900_000_000, prior_excellent=True), 2: TieFacts(850_000_000)},
        EDITION_2014.selection.tie_breaks,
    )
    assert ranking.winner == 2 and ranking.decided_by == "lower_state_budget"


def test_then_by_a_task_rated_excellent_in_five_years_tt20_2023_d11_8b():
    ranking = rank_applications(
        {1: outcome(80), 2: outcome(80, content=22)},
        {1: TieFacts(900_000_000, prior_excellent=True), 2: TieFacts(900_000_000)},
        EDITION_2014.selection.tie_breaks,
    )
    assert ranking.winner == 1 and ranking.decided_by == "prior_excellent"


def test_then_by_the_content_and_implementation_score_tt20_2023_d11_8b():
    ranking = rank_applications(
        {1: outcome(80, content=20), 2: outcome(80, content=22)},
        {1: TieFacts(900_000_000), 2: TieFacts(900_000_000)},
        EDITION_2014.selection.tie_breaks,
    )
    assert ranking.winner == 2 and ranking.decided_by == "content_score"


def test_a_tie_surviving_every_rule_names_no_winner():
    ranking = rank_applications(
        {1: outcome(80), 2: outcome(80)}, {}, EDITION_2014.selection.tie_breaks
    )
    assert ranking.tied and ranking.winner is None


@EDITIONS
def test_call_open_30_days_tt20_2023_d3_2(edition):
    assert call_closes_on(date(2027, 3, 1), edition.selection) == date(2027, 3, 31)
    # 30 days after 1 April 2027 is Saturday 1 May: the next working day
    assert call_closes_on(date(2027, 4, 1), edition.selection) == date(2027, 5, 4)


@EDITIONS
def test_one_more_call_within_six_months_tt20_2023_d3_3(edition):
    rules = edition.selection
    first = date(2027, 3, 1)
    assert second_call_allowed(first, 1, date(2027, 9, 1), rules)
    assert not second_call_allowed(first, 1, date(2027, 9, 2), rules)
    assert not second_call_allowed(first, 2, date(2027, 5, 1), rules)


def test_application_dossier_documents_tt20_2023_d5():
    present = {
        DocumentKind.APPLICATION_FORM,
        DocumentKind.PROPOSAL_RESEARCH,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    }
    assert missing_application_documents(TaskKind.RESEARCH_TOPIC, present) == set()
    assert missing_application_documents(TaskKind.PILOT_PROJECT, present) == {
        DocumentKind.PROPOSAL_PILOT
    }


def test_conflicts_of_interest_tt20_2023_d8_2():
    none = conflicts_of_interest(
        person_id=1,
        person_organisation_ids={10},
        task_participant_ids={2},
        applying_organisation_ids={20},
    )
    assert none == []
    both = conflicts_of_interest(
        person_id=2,
        person_organisation_ids={20},
        task_participant_ids={2},
        applying_organisation_ids={20},
    )
    assert [c.code for c in both] == ["participant", "applying_organisation"]


# --- Step 3: implementation --------------------------------------------------------------------


@EDITIONS
def test_progress_reports_every_six_months(edition):
    rules = edition.implementation
    assert progress_report_due_dates(date(2027, 3, 3), date(2028, 9, 3), rules) == [
        date(2027, 9, 6),  # 3/9/2027 is the National Day bridge, then a weekend
        date(2028, 3, 3),
    ]
    assert progress_report_due_dates(date(2027, 3, 1), date(2027, 9, 1), rules) == []


def test_the_2025_edition_evaluates_every_year_tt44_2026_d5_5():
    assert EDITION_2025.implementation.review_months == 12
    assert DEFAULT_REGULATIONS.source("2025", "implementation.review_months").article.startswith(
        "TT 44/2026"
    )
    assert DEFAULT_REGULATIONS.source("2014", "implementation.review_months").article == (
        "TT 04/2015 Đ6.1"
    )


def extension(
    new_end: date, requested_on: date, *, start=date(2026, 1, 1), end=date(2027, 12, 31), done=0
):
    """The problems of an extension of a task running ``start``..``end``."""
    return extension_problems(
        starts_on=start,
        ends_on=end,
        new_end=new_end,
        requested_on=requested_on,
        extensions_so_far=done,
        rules=EDITION_2014.implementation,
    )


def test_extension_of_a_24_month_task_at_most_6_months_tt04_2015_d12_1():
    assert months_between(date(2026, 1, 1), date(2027, 12, 31)) == 24
    assert extension(date(2028, 6, 30), date(2027, 10, 1)) == []
    assert extension(date(2028, 7, 31), date(2027, 10, 1))


def test_extension_of_a_longer_task_at_most_12_months_tt04_2015_d12_1():
    end = date(2028, 6, 30)  # 30 months
    assert extension(date(2029, 6, 30), date(2028, 3, 1), end=end) == []
    assert extension(date(2029, 7, 31), date(2028, 3, 1), end=end)


def test_extension_asked_at_least_a_month_before_the_end_tt04_2015_d12_2():
    assert extension(date(2028, 3, 31), date(2027, 11, 30)) == []
    assert extension(date(2028, 3, 31), date(2027, 12, 1))


def test_extension_once_only_tt04_2015_d12_1():
    assert any("already" in p for p in extension(date(2028, 3, 31), date(2027, 10, 1), done=1))


# --- Step 4: acceptance ------------------------------------------------------------------------


def verdict(
    excellent: int,
    passed: int,
    failed: int,
    *,
    present: int | None = None,
    late=False,
    edition=EDITION_2014,
):
    """The council's verdict from the ratings of the members present."""
    return acceptance_verdict(
        excellent=excellent,
        passed=passed,
        failed=failed,
        present=present if present is not None else excellent + passed + failed,
        too_late=late,
        rules=edition.acceptance,
    )


@EDITIONS
@pytest.mark.parametrize(
    ("excellent", "passed", "failed", "expected"),
    [
        (9, 0, 0, Rating.EXCELLENT),
        (7, 2, 0, Rating.EXCELLENT),  # 7/9 ≥ 3/4
        (6, 3, 0, Rating.PASS),  # 6/9 < 3/4
        (6, 2, 0, Rating.EXCELLENT),  # 6/8 = 3/4 exactly
        (7, 0, 1, Rating.PASS),  # the case: 3/4 Xuất sắc but one Không đạt
        (0, 6, 3, Rating.PASS),  # the case: 3/9 = 1/3, not more
        (0, 5, 4, Rating.FAIL),  # 4/9 > 1/3
    ],
)
def test_acceptance_verdict_tt11_2014_d13_2(edition, excellent, passed, failed, expected):
    assert verdict(excellent, passed, failed, edition=edition) is expected


@EDITIONS
def test_exactly_one_third_not_achieved_is_still_dat_tt11_2014_d13_2b(edition):
    assert verdict(0, 4, 2, edition=edition) is Rating.PASS  # 2/6 = 1/3
    assert verdict(0, 3, 2, edition=edition) is Rating.FAIL  # 2/5 > 1/3


def test_nobody_present_is_khong_dat():
    assert verdict(0, 0, 0, present=0) is Rating.FAIL


@EDITIONS
def test_a_dossier_more_than_six_months_late_is_khong_dat_tt11_2014_d13_1c(edition):
    rules = edition.acceptance
    ended = date(2027, 3, 15)
    assert not dossier_too_late(ended, date(2027, 9, 15), rules)
    assert dossier_too_late(ended, date(2027, 9, 16), rules)
    assert verdict(9, 0, 0, late=True, edition=edition) is Rating.FAIL


@EDITIONS
def test_dossier_due_30_days_after_the_contract_tt11_2014_d7_1(edition):
    assert dossier_due_day(date(2027, 3, 15), edition.acceptance) == date(2027, 4, 14)


@EDITIONS
def test_dossier_completed_within_30_working_days_after_dat_tt11_2014_d13_3(edition):
    rated = date(2027, 3, 8)
    due = completion_due(rated, edition.acceptance)
    assert VIETNAM.working_days_between(rated, due) == 30


# --- Step 5: registration ----------------------------------------------------------------------


@EDITIONS
def test_registration_within_30_days_of_the_official_acceptance_tt14_2014(edition):
    assert registration_due(date(2027, 5, 20), edition.registration) == date(2027, 6, 19)


def test_registration_dossier_documents_tt14_2014():
    base = {
        DocumentKind.REGISTRATION_FORM,
        DocumentKind.FINAL_REPORT,
        DocumentKind.SUMMARY_REPORT,
        DocumentKind.COUNCIL_MINUTES,
        DocumentKind.AUTHORS_AGREEMENT,
    }
    assert missing_registration_documents(base) == set()
    assert missing_registration_documents(base, has_technology=True, has_result_data=True) == {
        DocumentKind.TECHNOLOGY_DESCRIPTION,
        DocumentKind.RESULT_DATA,
    }


# --- Working days ------------------------------------------------------------------------------


def test_vietnamese_public_holidays_are_not_working_days():
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


def test_calendar_with_announced_swaps():
    cal = WorkingCalendar(
        extra_days_off=frozenset({date(2027, 3, 9)}),
        extra_working_days=frozenset({date(2027, 3, 13)}),
    )
    assert not cal.is_working_day(date(2027, 3, 9))
    assert cal.is_working_day(date(2027, 3, 13))
    assert cal.add_working_days(date(2027, 3, 8), 4) == date(2027, 3, 13)
    assert VIETNAM.add_working_days(date(2027, 2, 11), -1) == date(2027, 2, 3)
    assert VIETNAM.working_days_between(date(2027, 2, 1), date(2027, 3, 1)) == 15


def test_add_months_clamps_to_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
