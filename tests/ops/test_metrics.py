"""/metrics: request latency by URL rule, records written by status and door, sync runs,
webhook backlog and dead letters; who may scrape."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from hub import create_app
from hub.actors import Actor
from hub.curation.members import set_policy
from hub.store.db import transaction
from hub.sync import webhooks
from hub.sync.runner import Runner
from hub.webhooks import subscriptions
from hub.webhooks.subscriptions import Delivery
from tests.auth.helpers import partner_headers
from tests.conftest import product
from tests.ops.conftest import csv_run_source


def scrape(client, **kw) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.content_type.startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.get_data(as_text=True))
        for s in fam.samples
    }


def value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_api_writes_and_request_latency(app, client, hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    before = scrape(client)
    r = client.post(
        "/api/v1/products/batch", headers=headers, json={"records": [product(1), product(2), product(3, name={})]}
    )
    assert r.status_code == 207
    assert client.post("/api/v1/products/batch", headers=headers, json={"records": [product(1)]}).status_code == 200
    client.get("/api/v1/products/VN/p1", headers=headers)
    client.get("/no/such/page")
    after = scrape(client)
    delta = lambda name, **lb: value(after, name, **lb) - value(before, name, **lb)  # noqa: E731
    assert delta("hub_records_written_total", status="created", door="api") == 2
    assert delta("hub_records_written_total", status="invalid", door="api") == 1
    assert delta("hub_records_written_total", status="unchanged", door="api") == 1
    routes = {dict(lb)["route"] for (name, lb) in after if name == "hub_http_request_duration_seconds_count"}
    batch = next(r for r in routes if r.endswith("/batch"))
    assert delta("hub_http_request_duration_seconds_count", route=batch, method="POST", status="207") == 1
    assert delta("hub_http_request_duration_seconds_count", route=batch, method="POST", status="200") == 1
    assert "<unmatched>" in routes and not any("p1" in r or "/no/such" in r for r in routes)
    assert value(after, "hub_change_feed_head") == 2 and value(after, "hub_database_up") == 1


def test_sync_runs_and_quarantine_are_read_from_the_database(app, client, ops_hub) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hub"] = ops_hub  # the app and the run share the database
    before = scrape(client)
    result = Runner(ops_hub, csv_run_source(ops_hub, good=3, bad=2)).run()
    assert result is not None and result.ok
    after = scrape(client)
    assert value(after, "hub_sync_runs_total", source="ops-files", outcome="succeeded") == 1
    assert value(after, "hub_sync_quarantine_open", source="ops-files") == 2
    assert value(after, "hub_sync_last_success_timestamp_seconds", source="ops-files") > 1.7e9
    assert (
        value(after, "hub_records_written_total", status="created", door="sync")
        - value(before, "hub_records_written_total", status="created", door="sync")
    ) == 3


def test_webhook_backlog_and_dead_letters(app, client, hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
        set_policy(s, "test", "TH", "auto")
        all_sub, _ = subscriptions.create(s, hub.settings, "test", "http://127.0.0.1:9/all")
        th_sub, _ = subscriptions.create(s, hub.settings, "test", "http://127.0.0.1:9/th", countries=["TH"])
        ids = all_sub.id, th_sub.id
    hub.writes.write(Actor("test", "VN"), "products", [product(i) for i in range(4)], source="api")
    samples = scrape(client)
    assert value(samples, "hub_webhook_backlog", subscription=ids[0]) == 4
    assert value(samples, "hub_webhook_backlog", subscription=ids[1]) == 0
    dead = webhooks.Deliverer(hub, post=_refuse)
    dead.attempts = 1
    try:
        assert dead.run()["dead"] == 1  # the 4 changes in one delivery, given up at once
    finally:
        dead.close()
    samples = scrape(client)
    assert value(samples, "hub_webhook_dead_letters", subscription=ids[0]) == 1
    assert value(samples, "hub_webhook_backlog", subscription=ids[0]) == 0
    with hub.sessions() as s:
        assert s.query(Delivery).count() == 1


def _refuse(*_a, **_kw):  # type: ignore[no-untyped-def]
    raise ConnectionRefusedError("refused")


def test_scrape_access(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    base = {"database_url": settings.database_url, "secret_key": "t", "instance_path": str(tmp_path)}
    apps = [create_app(base), create_app({**base, "metrics_token": "s3cret-scrape"})]
    try:
        open_app, locked = (a.test_client() for a in apps)
        assert open_app.get("/metrics").status_code == 200  # loopback, no token set
        far = open_app.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert far.status_code == 403 and far.mimetype == "application/problem+json"
        assert locked.get("/metrics").status_code == 401
        assert locked.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = locked.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-scrape"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
        )
        assert ok.status_code == 200
    finally:
        for a in apps:
            a.extensions["hub"].engine.dispose()
