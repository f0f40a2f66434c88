"""Review fixtures: VN and TH under review policy `required`, partner systems with the
scopes of a submitter, a reviewer and a reader, and helpers to submit records."""

from __future__ import annotations

from typing import Any

import pytest

from hub.actors import Actor
from hub.curation.members import set_policy
from hub.store.db import transaction
from tests.auth.helpers import partner_headers
from tests.conftest import product

SUBMITTER = ("exchange:read", "exchange:write")
REVIEWER = ("exchange:read", "review")


@pytest.fixture(autouse=True)
def required_review(hub):  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        for cc in ("VN", "TH"):
            set_policy(s, "test", cc, "required")


@pytest.fixture
def vn_submitter(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "VN", SUBMITTER)


@pytest.fixture
def vn_reviewer(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "VN", REVIEWER)


@pytest.fixture
def th_reviewer(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "TH", REVIEWER)


@pytest.fixture
def vn_reader(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "VN", ("exchange:read",))


VN_REVIEWER = Actor(
    "user:reviewer@vn.example", "VN", frozenset({"exchange:read", "exchange:write", "review"}), "reviewer"
)
TH_REVIEWER = Actor(
    "user:reviewer@th.example", "TH", frozenset({"exchange:read", "exchange:write", "review"}), "reviewer"
)
SECRETARIAT = Actor("user:sec@asean.example", None, frozenset({"exchange:read", "review"}), "secretariat")
ADMIN = Actor("user:admin@hub.example", None, frozenset({"exchange:read", "admin"}), "admin")
VN_WRITER = Actor("client:vn-test", "VN", frozenset({"exchange:read", "exchange:write"}))


def submit(hub, *docs: dict[str, Any], actor: Actor = VN_WRITER, kind: str = "products") -> list[Any]:  # type: ignore[no-untyped-def]
    """Write through the write path; returns the outcomes."""
    return hub.writes.write(actor, kind, list(docs), source="api").results


def published_product(hub, i: int = 1, **over: Any) -> None:  # type: ignore[no-untyped-def]
    """A VN product with version 1 approved and published."""
    from hub.curation import review

    out = submit(hub, product(i, **over))
    review.decide(hub.sessions, SECRETARIAT, out[0].uid, out[0].version, "approve")
