"""Derived values stay true with time: the daily refresh republishes what expired."""
from __future__ import annotations

from datetime import date

import orjson
import sqlalchemy as sa

from hub.actors import Actor
from hub.curation.members import set_policy
from hub.records.derived import refresh
from hub.store.db import transaction
from hub.store.models import Change, Record
from tests.conftest import product

VN = Actor("client:vn", "VN")


def test_an_expired_certificate_is_republished_once_and_the_band_column_follows(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    cert = {"scheme": "VN-OCOP", "rating": 4, "issued_on": "2023-12-01", "expires_on": "2026-12-01"}
    hub.writes.write(VN, "products", [product(1, certifications=[cert]), product(2)], source="test",
                     today=date(2026, 11, 29))
    assert refresh(hub.sessions, hub.writes, date(2026, 11, 30)) == 0
    assert refresh(hub.sessions, hub.writes, date(2027, 1, 5)) == 1
    with hub.sessions() as s:
        changes = s.execute(sa.select(Change.uid, Change.version, Change.record).order_by(Change.seq)).all()
        assert [(u, v) for u, v, _ in changes] == [("VN/products/p1", 1), ("VN/products/p2", 1), ("VN/products/p1", 1)]
        assert orjson.loads(changes[-1][2])["certifications"][0]["active"] is False
        assert s.get(Record, "VN/products/p1").rating_band is None
        assert s.get(Record, "VN/products/p2").rating_band == 4
    assert refresh(hub.sessions, hub.writes, date(2027, 1, 6)) == 0
