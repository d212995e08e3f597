"""Camunda Forms on the server: every form of bpmn/ loads, and every rule is checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from khcn.settings import ROOT
from portal.inbox import conditions, forms

SCHEMA = forms.parse_form(
    {
        "id": "test-form",
        "components": [
            {"type": "text", "text": "### Đề xuất **{{taskCode}}**\n{{proposal.title}} <b>x</b>"},
            {
                "type": "textfield",
                "key": "code",
                "validate": {"required": True, "pattern": "^NV-\\d{4}$"},
            },
            {"type": "textfield", "key": "mail", "validate": {"validationType": "email"}},
            {"type": "textarea", "key": "note", "validate": {"minLength": 3, "maxLength": 10}},
            {"type": "number", "key": "score", "validate": {"required": True, "min": 0, "max": 30}},
            {"type": "number", "key": "money", "decimalDigits": 0},
            {
                "type": "radio",
                "key": "result",
                "values": [{"label": "Đạt", "value": "passed"}, {"label": "Không", "value": "no"}],
                "validate": {"required": True},
            },
            {"type": "checklist", "key": "present", "valuesKey": "memberOptions"},
            {"type": "checkbox", "key": "valid", "defaultValue": False},
            {"type": "datetime", "key": "day", "subtype": "date", "validate": {"required": True}},
            {"type": "textfield", "key": "fixed", "readonly": True},
        ],
    }
)
VARIABLES = {
    "taskCode": "NV-2026-001",
    "proposal": {"title": "Sen Huế"},
    "memberOptions": [{"label": "Ông A", "value": 11}, {"label": "Bà B", "value": 12}],
    "fixed": "giữ nguyên",
}
VALID = {
    "code": ["NV-2026"],
    "mail": ["a@b.vn"],
    "note": ["tốt lắm"],
    "score": ["27"],
    "money": ["1500000"],
    "result": ["passed"],
    "present": ["11", "12"],
    "valid": ["true"],
    "day": ["2026-05-04"],
    "fixed": ["đổi trộm"],
}


def test_every_form_of_bpmn_loads_and_every_user_task_links_one() -> None:
    catalogue = forms.FormCatalogue(ROOT / "bpmn")

    assert len(catalogue.forms) >= 17
    assert catalogue.tasks, "no user task found in bpmn/"
    for (process, element), info in catalogue.tasks.items():
        assert catalogue.form(info.form_id) is not None, (process, element, info.form_id)
    screen = catalogue.user_task("khcn-task-list", "screenProposal", "2251799813685300")
    assert screen.form_id == "khcn-screen-proposal" and screen.name == "Sàng lọc đề xuất"
    # every form renders and validates (an empty answer: its required fields, nothing else)
    variables = {"scoringSheet": "tt20-2023-d12-1", "memberOptions": [{"label": "A", "value": 1}]}
    for schema in catalogue.forms.values():
        assert forms.form_view(schema, variables, {}, {}), schema.id
        outcome = forms.validate(schema, {}, variables)
        required = {f.key for f in schema.visible_fields(variables) if f.required}
        assert set(outcome.errors) == required, schema.id


def test_a_valid_submission_gives_typed_values() -> None:
    outcome = forms.validate(SCHEMA, VALID, VARIABLES)

    assert outcome.ok, outcome.errors
    assert outcome.values == {
        "code": "NV-2026",
        "mail": "a@b.vn",
        "note": "tốt lắm",
        "score": 27,
        "money": 1500000,
        "result": "passed",
        "present": [11, 12],  # the option values keep their type
        "valid": True,
        "day": "2026-05-04",
        "fixed": "giữ nguyên",  # read-only: what the browser sent is ignored
    }


@pytest.mark.parametrize(
    ("name", "sent", "message"),
    [
        ("code", [], "This field is required."),
        ("code", ["  "], "This field is required."),
        ("code", ["NV-26"], "This value does not have the expected format."),
        ("mail", ["khong-phai-thu"], "Enter an e-mail address."),
        ("note", ["ab"], "Enter at least %(n)s characters."),
        ("note", ["x" * 11], "Enter at most %(n)s characters."),
        ("score", ["31"], "The largest value allowed is %(n)s."),
        ("score", ["-1"], "The smallest value allowed is %(n)s."),
        ("score", ["hai mươi"], "Enter a number."),
        ("score", ["nan"], "Enter a number."),
        ("money", ["12,5"], "Use at most %(n)s decimal digits."),
        ("result", ["maybe"], "Choose from the options given."),
        ("result", [], "This field is required."),
        ("present", ["11", "99"], "Choose from the options given."),
        ("day", ["04/05/2026"], "Enter a date (dd/mm/yyyy)."),
    ],
)
def test_each_rule_refuses_with_its_message_and_keeps_what_was_typed(
    name: str, sent: list[str], message: str
) -> None:
    outcome = forms.validate(SCHEMA, {**VALID, name: sent}, VARIABLES)

    assert list(outcome.errors) == [name]
    assert outcome.errors[name].text == message
    assert outcome.typed["note"] == VALID["note"][0] or name == "note"
    if sent and name not in ("present",):
        assert outcome.typed[name] == sent[-1]


def test_text_is_filled_in_and_escaped() -> None:
    html = forms.render_text(SCHEMA.components[0].text, VARIABLES)

    assert (
        html == "<h4>Đề xuất <strong>NV-2026-001</strong></h4><p>Sen Huế &lt;b&gt;x&lt;/b&gt;</p>"
    )
    assert "<script>" not in forms.render_text("{{x}}", {"x": "<script>alert(1)</script>"})


@pytest.mark.parametrize(
    "component",
    [
        {"type": "iframe", "url": "https://example.org"},
        {"type": "textfield", "key": "a", "conditional": {"hide": "=count(b) > 1"}},
        {"type": "textfield", "key": "a", "conditional": {"hide": "=b + 1 > 2"}},
        {"type": "textfield", "key": "a", "conditional": {"hide": "=if b then c else d"}},
        {"type": "textfield", "key": "a", "conditional": {"hide": "b = 1"}},
        {"type": "textfield", "key": "a", "conditional": {"show": "=b"}},
        {"type": "dynamiclist", "key": "rows", "components": []},
        {"type": "textfield"},
        {"type": "textfield", "key": "a", "validate": {"pattern": "("}},
    ],
)
def test_a_form_the_portal_cannot_draw_faithfully_is_refused_by_name(component: Any) -> None:
    with pytest.raises(forms.FormError, match="broken"):
        forms.parse_form({"id": "broken", "components": [component]})


@pytest.mark.parametrize(
    ("expression", "context", "value"),
    [
        ("=listApproved != true", {"listApproved": True}, False),
        ("=listApproved != true", {"listApproved": False}, True),
        ("=listApproved != true", {}, True),  # null != true
        ('=scoringSheet != "tt20-2023-d12-1"', {"scoringSheet": "tt20-2023-d12-1"}, False),
        ("=a.b = 2 and c", {"a": {"b": 2}, "c": True}, True),
        ("=a.b = 2 and c", {"a": {"b": 2}}, None),  # true and null
        ("=a.b = 2 or c", {"a": {"b": 3}, "c": False}, False),
        ("=not(x >= 10) or y", {"x": 9}, True),
        ("=x < -1.5", {"x": -2}, True),
        ('=x = "1"', {"x": 1}, None),  # different types do not compare
        ("=x > 1", {}, None),
        ("=x = null", {}, True),
        ('=(x = "a" or x = "b") and not(y)', {"x": "b", "y": False}, True),
    ],
)
def test_conditions_follow_feel(expression: str, context: dict[str, Any], value: Any) -> None:
    assert conditions.evaluate(conditions.parse(expression), context) is value


def test_a_field_hidden_by_its_condition_is_neither_validated_nor_submitted() -> None:
    approve = forms.FormCatalogue(ROOT / "bpmn").form("khcn-approve-list")
    assert approve is not None
    refused = forms.validate(approve, {"method": ["direct"], "listDecisionNumber": ["12"]}, {})
    # not approved: the decision's number and date are hidden, neither required nor sent
    assert refused.ok and refused.values == {"listApproved": False, "method": "direct"}
    assert refused.typed["listDecisionNumber"] == "12"  # what was typed is kept
    approved = forms.validate(approve, {"method": ["direct"], "listApproved": ["true"]}, {})
    assert set(approved.errors) == {"listDecisionNumber", "listDecisionDate"}


def test_conditions_on_variables_are_decided_on_the_server_others_in_the_browser() -> None:
    catalogue = forms.FormCatalogue(ROOT / "bpmn")
    ballot = catalogue.form("khcn-selection-ballot")
    approve = catalogue.form("khcn-approve-list")
    assert ballot is not None and approve is not None

    shown = forms.form_view(ballot, {"scoringSheet": "tt20-2023-d12-2"}, {}, {})
    keys = [c["field"].key for c in shown if c["field"].key]
    assert keys and all(k.startswith("d12_2_") for k in keys[:-1]) and keys[-1] == "comment"
    assert all(c["hide"] is None for c in shown)

    view = {c["field"].key: c for c in forms.form_view(approve, {}, {}, {})}
    number = view["listDecisionNumber"]
    assert json.loads(number["hide"]) == conditions.parse("=listApproved != true")
    assert number["when"] == forms.Message(
        "Only when “%(field)s” is ticked.", {"field": "Phê duyệt đưa vào danh mục nhiệm vụ"}
    )
    assert view["method"]["hide"] is None
    assert forms.browser_context(approve, {"listApproved": True, "x": 1}) == "{}"
