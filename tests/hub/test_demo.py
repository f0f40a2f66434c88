"""The demo data set: valid, self-consistent, published through review, idempotent."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

import schemas
from hub.actors import Actor
from hub.curation import review
from hub.demo import ORDER, DemoDataError, all_records, check, load_demo, records
from hub.store import audit
from hub.store.models import AuditEntry, Change, Record, Revision
from schemas import codelists
from schemas.records import references

DATA = all_records()
TOTAL = sum(len(recs) for recs in DATA.values())


def uids() -> set[str]:
    return {f"{r['country']}/{kind}/{r['id']}" for kind, recs in DATA.items() for r in recs}


@pytest.mark.parametrize("kind", ORDER)
def test_every_demo_record_validates_without_errors(kind):
    assert DATA[kind], f"no demo {kind}"
    for raw in DATA[kind]:
        result = schemas.validate(kind, raw)
        assert result.errors == [], (raw["id"], [e.as_dict() for e in result.errors])
        # The only expected warning: one certificate under the 2019 scheme has expired.
        assert {w.code for w in result.warnings} <= {"certificate_expired"}, raw["id"]
    assert check() == []


def test_ids_are_unique_per_country_and_kind():
    for kind, recs in DATA.items():
        keys = [(r["country"], r["id"]) for r in recs]
        assert len(keys) == len(set(keys)), kind


def test_references_between_demo_records_resolve():
    known = uids()
    for kind, recs in DATA.items():
        for raw in recs:
            doc = schemas.validate(kind, raw).document
            assert doc is not None
            for path, ref in references(kind, doc):
                if "/*/" in ref:
                    country, _, local = ref.split("/", 2)
                    ok = any(u.startswith(f"{country}/") and u.endswith(f"/{local}") for u in known)
                else:
                    ok = ref in known
                assert ok, f"{kind} {raw['country']}/{raw['id']} {path} -> {ref}"


def test_references_point_backwards_in_load_order():
    """Every reference targets a kind loaded earlier, or the same kind, so none is unknown."""
    for kind, recs in DATA.items():
        for raw in recs:
            doc = schemas.validate(kind, raw).document
            for _, ref in references(kind, doc):
                target = ref.split("/")[1]
                if target != "*":
                    assert ORDER.index(target) <= ORDER.index(kind), (kind, raw["id"], ref)


def test_no_personal_data():
    text = json.dumps(DATA, ensure_ascii=False)
    assert "@" not in text  # no e-mail addresses
    assert not re.search(r"\+?\d(?:[ .]?\d){8,}", text)  # no phone or ID numbers (9+ digits)


def test_vietnamese_star_certificates_follow_the_scheme():
    scheme = codelists.rating_scheme("VN-OCOP")
    assert scheme is not None
    seen = 0
    for raw in DATA["products"]:
        for cert in raw.get("certifications", ()):
            if cert["scheme"] != "VN-OCOP":
                continue
            seen += 1
            assert 3 <= cert["rating"] <= 5
            assert cert["level"] == scheme["level_by_rating"][str(cert["rating"])], raw["id"]
            issued, expires = date.fromisoformat(cert["issued_on"]), date.fromisoformat(cert["expires_on"])
            assert (expires.year - issued.year) * 12 + expires.month - issued.month == 36
            assert expires.day == issued.day
            band = next(b for b in scheme["score_bands"] if b["rating"] == cert["rating"])
            assert band["min"] <= cert["score"] <= band["max"], raw["id"]
    assert seen >= 15


def test_demo_covers_the_programmes_and_the_partner_network():
    progs = {(r["country"], r["id"]) for r in DATA["programmes"]}
    assert {c for c, _ in progs} >= {"VN", "TH", "PH", "ID", "LA", "KH", "JP"}
    org_types = {r["type"] for r in DATA["organisations"] if r["country"] == "VN"}
    assert {
        "university",
        "research-institute",
        "training-centre",
        "design-centre",
        "mass-organisation",
        "government-agency",
    } <= org_types
    assert sum(r["type"] == "design-centre" for r in DATA["organisations"]) == 3
    assert {r["type"] for r in DATA["activities"]} >= {"startup-competition", "workshop"}
    assert any(c["scheme"] == "PH-OTOP" for r in DATA["products"] for c in r.get("certifications", ()))
    assert any(r.get("type") == "service" for r in DATA["products"])


def test_loader_publishes_everything(hub):
    counts = load_demo(hub)
    assert counts == {"created": TOTAL, "updated": 0, "unchanged": 0, "approved": TOTAL}
    with hub.sessions() as s:
        rows = s.execute(
            sa.select(Record.uid, Record.latest_version, Record.published_version, Record.review_state)
        ).all()
        assert {r.uid for r in rows} == uids()
        assert all(r.published_version == r.latest_version == 1 and r.review_state == "approved" for r in rows)
        assert review.count(s, Actor("test"), review.Query(state="pending")) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Change)) == TOTAL
        changes = [(c.seq, c.op) for c in s.scalars(sa.select(Change).order_by(Change.seq))]
        assert [seq for seq, _ in changes] == list(range(1, TOTAL + 1))
        assert {op for _, op in changes} == {"upsert"}
        revisions = list(s.scalars(sa.select(Revision)))
        assert len(revisions) == TOTAL
        assert {(r.actor, r.source, r.decided_by) for r in revisions} == {("demo", "demo", "demo:secretariat")}
        unknown = [(r.uid, w) for r in revisions for w in r.warnings if w["code"] == "reference_unknown"]
        assert unknown == []
        assert audit.verify(s) == []
        approvals = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "review.approve")))
        assert len(approvals) == TOTAL
        assert {a.actor for a in approvals} == {"demo:secretariat"}
        assert {a.target for a in approvals} == uids()


def test_second_run_is_all_unchanged(hub):
    load_demo(hub)
    with hub.sessions() as s:
        audit_before = s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = load_demo(hub)
    assert again == {"created": 0, "updated": 0, "unchanged": TOTAL, "approved": 0}
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Change)) == TOTAL
        assert s.scalar(sa.select(sa.func.count()).select_from(Revision)) == TOTAL
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before
        assert audit.verify(s) == []


def test_an_interrupted_run_is_completed(hub):
    """Revisions a previous run wrote but did not approve are approved on the next run."""
    from hub.demo import WRITER

    hub.writes.write(WRITER, "programmes", records("programmes"), source="demo")
    counts = load_demo(hub)
    n = len(DATA["programmes"])
    assert counts == {"created": TOTAL - n, "updated": 0, "unchanged": n, "approved": TOTAL}
    with hub.sessions() as s:
        assert review.count(s, Actor("test"), review.Query(state="pending")) == 0


def test_invalid_demo_data_is_refused_before_writing(hub, monkeypatch):
    import hub.demo as demo

    broken = {k: [dict(r) for r in v] for k, v in DATA.items()}
    broken["products"][0]["category"] = {"scheme": "VN-OCOP-2023", "code": "9.9"}
    monkeypatch.setattr(demo, "all_records", lambda: broken)
    with pytest.raises(DemoDataError, match="category"):
        demo.load_demo(hub)
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Record)) == 0
