"""Regulation editions as data: every number has a source; a province changes numbers in a
validated file; the edition in force on a day."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from models.editions import (
    DEFAULT_REGULATIONS,
    EDITION_2014,
    EDITION_2025,
    SCORING_SHEETS,
    RulesFileError,
    apply_overrides,
    leaves,
    load_overrides,
)

CITATION = re.compile(r"^(—|(TT|NĐ|Luật) [\w/.,\- ĐđA-Z&;()]+)")


@pytest.mark.parametrize("edition", DEFAULT_REGULATIONS.editions, ids=lambda e: e.id)
def test_every_number_of_an_edition_has_a_source(edition):
    sources = DEFAULT_REGULATIONS.sources[edition.id]
    paths = [path for path, _value in leaves(edition.model_dump())]
    assert sorted(paths) == sorted(sources)
    for path in paths:
        assert CITATION.match(sources[path].article), (path, sources[path])


def test_the_2014_edition_cites_the_stored_texts_and_marks_the_rest():
    sourced = {p for p, s in DEFAULT_REGULATIONS.sources["2014"].items() if not s.unverified}
    unverified = {p for p, s in DEFAULT_REGULATIONS.sources["2014"].items() if s.unverified}
    # the numbers the stored texts do not give, and only those, are marked
    assert unverified == {
        "host_reminder_days",
        "advisory.proposal_revision_days",
        "selection.contract_signature_days",
        "implementation.progress_report_months",
        "implementation.inspection_lag_points",
        "registration.revision_days",
    }
    assert "acceptance.excellent_share" in sourced
    assert (
        DEFAULT_REGULATIONS.source("2014", "acceptance.fail_share").article == "TT 11/2014 Đ13.2b"
    )
    assert DEFAULT_REGULATIONS.source("2014", "selection.zero_share").article == "TT 20/2023 Đ11.8a"
    quorum = DEFAULT_REGULATIONS.source("2014", "acceptance.council.quorum.secretary").article
    assert "NĐ 08/2014 Đ33.1" in quorum


def test_the_2025_edition_cites_the_2026_circulars_and_keeps_the_rest_unverified():
    sources = DEFAULT_REGULATIONS.sources["2025"]
    assert sources["selection.council.size_max"].article == "TT 25/2026/TT-BCT Đ5.2a"
    assert sources["selection.council.quorum.secretary"].article == "TT 25/2026/TT-BCT Đ5.3a"
    assert sources["selection.appraisal.team_size"].article == "TT 25/2026/TT-BCT Đ5.4a"
    assert sources["acceptance.excellent_share"].unverified
    assert EDITION_2025.acceptance.excellent_share == EDITION_2014.acceptance.excellent_share
    assert EDITION_2025.selection.council.documents_lead_working_days == 3


def test_the_edition_in_force_on_a_day():
    assert DEFAULT_REGULATIONS.in_force(date(2025, 9, 30)).id == "2014"
    assert DEFAULT_REGULATIONS.in_force(date(2025, 10, 1)).id == "2025"
    assert DEFAULT_REGULATIONS.in_force(date(2031, 1, 1)).id == "2025"
    with pytest.raises(KeyError, match="in force"):
        DEFAULT_REGULATIONS.in_force(date(2013, 12, 31))


def test_editions_name_the_process_of_each_step():
    assert EDITION_2014.processes["implementation"] == "khcn-implementation-2014"
    assert EDITION_2025.processes["implementation"] == "khcn-implementation-2025"
    assert EDITION_2014.processes["acceptance"] == EDITION_2025.processes["acceptance"]


def test_scoring_sheets_add_up_to_100_tt20_2023_d12():
    for sheet in SCORING_SHEETS.values():
        assert sheet.max_total == 100, sheet.id
        assert sum(c.content for c in sheet.criteria) == 1, sheet.id


def test_a_province_changes_numbers_and_the_source_says_so():
    changed = apply_overrides(
        DEFAULT_REGULATIONS,
        {"all": {"signer": "department"}, "2025": {"acceptance": {"setup_working_days": 20}}},
        "hue.toml",
    )
    assert changed.edition("2014").signer == "department"
    assert changed.edition("2025").acceptance.setup_working_days == 20
    assert changed.edition("2014").acceptance.setup_working_days == 15
    source = changed.source("2025", "acceptance.setup_working_days")
    assert source.note == "hue.toml" and not source.unverified
    assert DEFAULT_REGULATIONS.edition("2025").acceptance.setup_working_days == 15


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"2014": {"acceptance": {"setup_wrking_days": 3}}}, "2014.acceptance.setup_wrking_days"),
        ({"all": {"acceptance": {"fail_share": "4/3"}}}, "2014.acceptance.fail_share"),
        ({"all": {"selection": {"council": {"size_min": 3}}}}, "2014.selection.council"),
        ({"2014": {"selection": {"min_average": "high"}}}, "2014.selection.min_average"),
        ({"2099": {"signer": "department"}}, "no edition 2099"),
        ({"all": {"processes": {"selection": "x"}}}, "all.processes"),
        ({"all": {"signer": "governor"}}, "2014.signer"),
        (
            {"all": {"acceptance": {"user_side_members": 5}}},
            "expert_members + user_side_members = 11",
        ),
    ],
)
def test_an_invalid_province_file_is_refused_naming_the_field(overrides, message):
    with pytest.raises(RulesFileError, match=re.escape(message)):
        apply_overrides(DEFAULT_REGULATIONS, overrides, "hue.toml")


def test_the_rules_file_is_toml(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text('[all]\nsigner = "department"\n[2014.selection]\ncall_open_days = 45\n')
    loaded = load_overrides(path)
    assert loaded.edition("2014").selection.call_open_days == 45
    path.write_text("[2014\n")
    with pytest.raises(RulesFileError, match="not valid TOML"):
        load_overrides(path)
    with pytest.raises(RulesFileError, match="does not exist"):
        load_overrides(tmp_path / "missing.toml")
