"""Hub-to-hub federation: two hubs with their own databases, one served on 127.0.0.1,
the other pulling its change feed with a real client of the first (OAuth client
credentials through ovop_hub_client.HubClient).

Creates, updates, deletes and review decisions propagate: a revision pending at hub A
is not seen by hub B; once A approves it, B gets it; a rejected one never arrives.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from hub import create_app, hub_of
from hub.actors import Actor
from hub.curation import review
from hub.curation.members import set_policy
from hub.services import Hub
from hub.store import audit
from hub.store.db import transaction
from hub.store.models import Change, Record, Revision
from hub.sync import sources
from tests import databases
from tests.auth.helpers import make_client
from tests.conftest import product
from tests.sync.conftest import FAST, run, stored

VN = Actor("client:vn-portal", "VN")
REVIEWER = Actor("staff:vn-reviewer", "VN")


class Served:
    """A hub app on a free port of 127.0.0.1, in a thread."""

    def __init__(self, root: Path, name: str) -> None:
        root.mkdir()
        self.app = create_app(
            {
                "database_url": databases.database_url(root, name),
                "secret_key": f"{name}-key",
                "instance_path": str(root),
                "sources_dir": str(root),
                "data_dir": str(root),
                **FAST,
            }
        )
        self.hub: Hub = hub_of(self.app)
        self.hub.init()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.hub.engine.dispose()


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    a, b = Served(tmp_path / "a", "a"), Served(tmp_path / "b", "b")
    yield a, b
    a.stop()
    b.stop()


def pull(puller: Served, remote: Served, monkeypatch: Any, name: str = "remote", extra: str = "") -> sources.Source:
    """A hub source on ``puller`` reading ``remote``'s feed with a real client of ``remote``."""
    cid, secret = make_client(remote.hub, "VN", ("exchange:read",), name=f"{name} mirror")
    variable = f"HUB_{name.upper().replace('-', '_')}_SECRET"
    monkeypatch.setenv(variable, secret)
    path = Path(puller.hub.settings.sources_dir) / f"{name}.toml"
    path.write_text(
        f"""
[source]
name = "{name}"
type = "hub"
url = "{remote.url}"
schedule = "*/10 * * * *"
{extra}

[source.auth]
client_id = "{cid}"
client_secret_env = "{variable}"
""",
        encoding="utf-8",
    )
    return sources.load(path)


def th_product(i: int) -> dict[str, Any]:
    return {
        "id": f"t{i}",
        "country": "TH",
        "name": {"th": "ผ้าไหมยกดอก"},
        "category": {"scheme": "TH-OTOP", "code": "textiles-apparel"},
    }


def decide(hub: Hub, uid: str, version: int, decision: str) -> None:
    reason = "incomplete" if decision != "approve" else None
    review.decide(hub.sessions, REVIEWER, uid, version, decision, reason=reason)


def published(hub: Hub) -> dict[str, tuple[int | None, bool, str | None]]:
    with hub.sessions() as s:
        return {
            r.uid: (r.published_version, r.deleted, (r.document or {}).get("name", {}).get("vi"))
            for r in s.scalars(sa.select(Record))
        }


def feed_ops(hub: Hub) -> list[tuple[str, str]]:
    with hub.sessions() as s:
        return [(c.uid, c.op) for c in s.scalars(sa.select(Change).order_by(Change.seq))]


