"""A national REST API over real HTTP: every pagination style, and every fault the fake
system can produce, survived with each record exactly once (version 1, one revision)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from hub.store.syncruns import Checkpoint, Quarantine, SyncRun
from tests.sync.conftest import add_source, revision_count, run, stored
from tests.sync.fakes import api_item, json_source

N = 25  # three pages of 10


def endpoint(style: str) -> str:
    return {"page": "/products", "offset": "/offset", "cursor": "/cursor", "link": "/link"}[style]


def pagination(style: str) -> str:
    return 'next_cursor = "meta.next"' if style == "cursor" else ""


def exactly_once(hub, n: int = N) -> None:  # type: ignore[no-untyped-def]
    records = stored(hub)
    assert len(records) == n
    assert {v for v, _, _ in records.values()} == {1}
    assert revision_count(hub) == n


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "link"])
def test_every_pagination_style_reads_every_item_once(shub, fake, style) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    src = add_source(shub, json_source("api", fake.url + endpoint(style), style, pagination=pagination(style)))
    first = run(shub, src)
    assert first.ok, first.error
    assert (first.counts["fetched"], first.counts["created"]) == (N, N)
    exactly_once(shub)
    again = run(shub, src)  # a snapshot source is read whole every run; nothing changes
    assert (again.counts["fetched"], again.counts["unchanged"], again.counts["created"]) == (N, N, 0)
    exactly_once(shub)


def test_500s_timeouts_429_and_truncated_bodies_are_survived(shub, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]

    def page(n: int):  # type: ignore[no-untyped-def]
        return lambda r: r.path == "/products" and r.args.get("page") == str(n)

    fake.fault("truncate", when=page(1))  # Content-Length promises more than comes
    fake.fault("500", times=2, when=page(2))
    fake.fault("garble", when=page(2))  # a complete response whose JSON is cut short
    fake.fault("timeout", arg=0.8, when=page(3))  # the source's timeout is 0.5 s
    fake.fault("429", arg=1, when=page(3))  # Retry-After: 1
    fake.fault("503", when=page(3))
    src = add_source(shub, json_source("api", fake.url + "/products"))
    result = run(shub, src)
    assert result.ok, result.error
    assert result.counts["created"] == N and result.counts["fetched"] == N
    exactly_once(shub)
    with shub.sessions() as s:
        assert s.get(SyncRun, result.run_id).retries == 7
    logged = [r.getMessage() for r in caplog.records if r.name == "hub.sync"]
    assert any("the body broke off (truncated)" in m for m in logged)
    assert any("unusable body (not JSON" in m for m in logged)
    assert any("timed out" in m for m in logged)
    calls = [(t, q.get("page"), status) for t, path, q, status in fake.requests("/products")]
    assert [status for _, p, status in calls if p == "2"] == [500, 500, 200, 200]
    asked_429 = next(t for t, p, status in calls if p == "3" and status == 429)
    after_429 = next(t for t, p, status in calls if p == "3" and t > asked_429)
    assert after_429 - asked_429 >= 1.0  # Retry-After honoured


def test_a_source_that_keeps_failing_fails_cleanly_and_the_next_run_loses_nothing(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    fake.fault("500", times=1000, when=lambda r: r.args.get("page") == "3")
    src = add_source(shub, json_source("api", fake.url + "/products"))
    result = run(shub, src)
    assert result.status == "failed"
    assert result.error.endswith("500 INTERNAL SERVER ERROR; gave up after 5 retries")
    assert "page=3" in result.error
    assert len(stored(shub)) == 20  # pages 1 and 2 are written and checkpointed
    with shub.sessions() as s:
        assert s.get(Checkpoint, "api").state["position"] == {"page": 3}
    fake.faults.clear()
    again = run(shub, src)
    assert again.ok and again.counts["fetched"] == 5 and again.counts["created"] == 5
    assert any("resumed the interrupted pass at page 3" in n for n in again.report["notes"])
    exactly_once(shub)


def test_the_retry_budget_ends_a_run_that_spends_it(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    fake.fault("500", times=2, when=lambda r: r.args.get("page") == "1")
    fake.fault("500", times=2, when=lambda r: r.args.get("page") == "2")
    src = add_source(shub, json_source("api", fake.url + "/products", extra="retry_budget = 3"))
    result = run(shub, src)
    assert result.status == "failed"
    assert "the run's retry budget of 3 retries is spent" in result.error
    with shub.sessions() as s:
        run_row = s.get(SyncRun, result.run_id)
        assert (run_row.status, run_row.error, run_row.retries) == ("failed", result.error, 3)


def test_a_retry_after_longer_than_allowed_fails_at_once(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(3)]
    fake.fault("429", arg=7200)
    src = add_source(shub, json_source("api", fake.url + "/products"))
    started = time.monotonic()
    result = run(shub, src)
    assert time.monotonic() - started < 5
    assert result.status == "failed" and "asks to wait 7200 s" in result.error


@pytest.mark.parametrize("style", ["cursor", "link"])
def test_a_page_served_twice_is_written_once(shub, fake, style) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    second = (lambda r: r.args.get("cursor") == "10") if style == "cursor" else (lambda r: r.args.get("page") == "2")
    fake.fault("stutter", times=2, when=second)  # page 2 says: next is page 2
    src = add_source(shub, json_source("api", fake.url + endpoint(style), style, pagination=pagination(style)))
    result = run(shub, src)
    assert result.ok, result.error
    assert (result.counts["fetched"], result.counts["created"], result.counts["unchanged"]) == (N + 20, N, 20)
    exactly_once(shub)


def test_a_pagination_that_never_advances_is_caught(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    fake.fault("stutter", times=100, when=lambda r: r.args.get("cursor") == "10")
    src = add_source(shub, json_source("api", fake.url + "/cursor", "cursor", pagination=pagination("cursor")))
    result = run(shub, src)
    assert result.status == "failed" and "pagination does not advance" in result.error
    exactly_once(shub, 20)  # the two pages it read, each record once


def test_pages_out_of_order_and_an_update_during_the_listing(shub, fake) -> None:  # type: ignore[no-untyped-def]
    """Page 1 is served second: its older copy of P0005 must not overwrite the newer one
    that page 2 (served first) carried."""
    items = [api_item(i) for i in range(N)]
    items[15] = api_item(5, name="Gạo ST25 lô 5 (mới)", updated_at="2025-02-01T00:00:00+00:00")
    fake.items, fake.order = items, {1: 2, 2: 1}
    src = add_source(shub, json_source("api", fake.url + "/products"))
    result = run(shub, src)
    assert result.ok, result.error
    assert (result.counts["created"], result.counts["stale"], result.counts["invalid"]) == (N - 1, 1, 0)
    records = stored(shub)
    assert len(records) == N - 1 and {v for v, _, _ in records.values()} == {1}
    assert records["VN/products/api-P0005"][1]["name"]["vi"] == "Gạo ST25 lô 5 (mới)"
    fake.order = {}  # in order: the older copy first, then the newer one: an update, not a duplicate
    again = run(shub, src)
    assert (again.counts["stale"], again.counts["invalid"], again.counts["updated"]) == (1, 0, 0)
    assert stored(shub)["VN/products/api-P0005"][0] == 1


def test_offset_pages_that_overlap_write_the_repeated_items_once(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    newcomer = api_item(99)

    def shift(request) -> bool:  # type: ignore[no-untyped-def]
        if request.args.get("offset") == "10" and fake.items[0] is not newcomer:
            fake.items.insert(0, newcomer)  # an item lands in front while the client pages on
        return False

    fake.fault("none", times=10, when=shift)
    src = add_source(shub, json_source("api", fake.url + "/offset", "offset"))
    result = run(shub, src)
    assert result.ok and result.counts["unchanged"] == 1  # item 9 came again on the second page
    exactly_once(shub, N)
    assert run(shub, src).counts["created"] == 1  # the newcomer, in the next pass
    exactly_once(shub, N + 1)


def test_standard_records_with_a_token_from_the_environment(shub, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import product

    fake.items = [product(i, source_updated_at="2025-01-01T00:00:00Z") for i in range(12)]
    fake.token = "s3cret"
    text = f"""
