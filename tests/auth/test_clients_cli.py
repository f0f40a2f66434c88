"""``hub clients create|list|revoke|rotate|keys``: the operator's client registry."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.auth.models import OAuthClient
from hub.cli import cli
from hub.store.db import transaction
from hub.store.models import utcnow
from tests import databases
from tests.auth.helpers import audit_entries, bearer, public_jwks

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def run(hub):  # type: ignore[no-untyped-def]
    """Invoke ``hub ...`` on the same database as the ``client`` fixture's app."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), obj=hub, input=input, catch_exceptions=False)

    return invoke


def create(run, *args: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    res = run("clients", "create", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def token_status(client, cid: str, secret: str) -> int:  # type: ignore[no-untyped-def]
    return client.post("/oauth/token", data=GRANT, auth=(cid, secret)).status_code


def test_create_prints_the_secret_once_and_it_works(run, client, hub) -> None:  # type: ignore[no-untyped-def]
    res = run("clients", "create", "--country", "vn", "--name", "VN OCOP portal")
    assert res.exit_code == 0
    lines = dict(line.split(":", 1) for line in res.output.splitlines() if line.startswith("client_"))
    cid, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    assert cid.startswith("vn-") and len(secret) >= 43
    assert "shown this once" in res.output
    assert token_status(client, cid, secret) == 200
    listed = run("clients", "list")
    assert cid in listed.output and secret not in listed.output
    entry = audit_entries(hub, "client.create")[-1]
    assert entry.actor == "cli" and entry.target == f"client:{cid}"
    assert entry.detail == {
        "name": "VN OCOP portal",
        "country": "VN",
        "scopes": ["exchange:read", "exchange:write"],
        "auth_method": "client_secret",
    }


def test_create_json_and_scopes_comma_or_space(run, client) -> None:  # type: ignore[no-untyped-def]
    a = create(run, "--country", "TH", "--name", "TH OTOP", "--scopes", "exchange:read,review")
    b = create(run, "--country", "TH", "--name", "TH OTOP 2", "--scopes", "review exchange:read")
    for out in (a, b):
        assert out["scopes"] == ["exchange:read", "review"] and out["country"] == "TH"
        assert out["status"] == "active" and out["auth_method"] == "client_secret"
    r = client.post("/oauth/token", data=GRANT, auth=(a["client_id"], a["client_secret"]))
    assert r.get_json()["scope"] == "exchange:read review"


def test_list_json_never_shows_secrets(run) -> None:  # type: ignore[no-untyped-def]
    made = create(run, "--country", "VN", "--name", "one")
    rows = json.loads(run("clients", "list", "--json").output)
    assert [r["client_id"] for r in rows] == [made["client_id"]]
    assert "client_secret" not in rows[0] and made["client_secret"] not in json.dumps(rows)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--country", "XX", "--name", "n"), "XX is not a member"),
        (("--country", "VN", "--name", "n", "--scopes", "exchange:read superuser"), "unknown scope(s): superuser"),
        (("--country", "VN", "--name", "  "), "name"),
        (("--country", "VN", "--name", "n", "--jwks", "/no/such/file.json"), "cannot read /no/such/file.json"),
    ],
)
def test_create_errors_are_one_line(run, args, message) -> None:  # type: ignore[no-untyped-def]
    res = run("clients", "create", *args)
    assert res.exit_code == 1 and message in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_create_with_jwks_registers_a_key_client(run, tmp_path: Path, rsa_key) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "partner.jwks.json"
    path.write_text(json.dumps(public_jwks(rsa_key)))
    out = create(run, "--country", "PH", "--name", "PH partner", "--jwks", str(path))
    assert out["client_secret"] is None and out["auth_method"] == "private_key_jwt"
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [rsa_key.as_dict(private=True)]}))
    res = run("clients", "create", "--country", "PH", "--name", "oops", "--jwks", str(private))
    assert res.exit_code == 1 and "private key" in res.output
    assert run("clients", "rotate", out["client_id"]).exit_code == 1
    assert run("clients", "keys", out["client_id"], "--jwks", str(path)).exit_code == 0


