"""Each revision records which standard and codelist versions validated it (standard 1.1)."""
from __future__ import annotations

import sqlalchemy as sa

import schemas
from hub.actors import Actor
from hub.store.models import CodelistSet, Revision
from schemas import codelists
from tests.conftest import product


def test_every_revision_names_the_codelist_versions_that_validated_it(hub) -> None:  # type: ignore[no-untyped-def]
    vn = Actor("client:vn", "VN")
    hub.writes.write(vn, "products", [product(1)], source="test")
    hub.writes.write(vn, "products", [product(1, package="box"), product(2)], source="test")
    with hub.sessions() as s:
        keys = set(s.scalars(sa.select(Revision.validated_with)))
        assert keys == {codelists.versions_key(schemas.STANDARD_VERSION)}
        known = s.get(CodelistSet, keys.pop())
        assert known.standard == "1.1" and known.versions["rating-schemes"] == "1.1"
        assert known.versions == codelists.versions()
        assert s.scalar(sa.select(sa.func.count()).select_from(CodelistSet)) == 1


def test_the_migration_keeps_existing_revisions_with_validated_with_null(hub) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from hub.store import migrate
    hub.writes.write(Actor("client:vn", "VN"), "products", [product(1)], source="test")
    with hub.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0012_submissions")
        conn.execute(sa.text("UPDATE revisions SET source = 'before 1.1'"))
    migrate.upgrade(hub.engine)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uid, source, validated_with FROM revisions")).all()
    assert [tuple(r) for r in rows] == [("VN/products/p1", "before 1.1", None)]
    assert migrate.is_current(hub.engine)
