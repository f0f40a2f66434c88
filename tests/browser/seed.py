"""A realistic hub for the browser tests and the console screenshots: the demo data
published, Viet Nam under review with updates and new products waiting (some with
warnings), flags between members, staff accounts and partner systems."""

from __future__ import annotations

import copy
import socket
from dataclasses import dataclass
from typing import Any

from hub.actors import Actor
from hub.auth import clients, users
from hub.curation import flags, review
from hub.curation.members import set_policy
from hub.demo import load_demo, records
from hub.services import Hub
from hub.store.db import transaction
from hub.webhooks import subscriptions

PASSWORD = "correct horse battery"
VN_WRITER = Actor("client:vn-ocop-portal", "VN", frozenset({"exchange:read", "exchange:write"}))
TH_REVIEWER = Actor("user:reviewer@th.example", "TH", frozenset({"exchange:read", "review"}), "reviewer")
VN_REVIEWER = Actor("user:reviewer@vn.example", "VN", frozenset({"exchange:read", "review"}), "reviewer")


@dataclass
class Seeded:
    vn_client: tuple[str, str]
    th_client: tuple[str, str]
    updated: str  # VN product with a pending update of a published version
    new: str  # VN product never published, pending, with a warning
    to_return: str  # VN product the browser test returns with a reason
    bulk: list[str]  # VN products for bulk approval


def _product(base: dict[str, Any], **over: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc.update(over)
    return doc


def _public(host: str, port: int, *_a: Any, **_kw: Any) -> list[tuple[Any, ...]]:
    """The seed's webhook host resolves to a public address without asking any DNS."""
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]


def seed(hub: Hub) -> Seeded:
    load_demo(hub)
    with transaction(hub.sessions) as s:
        set_policy(s, "seed", "VN", "required")
        set_policy(s, "seed", "TH", "required")
        for email, role, country in (
            ("reviewer@vn.example", "reviewer", "VN"),
            ("reviewer@th.example", "reviewer", "TH"),
            ("secretariat@asean.example", "secretariat", None),
            ("admin@hub.example", "admin", None),
        ):
            users.create(s, "seed", email=email, role=role, country=country, password=PASSWORD)
        vn = clients.create(s, "seed", country="VN", name="VN OCOP portal", scopes=("exchange:read", "exchange:write"))
        th = clients.create(s, "seed", country="TH", name="TH OTOP reader", scopes=("exchange:read",))
        clients.create(s, "seed", country="PH", name="PH DTI OTOP system", scopes=("exchange:read", "exchange:write"))
        subscriptions.create(
            s,
            hub.settings,
            f"client:{th.client_id}",
            "https://hooks.otop.example/hub",
            ["products"],
            ["VN", "TH"],
            owner=th.client_id,
            resolver=_public,
        )
    base = next(p for p in records("products") if p["id"] == "macca-rang-muoi-ea-sol")
    updated = _product(
        base,
        description={
            "vi": "Hạt mắc ca nứt vỏ rang muối hồng Himalaya, trồng trên đất đỏ bazan Tây Nguyên, thu hoạch thủ công.",
            "en": "Cracked-shell macadamia nuts roasted with Himalayan pink salt, grown on the red basalt soils "
            "of the Central Highlands and harvested by hand.",
        },
        price={"amount": 390000, "currency": "VND"},
        origin={"place": "Thôn 5, xã Ea Sol"},
    )
    cert = {
        "scheme": "VN-OCOP",
        "rating": 3,
        "decision": "1120/QĐ-UBND",
        "issued_on": "2021-05-10",
        "expires_on": "2024-05-10",
        "level": "provincial",
    }
    new = {
        "id": "tra-shan-tuyet-hoang-su-phi",
        "country": "VN",
        "name": {"vi": "Trà Shan tuyết cổ thụ Hoàng Su Phì", "en": "Hoang Su Phi ancient Shan tuyet tea"},
        "category": {"scheme": "VN-OCOP-2023", "code": "1.5.2"},
        "certifications": [cert],
        "origin": {"place": "Hà Giang"},
        "price": {"amount": "450000", "currency": "VND"},
    }
    to_return = {
        "id": "nuoc-mam-ca-com-phu-quoc",
        "country": "VN",
        "name": {"vi": "Nước mắm cá cơm Phú Quốc 40 độ đạm"},
        "category": {"scheme": "VN-OCOP-2023", "code": "1.4.1"},
        "certifications": [
            {
                "scheme": "VN-OCOP",
                "rating": 4,
                "decision": "77/QĐ-UBND",
                "issued_on": "2025-02-01",
                "level": "provincial",
            }
        ],
        "origin": {"area": "VN-GSO:91"},
    }
    bulk = [
        {
            "id": f"banh-pia-soc-trang-{n}",
            "country": "VN",
            "name": {"vi": f"Bánh pía Sóc Trăng số {n}", "en": f"Soc Trang pia cake no. {n}"},
            "category": {"scheme": "VN-OCOP-2023", "code": "1.1"},
            "certifications": [
                {
                    "scheme": "VN-OCOP",
                    "rating": 3,
                    "decision": f"{300 + n}/QĐ-UBND",
                    "issued_on": "2025-06-01",
                    "level": "provincial",
                }
            ],
            "origin": {"area": "VN-GSO:92"},
        }
        for n in (1, 2, 3)
    ]
    out = hub.writes.write(VN_WRITER, "products", [updated, new, to_return, *bulk], source="api")
    assert all(r.status in ("created", "updated") for r in out.results), out.as_dict()
    with transaction(hub.sessions) as s:
        flags.raise_flag(
            s,
            TH_REVIEWER,
            "VN/products/sua-hat-macca-ea-sol",
            "wrong-category",
            "Is macadamia milk a beverage (2.x) or a food?",
        )
        th_product = next(p for p in records("products") if p["country"] == "TH")
        flags.raise_flag(
            s,
            VN_REVIEWER,
            f"TH/products/{th_product['id']}",
            "expired-certificate",
            "The OTOP Product Champion certificate looks older than two years.",
        )
    review.decide(
        hub.sessions,
        VN_REVIEWER,
        "VN/products/banh-pia-soc-trang-3",
        1,
        "return",
        "incomplete",
        "Add the English name and the package size.",
    )
    return Seeded(
        vn_client=(vn.client_id, vn.client_secret or ""),
        th_client=(th.client_id, th.client_secret or ""),
        updated="VN/products/macca-rang-muoi-ea-sol",
        new="VN/products/tra-shan-tuyet-hoang-su-phi",
        to_return="VN/products/nuoc-mam-ca-com-phu-quoc",
        bulk=[f"VN/products/banh-pia-soc-trang-{n}" for n in (1, 2)],
    )
