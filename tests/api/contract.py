"""The API's answers against its OpenAPI document: every JSON body must be what the document
declares for its operation and status.

Records, pages, batch results and the change feed are serialised with orjson, not through
their ``@blp.response`` schemas (the hot paths, see hub/api/bodies.py): this check is what
keeps the bodies and the schemas, the one definition the document comes from, from drifting.
``tests/api/conftest.py`` applies it to every request of the API tests (the fixture
below); ``pytest -p tests.api.contract tests/...`` applies it to any other folder.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import orjson
import pytest
from flask import Flask, Response, request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hub.api import PREFIX

DOC_URI = "urn:hub:openapi"
JSON_TYPES = ("application/json", "application/problem+json")
#: a Flask rule's converters (``<any(a, b):kind>``, ``<int(max=9):version>``, ``<country>``)
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_document: dict[str, Any] = {}


def document(app: Flask) -> dict[str, Any]:
    """The served document (the same for every test app: computed once)."""
    if not _document:
        _document.update(app.test_client().get(f"{PREFIX}/openapi.json").get_json())
    return _document


def pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def violations(doc: dict[str, Any], method: str, path: str, status: int, mimetype: str, body: bytes) -> list[str]:
    """What is wrong with one answer, judged by the document (empty when it conforms)."""
    where = f"{method.upper()} {path} -> {status}"
    operation = doc["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return [f"{where}: no such operation in the document"]
    responses = operation.get("responses", {})
    key = str(status) if str(status) in responses else "default"
    if key not in responses:
        return [f"{where}: status not documented"]
    base = responses[key].get("$ref") or pointer("paths", path, method.lower(), "responses", key)
    declared = responses[key]
    if "$ref" in declared:  # one of components/responses
        declared = doc["components"]["responses"][declared["$ref"].rpartition("/")[2]]
    if mimetype not in declared.get("content", {}):
        return [f"{where}: {mimetype} body, documented: {sorted(declared.get('content', {})) or 'no body'}"]
    schema = {"$ref": f"{DOC_URI}{base}/content/{mimetype.replace('/', '~1')}/schema"}
    registry: Registry[Any] = Registry().with_resource(DOC_URI, Resource.from_contents(doc, DRAFT202012))
    validator = Draft202012Validator(schema, registry=registry)
    return [
        f"{where}: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message[:300]}"
        for error in validator.iter_errors(orjson.loads(body))
    ]


def install(app: Flask, found: list[str]) -> None:
    """Check every JSON answer of the API the app gives; append what does not conform."""
    doc: dict[str, Any] = {}

    def check(response: Response) -> Response:
        rule = request.url_rule
        if (
            rule is None
            or not request.path.startswith(PREFIX + "/")
            or response.is_streamed
            or response.mimetype not in JSON_TYPES
            or rule.rule == f"{PREFIX}/openapi.json"
        ):
            return response
        path = CONVERTER.sub(r"{\1}", rule.rule).replace("{kind}", str((request.view_args or {}).get("kind")))
        found.extend(
            violations(doc, request.method, path, response.status_code, response.mimetype, response.get_data())
        )
        return response

    app.after_request(check)
    doc.update(document(app))  # after the hook: an app that answered once takes no more


@pytest.fixture(autouse=True)
def answers_match_the_document(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every JSON answer of the API in a test that uses the app is what the OpenAPI
    document declares; records and the feed skip marshmallow, this keeps them honest."""
    if "app" not in request.fixturenames:
        yield
        return
    found: list[str] = []
    install(request.getfixturevalue("app"), found)
    yield
    assert not found, "answers that differ from the OpenAPI document:\n" + "\n".join(dict.fromkeys(found))
