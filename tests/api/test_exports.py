"""Exports: keyset batches on an index in their own order (query plans on both engines),
a trailer that makes a cut stream detectable, and heartbeats that keep a worker alive."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa

from bench.scale import Explain
from hub.actors import Actor
from hub.records import cursors, exports
from hub.web import liveness
from tests.conftest import product


def write(hub, n: int, country: str = "VN") -> None:  # type: ignore[no-untyped-def]
    extra = (
        {}
        if country == "VN"
        else {
            "country": "TH",
            "category": {"scheme": "TH-OTOP", "code": "food"},
            "certifications": [],
            "origin": {"area": "TH-90"},
        }
    )
    hub.writes.write(
        Actor("test", country),
        "products",
        [product(f"{country.lower()}{i:04d}", **extra) for i in range(n)],
        source="test",
    )


def plan_of(hub, query: sa.Select) -> str:  # type: ignore[no-untyped-def]
    """The plan; on PostgreSQL with sequential and bitmap scans priced out, so a small table still
    shows whether an index can give the order (a sort would remain in the plan)."""
    with hub.engine.connect() as conn:
        if hub.settings.sqlite:
            conn.execute(sa.text("ANALYZE"))
            return "\n".join(str(r[-1]) for r in conn.execute(Explain(query, "EXPLAIN QUERY PLAN")))
        conn.execute(sa.text("ANALYZE records"))
        conn.execute(sa.text("SET enable_seqscan = off"))
        conn.execute(sa.text("SET enable_bitmapscan = off"))
        return "\n".join(str(r[0]) for r in conn.execute(Explain(query, "EXPLAIN")))


def test_export_batches_are_index_ranges_in_index_order_on_either_engine(hub) -> None:  # type: ignore[no-untyped-def]
    write(hub, 30)
    write(hub, 30, "TH")
    for after in (None, "TH/products/th0010"):
        text = plan_of(hub, exports.batch_query("products", after))
        assert "ix_records_kind_country" in text, text
        assert "TEMP B-TREE" not in text and not re.search(r"^\s*(->\s*)?(Incremental )?Sort", text, re.M), text
        assert "SCAN records" not in text and "Seq Scan on records" not in text, text


def test_export_reads_every_record_once_in_uid_order_across_batches(hub) -> None:  # type: ignore[no-untyped-def]
    write(hub, 7, "TH")
    write(hub, 6)
    beats = []
    with hub.sessions() as s:
        uids = [r["uid"] for r in exports.published_records(s, "products", batch=4, progress=lambda: beats.append(1))]
    assert uids == sorted(uids) and len(uids) == len(set(uids)) == 13
    assert len(beats) == 4  # after each of the 4 batches: a long export tells gunicorn it is alive


def test_every_export_format_ends_with_a_trailer_of_count_and_feed_position(client, hub, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(hub, 3)
    with hub.sessions() as s:
        head = s.get(exports.WriteHead, 1).change_seq
    nd = client.get("/api/v1/products/export", headers=vn_reader).get_data(as_text=True).splitlines()
    trailer = json.loads(nd[-1])["export"]
    assert trailer == {
        "complete": True,
        "kind": "products",
        "count": 3,
        "feed_seq": head,
        "feed_cursor": cursors.encode(head),
    }
    assert [json.loads(line)["id"] for line in nd[:-1]] == ["pvn0000", "pvn0001", "pvn0002"]
    text = client.get("/api/v1/products/export?format=csv", headers=vn_reader).get_data(as_text=True)
    body, last = text.rstrip("\n").rsplit("\n", 1)
    assert last.startswith("# ") and json.loads(last[2:])["export"]["count"] == 3
    assert len(list(csv.DictReader(io.StringIO(body)))) == 3
    ld = json.loads(client.get("/api/v1/products/export?format=jsonld", headers=vn_reader).get_data(as_text=True))
    assert len(ld["@graph"]) == 3 and ld["hub:export"]["count"] == 3
    empty = client.get("/api/v1/activities/export", headers=vn_reader).get_data(as_text=True).splitlines()
    assert [json.loads(line)["export"]["count"] for line in empty] == [0]


def test_the_api_export_beats_the_worker_heartbeat_per_batch(client, hub, vn_reader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write(hub, 5)
    monkeypatch.setattr(exports, "BATCH", 2)
    beats = []
    monkeypatch.setattr(liveness, "_notify", lambda: beats.append(1))
    lines = client.get("/api/v1/products/export", headers=vn_reader).get_data(as_text=True).splitlines()
    assert len(lines) == 6 and len(beats) == 3
