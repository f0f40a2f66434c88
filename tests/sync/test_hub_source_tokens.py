"""A ``hub`` source's token requests get the retries, backoff and Retry-After handling of
its feed requests, and a failure names the token request (issue 11, item 16)."""

from __future__ import annotations

from typing import Iterator

import pytest

from hub.services import Hub
from hub.sync import sources
from tests.sync.conftest import add_source, run, stored
from tests.sync.fakehub import FEED, TOKEN, FakeHub, on_token


@pytest.fixture
def upstream() -> Iterator[FakeHub]:
    server = FakeHub().start()
    yield server
    server.stop()


@pytest.fixture
def source(shub: Hub, upstream: FakeHub, monkeypatch: pytest.MonkeyPatch) -> sources.Source:
    monkeypatch.setenv("HUB_UPSTREAM_SECRET", "s3cret")
    return add_source(
        shub,
        f"""
[source]
name = "upstream"
type = "hub"
url = "{upstream.url}"

[source.auth]
client_id = "vn-0123456789abcdef"
client_secret_env = "HUB_UPSTREAM_SECRET"
""",
        name="upstream",
    )


def statuses(upstream: FakeHub, path: str) -> list[int]:
    return [status for _, p, _, status in upstream.requests(path)]


@pytest.mark.parametrize("fault", ["503", "500", "truncate", "garble"])
def test_a_token_request_that_fails_for_a_while_is_retried(shub, upstream, source, fault) -> None:  # type: ignore[no-untyped-def]
    upstream.fault(fault, times=2, when=on_token)
    result = run(shub, source)
    assert result.status == "succeeded", result.error
    assert len(upstream.requests(TOKEN)) == 3 and statuses(upstream, FEED) == [200, 200]
    assert {"VN/products/pup1", "VN/products/pup2"} <= set(stored(shub))


@pytest.mark.parametrize("fault", ["429", "problem429"])
def test_a_429_at_the_token_endpoint_waits_as_long_as_retry_after_says(shub, upstream, source, fault) -> None:  # type: ignore[no-untyped-def]
    upstream.fault(fault, times=1, arg=1, when=on_token)
    result = run(shub, source)
    assert result.status == "succeeded", result.error  # never misread as a token (unsupported_token_type)
    (asked, _, _, _), (again, _, _, _) = upstream.requests(TOKEN)
    assert again - asked >= 0.9  # Retry-After: 1, not the millisecond backoff of the tests
    assert statuses(upstream, FEED) == [200, 200]


def test_a_token_endpoint_that_stays_down_fails_the_run_naming_the_token_request(shub, upstream, source) -> None:  # type: ignore[no-untyped-def]
    upstream.fault("503", times=100, when=on_token)
    result = run(shub, source)
    assert result.status == "failed"
    assert result.error.startswith(f"POST {upstream.url}{TOKEN}: 503 SERVICE UNAVAILABLE; gave up after 5 retries")
    assert FEED not in result.error and upstream.requests(FEED) == []


def test_a_token_body_cut_short_every_time_fails_clearly(shub, upstream, source) -> None:  # type: ignore[no-untyped-def]
    upstream.fault("garble", times=100, when=on_token)
    result = run(shub, source)
    assert result.status == "failed"
    assert result.error.startswith(f"POST {upstream.url}{TOKEN}: unusable body (not JSON")


def test_a_429_asking_for_too_long_a_wait_fails_at_once(shub, upstream, source) -> None:  # type: ignore[no-untyped-def]
    upstream.fault("429", times=1, arg=3600, when=on_token)
    result = run(shub, source)
    assert result.status == "failed"
    assert result.error.startswith(f"POST {upstream.url}{TOKEN}: 429 TOO MANY REQUESTS: the source asks to wait")


def test_a_refused_client_fails_at_once_with_the_oauth_error(shub, upstream, source) -> None:  # type: ignore[no-untyped-def]
    upstream.fault("refuse", times=100, when=on_token)
    result = run(shub, source)
    assert result.status == "failed"
    assert result.error == (
        f"POST {upstream.url}{TOKEN}: 401 UNAUTHORIZED: invalid_client: Client authentication failed."
    )
    assert len(upstream.requests(TOKEN)) == 1


def test_a_token_revoked_during_the_run_is_replaced_through_the_same_retries(shub, upstream, source) -> None:  # type: ignore[no-untyped-def]
    upstream.revoke_after_first_page = True
    upstream.fault("503", times=1, when=lambda r: r.path == TOKEN and upstream.revoked)
    result = run(shub, source)
    assert result.status == "succeeded", result.error
    assert statuses(upstream, FEED) == [200, 401, 200]
    assert statuses(upstream, TOKEN) == [200, 503, 200]
    assert {"VN/products/pup1", "VN/products/pup2"} <= set(stored(shub))
