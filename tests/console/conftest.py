"""Console fixtures: staff accounts of each role, a signed-in test client, CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hub.auth import users
from hub.curation.members import set_policy
from hub.store.db import transaction

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_user(hub, email: str, role: str, country: str | None = None) -> str:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        users.create(s, "test", email=email, role=role, country=country, password=PASSWORD)
    return email


def csrf_token(client, path: str = "/console/login") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD) -> Any:  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/console/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path: str, data: dict[str, Any] | None = None, page: str = "/console/") -> Any:  # type: ignore[no-untyped-def]
    """POST a console form with a valid CSRF token (taken from ``page``)."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


@pytest.fixture(autouse=True)
def required_review(hub):  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        for cc in ("VN", "TH"):
            set_policy(s, "test", cc, "required")


@pytest.fixture
def staff(hub) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "vn": make_user(hub, "reviewer@vn.example", "reviewer", "VN"),
        "th": make_user(hub, "reviewer@th.example", "reviewer", "TH"),
        "sec": make_user(hub, "sec@asean.example", "secretariat"),
        "admin": make_user(hub, "admin@hub.example", "admin"),
    }


@pytest.fixture
def as_vn(client, staff):  # type: ignore[no-untyped-def]
    assert sign_in(client, staff["vn"]).status_code == 302
    return client


@pytest.fixture
def as_sec(client, staff):  # type: ignore[no-untyped-def]
    assert sign_in(client, staff["sec"]).status_code == 302
    return client
