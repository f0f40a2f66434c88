"""Console languages: English, Vietnamese and Thai (Flask-Babel).

The language is, in order: the signed-in user's saved choice, the choice made in this
browser session (the login page has the switch too), the browser's Accept-Language,
English. Catalogues live in ``translations/`` as .po sources with their compiled .mo
(committed, and checked against each other by the tests; ``make translations``
rebuilds them).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import Babel

from .format import zone_name

LANGUAGES = {"en": "English", "vi": "Tiếng Việt", "th": "ไทย"}
TRANSLATIONS = Path(__file__).with_name("translations")


def select_locale() -> str:
    chosen = g.get("locale_choice") or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    # Flask-Babel's own format_* functions agree with the console's (format.py).
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=zone_name,
        default_translation_directories=str(TRANSLATIONS),
    )