def test_creates_updates_deletes_and_decisions_propagate(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    source = pull(b, a, monkeypatch)
    a.hub.writes.write(VN, "products", [product(1), product(2)], source="api")  # pending at A

    nothing = run(b.hub, source)
    assert nothing.ok, nothing.error
    assert nothing.counts["fetched"] == 0 and stored(b.hub) == {}

    decide(a.hub, "VN/products/p1", 1, "approve")
    decide(a.hub, "VN/products/p2", 1, "reject")
    created = run(b.hub, source)
    assert (created.counts["fetched"], created.counts["created"]) == (1, 1)
    assert published(b.hub) == {"VN/products/p1": (1, False, "Mắc ca Lê Anh")}  # p2 was rejected at A
    with b.hub.sessions() as s:
        rev = s.scalar(sa.select(Revision).where(Revision.uid == "VN/products/p1"))
        assert (rev.actor, rev.review_state, rev.decided_by) == ("sync:remote", "approved", "sync:remote")

    a.hub.writes.write(VN, "products", [product(1, name={"vi": "Mắc ca Lê Anh loại 1"})], source="api")
    assert run(b.hub, source).counts["fetched"] == 0  # version 2 waits for review at A
    decide(a.hub, "VN/products/p1", 2, "approve")
    updated = run(b.hub, source)
    assert updated.counts["updated"] == 1
    assert published(b.hub)["VN/products/p1"] == (2, False, "Mắc ca Lê Anh loại 1")

    a.hub.writes.delete(VN, "products", "VN", "p1", source="api")
    decide(a.hub, "VN/products/p1", 3, "approve")
    deleted = run(b.hub, source)
    assert deleted.counts["deleted"] == 1
    assert published(b.hub)["VN/products/p1"][:2] == (3, True)
    assert feed_ops(b.hub) == [("VN/products/p1", "upsert"), ("VN/products/p1", "upsert"), ("VN/products/p1", "delete")]

    with transaction(a.hub.sessions) as s:
        set_policy(s, "test", "TH", "auto")
    a.hub.writes.write(Actor("client:th", "TH"), "products", [th_product(1)], source="api")
    later = run(b.hub, source)
    assert later.counts["created"] == 1 and "TH/products/t1" in published(b.hub)
    assert run(b.hub, source).counts["fetched"] == 0  # the cursor is at the end of A's feed
    with b.hub.sessions() as s:
        assert audit.verify(s) == []


def test_every_version_arrives_in_order_even_within_one_page(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    with transaction(a.hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    for n in range(3):  # three versions of p1 and one of p2, all in one feed page
        a.hub.writes.write(VN, "products", [product(1, name={"vi": f"Tên {n}"}), product(2)], source="api")
    result = run(b.hub, pull(b, a, monkeypatch))
    assert (result.counts["created"], result.counts["updated"], result.counts["unchanged"]) == (2, 2, 0)
    assert published(b.hub)["VN/products/p1"] == (3, False, "Tên 2")


def test_local_review_keeps_imported_revisions_pending_at_the_mirror(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    with transaction(a.hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    a.hub.writes.write(VN, "products", [product(1)], source="api")
    result = run(b.hub, pull(b, a, monkeypatch, extra='review = "local"'))
    assert result.counts["created"] == 1
    assert published(b.hub) == {"VN/products/p1": (None, False, None)}  # pending at B, by B's policy
    decide(b.hub, "VN/products/p1", 1, "approve")
    assert published(b.hub)["VN/products/p1"][0] == 1


def test_a_mirror_of_a_mirror_does_not_echo_changes_back(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    with transaction(a.hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    a.hub.writes.write(VN, "products", [product(1), product(2)], source="api")
    assert run(b.hub, pull(b, a, monkeypatch, "hub-a")).counts["created"] == 2
    back = run(a.hub, pull(a, b, monkeypatch, "hub-b"))  # A reads B's copies of its own records
    assert (back.counts["fetched"], back.counts["unchanged"], back.counts["created"]) == (2, 2, 0)
    assert len(feed_ops(a.hub)) == 2  # nothing new in A's feed: no ping-pong


def test_countries_and_kinds_filter_and_bind_the_writer(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    with transaction(a.hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
        set_policy(s, "test", "TH", "auto")
    a.hub.writes.write(VN, "products", [product(1)], source="api")
    a.hub.writes.write(Actor("client:th", "TH"), "products", [th_product(1)], source="api")
    source = pull(b, a, monkeypatch, extra='countries = ["TH"]\nkinds = ["products"]')
    assert source.actor.country == "TH"
    result = run(b.hub, source)
    assert (result.counts["created"], result.counts["fetched"]) == (1, 1)  # filtered at A (country=TH)
    assert set(published(b.hub)) == {"TH/products/t1"}


def test_a_refused_client_fails_the_run_in_one_line(hubs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = hubs
    source = pull(b, a, monkeypatch)
    monkeypatch.setenv("HUB_REMOTE_SECRET", "not-the-secret")
    result = run(b.hub, source)
    assert result.status == "failed"
    assert result.error.startswith(f"POST {a.url}/oauth/token: 401 UNAUTHORIZED: invalid_client: ")
    assert "\n" not in result.error
