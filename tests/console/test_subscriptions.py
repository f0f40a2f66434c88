"""The console's webhook page: staff see every partner system's subscriptions, and the
secretariat replays dead letters (audited); reviewers have no access."""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.db import transaction
from hub.store.models import AuditEntry
from hub.sync import webhooks
from hub.webhooks import subscriptions
from hub.webhooks.subscriptions import Delivery
from tests.auth.helpers import make_client
from tests.conftest import product
from tests.console.conftest import post
from tests.sync.conftest import publish_on_write
from tests.sync.test_webhooks import VN


def _refuse(*_a, **_kw):  # type: ignore[no-untyped-def]
    raise ConnectionRefusedError("refused")


def test_staff_see_every_subscription_and_replay_its_dead_letters(hub, as_sec) -> None:  # type: ignore[no-untyped-def]
    vn, _ = make_client(hub, "VN", ("admin",), name="VN portal")
    th, _ = make_client(hub, "TH", ("admin",), name="TH portal")
    publish_on_write(hub, "VN")
    with transaction(hub.sessions) as s:
        mine, _ = subscriptions.create(s, hub.settings, f"client:{vn}", "http://127.0.0.1:9/vn", owner=vn)
        subscriptions.create(s, hub.settings, f"client:{th}", "http://127.0.0.1:9/th", owner=th)
        subscriptions.create(s, hub.settings, "cli", "http://127.0.0.1:9/ops")
        sub_id = mine.id
    hub.writes.write(VN, "products", [product(1)], source="api")
    deliverer = webhooks.Deliverer(hub, post=_refuse)
    deliverer.attempts = 1
    assert deliverer.run()["dead"] == 3

    page = as_sec.get("/console/admin/subscriptions").get_data(as_text=True)
    for shown in (
        "http://127.0.0.1:9/vn",
        "VN portal (VN)",
        "http://127.0.0.1:9/th",
        "TH portal (TH)",
        "http://127.0.0.1:9/ops",
        "the operator",
        "0 delivered, 0 pending, 1 dead",
    ):
        assert shown in page, shown
    assert page.count("Replay dead deliveries") == 3

    done = post(as_sec, f"/console/admin/subscriptions/{sub_id}/replay", page="/console/admin/subscriptions")
    assert done.status_code == 302
    after = as_sec.get("/console/admin/subscriptions").get_data(as_text=True)
    assert f"Dead deliveries of {sub_id} queued again, oldest first: 1." in after
    with hub.sessions() as s:
        assert s.scalar(sa.select(Delivery.status).where(Delivery.subscription_id == sub_id)) == "pending"
        entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "subscription.replay"))
        assert (entry.actor, entry.target) == ("user:sec@asean.example", f"subscription:{sub_id}")
    missing = post(as_sec, "/console/admin/subscriptions/sub_nope/replay", page="/console/admin/subscriptions")
    assert missing.status_code == 404


def test_reviewers_cannot_see_or_replay_subscriptions(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    assert as_vn.get("/console/admin/subscriptions").status_code == 403
    assert post(as_vn, "/console/admin/subscriptions/sub_x/replay").status_code == 403
