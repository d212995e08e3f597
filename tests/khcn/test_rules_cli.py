"""`khcn rules show` and the province's settings: the numbers with their sources, a rules file
that changes them, an invalid one refused naming the field, the signer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from khcn.cli import app
from khcn.settings import Settings, SettingsError, load_settings
from models.enums import DecisionKind, Issuer
from models.services.decisions import issuer_of

runner = CliRunner()


def rules(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["rules", "show", *args], env=env or {})


def test_rules_show_prints_every_edition_with_its_sources() -> None:
    result = rules()
    assert result.exit_code == 0, result.output
    assert "Phiên bản 2014" in result.output and "Phiên bản 2025" in result.output
    assert "acceptance.excellent_share = 3/4   (TT 11/2014 Đ13.2a" in result.output
    assert "[chưa đối chiếu văn bản]" in result.output  # unverified numbers say so


def test_rules_show_json_for_one_edition() -> None:
    result = rules("--edition", "2025", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [e["id"] for e in data["editions"]] == ["2025"]
    rows = {r["rule"]: r for r in data["editions"][0]["rules"]}
    lead = rows["selection.council.documents_lead_working_days"]
    # the 2025 lead time comes from the regulations index (TT 42/2026, not stored): unverified
    assert lead["value"] == 3 and lead["source"] == "TT 42/2026" and lead["unverified"]
    appraisal = rows["selection.appraisal.team_size"]
    assert appraisal["source"] == "TT 25/2026/TT-BCT Đ5.4a" and not appraisal["unverified"]
    assert rows["processes"]["value"]["implementation"] == "khcn-implementation-2025"
    assert sum(c["max"] for c in data["scoring_sheets"]["tt20-2023-d12-1"]["criteria"]) == 100


def test_an_unknown_edition_is_a_usage_error() -> None:
    result = rules("--edition", "1999")
    assert result.exit_code == 2 and "1999" in result.output


def test_a_province_rules_file_changes_the_numbers_shown(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[all]\nselection.min_average = 75\n", encoding="utf-8")
    result = rules("--edition", "2014", env={"KHCN_RULES_FILE": str(path)})
    assert result.exit_code == 0, result.output
    assert f"selection.min_average = 75.0   (thiết lập của tỉnh — {path})" in result.output


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[2025]\nselection.min_average = "high"\n', "2025.selection.min_average"),
        ("[all]\nprocesses.implementation = 'mine'\n", "all.processes"),
        ("[2030]\nhost_reminder_days = 3\n", "no edition 2030"),
        ("[all\n", "not valid TOML"),
    ],
)
def test_start_up_refuses_an_invalid_rules_file_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, named: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    result = rules(env={"KHCN_RULES_FILE": str(path)})
    assert result.exit_code == 2, result.output
    assert named in result.output and "KHCN_RULES_FILE" in result.output
    monkeypatch.setenv("KHCN_RULES_FILE", str(path))
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert named in str(err.value)


def test_the_signer_setting_chooses_who_signs_and_the_numbering() -> None:
    default = Settings().regulations()
    delegated = Settings(signer="department").regulations()
    for edition in ("2014", "2025"):
        assert (
            issuer_of(default.edition(edition), DecisionKind.RECOGNITION) is Issuer.PEOPLE_COMMITTEE
        )
        assert (
            issuer_of(delegated.edition(edition), DecisionKind.LIST_APPROVAL) is Issuer.DEPARTMENT
        )
    assert delegated.edition("2025").signer == "department"
    assert Settings().workers().province == "Thành phố Huế"
