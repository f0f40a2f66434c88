"""API fixtures: bearer headers of partner systems of two countries, members on `auto`."""

from __future__ import annotations

import pytest

from hub.curation.members import set_policy
from hub.store.db import transaction
from tests.api.contract import answers_match_the_document  # noqa: F401  (autouse, for every API test)
from tests.auth.helpers import partner_headers

READ_WRITE = ("exchange:read", "exchange:write")


@pytest.fixture(autouse=True)
def auto_review(hub):  # type: ignore[no-untyped-def]
    """Publish on write, so reads see what was written (review has its own tests)."""
    with transaction(hub.sessions) as s:
        for cc in ("VN", "TH"):
            set_policy(s, "test", cc, "auto")


@pytest.fixture
def vn_writer(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "VN", READ_WRITE)


@pytest.fixture
def th_writer(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "TH", READ_WRITE)


@pytest.fixture
def vn_reader(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "VN", ("exchange:read",))


@pytest.fixture
def th_reader(hub, client):  # type: ignore[no-untyped-def]
    return partner_headers(hub, client, "TH", ("exchange:read",))
