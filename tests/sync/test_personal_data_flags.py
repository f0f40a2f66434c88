"""A phone number or an e-mail address in a record's free text flags that record's revision
(``personal_data_suspected`` with the JSON path of the field), so the reviewer sees which
record and which field, on the revision page and in the submission's records with warnings."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hub.curation import submissions
from hub.curation.members import set_policy
from hub.store.db import transaction
from hub.store.models import Revision, Submission
from hub.sync import sources
from tests.review.conftest import VN_REVIEWER
from tests.sync.conftest import run

MAPPING = """
[source]
name = "pd"
type = "file"
kind = "products"
country = "VN"
path = "{path}"

[id]
template = "pd-{{ma}}"

[fields."name.vi"]
from = "ten"
required = true

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"

[fields."description.vi"]
from = "mo_ta"
"""

ROWS = (
    "ma,ten,mo_ta\n"
    "1,Gạo tám - đặt hàng 0912 345 678,Gạo tám thơm\n"  # a phone number in the name
    "2,Gạo ST25 lô 2024,Gạo ST25 vụ mùa 2024\n"  # nothing personal: a lot number is not a phone
    "3,Mật ong hoa cà phê,Mật ong Buôn Cham (liên hệ ban@htx.vn)\n"  # an e-mail address in the description
    "4,Cà phê 0912345678,Cà phê rang mộc - gọi 0262 3812 345\n"  # both fields
)


def source(tmp_path: Path) -> sources.Source:
    (tmp_path / "pd.csv").write_text(ROWS, encoding="utf-8")
    toml = tmp_path / "pd.toml"
    toml.write_text(MAPPING.format(path=(tmp_path / "pd.csv").as_posix()), encoding="utf-8")
    return sources.load(toml)


def flags_of(hub) -> dict[str, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        rows = s.execute(sa.select(Revision.uid, Revision.warnings).where(Revision.uid.like("VN/products/pd-%"))).all()
    return {uid: sorted((w["path"], w["code"]) for w in warnings or []) for uid, warnings in rows}


def required_review(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "required")


def test_each_suspected_field_flags_its_records_revision_with_its_path(hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    required_review(hub)
    result = run(hub, source(tmp_path))
    assert result.ok and result.counts["created"] == 4
    code = "personal_data_suspected"
    assert flags_of(hub) == {
        "VN/products/pd-1": [("name.vi", code)],
        "VN/products/pd-2": [],
        "VN/products/pd-3": [("description.vi", code)],
        "VN/products/pd-4": [("description.vi", code), ("name.vi", code)],
    }
    with hub.sessions() as s:
        warnings = s.scalar(sa.select(Revision.warnings).where(Revision.uid == "VN/products/pd-3"))
    assert "e-mail address" in warnings[0]["message"]
    # the run still counts them by field, once per finding (not once from the mapping and once from the write)
    assert result.report["warnings"] == {f"name.vi {code}": 2, f"description.vi {code}": 2}
    # the submission counts the flagged records; its records with warnings are these three
    with hub.sessions() as s:
        sub = s.scalars(sa.select(Submission).where(Submission.key.like("sync-run:%"))).one()
        assert sub.flagged == 3 and sub.warnings == {code: 3}
        flagged = submissions.select(s, VN_REVIEWER, submissions.Selection(sub.id, warning=code))
        assert sorted(item.rev.uid for item in flagged) == [
            "VN/products/pd-1",
            "VN/products/pd-3",
            "VN/products/pd-4",
        ]
    # read again unchanged: no new revision, and the run still reports what it saw
    again = run(hub, source(tmp_path), restart=True)
    assert again.counts["unchanged"] == 4 and again.report["warnings"][f"name.vi {code}"] == 2


def test_a_dry_run_counts_the_flags_as_the_real_run_does(hub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dry = run(hub, source(tmp_path), dry_run=True)
    result = run(hub, source(tmp_path))
    assert dry.report["warnings"] == result.report["warnings"] and len(result.report["warnings"]) == 2


def test_the_reviewer_sees_the_flagged_record_and_field(hub, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import make_user, sign_in

    required_review(hub)
    assert run(hub, source(tmp_path)).ok
    assert sign_in(client, make_user(hub, "rev@vn.example", "reviewer", "VN")).status_code == 302
    with hub.sessions() as s:
        sub_id = submissions.queue(s, VN_REVIEWER)[0].submission.id
    queue = client.get("/console/reviews").get_data(as_text=True)
    assert "personal_data_suspected 3" in queue and "3 records flagged" in queue
    page = client.get(f"/console/submissions/{sub_id}?warning=personal_data_suspected").get_data(as_text=True)
    assert "3 pending records match" in page and "personal_data_suspected (3)" in page
    assert "pd-1" in page and "pd-4" in page and "pd-2" not in page
    revision = client.get("/console/reviews/VN/products/pd-4/1").get_data(as_text=True)
    assert '<code>name.vi</code> <span class="wcode">personal_data_suspected</span>' in revision
    assert '<code>description.vi</code> <span class="wcode">personal_data_suspected</span>' in revision
    assert "looks like a phone number" in revision


def test_only_fields_that_may_hold_free_text_are_scanned() -> None:
    from hub.sync.mapping import from_dict

    mapping = from_dict(
        {
            "source": {"name": "t", "kind": "products", "country": "VN", "path": "t.csv"},
            "id": {"template": "t-{ma}", "transforms": ["slug"]},
            "fields": {
                "name.vi": {"from": "ten", "transforms": ["nfc", "collapse"]},
                "description.vi": {"template": "{ten} - {ghi_chu}"},
                "category.scheme": {"value": "VN-OCOP-2023"},
                "category.code": {"from": "ten", "rules": [{"code": "1.2.1", "keywords": ["gạo"]}]},
                "price.amount": {"from": "gia", "transforms": ["number"]},
                "price.currency": {"from": "tien", "map": {"đồng": "VND"}},
                "origin.area": {"from": "tinh", "transforms": ["area_code:VN"]},
            },
        }
    )
    # a constant, a rule's or a map's code, a number, an area code: no free text to scan
    assert mapping.free_text == (("name", "vi"), ("description", "vi"))
