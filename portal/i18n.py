"""Languages of the portal: Babel catalogues (Vietnamese first, English second).

Texts in templates and code are written in English as message ids and translated by the
catalogues in portal/translations/<lang>/LC_MESSAGES/messages.po. The catalogues are read and
compiled in memory when the app is built, so an edited .po needs no separate build step.
Extract new texts with `make messages` (pybabel extract + update).
"""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
CATALOGUES = Path(__file__).resolve().parent / "translations"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def load_catalogue(language: str, folder: Path = CATALOGUES) -> gettext.NullTranslations:
    """The compiled catalogue of one language (no catalogue: the English message ids)."""
    po = folder / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def load_catalogues(folder: Path = CATALOGUES) -> dict[str, gettext.NullTranslations]:
    """Every language's catalogue."""
    return {language: load_catalogue(language, folder) for language in LANGUAGES}


def parse_accept_language(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (primary tags only)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag.split("-")[0]))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: `?lang=`, then the `lang` cookie, then Accept-Language, then vi."""
    for wanted in (query, cookie):
        if wanted in LANGUAGES:
            return wanted
    for tag in parse_accept_language(accept_language or ""):
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def N_(text: str) -> str:  # noqa: N802  (the name pybabel extracts by default)
    """Mark a text for extraction where it is defined; it is translated where it is shown."""
    return text
