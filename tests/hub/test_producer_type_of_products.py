"""A product's certificate decided before its producer's type existed is warned
``producer_type_not_in_force`` by the write path, which knows the producer."""

from __future__ import annotations

from hub.actors import Actor
from tests.conftest import product

VN = Actor("client:vn", "VN")


def _producer(kind: str) -> dict:
    return {"id": "htx-hoa-phong", "country": "VN", "name": {"vi": "HTX Nông nghiệp Hòa Phong"}, "type": kind}


def _cert(issued_on: str) -> list[dict]:
    return [{"scheme": "VN-OCOP", "rating": 3, "issued_on": issued_on, "level": "provincial"}]


def _codes(out) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(w["path"], w["code"]) for w in out.as_dict()["results"][0]["warnings"]]


def test_a_certificate_decided_before_the_producers_type_existed_is_warned(hub) -> None:  # type: ignore[no-untyped-def]
    hub.writes.write(VN, "producers", [_producer("cooperative")], source="test")
    early = product(1, producer="htx-hoa-phong", certifications=_cert("2017-06-01"))
    out = hub.writes.write(VN, "products", [early], source="test")
    assert ("certifications.0", "producer_type_not_in_force") in _codes(out)
    message = next(
        w["message"] for w in out.as_dict()["results"][0]["warnings"] if w["code"] == "producer_type_not_in_force"
    )
    assert "VN/producers/htx-hoa-phong" in message and "2018-05-07" in message and "2017-06-01" in message


def test_a_later_certificate_another_type_or_an_unknown_producer_is_not_warned(hub) -> None:  # type: ignore[no-untyped-def]
    hub.writes.write(
        VN,
        "producers",
        [_producer("cooperative"), {**_producer("x"), "id": "csx", "type": "production-establishment"}],
        source="test",
    )
    later = product(1, producer="htx-hoa-phong", certifications=_cert("2019-06-01"))
    undated_type = product(2, producer="csx", certifications=_cert("2017-06-01"))
    unknown = product(3, producer="nobody", certifications=_cert("2017-06-01"))
    out = hub.writes.write(VN, "products", [later, undated_type, unknown], source="test")
    codes = [[w["code"] for w in r["warnings"]] for r in out.as_dict()["results"]]
    assert all("producer_type_not_in_force" not in c for c in codes)
    assert "reference_unknown" in codes[2]


def test_a_dry_run_warns_as_the_write_does(hub) -> None:  # type: ignore[no-untyped-def]
    hub.writes.write(VN, "producers", [_producer("cooperative-group")], source="test")
    early = product(1, producer="htx-hoa-phong", certifications=_cert("2016"))
    preview = hub.writes.preview(VN, "products", [early])
    assert ("certifications.0", "producer_type_not_in_force") in _codes(preview)
