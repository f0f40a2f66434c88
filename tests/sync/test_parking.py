"""A source whose runs keep killing their runner is parked after ``sync_abandoned_max``
abandoned runs in a row, shown as parked (``hub sync status``, /metrics, the console),
and runs again only once an operator releases it (``hub sync release``, audited)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import cli
from hub.operations import metrics
from hub.services import Hub
from hub.store import locks, parking
from hub.store import syncruns as history
from hub.store.models import AuditEntry
from hub.store.syncruns import SyncRun
from hub.sync.runner import Runner
from tests.sync.conftest import add_source, publish_on_write, run
from tests.sync.fakes import api_item, json_source


class Killed(BaseException):
    """What a killed process looks like to the run: it ends without recording anything."""


@pytest.fixture
def phub(shub: Hub) -> Hub:
    return Hub(dataclasses.replace(shub.settings, sync_abandoned_max=2))


def killed_run(hub: Hub, source, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def die(self, fetcher):  # type: ignore[no-untyped-def]
        raise Killed()

    monkeypatch.setattr(Runner, "_run", die)
    with pytest.raises(Killed):
        Runner(hub, source).run()
    monkeypatch.undo()


def statuses(hub: Hub) -> list[str]:
    with hub.sessions() as s:
        return list(s.scalars(sa.select(SyncRun.status).order_by(SyncRun.id)))


def cli_env(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for key, value in {
        "HUB_DATABASE_URL": hub.settings.database_url,
        "HUB_SOURCES_DIR": hub.settings.sources_dir,
        "HUB_INSTANCE_PATH": hub.settings.instance_path,
        "HUB_SYNC_ABANDONED_MAX": "2",
        "HUB_DATA_DIR": hub.settings.data_dir,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    return CliRunner()


def test_a_source_killing_its_runner_is_parked_until_released(phub, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(phub, "VN")
    fake.items = [api_item(i) for i in range(5)]
    src = add_source(phub, json_source("api", fake.url + "/products"), "api")
    for _ in range(2):
        killed_run(phub, src, monkeypatch)
    assert statuses(phub) == ["abandoned", "running"]
    with pytest.raises(parking.Parked) as refused:  # this start marks the second abandoned
        Runner(phub, src).run()
    assert isinstance(refused.value, locks.Busy)  # every caller treats it as "not run" (Celery acks it)
    assert "hub sync release api" in str(refused.value)
    with pytest.raises(parking.Parked):
        Runner(phub, src).run()  # refusals do not break the row
    assert statuses(phub) == ["abandoned", "abandoned", "parked", "parked"]
    with phub.sessions() as s:
        assert history.status(s, "api", 2)["parked"] is True
        assert history.parked(s, 2) == ["api"]
    assert 'hub_sync_source_parked{source="api"} 1.0' in metrics.exposition(phub.sessions, 2)[0].decode()

    runner = cli_env(phub, monkeypatch)
    shown = runner.invoke(cli, ["sync", "status", "api"])
    assert "PARKED after 2 abandoned runs" in shown.output, shown.output
    done = runner.invoke(cli, ["sync", "release", "api"])
    assert done.exit_code == 0 and "released" in done.output
    again = runner.invoke(cli, ["sync", "release", "api"])
    assert again.exit_code == 1 and "api is not parked" in again.output
    with phub.sessions() as s:
        assert history.status(s, "api", 2)["parked"] is False
        assert s.scalar(sa.select(AuditEntry.actor).where(AuditEntry.action == "sync.release")) == "cli:sync-release"
    assert 'hub_sync_source_parked{source="api"}' not in metrics.exposition(phub.sessions, 2)[0].decode()
    assert run(phub, src).ok
    assert statuses(phub)[-2:] == ["released", "succeeded"]


def test_a_run_that_finishes_breaks_the_row_and_zero_turns_parking_off(phub, shub, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publish_on_write(phub, "VN")
    fake.items = [api_item(1)]
    src = add_source(phub, json_source("api", fake.url + "/products"), "api")
    killed_run(phub, src, monkeypatch)
    assert run(phub, src).ok  # one abandoned, then a finished run: the row starts again
    killed_run(phub, src, monkeypatch)
    assert run(phub, src).ok  # again 1 abandoned in a row, not 2
    off = Hub(dataclasses.replace(shub.settings, sync_abandoned_max=0))
    for _ in range(4):
        killed_run(off, src, monkeypatch)
    assert run(off, src).ok


def test_the_console_dashboard_names_a_parked_source(phub, fake, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hub import create_app
    from tests.console.conftest import make_user, sign_in

    src = add_source(phub, json_source("api", fake.url + "/products"), "api")
    for _ in range(2):
        killed_run(phub, src, monkeypatch)
    with pytest.raises(parking.Parked):
        Runner(phub, src).run()
    app = create_app(
        {
            "database_url": phub.settings.database_url,
            "secret_key": "test-secret",
            "instance_path": phub.settings.instance_path,
            "sync_abandoned_max": 2,
        }
    )
    try:
        client = app.test_client()
        assert sign_in(client, make_user(phub, "admin@hub.example", "admin")).status_code == 302
        page = client.get("/console/").get_data(as_text=True)
        assert "Source api is parked" in page and "hub sync release api" in page
    finally:
        app.extensions["hub"].engine.dispose()
