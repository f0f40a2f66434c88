"""Server-side console sessions (issue 11 item 7) and staff administration (issue 15
item 7): sign-out, a new password or a disabled account end every session of the user;
an idle timeout; the cookie carries the configured name; all of it audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub import create_app
from hub.auth import sessions as staff_sessions
from hub.auth.models import StaffSession, StaffUser
from hub.cli import cli
from hub.store.db import transaction
from tests.auth.helpers import audit_entries
from tests.console.conftest import PASSWORD, post, sign_in

NEW = "a brand new passphrase"


def cookie(client, name: str = "hub_console") -> str:  # type: ignore[no-untyped-def]
    found = client.get_cookie(name)
    assert found is not None, f"no cookie {name}"
    return found.value


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/console/").status_code == 200


def shift(hub, column: str, back: timedelta) -> None:  # type: ignore[no-untyped-def]
    """Move a timestamp of every session into the past."""
    with transaction(hub.sessions) as s:
        for row in s.scalars(sa.select(StaffSession)):
            setattr(row, column, getattr(row, column) - back)


def test_the_cookie_has_the_configured_name(settings, hub, staff) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            "console_cookie_name": "ovop_staff",
        }
    )
    client = app.test_client()
    r = sign_in(client, staff["vn"])
    assert any(c.startswith("ovop_staff=") for c in r.headers.getlist("Set-Cookie"))
    assert client.get_cookie("session") is None and signed_in(client)
    default = sign_in(
        create_app(
            {
                "database_url": settings.database_url,
                "secret_key": "test-secret",
                "instance_path": settings.instance_path,
            }
        ).test_client(),
        staff["th"],
    )
    assert any(c.startswith("hub_console=") for c in default.headers.getlist("Set-Cookie"))
    app.extensions["hub"].engine.dispose()


def test_a_copied_cookie_stops_working_after_sign_out(app, client, staff, hub) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    stolen = cookie(client)
    other = app.test_client()  # the same user in a second browser
    sign_in(other, staff["vn"])
    assert post(client, "/console/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("hub_console", stolen)
    assert thief.get("/console/").status_code == 302
    assert not signed_in(other)  # sign-out ends every session of the user
    entry = audit_entries(hub, "console.sign_out")[-1]
    assert entry.actor == "user:reviewer@vn.example" and entry.detail == {"sessions_ended": 2}


def test_sessions_end_after_the_idle_timeout_and_the_lifetime(client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    assert signed_in(client)
    shift(hub, "last_seen_at", timedelta(minutes=31))  # 31 minutes without a request (default idle: 30)
    assert not signed_in(client)
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0
    sign_in(client, staff["vn"])
    shift(hub, "created_at", timedelta(hours=10, minutes=1))  # busy all day, but past the 10-hour lifetime
    assert not signed_in(client)


def test_activity_is_written_at_most_once_a_minute(client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    with hub.sessions() as s:
        first = s.scalar(sa.select(StaffSession.last_seen_at))
    for _ in range(3):
        assert signed_in(client)
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffSession.last_seen_at)) == first
    shift(hub, "last_seen_at", timedelta(minutes=2))
    assert signed_in(client)
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffSession.last_seen_at)) > first  # type: ignore[operator]


def test_changing_ones_password_ends_the_other_sessions(app, client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    other = app.test_client()
    sign_in(other, staff["vn"])
    r = post(
        client,
        "/console/account/password",
        {"current": "wrong password!", "new": NEW, "new2": NEW},
        page="/console/account",
    )
    assert "the current password is not right" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert signed_in(other)
    r = post(
        client, "/console/account/password", {"current": PASSWORD, "new": NEW, "new2": NEW}, page="/console/account"
    )
    assert r.status_code == 302 and signed_in(client) and not signed_in(other)
    assert sign_in(app.test_client(), staff["vn"], NEW).status_code == 302
    entry = audit_entries(hub, "user.password_change")[-1]
    assert entry.actor == entry.target == "user:reviewer@vn.example" and entry.detail == {"sessions_ended": 2}
    assert PASSWORD not in str(entry.detail) and NEW not in str(entry.detail)


def test_one_lists_and_ends_ones_own_sessions(app, client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    other = app.test_client()
    sign_in(
        other,
        staff["vn"],
    )
    page = client.get("/console/account").get_data(as_text=True)
    assert page.count("End session") == 2 and "This browser" in page
    with hub.sessions() as s:
        mine = [row.id for row in staff_sessions.active(s, staff_sessions.Limits(36000, 1800))]
    theirs = max(mine)  # the second browser signed in last
    post(client, f"/console/account/sessions/{theirs}/end", page="/console/account")
    assert signed_in(client) and not signed_in(other)
    assert audit_entries(hub, "session.end")[-1].detail == {"session": theirs}


@pytest.fixture
def as_admin(app, staff):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert sign_in(client, staff["admin"]).status_code == 302
    return client


def user_id(hub, email: str) -> int:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return s.scalar(sa.select(StaffUser.id).where(StaffUser.email == email))


def test_an_admin_disables_an_account_and_its_sessions_end(as_admin, as_vn, hub, staff) -> None:  # type: ignore[no-untyped-def]
    uid = user_id(hub, staff["vn"])
    r = post(as_admin, f"/console/admin/users/{uid}/state", {"state": "disabled"}, page="/console/admin/users")
    assert r.status_code == 302 and not signed_in(as_vn)
    assert "Account reviewer@vn.example disabled" in as_admin.get("/console/admin/users").get_data(as_text=True)
    assert sign_in(as_vn, staff["vn"]).status_code == 200  # refused like a wrong password
    entry = audit_entries(hub, "user.disable")[-1]
    assert entry.actor == "user:admin@hub.example" and entry.detail == {"sessions_ended": 1}
    post(as_admin, f"/console/admin/users/{uid}/state", {"state": "active"}, page="/console/admin/users")
    assert sign_in(as_vn, staff["vn"]).status_code == 302
    assert audit_entries(hub, "user.enable")[-1].target == "user:reviewer@vn.example"


def test_an_admin_sets_a_new_password_and_ends_the_sessions(app, as_admin, as_vn, hub, staff) -> None:  # type: ignore[no-untyped-def]
    uid = user_id(hub, staff["vn"])
    r = post(
        as_admin,
        f"/console/admin/users/{uid}/password",
        {"password": "short", "password2": "short"},
        page="/console/admin/users",
    )
    assert "at least 12 characters" in as_admin.get(r.headers["Location"]).get_data(as_text=True)
    assert signed_in(as_vn)
    post(
        as_admin,
        f"/console/admin/users/{uid}/password",
        {"password": NEW, "password2": NEW},
        page="/console/admin/users",
    )
    assert not signed_in(as_vn)
    assert sign_in(app.test_client(), staff["vn"], NEW).status_code == 302
    entry = audit_entries(hub, "user.password_reset")[-1]
    assert entry.actor == "user:admin@hub.example" and entry.target == "user:reviewer@vn.example"


def test_an_admin_lists_every_session_and_ends_one(as_admin, as_vn, hub, staff) -> None:  # type: ignore[no-untyped-def]
    page = as_admin.get("/console/admin/sessions").get_data(as_text=True)
    assert "reviewer@vn.example" in page and "admin@hub.example" in page
    with hub.sessions() as s:
        vn_session = s.scalar(sa.select(StaffSession.id).join(StaffUser).where(StaffUser.email == staff["vn"]))
    post(as_admin, f"/console/admin/sessions/{vn_session}/end", page="/console/admin/sessions")
    assert not signed_in(as_vn) and signed_in(as_admin)
    entry = audit_entries(hub, "session.end")[-1]
    assert entry.actor == "user:admin@hub.example" and entry.target == "user:reviewer@vn.example"


def test_only_admins_act_on_other_accounts(as_sec, hub, staff) -> None:  # type: ignore[no-untyped-def]
    uid = user_id(hub, staff["vn"])
    for path, data in (
        (f"/console/admin/users/{uid}/state", {"state": "disabled"}),
        (f"/console/admin/users/{uid}/password", {"password": NEW, "password2": NEW}),
        ("/console/admin/sessions/1/end", {}),
    ):
        assert post(as_sec, path, data).status_code == 403, path
    assert as_sec.get("/console/admin/sessions").status_code == 403
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffUser.disabled_at).where(StaffUser.id == uid)) is None


def test_an_admin_cannot_disable_themself(as_admin, hub, staff) -> None:  # type: ignore[no-untyped-def]
    from hub.auth import users

    with pytest.raises(users.UserError, match="your own account"), transaction(hub.sessions) as s:
        users.set_disabled(s, "user:admin@hub.example", staff["admin"], True)


@pytest.fixture
def run(hub):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), obj=hub, input=input, catch_exceptions=False)

    return invoke


def test_the_cli_disables_resets_and_ends_sessions(run, app, as_vn, hub, staff) -> None:  # type: ignore[no-untyped-def]
    listing = run("users", "sessions")
    assert listing.exit_code == 0 and "reviewer@vn.example" in listing.output
    sid = listing.output.split()[0]
    assert run("users", "end-session", sid).output.strip() == f"session {sid} of reviewer@vn.example ended"
    assert not signed_in(as_vn)
    sign_in(as_vn, staff["vn"])
    res = run("users", "disable", "Reviewer@VN.example")
    assert res.exit_code == 0 and "1 session(s) ended" in res.output and not signed_in(as_vn)
    assert "disabled" in run("users", "list").output
    assert run("users", "enable", staff["vn"]).exit_code == 0
    sign_in(as_vn, staff["vn"])
    res = run("users", "password", staff["vn"], "--password-stdin", input=NEW + "\n")
    assert res.exit_code == 0 and "1 session(s) ended" in res.output and not signed_in(as_vn)
    assert sign_in(app.test_client(), staff["vn"], NEW).status_code == 302
    assert [e.actor for e in audit_entries(hub, "user.password_reset")] == ["cli"]


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("users", "disable", "nobody@x.example"), None, "there is no staff account nobody@x.example"),
        (("users", "enable", "reviewer@vn.example"), None, "is active already"),
        (("users", "password", "reviewer@vn.example"), NEW, "--password-stdin"),
        (("users", "password", "reviewer@vn.example", "--password-stdin"), "short", "at least 12 characters"),
        (("users", "end-session", "999"), None, "there is no open session 999"),
        (("users", "sessions", "--email", "nobody@x.example"), None, "there is no staff account"),
    ],
)
def test_cli_refusals_are_one_line(run, staff, args, stdin, message) -> None:  # type: ignore[no-untyped-def]
    res = run(*args, input=(stdin + "\n") if stdin else None)
    assert res.exit_code == 1 and message in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("console_cookie_name", "bad name;", "console_cookie_name"),
        ("console_idle_timeout", 10, "console_idle_timeout"),
        ("console_session_lifetime", 600, "console_idle_timeout"),
        ("console_login_limit_per_address", "lots", "console_login_limit_per_address"),
        ("console_login_limit_global", "5 per fortnight", "console_login_limit_global"),
    ],
)
def test_console_settings_are_checked_at_start(tmp_path, setting, value, message) -> None:  # type: ignore[no-untyped-def]
    from hub import config

    with pytest.raises(config.ConfigError, match=message):
        config.load({setting: value, "instance_path": str(tmp_path), "secret_key": "x"})
