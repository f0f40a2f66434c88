"""The staff console under ``/console/``: server-rendered pages for ministry staff.

Reviewers judge what their country exchanges; the secretariat sees every country and
manages partner systems and staff accounts. Pages work without JavaScript and load
nothing from outside the hub (ministries run closed networks).

- :mod:`.web`        the blueprint, sign-in enforcement, CSRF, error pages
- :mod:`.i18n`       languages (English, Vietnamese, Thai) per user, Flask-Babel
- :mod:`.auth`, :mod:`.account`, :mod:`.dashboard`, :mod:`.reviews`, :mod:`.records`,
  :mod:`.flags`, :mod:`.admin`, :mod:`.subscriptions`   the pages, one module each
- :mod:`.accounts`   sign-in with a growing delay, and language preference (a service)
- :mod:`.throttle`   sign-in limits before any password hash (Flask-Limiter), device cookie
- :mod:`.charts`, :mod:`.format`   server-side SVG charts and display helpers
"""

from __future__ import annotations

from flask import Flask

#: Console endpoints reachable without a staff session (everything else redirects to
#: the login page). The authorization matrix test (tests/auth/test_matrix.py) checks both.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static", "console.language"})


def init_app(app: Flask) -> None:
    """Mount the console: sessions, CSRF, translations, the blueprint and its pages."""
    from . import account, admin, auth, dashboard, flags, i18n, records, reviews, subscriptions, web  # noqa: F401

    web.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(web.bp)
