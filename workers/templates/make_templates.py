"""Write the starting DOCX templates (staff then edit them in Word; docxtpl fills them).

Run: .venv/bin/python -m workers.templates.make_templates
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = Path(__file__).resolve().parent

# The issuer's header (NĐ 30/2020/NĐ-CP forms): "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ" alone, or
# "UBND THÀNH PHỐ HUẾ" over "SỞ KHOA HỌC VÀ CÔNG NGHỆ" (models/services/documents.py).
HEADER = ("{{ header_top }}", "{{ header_bottom }}")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

TEMPLATES: dict[str, list[str]] = {
    "decision.docx": [
        "Số: {{ number }}",
        "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}",
        "QUYẾT ĐỊNH",
        "{{ title }}",
        "{{ issuer_title }}",
        "{% for basis in bases %}Căn cứ {{ basis }};\n{% endfor %}",
        "QUYẾT ĐỊNH:",
        "{% for article in articles %}Điều {{ loop.index }}. {{ article }}\n{% endfor %}",
        "{{ signer_title }}",
        "{{ signer }}",
    ],
    "contract.docx": [
        "HỢP ĐỒNG THỰC HIỆN NHIỆM VỤ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: {{ number }}",
        "Tên nhiệm vụ: {{ task_title }} (mã số {{ task_code }})",
        "Bên A (Bên đặt hàng): {{ issuer_name }}",
        "Bên B (Tổ chức chủ trì): {{ host_organisation }}",
        "Chủ nhiệm nhiệm vụ: {{ principal_investigator }}",
        "Thời gian thực hiện: từ {{ start_date }} đến {{ end_date }}",
        "Tổng kinh phí: {{ value }} đồng",
        "{% for t in tranches %}Đợt {{ loop.index }}: {{ t.amount }} đồng, dự kiến {{ t.due_on }}\n"
        "{% endfor %}",
    ],
    "certificate.docx": [
        "GIẤY CHỨNG NHẬN",
        "ĐĂNG KÝ KẾT QUẢ THỰC HIỆN NHIỆM VỤ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: {{ certificate_number }}",
        "Tên nhiệm vụ: {{ task_title }} (mã số {{ task_code }})",
        "Tổ chức chủ trì: {{ host_organisation }}",
        "Chủ nhiệm nhiệm vụ: {{ principal_investigator }}",
        "Kết quả đánh giá nghiệm thu: {{ rating }}",
        "Ngày cấp: {{ issued_on }}",
    ],
}


def make(name: str, lines: list[str]) -> Path:
    """Write one template with the administrative header of a provincial department."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    table = doc.add_table(rows=2, cols=2)
    for row, (left, right) in enumerate(zip(HEADER, MOTTO, strict=True)):
        table.cell(row, 0).text = left
        table.cell(row, 1).text = right
    for line in lines:
        paragraph = doc.add_paragraph(line)
        if line.isupper():
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    path = HERE / name
    doc.save(str(path))
    return path


if __name__ == "__main__":
    for template_name, template_lines in TEMPLATES.items():
        print(make(template_name, template_lines))
