"""The reviewer's diff: field paths like the warnings', statuses, word diffs of long texts."""

from __future__ import annotations

from hub.records import diff


def test_flatten_uses_the_paths_of_validation_findings() -> None:
    doc = {"name": {"vi": "Trà"}, "certifications": [{"rating": 4}], "tags": []}
    assert diff.flatten(doc) == {"name.vi": "Trà", "certifications.0.rating": 4, "tags": []}


def test_compare_marks_changed_added_removed_and_warned_rows() -> None:
    old = {"name": {"vi": "Trà"}, "price": {"amount": "100"}, "origin": {"area": "VN-GSO:01"}}
    new = {"name": {"vi": "Trà xanh"}, "price": {"amount": "100"}, "origin": {"place": "Thôn 5"}}
    warnings = [{"path": "origin.place", "code": "area_unresolved", "message": "kept as text"}]
    rows = {r.path: r for r in diff.compare(old, new, warnings)}
    assert [(p, r.status) for p, r in rows.items()] == [
        ("name.vi", "changed"),
        ("price.amount", "same"),
        ("origin.place", "added"),
        ("origin.area", "removed"),
    ]
    assert rows["origin.place"].warnings == warnings and not rows["name.vi"].warnings
    assert diff.summary(list(rows.values())) == {"same": 1, "changed": 1, "added": 1, "removed": 1, "new": 0}


def test_a_new_record_has_only_new_rows() -> None:
    rows = diff.compare(None, {"id": "p1", "name": {"en": "Tea"}})
    assert [(r.path, r.status, r.old) for r in rows] == [("id", "new", None), ("name.en", "new", None)]


def test_long_texts_get_a_word_diff() -> None:
    old = {"d": "Cracked-shell macadamia nuts roasted with salt, grown on the red basalt soils."}
    new = {"d": "Cracked-shell macadamia nuts roasted with Himalayan pink salt, grown on the red basalt soils."}
    row = diff.compare(old, new)[0]
    assert row.words is not None
    assert [s.text for s in row.words if s.op == "ins"] == ["Himalayan pink "]
    assert "".join(s.text for s in row.words if s.op != "del") == new["d"]


def test_a_warning_on_a_path_without_a_value_still_shows() -> None:
    rows = diff.compare({"a": 1}, {"a": 1}, [{"path": "producer", "code": "reference_unknown", "message": "?"}])
    assert [(r.path, r.warnings[0]["code"]) for r in rows if r.warnings] == [("producer", "reference_unknown")]
