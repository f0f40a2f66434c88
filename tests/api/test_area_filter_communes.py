"""The list filter ``area=`` through Viet Nam's July 2025 reorganisation at commune level."""

from __future__ import annotations

from tests.conftest import product

HOA_PHONG_OLD, CU_PUI, KRONG_BONG = "VN-GSO-2004:24463", "VN-GSO:24478", "VN-GSO-2004:653"


def test_a_province_finds_its_communes_old_and_new_and_a_commune_its_predecessors(  # type: ignore[no-untyped-def]
    client, vn_writer, vn_reader
) -> None:
    records = [
        product(1, origin={"place": "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk",
                           "area_at_source": {"area": HOA_PHONG_OLD, "on": "2024-10"}}),
        product(2, origin={"area": HOA_PHONG_OLD}),  # a v1 record with the old code
        product(3, origin={"area": CU_PUI}),
        product(4, origin={"area": KRONG_BONG}),
        product(5, origin={"area": "VN-GSO:00004"}),  # Phường Ba Đình, Hà Nội
    ]
    r = client.post("/api/v1/products/batch", json={"records": records}, headers=vn_writer)
    assert r.status_code == 200, r.get_data(as_text=True)

    def ids(area: str) -> list[str]:
        r = client.get("/api/v1/products", query_string={"area": area}, headers=vn_reader)
        assert r.status_code == 200, r.get_data(as_text=True)
        return sorted(i["id"] for i in r.get_json()["items"])

    assert ids("VN-GSO:66") == ids("VN-33") == ["p1", "p2", "p3", "p4"]
    assert ids(CU_PUI) == ids(HOA_PHONG_OLD) == ["p1", "p2", "p3"]
    assert ids("VN-GSO:01") == ["p5"]
    shown = client.get("/api/v1/products/VN/p2", headers=vn_reader).get_json()
    assert shown["origin"] == {"area": CU_PUI, "area_at_source": {"area": HOA_PHONG_OLD}}
