"""Staff accounts: ``hub users create ... --password-stdin``, argon2, the staff actor."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.actors import Actor
from hub.auth import actor_for_user, users
from hub.auth.models import StaffUser
from hub.cli import cli
from hub.store.db import transaction
from tests.auth.helpers import audit_entries

PASSWORD = "correct horse battery staple"


@pytest.fixture
def run(hub):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), obj=hub, input=input, catch_exceptions=False)

    return invoke


def test_create_reads_the_password_from_stdin_and_hashes_it_with_argon2(run, hub) -> None:  # type: ignore[no-untyped-def]
    res = run(
        "users",
        "create",
        "--email",
        "Lan@Example.org",
        "--role",
        "reviewer",
        "--country",
        "vn",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert res.exit_code == 0 and "lan@example.org created: reviewer for VN" in res.output
    with hub.sessions() as session:
        user = session.scalar(sa.select(StaffUser))
    assert user.email == "lan@example.org" and user.country == "VN"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    entry = audit_entries(hub, "user.create")[-1]
    assert entry.target == "user:lan@example.org" and entry.detail == {"role": "reviewer", "country": "VN"}
    assert PASSWORD not in str(entry.detail)
    assert "lan@example.org" in run("users", "list").output


def test_authenticate(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as session:
        users.create(session, "test", email="sec@asean.example", role="secretariat", country=None, password=PASSWORD)
    with hub.sessions() as session:
        assert users.authenticate(session, "SEC@asean.example", PASSWORD).role == "secretariat"
        assert users.authenticate(session, "sec@asean.example", PASSWORD + "x") is None
        assert users.authenticate(session, "nobody@asean.example", PASSWORD) is None


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (("--email", "a@b.org", "--role", "reviewer"), PASSWORD, "a reviewer needs --country"),
        (("--email", "a@b.org", "--role", "reviewer", "--country", "XX"), PASSWORD, "XX is not a member"),
        (("--email", "a@b.org", "--role", "admin", "--country", "VN"), PASSWORD, "leave out --country"),
        (("--email", "not-an-email", "--role", "admin"), PASSWORD, "is not an e-mail address"),
        (("--email", "a@b.org", "--role", "admin"), "short", "at least 12 characters"),
    ],
)
def test_create_refusals_are_one_line(run, args, stdin, message) -> None:  # type: ignore[no-untyped-def]
    res = run("users", "create", *args, "--password-stdin", input=stdin + "\n")
    assert res.exit_code == 1 and message in res.output and len(res.output.strip().splitlines()) == 1


def test_password_must_come_from_stdin_and_emails_are_unique(run) -> None:  # type: ignore[no-untyped-def]
    res = run("users", "create", "--email", "a@b.org", "--role", "admin")
    assert res.exit_code == 1 and "--password-stdin" in res.output
    assert (
        run("users", "create", "--email", "a@b.org", "--role", "admin", "--password-stdin", input=PASSWORD).exit_code
        == 0
    )
    again = run("users", "create", "--email", "A@b.org", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert again.exit_code == 1 and "exists already" in again.output
    bad_role = run("users", "create", "--email", "c@b.org", "--role", "king", "--password-stdin", input=PASSWORD)
    assert bad_role.exit_code == 2


def test_staff_resolve_to_the_same_actor_model_as_clients(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as session:
        made = [
            users.create(
                session,
                "test",
                email=f"{role}@x.org",
                role=role,
                country="TH" if role == "reviewer" else None,
                password=PASSWORD,
            )
            for role in users.ROLES
        ]
    reviewer, secretariat, admin = (actor_for_user(u) for u in made)
    assert isinstance(reviewer, Actor)
    assert (reviewer.id, reviewer.country, reviewer.role) == ("user:reviewer@x.org", "TH", "reviewer")
    assert "review" in reviewer.scopes and reviewer.may_write("TH") and not reviewer.may_write("VN")
    assert secretariat.country is None and "review" in secretariat.scopes and "admin" not in secretariat.scopes
    assert admin.role == "admin" and "admin" in admin.scopes
