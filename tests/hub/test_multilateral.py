"""Multilateral records (standard 1.1): country ``XM``, written only by the hub's staff."""
from __future__ import annotations

import schemas
from hub.actors import Actor

ASEAN = {"id": "asean-ovop", "country": "XM", "name": {"en": "ASEAN initiative on one village one product"},
         "managing_agency": {"en": "ASEAN Ministers on Agriculture and Forestry (AMAF)"}}


def test_xm_is_a_country_of_the_standard_and_refs_may_point_at_it() -> None:
    assert schemas.validate("programmes", ASEAN).ok
    part = {"id": "p", "country": "XM", "title": {"en": "t"}, "type": "cooperation-agreement",
            "owner": "XM/programmes/asean-ovop", "partners": ["VN/organisations/mae"]}
    assert schemas.validate("partnerships", part).ok


def test_only_the_hubs_staff_write_multilateral_records(hub) -> None:  # type: ignore[no-untyped-def]
    vn_client = Actor("client:vn", "VN", scopes=frozenset({"exchange:write"}))
    unbound_client = Actor("client:any", None, scopes=frozenset({"exchange:write"}))
    reviewer = Actor("user:r@vn", "VN", scopes=frozenset({"exchange:write", "review"}), role="reviewer")
    for actor in (vn_client, unbound_client, reviewer):
        out = hub.writes.write(actor, "programmes", [ASEAN], source="test").results[0]
        assert (out.status, out.errors[0]["code"]) == ("forbidden", "forbidden"), actor
    staff = Actor("user:s@hub", None, scopes=frozenset({"exchange:read", "review"}), role="secretariat")
    assert hub.writes.write(staff, "programmes", [ASEAN], source="test").results[0].status == "created"
    operator = Actor("cli:import:XM", "XM")
    again = {**ASEAN, "notes": {"en": "written by the operator's CLI"}}
    assert hub.writes.write(operator, "programmes", [again], source="test").results[0].status == "updated"
