"""Property-based conformance of the sync and subscription operations with an admin token.

tests/api/test_schemathesis.py fuzzes every operation with a partner token, which these
routes refuse (403); here they are fuzzed with the scope they need, so their 2xx answers
are checked against the documented schemas too.
"""

from __future__ import annotations

import os
import socket

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.auth.helpers import bearer, get_token, make_client


@pytest.fixture
def admin_schema(app, hub):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):  # type: ignore[no-untyped-def]
    """Generated subscription URLs name hosts anywhere: no lookup leaves the machine."""

    def offline(host, *_a, **_kw):  # type: ignore[no-untyped-def]
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: not looked up in tests")

    monkeypatch.setattr(socket, "getaddrinfo", offline)


@pytest.fixture
def admin(hub, client):  # type: ignore[no-untyped-def]
    cid, secret = make_client(hub, "VN", ("admin",), name="secretariat")
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


schema = schemathesis.pytest.from_fixture("admin_schema").include(path_regex=r"^/api/v1/(sync|subscriptions)")


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("HUB_SCHEMATHESIS_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_sync_operations_conform_to_the_spec(case, admin) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=admin, excluded_checks=[checks.positive_data_acceptance])
