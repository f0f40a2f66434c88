"""An unchanged re-delivery is answered from the digest of the input as received, without
validating again, and the answer is the one validation would give (issue 17)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import schemas
from hub.actors import Actor
from hub.records import received, writepath
from hub.records.received import input_hash
from hub.store.models import Record
from schemas import codelists
from tests.auth.helpers import partner_headers
from tests.conftest import product
from tests.schemas.equivalence_corpus import load

VN = Actor("client:vn", "VN")
STAFF = Actor("operator", None)  # no scopes: the hub's own, writes every country


def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``schemas.validate`` call from now on, by kind."""
    calls: list[str] = []
    real = schemas.validate

    def counted(kind: str, raw: Any, today: date | None = None) -> schemas.Result:
        calls.append(kind)
        return real(kind, raw, today)

    monkeypatch.setattr(schemas, "validate", counted)
    return calls


def test_an_unchanged_redelivery_is_not_validated_again(hub, monkeypatch) -> None:
    records = [product(i) for i in range(5)]
    hub.writes.write(VN, "products", records, source="test")
    calls = count_validations(monkeypatch)
    out = hub.writes.write(VN, "products", records, source="test")
    assert [r.status for r in out.results] == ["unchanged"] * 5
    assert calls == []
    changed = [*records[:4], product(4, name={"vi": "Tên khác"})]
    out = hub.writes.write(VN, "products", changed, source="test")
    assert [r.status for r in out.results] == ["unchanged"] * 4 + ["updated"]
    assert calls == ["products"]


def test_new_rules_validate_a_redelivery_once_more(hub, monkeypatch) -> None:
    """After an upgrade (another standard, codelist or validator version) the stored digests
    no longer match: each record is validated again, once, and its digest renewed."""
    hub.writes.write(VN, "products", [product(1)], source="test")
    monkeypatch.setattr(received, "_SALTED", hashlib.sha256(b"1.2/other codelists/other code\n"))
    calls = count_validations(monkeypatch)
    assert hub.writes.write(VN, "products", [product(1)], source="test").results[0].status == "unchanged"
    assert calls == ["products"]
    with hub.sessions() as s:
        assert s.scalar(sa.select(Record.input_hash)) == input_hash(product(1))
    assert hub.writes.write(VN, "products", [product(1)], source="test").results[0].status == "unchanged"
    assert calls == ["products"]


def test_a_record_the_new_rules_refuse_is_invalid_not_unchanged(hub, monkeypatch) -> None:
    """The old shortcut answered ``unchanged`` from the input alone, whatever the rules
    had become since."""
    hub.writes.write(VN, "products", [product(1)], source="test")
    monkeypatch.setattr(received, "_SALTED", hashlib.sha256(b"1.2/a withdrawn category code\n"))
    real = schemas.validate

    def stricter(kind: str, raw: Any, today: date | None = None) -> schemas.Result:
        real(kind, raw, today)
        return schemas.Result(None, [schemas.Finding("category.code", "codelist", "Withdrawn.")])

    monkeypatch.setattr(schemas, "validate", stricter)
    out = hub.writes.write(VN, "products", [product(1)], source="test").results[0]
    assert (out.status, out.errors[0]["code"]) == ("invalid", "codelist")


