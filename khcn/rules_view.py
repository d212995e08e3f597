"""`khcn rules show`: the regulation editions in force, every number with its source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from models.editions import SCORING_SHEETS, Edition, Regulations, leaves
from models.services.notices import vn_date

# Vietnamese names of the groups of rules, in the order of the procedure.
GROUPS = {
    "advisory": "Bước 1 — Hội đồng tư vấn xác định nhiệm vụ",
    "selection": "Bước 2 — Tuyển chọn, giao trực tiếp",
    "implementation": "Bước 3 — Triển khai thực hiện",
    "acceptance": "Bước 4 — Đánh giá nghiệm thu",
    "registration": "Bước 5 — Đăng ký kết quả",
}


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if value is True:
        return "có"
    if value is False:
        return "không"
    return str(value)


def rules_rows(regulations: Regulations, edition: Edition) -> list[dict[str, Any]]:
    """Every number of an edition: its path, value and source."""
    rows = []
    for path, value in leaves(edition.model_dump(mode="json")):
        source = regulations.source(edition.id, path)
        rows.append(
            {
                "rule": path,
                "value": value,
                "source": source.article,
                "unverified": source.unverified,
                "note": source.note,
            }
        )
    return rows


def rules_json(regulations: Regulations, editions: Sequence[Edition]) -> str:
    """The editions as JSON (the portal will show the same page)."""
    return json.dumps(
        {
            "editions": [
                {
                    "id": e.id,
                    "name": e.name_vi,
                    "in_force_from": e.in_force_from.isoformat(),
                    "in_force_until": e.in_force_until.isoformat() if e.in_force_until else None,
                    "texts": list(e.texts),
                    "rules": rules_rows(regulations, e),
                }
                for e in editions
            ],
            "scoring_sheets": {
                sheet.id: {
                    "title": sheet.title_vi,
                    "source": sheet.source,
                    "criteria": [
                        {"code": c.code, "label": c.label_vi, "max": c.max_points}
                        for c in sheet.criteria
                    ],
                }
                for sheet in SCORING_SHEETS.values()
            },
        },
        ensure_ascii=False,
        indent=2,
    )


def rules_text(regulations: Regulations, editions: Sequence[Edition]) -> str:
    """The editions as a readable listing, Vietnamese first."""
    lines: list[str] = []
    for edition in editions:
        until = vn_date(edition.in_force_until) if edition.in_force_until else "nay"
        lines += [
            f"Phiên bản {edition.id}: {edition.name_vi}",
            f"  Áp dụng cho nhiệm vụ phê duyệt từ {vn_date(edition.in_force_from)} đến {until}",
            "  Văn bản: " + "; ".join(edition.texts),
        ]
        group = None
        for row in rules_rows(regulations, edition):
            head = row["rule"].split(".", 1)[0]
            if head in GROUPS and head != group:
                group = head
                lines.append(f"  {GROUPS[head]}")
            if head in ("id", "name_vi", "name_en", "texts"):
                continue
            mark = " [chưa đối chiếu văn bản]" if row["unverified"] else ""
            note = f" — {row['note']}" if row["note"] else ""
            lines.append(
                f"    {row['rule']} = {_value(row['value'])}   ({row['source']}{mark}{note})"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
