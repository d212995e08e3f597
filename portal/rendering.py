"""Jinja2 templates, one environment per language, and the filters pages share."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import QueryParams

from models.labels import label
from models.services.inbox import GROUP_ROLES
from portal.i18n import LANGUAGE_NAMES, LANGUAGES

TEMPLATES = Path(__file__).resolve().parent / "templates"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def money(amount: int | float | None, lang: str = "vi") -> str:
    """An amount in dong with thousands grouped as each language writes them."""
    if amount is None:
        return "—"
    grouped = f"{round(amount):,}"
    if lang == "vi":
        return grouped.replace(",", ".") + " đ"
    return grouped + " VND"


def number(value: int, lang: str = "vi") -> str:
    """A whole number with thousands grouped as each language writes them (10.000 / 10,000)."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "vi" else grouped


def day(value: date | datetime | None) -> str:
    """A date as dd/mm/yyyy (times shown in Vietnam's zone)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # stored in UTC; SQLite gives them back without their zone
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def replace_param(params: QueryParams, name: str, value: object) -> str:
    """The query string with one parameter set (others kept), for links that keep filters."""
    pairs = [(key, item) for key, item in params.multi_items() if key != name]
    pairs.append((name, str(value)))
    return urlencode(pairs)


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last, and a few around the current (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and window[-1] is not None and number - window[-1] > 1:  # type: ignore[operator]
            window.append(None)
        window.append(number)
    return window


class Renderer:
    """Renders templates in the request's language."""

    def __init__(
        self, catalogues: dict[str, gettext.NullTranslations], globals_: dict[str, Any]
    ) -> None:
        self.environments: dict[str, Environment] = {}
        for language in LANGUAGES:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(catalogues[language], newstyle=True)  # type: ignore[attr-defined]
            env.filters["money"] = lambda amount, _lang=language: money(amount, _lang)
            env.filters["number"] = lambda value, _lang=language: number(value, _lang)
            env.filters["day"] = day
            env.filters["replace_param"] = replace_param
            env.globals["page_window"] = page_window
            env.filters["label"] = lambda value, _lang=language: (
                label(value, _lang) if isinstance(value, Enum) else value
            )
            # a user task's candidate group as people call the role ("staff": chuyên viên ...)
            env.filters["group"] = lambda name, _lang=language: (
                label(GROUP_ROLES[name], _lang) if name in GROUP_ROLES else name
            )
            env.globals.update(globals_)
            env.globals["LANGUAGE"] = language
            env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
            self.environments[language] = env

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """A page in the request's language."""
        language = getattr(request.state, "language", LANGUAGES[0])
        page = self.environments[language].get_template(template)
        html = page.render(request=request, **(context or {}))
        return HTMLResponse(html, status_code=status_code)