def test_the_validator_digest_follows_code_and_codelists(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(str(resources.files(schemas)), copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = received.validator_digest(copy)
    assert before == received.validator_digest(resources.files(schemas))
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "records.cpython-311.pyc").write_bytes(b"compiled")
    assert received.validator_digest(copy) == before
    lists = sorted((copy / "codelists").iterdir())
    lists[0].write_bytes(lists[0].read_bytes() + b"\n")
    after_codelist = received.validator_digest(copy)
    (copy / "records.py").write_text((copy / "records.py").read_text() + "\n# a fix\n")
    assert len({before, after_codelist, received.validator_digest(copy)}) == 3
    assert received.VALIDATOR.startswith(codelists.versions_key(schemas.STANDARD_VERSION) + "/")


def corpus_rows() -> list[tuple[str, Any]]:
    return [(row["kind"], row["input"]) for row in load()]


def test_validation_errors_and_documents_do_not_depend_on_the_day() -> None:
    """Why the digest leaves the day out: only warnings (expiry) depend on it, and an
    ``unchanged`` answer carries none. If this fails, bind the day into the digest."""
    for kind, raw in corpus_rows():
        early, late = schemas.validate(kind, raw, date(2001, 1, 1)), schemas.validate(kind, raw, date(2099, 12, 31))
        assert [e.as_dict() for e in early.errors] == [e.as_dict() for e in late.errors], (kind, raw)
        assert early.document == late.document, (kind, raw)


def by_kind_unique(rows: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    """The corpus by kind, one input per uid (a batch refuses the same record twice)."""
    out: dict[str, list[Any]] = {}
    seen: set[str] = set()
    for kind, raw in rows:
        if isinstance(raw, dict):
            key = repr((kind, raw.get("country"), raw.get("id")))
            if key in seen:
                continue
            seen.add(key)
        out.setdefault(kind, []).append(raw)
    return out


def answers(hub, batches: dict[str, list[Any]]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = []
    for kind, records in batches.items():
        for start in range(0, len(records), 500):
            for r in hub.writes.write(STAFF, kind, records[start : start + 500], source="test").results:
                out.append(r.as_dict() | {"kind": kind, "etag": r.content_hash})
    return out


def test_the_fast_answer_is_the_slow_answer_on_the_equivalence_corpus(hub, monkeypatch) -> None:
    """Every record of the corpus (valid and invalid, every kind) delivered, then delivered
    again with and without the shortcut: the same statuses, versions, review states,
    errors, warnings and ETags; the shortcut validates only what it cannot vouch for."""
    batches = by_kind_unique(corpus_rows())
    first = answers(hub, batches)
    assert {a["status"] for a in first} >= {"created", "invalid"}
    calls = count_validations(monkeypatch)
    fast = answers(hub, batches)
    fast_calls = len(calls)
    monkeypatch.setattr(writepath, "input_hash", lambda raw: None)  # every record validated
    slow = answers(hub, batches)
    assert fast == slow
    assert sum(a["status"] == "unchanged" for a in fast) > 2000
    assert fast_calls == len(calls) - fast_calls - sum(a["status"] == "unchanged" for a in fast)


def count_transactions(hub, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Every write transaction opened from now on, by source."""
    opened: list[str] = []
    real = hub.writes.transaction

    def counted(actor: Actor, source: str, **kw: Any):  # type: ignore[no-untyped-def]
        opened.append(source)
        return real(actor, source, **kw)

    monkeypatch.setattr(hub.writes, "transaction", counted)
    return opened


def test_a_batch_with_nothing_to_write_takes_no_write_transaction(hub, monkeypatch, caplog) -> None:
    """Unchanged, invalid and forbidden records are answered without the write lock (no
    commit to disk), still counted and logged as a batch; one changed record takes it."""
    records = [product(i) for i in range(3)]
    hub.writes.write(VN, "products", records, source="test")
    opened = count_transactions(hub, monkeypatch)
    batch = [*records, {"id": "bad id", "country": "VN"}, product(9, country="TH")]
    caplog.set_level("INFO", logger="hub.writepath")
    out = hub.writes.write(VN, "products", batch, source="test")
    assert [r.status for r in out.results] == ["unchanged"] * 3 + ["invalid", "forbidden"]
    assert [(r.version, r.review) for r in out.results[:3]] == [(1, "pending")] * 3
    assert opened == []
    assert "test products by client:vn: unchanged 3, invalid 1, forbidden 1" in caplog.messages
    out = hub.writes.write(VN, "products", [*records[:2], product(2, name={"vi": "Khác"})], source="test")
    assert [r.status for r in out.results] == ["unchanged", "unchanged", "updated"]
    assert opened == ["test"]


def test_if_match_and_submissions_still_take_the_write_transaction(hub, monkeypatch) -> None:
    hub.writes.write(VN, "products", [product(1)], source="test")
    opened = count_transactions(hub, monkeypatch)
    out = hub.writes.write(VN, "products", [product(1)], source="test", if_match="*")
    assert out.results[0].status == "unchanged"
    out = hub.writes.write(VN, "products", [product(1)], source="sync", submission="run-1")
    assert out.results[0].status == "unchanged"
    assert opened == ["test", "sync"]


def test_the_api_answers_an_unchanged_batch_without_a_write_transaction(hub, app, client, monkeypatch) -> None:
    """And the same answer, body and status, as the transaction gave; with an
    Idempotency-Key the answer is stored, so the transaction is taken."""
    headers = partner_headers(hub, client, "VN", ("exchange:read", "exchange:write"))
    body = {"records": [product(1), product(2, gtin="1")]}
    first = client.post("/api/v1/products/batch", json=body, headers=headers)
    assert [r["status"] for r in first.json["results"]] == ["created", "invalid"]
    opened = count_transactions(app.extensions["hub"], monkeypatch)
    again = client.post("/api/v1/products/batch", json=body, headers=headers)
    assert opened == []
    assert again.status_code == first.status_code == 207
    assert again.json["results"][0] == first.json["results"][0] | {"status": "unchanged", "warnings": []}
    assert again.json["results"][1] == first.json["results"][1]
    keyed = client.post("/api/v1/products/batch", json=body, headers=headers | {"Idempotency-Key": "k1"})
    assert keyed.json == again.json
    assert opened == ["api"]
