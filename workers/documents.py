"""Official documents (decisions, contracts, certificates) rendered from DOCX templates.

Templates live in workers/templates/ and are filled by docxtpl (Jinja2 inside Word). A PDF is
made beside the DOCX when LibreOffice is installed; without it the DOCX alone is the record.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("decision", "contract", "certificate")


class DocumentError(ValueError):
    """A document could not be rendered; the message says which template and why."""


@dataclass(frozen=True)
class Rendered:
    """A rendered document: its bytes, their SHA-256, and a PDF when one could be made."""

    docx: bytes
    sha256: str
    pdf: bytes | None


def render(kind: str, context: dict[str, Any], *, make_pdf: bool = True) -> Rendered:
    """Fill the template of `kind` with `context`."""
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind '{kind}' (known: {', '.join(KINDS)})")
    template = DocxTemplate(str(TEMPLATES / f"{kind}.docx"))
    missing = sorted(template.get_undeclared_template_variables() - set(context))
    if missing:
        raise DocumentError(f"template '{kind}.docx' needs values for: {', '.join(missing)}")
    template.render(context, autoescape=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.docx"
        template.save(str(path))
        docx = path.read_bytes()
        pdf = to_pdf(path) if make_pdf else None
    return Rendered(docx=docx, sha256=hashlib.sha256(docx).hexdigest(), pdf=pdf)


def libreoffice() -> str | None:
    """The LibreOffice executable, when installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx_path: Path) -> bytes | None:
    """Convert with LibreOffice headless; None when it is not installed."""
    office = libreoffice()
    if office is None:
        return None
    out_dir = docx_path.parent
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (out_dir / f"{docx_path.stem}.pdf").read_bytes()


def render_pair(kind: str, context: Mapping[str, Any]) -> tuple[bytes, bytes | None]:
    """Render a template for the document store: (DOCX, PDF or None)."""
    rendered = render(kind, dict(context))
    return rendered.docx, rendered.pdf
