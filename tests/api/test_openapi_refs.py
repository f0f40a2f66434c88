"""The OpenAPI document is whole: every ``$ref`` names something it defines."""

from __future__ import annotations

from typing import Any, Iterator


def _refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{where}/{i}")


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref}: only references inside the document are expected"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref}: no '{part}'"
        node = node[part]
    return node


def test_every_ref_of_the_openapi_document_resolves(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    refs = list(_refs(doc))
    assert len(refs) > 100
    unresolved = []
    for where, ref in refs:
        try:
            _resolve(doc, ref)
        except AssertionError as exc:
            unresolved.append(f"{where}: {exc}")
    assert not unresolved, "\n".join(unresolved[:20])


def test_the_problem_schema_describes_what_errors_carry(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    body = client.get("/api/v1/products/VN/nothing", headers=vn_reader).get_json()
    assert set(body) <= set(problem["properties"])  # an actual error fits the schema
    default = doc["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "Error" not in doc["components"]["schemas"]  # flask-smorest's, never sent by the hub