[source]
name = "standard"
type = "json"
kind = "products"
country = "VN"
url = "{fake.url}/link"
items = "data"

[source.pagination]
style = "link"

[source.auth]
token_env = "FAKE_TOKEN"
"""
    src = add_source(shub, text, "standard")
    missing = run(shub, src)
    assert (
        missing.status == "failed" and missing.error == "source 'standard': environment variable FAKE_TOKEN is not set"
    )
    monkeypatch.setenv("FAKE_TOKEN", "wrong")
    refused = run(shub, src)
    assert refused.status == "failed" and "401 UNAUTHORIZED" in refused.error
    monkeypatch.setenv("FAKE_TOKEN", "s3cret")
    result = run(shub, src)
    assert result.ok and result.counts["created"] == 12
    exactly_once(shub, 12)


def test_incremental_reads_ask_only_for_what_changed(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i, updated_at=f"2025-01-{i + 1:02d}T00:00:00+00:00") for i in range(5)]
    src = add_source(
        shub,
        json_source("api", fake.url + "/products", extra='since_param = "updated_since"\nsince_field = "updated_at"'),
    )
    assert not src.snapshot
    assert run(shub, src).counts["created"] == 5
    assert "updated_since" not in fake.requests("/products")[0][2]
    fake.items = [api_item(3, name="Gạo ST25 lô 3 (mới)", updated_at="2025-01-10T00:00:00+00:00")]
    result = run(shub, src)
    assert result.counts["updated"] == 1
    assert fake.requests("/products")[-1][2]["updated_since"] == "2025-01-05T00:00:00+00:00"
    with shub.sessions() as s:
        assert s.get(Checkpoint, "api").state["since"] == "2025-01-10T00:00:00+00:00"


def test_items_the_hub_cannot_accept_are_quarantined_with_their_payload(shub, fake, client) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(0), api_item(1, name=""), api_item(2, price="12 đồng"), api_item(3, code="bad id!")]
    src = add_source(shub, json_source("api", fake.url + "/products"))
    result = run(shub, src)
    assert result.ok  # a run succeeds with quarantined records; they are counted and kept
    assert (result.counts["created"], result.counts["invalid"]) == (1, 3)
    with shub.sessions() as s:
        rows = {q.locator: q for q in s.scalars(sa.select(Quarantine).order_by(Quarantine.id))}
    assert set(rows) == {"page 1 item 2", "page 1 item 3", "page 1 item 4"}
    empty_name = rows["page 1 item 2"]
    assert (empty_name.status, empty_name.uid, empty_name.payload["code"]) == (
        "mapping",
        "VN/products/api-P0001",
        "P0001",
    )
    assert "required value is empty" in empty_name.errors[0]["message"]
    assert rows["page 1 item 3"].errors[0]["message"].startswith("page 1 item 3 column 'price' -> price.amount")
    assert rows["page 1 item 4"].status == "invalid" and rows["page 1 item 4"].errors[0]["path"] == "id"
    fake.items[1] = api_item(1)  # fixed at the source
    again = run(shub, src)
    assert again.counts["created"] == 1
    with shub.sessions() as s:
        fixed = s.get(Quarantine, empty_name.id)
        assert fixed.resolution == "written" and fixed.resolved_at is not None