def test_revoke_kills_live_tokens_and_is_audited(run, client, hub) -> None:  # type: ignore[no-untyped-def]
    made = create(run, "--country", "VN", "--name", "n")
    tok = client.post("/oauth/token", data=GRANT, auth=(made["client_id"], made["client_secret"])).get_json()
    res = run("clients", "revoke", made["client_id"])
    assert res.exit_code == 0 and "1 live token(s) revoked" in res.output
    assert client.get("/api/v1/whoami", headers=bearer(tok["access_token"])).status_code == 401
    assert token_status(client, made["client_id"], made["client_secret"]) == 401
    rows = json.loads(run("clients", "list", "--json").output)
    assert rows[0]["status"] == "revoked" and rows[0]["revoked_at"]
    assert audit_entries(hub, "client.revoke")[-1].target == f"client:{made['client_id']}"
    again = run("clients", "revoke", made["client_id"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert run("clients", "revoke", "vn-nosuchclient").exit_code == 1
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "intact" in verified.output


def test_rotate_keeps_the_old_secret_during_the_grace_period(run, client, hub) -> None:  # type: ignore[no-untyped-def]
    made = create(run, "--country", "VN", "--name", "n")
    cid, old = made["client_id"], made["client_secret"]
    res = run("clients", "rotate", cid, "--json")
    assert res.exit_code == 0
    rotated = json.loads(res.output)
    new = rotated["client_secret"]
    assert new != old and rotated["previous_secret_valid_until"]
    assert token_status(client, cid, old) == 200
    assert token_status(client, cid, new) == 200
    with transaction(hub.sessions) as session:  # the grace period ends
        session.execute(
            sa.update(OAuthClient)
            .where(OAuthClient.client_id == cid)
            .values(previous_valid_until=utcnow() - timedelta(seconds=1))
        )
    assert token_status(client, cid, old) == 401
    assert token_status(client, cid, new) == 200
    entry = audit_entries(hub, "client.rotate")[-1]
    assert entry.target == f"client:{cid}" and "previous_valid_until" in entry.detail


def test_rotate_uses_the_configured_grace(run, hub) -> None:  # type: ignore[no-untyped-def]
    assert hub.settings.secret_rotation_grace == 86400
    made = create(run, "--country", "VN", "--name", "n")
    before = utcnow()
    run("clients", "rotate", made["client_id"])
    with hub.sessions() as session:
        until = session.get(OAuthClient, made["client_id"]).previous_valid_until
    assert abs((until.replace(tzinfo=before.tzinfo) - before).total_seconds() - 86400) < 5


def test_rotate_with_zero_grace_drops_the_old_secret_at_once(run, client) -> None:  # type: ignore[no-untyped-def]
    made = create(run, "--country", "VN", "--name", "n")
    res = run("clients", "rotate", made["client_id"], "--grace", "0")
    assert "no longer works" in res.output
    new = next(line.split(":", 1)[1].strip() for line in res.output.splitlines() if line.startswith("client_secret"))
    assert token_status(client, made["client_id"], made["client_secret"]) == 401
    assert token_status(client, made["client_id"], new) == 200


def test_rotating_twice_keeps_only_the_latest_previous_secret(run, client) -> None:  # type: ignore[no-untyped-def]
    made = create(run, "--country", "VN", "--name", "n")
    second = json.loads(run("clients", "rotate", made["client_id"], "--json").output)["client_secret"]
    third = json.loads(run("clients", "rotate", made["client_id"], "--json").output)["client_secret"]
    assert token_status(client, made["client_id"], made["client_secret"]) == 401
    assert token_status(client, made["client_id"], second) == 200
    assert token_status(client, made["client_id"], third) == 200


def test_the_installed_command_end_to_end(tmp_path: Path) -> None:
    """Through the real entry point, as an operator (or a deployment script) runs it."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HUB_DATABASE_URL": databases.database_url(tmp_path), "HUB_INSTANCE_PATH": str(tmp_path)}
    env.pop("HUB_CONFIG", None)

    def hub_cmd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from hub.cli import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=60,
        )

    early = hub_cmd("clients", "list")
    assert early.returncode != 0 and "hub init" in early.stderr and "Traceback" not in early.stderr
    assert hub_cmd("init").returncode == 0
    made = hub_cmd("clients", "create", "--country", "VN", "--name", "n", "--json")
    assert made.returncode == 0 and json.loads(made.stdout)["client_secret"]
    user = hub_cmd(
        "users",
        "create",
        "--email",
        "a@example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct horse battery staple\n",
    )
    assert user.returncode == 0 and "admin" in user.stdout


def test_a_duplicate_name_is_refused_unless_allowed(run) -> None:  # type: ignore[no-untyped-def]
    first = create(run, "--country", "VN", "--name", "VN OCOP portal")
    res = run("clients", "create", "--country", "VN", "--name", " vn ocop PORTAL ")
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "already named" in res.output and first["client_id"] in res.output
    second = create(run, "--country", "VN", "--name", "VN OCOP portal", "--allow-duplicate-name")
    assert second["client_id"] != first["client_id"]
    run("clients", "revoke", first["client_id"])
    run("clients", "revoke", second["client_id"])
    assert create(run, "--country", "VN", "--name", "VN OCOP portal")["status"] == "active"
