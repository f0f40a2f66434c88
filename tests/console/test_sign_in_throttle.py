"""Sign-in throttling (issue 11 item 3): limits per client address and across the hub
that refuse a flood before any password hash, a per-account delay that grows with
failures but never keeps the owner out, a bounded back-off table, and audit entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.auth import users
from hub.console import accounts
from hub.console.models import LoginBackoff
from hub.store.db import transaction
from hub.store.models import utcnow
from tests.auth.helpers import audit_entries
from tests.console.conftest import CSRF, PASSWORD

WRONG = "The e-mail address or the password is not right."
WAIT = "Too many failed attempts"
FLOOD = "Too many sign-in attempts"


def attempt(client, email: str, password: str, addr: str = "127.0.0.1") -> Any:  # type: ignore[no-untyped-def]
    env = {"REMOTE_ADDR": addr}
    page = client.get("/console/login", environ_base=env).get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    return client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": token}, environ_base=env
    )


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    token = CSRF.search(client.get("/console/").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302


@pytest.fixture
def hashes(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The e-mail addresses whose password was checked (each check costs an argon2 hash)."""
    seen: list[str] = []
    real = users.authenticate

    def counting(session, email, password):  # type: ignore[no-untyped-def]
        seen.append(email)
        return real(session, email, password)

    monkeypatch.setattr(users, "authenticate", counting)
    return seen


@pytest.fixture
def limited_app(settings, hub):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            "console_login_limit_per_address": "5/minute",
            "console_login_limit_global": "8/minute",
        }
    )
    app.config["TESTING"] = True
    yield app
    app.extensions["hub"].engine.dispose()


def test_a_flood_from_one_address_is_refused_before_any_password_hash(limited_app, staff, hashes) -> None:  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    for i in range(5):
        assert attempt(client, f"random{i}@nowhere.example", "guess guess guess").status_code == 200
    assert len(hashes) == 5
    for i in range(5, 20):
        r = attempt(client, f"random{i}@nowhere.example", "guess guess guess")
        assert r.status_code == 429 and FLOOD in r.get_data(as_text=True)
        assert 0 < int(r.headers["Retry-After"]) <= 60
    assert len(hashes) == 5  # refused before the form was looked at
    with limited_app.extensions["hub"].sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LoginBackoff)) == 5
    # Another address is not affected by this one's limit.
    assert attempt(client, staff["vn"], PASSWORD, addr="198.51.100.7").status_code == 302


def test_the_global_limit_holds_against_many_addresses(limited_app, staff, hashes) -> None:  # type: ignore[no-untyped-def]
    client = limited_app.test_client()
    for i in range(8):
        assert attempt(client, f"x{i}@nowhere.example", "guess guess guess", addr=f"203.0.113.{i}").status_code == 200
    r = attempt(client, "x9@nowhere.example", "guess guess guess", addr="203.0.113.99")
    assert r.status_code == 429 and len(hashes) == 8


def test_successful_sign_ins_use_up_no_limit(limited_app, staff) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):  # each a new browser, so no device cookie helps
        assert attempt(limited_app.test_client(), staff["vn"], PASSWORD).status_code == 302


def test_the_delay_grows_with_failures_and_an_early_attempt_costs_no_hash(hub, staff, hashes) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with transaction(hub.sessions) as s:
        for i in range(accounts.FREE_FAILURES):
            assert accounts.sign_in(s, staff["vn"], "wrong password!", now=now).wait_until == (
                None if i < accounts.FREE_FAILURES - 1 else now + accounts.FIRST_DELAY
            )
        checked = len(hashes)
        early = accounts.sign_in(s, staff["vn"], PASSWORD, now=now + timedelta(seconds=1))
        assert early.user is None and early.wait_until == now + accounts.FIRST_DELAY and len(hashes) == checked
        t = now + accounts.FIRST_DELAY
        delays = []
        for _ in range(12):
            result = accounts.sign_in(s, staff["vn"], "wrong password!", now=t)
            delays.append(result.wait_until - t)
            t = result.wait_until
        assert delays[:3] == [timedelta(seconds=4), timedelta(seconds=8), timedelta(seconds=16)]
        assert delays[-1] == accounts.MAX_DELAY and delays == sorted(delays)
        # The right password once the wait is over: in, and the count starts again.
        assert accounts.sign_in(s, staff["vn"], PASSWORD, now=t).user is not None
        assert s.get(LoginBackoff, (staff["vn"], "")) is None


