"""Documents are rendered from the real templates and carry the values given."""

from __future__ import annotations

import io

import pytest
from docx import Document

from workers.documents import DocumentError, libreoffice, render

CERTIFICATE = {
    "header_top": "UBND THÀNH PHỐ HUẾ",
    "header_bottom": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
    "certificate_number": "01/2026/GCN-SKHCN",
    "task_title": "Nghiên cứu giống lúa chịu mặn",
    "task_code": "ĐT-2026-01",
    "host_organisation": "Trường Đại học Nông Lâm Huế",
    "principal_investigator": "TS. Nguyễn Văn An",
    "rating": "Đạt",
    "issued_on": "26/11/2026",
}


def _text(docx: bytes) -> str:
    doc = Document(io.BytesIO(docx))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(cells + [p.text for p in doc.paragraphs])


def test_certificate_carries_every_value_with_vietnamese_text() -> None:
    rendered = render("certificate", CERTIFICATE, make_pdf=False)
    text = _text(rendered.docx)
    for value in CERTIFICATE.values():
        assert value in text
    assert "GIẤY CHỨNG NHẬN" in text
    assert "{{" not in text
    assert len(rendered.sha256) == 64


def test_rendering_twice_gives_the_same_text() -> None:
    first = render("certificate", CERTIFICATE, make_pdf=False)
    second = render("certificate", CERTIFICATE, make_pdf=False)
    assert _text(first.docx) == _text(second.docx)


def test_contract_lists_each_tranche() -> None:
    context = {
        "header_top": "",
        "header_bottom": "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ",
        "issuer_name": "Ủy ban nhân dân thành phố Huế",
        "number": "12",
        "task_title": "Đề tài A",
        "task_code": "ĐT-1",
        "host_organisation": "Viện B",
        "principal_investigator": "C",
        "start_date": "01/01/2027",
        "end_date": "31/12/2028",
        "value": "1.200.000.000",
        "tranches": [
            {"amount": "600.000.000", "due_on": "01/2027"},
            {"amount": "600.000.000", "due_on": "01/2028"},
        ],
    }
    text = _text(render("contract", context, make_pdf=False).docx)
    assert "Đợt 1: 600.000.000 đồng, dự kiến 01/2027" in text
    assert "Đợt 2: 600.000.000 đồng, dự kiến 01/2028" in text


def test_missing_values_are_named() -> None:
    partial = {k: v for k, v in CERTIFICATE.items() if k != "rating"}
    with pytest.raises(DocumentError, match="rating"):
        render("certificate", partial, make_pdf=False)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(DocumentError, match="unknown document kind"):
        render("invoice", {}, make_pdf=False)


def test_pdf_is_made_exactly_when_libreoffice_is_installed() -> None:
    rendered = render("certificate", CERTIFICATE)
    if libreoffice() is None:
        assert rendered.pdf is None
    else:
        assert rendered.pdf is not None and rendered.pdf.startswith(b"%PDF")
