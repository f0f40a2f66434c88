"""Request ids (header, problem bodies, every log line down to the write path), the sync
run's context on its lines, and the JSON format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from hub.curation.members import set_policy
from hub.operations import logs
from hub.store.db import transaction
from hub.sync.runner import Runner
from tests.auth.helpers import partner_headers
from tests.conftest import product
from tests.ops.conftest import csv_run_source


def test_a_sane_request_id_is_kept_and_returned(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/healthz", headers={"X-Request-Id": "partner-4711:abc"})
    assert r.headers["X-Request-Id"] == "partner-4711:abc"


@pytest.mark.parametrize("given", ["", "x" * 129, "a b", "id\u00e9", "<script>", "a\r\nb"])
def test_an_insane_request_id_is_replaced(client, given: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/healthz", headers={"X-Request-Id": given} if "\n" not in given else {})
    rid = r.headers["X-Request-Id"]
    assert rid != given and len(rid) == 32 and rid.isalnum()


def test_problem_bodies_carry_the_request_id(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/products", headers={"X-Request-Id": "ask-me-about-this"})
    assert r.status_code == 401 and r.get_json()["request_id"] == "ask-me-about-this"
    one, two = client.get("/nowhere"), client.get("/nowhere")
    assert one.get_json()["request_id"] != two.get_json()["request_id"]


def test_the_request_id_follows_a_write_into_the_write_path(app, client, hub, caplog) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="hub.writepath")
    r = client.post(
        "/api/v1/products/batch",
        headers={**headers, "X-Request-Id": "batch-0001"},
        json={"records": [product(1), product(2), product(3, name={})]},
    )
    assert r.status_code == 207
    lines = [rec for rec in caplog.records if rec.name == "hub.writepath"]
    summary = next(rec for rec in lines if rec.levelno == logging.INFO)
    assert summary.request_id == "batch-0001"
    assert "created 2" in summary.getMessage() and "invalid 1" in summary.getMessage()
    assert "client:" in summary.getMessage()
    uids = [rec.getMessage() for rec in lines if rec.levelno == logging.DEBUG]
    assert any("VN/products/p1 VN/products/p2" in m for m in uids)
    assert all(rec.request_id == "batch-0001" for rec in lines)
    request_line = next(rec for rec in caplog.records if rec.name == "hub.request" and "/batch" in rec.getMessage())
    assert request_line.request_id == "batch-0001" and "207" in request_line.getMessage()
    assert "request_id" not in logs.current()  # the context ends with the request


def test_a_sync_run_puts_its_id_and_source_on_every_line(ops_hub, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    result = Runner(ops_hub, csv_run_source(ops_hub, good=2, bad=1)).run()
    assert result is not None and result.ok
    mine = [rec for rec in caplog.records if getattr(rec, "sync_run", None) == result.run_id]
    assert all(rec.sync_source == "ops-files" for rec in mine)
    text = [rec.getMessage() for rec in mine]
    assert any(m.startswith("sync run started") for m in text)
    assert any(m.startswith("page ") for m in text)
    assert any(m.startswith("quarantined ") for m in text)
    assert any(rec.name == "hub.writepath" and "created 2" in rec.getMessage() for rec in mine)
    assert any(m.startswith("sync run succeeded") for m in text)
    assert "sync_run" not in logs.current()


def test_json_lines_parse_and_carry_the_context() -> None:
    out = io.StringIO()
    handler = logs.configure("json", "INFO", stream=out)
    try:
        with logs.context(request_id="r-1"), logs.context(sync_run=7):
            logging.getLogger("hub.test").info("hello %s", "world")
        logging.getLogger("hub.test").warning("plain")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "hello world" and first["level"] == "INFO" and first["logger"] == "hub.test"
    assert first["request_id"] == "r-1" and first["sync_run"] == 7 and "time" in first
    assert second["message"] == "plain" and "request_id" not in second and "hub_context" not in second


def test_text_lines_show_the_context() -> None:
    out = io.StringIO()
    handler = logs.configure("text", "INFO", stream=out)
    try:
        with logs.context(request_id="r-2"):
            logging.getLogger("hub.test").info("hello")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "INFO hub.test [request_id=r-2] hello" in out.getvalue()


def test_bad_log_settings_are_one_line_errors() -> None:
    from hub import config

    with pytest.raises(config.ConfigError, match="log_format"):
        config.load({"log_format": "xml", "secret_key": "x"})
    with pytest.raises(config.ConfigError, match="log_level"):
        config.load({"log_level": "LOUD", "secret_key": "x"})


def test_a_decoded_newline_in_a_path_cannot_forge_a_text_line(app) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    handler = logs.configure("text", "INFO", stream=out)
    try:
        forged = "2026-01-01 00:00:00,000 INFO hub.request [request_id=admin] POST /api/v1/products/batch 201"
        app.test_client().get("/nothing%0A" + forged.replace(" ", "%20"))
    finally:
        logging.getLogger().removeHandler(handler)
    request_lines = [line for line in out.getvalue().splitlines() if " hub.request " in line]
    assert len(request_lines) == 1 and "/nothing\\n2026-01-01" in request_lines[0]
