"""Signing in and out: CSRF on every form, cookie flags, no user enumeration, sessions
that end, redirects that stay inside the console, and the language switch (throttling and
the back-off: test_sign_in_throttle.py; server-side sessions: test_sessions.py)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.auth.models import StaffUser
from hub.store.db import transaction
from hub.store.models import utcnow
from tests.console.conftest import PASSWORD, csrf_token, post, sign_in

WRONG = "The e-mail address or the password is not right."


def test_every_page_redirects_to_login_without_a_session(client, staff) -> None:  # type: ignore[no-untyped-def]
    for path in ("/console/", "/console/reviews", "/console/records", "/console/flags", "/console/admin/clients"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/console/login?next="), path
    assert client.get("/console/login").status_code == 200


def test_sign_in_and_out(client, staff) -> None:  # type: ignore[no-untyped-def]
    r = sign_in(client, staff["vn"])
    assert r.status_code == 302 and r.headers["Location"] == "/console/"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/console/").get_data(as_text=True)
    assert "reviewer@vn.example" in page and "Dashboard" in page
    out = post(client, "/console/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/console/login"
    assert client.get("/console/").status_code == 302


def test_the_cookie_is_secure_over_https(app, staff) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/console/login", base_url="https://hub.example").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post(
        "/console/login",
        base_url="https://hub.example",
        headers={"Referer": "https://hub.example/console/login"},
        data={"email": staff["vn"], "password": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(client, staff) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    r = client.post(
        "/console/login?next=/console/records%3Fq%3Dtra",
        data={"email": staff["vn"], "password": PASSWORD, "csrf_token": token},
    )
    assert r.headers["Location"] == "/console/records?q=tra"
    post(client, "/console/logout")
    for evil in ("https://evil.example/console/", "//evil.example/console/", "/api/v1/whoami", "/console/\\evil"):
        token = csrf_token(client)
        r = client.post(
            "/console/login",
            query_string={"next": evil},
            data={"email": staff["vn"], "password": PASSWORD, "csrf_token": token},
        )
        assert r.headers["Location"] == "/console/", evil
        post(client, "/console/logout")


def test_wrong_password_and_unknown_user_look_the_same(client, staff) -> None:  # type: ignore[no-untyped-def]
    known = sign_in(client, staff["vn"], "not the password")
    unknown = sign_in(client, "nobody@vn.example", "not the password")
    assert known.status_code == unknown.status_code == 200
    assert WRONG in known.get_data(as_text=True) and WRONG in unknown.get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(client, staff) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/console/login", data={"email": staff["vn"], "password": PASSWORD})
    assert r.status_code == 400 and "The form has expired" in r.get_data(as_text=True)
    sign_in(client, staff["vn"])
    for path in (
        "/console/logout",
        "/console/language",
        "/console/reviews/approve",
        "/console/reviews/VN/products/p1/1/decide",
        "/console/flags/1/resolve",
        "/console/records/VN/products/p1/flags",
    ):
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 400, path
        assert client.post(path).status_code == 400, path
    assert client.get("/console/").status_code == 200  # still signed in: logout was refused


def test_a_disabled_account_is_signed_out_at_its_next_click(client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    assert client.get("/console/").status_code == 200
    with transaction(hub.sessions) as s:
        s.execute(sa.update(StaffUser).where(StaffUser.email == staff["vn"]).values(disabled_at=utcnow()))
    assert client.get("/console/").status_code == 302
    assert WRONG in sign_in(client, staff["vn"]).get_data(as_text=True)


def test_bearer_tokens_do_not_open_the_console(client, hub) -> None:  # type: ignore[no-untyped-def]
    from tests.auth.helpers import ALL_SCOPES, bearer, get_token, make_client

    cid, secret = make_client(hub, "VN", ALL_SCOPES)
    r = client.get("/console/", headers=bearer(get_token(client, cid, secret)))  # type: ignore[arg-type]
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]


def test_the_language_is_switched_and_kept_per_user(app, client, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    r = post(client, "/console/language", {"lang": "vi", "next": "/console/reviews"})
    assert r.headers["Location"] == "/console/reviews"
    page = client.get("/console/reviews").get_data(as_text=True)
    assert "Danh sách chờ duyệt" in page and '<html lang="vi">' in page
    post(client, "/console/logout")
    other = app.test_client()  # another browser: the choice follows the user
    sign_in(other, staff["vn"])
    assert "Tổng quan" in other.get("/console/").get_data(as_text=True)
    post(other, "/console/language", {"lang": "th"})
    assert "ภาพรวม" in other.get("/console/").get_data(as_text=True)
    post(other, "/console/language", {"lang": "xx"})  # unknown: ignored
    assert "ภาพรวม" in other.get("/console/").get_data(as_text=True)


def test_the_browser_language_is_the_default(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/console/login", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert "Đăng nhập" in page.get_data(as_text=True)
    assert "Sign in" in client.get("/console/login", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_pages_carry_security_headers(as_vn) -> None:  # type: ignore[no-untyped-def]
    r = as_vn.get("/console/")
    csp = r.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "cdn" not in r.get_data(as_text=True).lower()
    )
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
    with as_vn.get("/console/static/console.css") as css:
        assert "no-store" not in css.headers.get("Cache-Control", "")