def test_the_owner_gets_in_after_a_strangers_failures(app, client, staff) -> None:  # type: ignore[no-untyped-def]
    """The owner's browser signed in before (device cookie); a stranger elsewhere fails
    twenty times. Strangers and unknown browsers wait; the owner gets in at once."""
    assert attempt(client, staff["vn"], PASSWORD).status_code == 302
    sign_out(client)
    stranger = app.test_client()
    answers = [
        attempt(stranger, staff["vn"], f"guess number {i}", addr=f"203.0.113.{i}").get_data(as_text=True)
        for i in range(20)
    ]
    assert WRONG in answers[0] and WAIT in answers[-1]
    assert WAIT in attempt(app.test_client(), staff["vn"], PASSWORD, addr="198.51.100.2").get_data(as_text=True)
    owner = attempt(client, staff["vn"], PASSWORD)
    assert owner.status_code == 302 and owner.headers["Location"] == "/console/"


def test_a_device_cookie_helps_only_the_account_it_names(app, client, staff) -> None:  # type: ignore[no-untyped-def]
    assert attempt(client, staff["th"], PASSWORD).status_code == 302
    sign_out(client)
    other = app.test_client()
    for i in range(accounts.FREE_FAILURES):
        attempt(other, staff["vn"], f"guess number {i}", addr="203.0.113.5")
    # The cookie names reviewer@th, not reviewer@vn: this browser waits like any other.
    assert WAIT in attempt(client, staff["vn"], PASSWORD).get_data(as_text=True)


def test_known_and_unknown_addresses_back_off_alike(client, staff) -> None:  # type: ignore[no-untyped-def]
    for n, email in enumerate((staff["vn"], "nobody@nowhere.example")):
        answers = [
            attempt(client, email, "wrong password!", addr=f"203.0.113.{n}").get_data(as_text=True)
            for _ in range(accounts.FREE_FAILURES + 1)
        ]
        assert all(WRONG in a for a in answers[: accounts.FREE_FAILURES - 1])
        assert all(WAIT in a for a in answers[accounts.FREE_FAILURES - 1 :])


def test_the_back_off_table_is_bounded(hub, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(accounts, "MAX_ROWS", 20)
    now = utcnow()
    with transaction(hub.sessions) as s:
        s.add(
            LoginBackoff(
                email="old@nowhere.example",
                device="",
                failures=1,
                last_failure_at=now - accounts.FORGET_AFTER - timedelta(minutes=1),
            )
        )
        for i in range(60):
            accounts.sign_in(s, f"n{i}@nowhere.example", "wrong password!", now=now + timedelta(seconds=i))
            assert s.scalar(sa.select(sa.func.count()).select_from(LoginBackoff)) <= 20
        assert s.get(LoginBackoff, ("old@nowhere.example", "")) is None
        assert s.get(LoginBackoff, ("n59@nowhere.example", "")) is not None


def test_sign_in_failures_and_back_off_are_audited_without_the_password(client, hub, staff) -> None:  # type: ignore[no-untyped-def]
    for _ in range(accounts.FREE_FAILURES):
        attempt(client, staff["vn"], "wrong password!", addr="203.0.113.8")
    attempt(client, "nobody@nowhere.example", "wrong password!", addr="203.0.113.8")
    attempt(client, staff["th"], PASSWORD)
    failed = audit_entries(hub, "console.sign_in_failed")
    assert [(e.target, e.detail["failures"], e.detail["address"]) for e in failed] == [
        ("user:reviewer@vn.example", 1, "203.0.113.8"),
        ("user:reviewer@vn.example", 2, "203.0.113.8"),
    ]
    backoff = audit_entries(hub, "console.sign_in_backoff")
    assert len(backoff) == 1 and backoff[0].detail["wait_seconds"] == 2
    signed = audit_entries(hub, "console.sign_in")
    assert [(e.actor, e.detail["address"]) for e in signed] == [("user:reviewer@th.example", "127.0.0.1")]
    assert not any("nobody" in (e.target or "") for e in failed + backoff)
    assert "wrong password" not in str([e.detail for e in failed + backoff + signed])


def test_a_known_browser_gets_in_when_its_address_is_over_the_limit(limited_app, staff, hashes) -> None:  # type: ignore[no-untyped-def]
    """Owner and stranger behind the same address (an office NAT, a proxy)."""
    owner = limited_app.test_client()
    assert attempt(owner, staff["vn"], PASSWORD).status_code == 302
    sign_out(owner)
    stranger = limited_app.test_client()
    for i in range(8):
        attempt(stranger, f"r{i}@nowhere.example", "guess guess guess")
    assert attempt(stranger, staff["vn"], PASSWORD).status_code == 429
    assert attempt(owner, staff["vn"], PASSWORD).status_code == 302
