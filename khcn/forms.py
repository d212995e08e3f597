"""The selection ballot form, generated from the scoring sheets.

The selection ballot has one group of fields per sheet of TT 20/2023 Đ12, shown only for the
task's sheet (``scoringSheet``; a hidden field is neither validated nor submitted), so each
maximum is written once, in models/editions.py. Run ``python -m khcn.forms`` after changing a
sheet; tests/bpmn/test_static.py fails while the committed form differs from this output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.editions import SCORING_SHEETS
from models.services.user_tasks import ballot_fields

FORM_ID = "khcn-selection-ballot"
PATH = Path(__file__).resolve().parent.parent / "bpmn" / "forms" / f"{FORM_ID}.form"


def selection_ballot_form() -> dict[str, Any]:
    """The Camunda Form of the selection council's scoring ballot."""
    components: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": "### Phiếu đánh giá chấm điểm hồ sơ (phiếu kín, bỏ tại phiên họp)\n"
            "Nhiệm vụ {{taskCode}} — {{assignment.applicationTitle}}",
            "id": "Field_text_1",
            "layout": {"row": "Row_1", "columns": None},
        }
    ]
    row = 2
    for sheet in SCORING_SHEETS.values():
        hide = {"hide": f'=scoringSheet != "{sheet.id}"'}
        components.append(
            {
                "type": "text",
                "text": f"#### {sheet.title_vi} ({sheet.source})",
                "id": f"Field_title_{sheet.id.replace('-', '_')}",
                "conditional": hide,
                "layout": {"row": f"Row_{row}", "columns": None},
            }
        )
        row += 1
        codes = {code: key for key, code in ballot_fields(sheet.id).items()}
        for criterion in sheet.criteria:
            key = codes[criterion.code]
            components.append(
                {
                    "type": "number",
                    "key": key,
                    "label": f"{criterion.label_vi} (tối đa {criterion.max_points} điểm)",
                    "validate": {"required": True, "min": 0, "max": criterion.max_points},
                    "conditional": hide,
                    "id": f"Field_{key}",
                    "layout": {"row": f"Row_{row}", "columns": None},
                }
            )
            row += 1
    components.append(
        {
            "type": "textarea",
            "key": "comment",
            "label": "Ý kiến",
            "id": "Field_comment",
            "layout": {"row": f"Row_{row}", "columns": None},
        }
    )
    return {
        "id": FORM_ID,
        "type": "default",
        "components": components,
        "executionPlatform": "Camunda Cloud",
        "executionPlatformVersion": "8.5.0",
        "exporter": {"name": "Camunda Modeler", "version": "5.23.0"},
        "schemaVersion": 16,
    }


def render() -> str:
    """The form file's text."""
    return json.dumps(selection_ballot_form(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print(PATH)
