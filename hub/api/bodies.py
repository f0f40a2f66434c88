"""marshmallow schemas of the API's parameters and answers: the one definition of each
body, which the OpenAPI document is generated from.

Most views return objects or plain data and their ``@blp.response`` schema dumps them
(reviews, decisions, subscriptions, flags, sync runs). Records, their pages, batch and
single-write results and the change feed are the hot paths (bench/api.py): they are
serialised with orjson (the feed is assembled from the stored JSON text), because
dumping through marshmallow costs too much (a 500-record batch answer: 20 ms against
1.2 ms, some 40% of the write itself) and because a record's fields are the standard's,
not :class:`Record`'s. Their schemas here still define what the document says, and
tests/api/contract.py checks every such body the API tests produce against the
document, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any, Callable

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

import schemas as standard

from ..shapes import Finding


class Shown(fields.Nested):
    """Documented as the nested schema, dumped as ``get(obj)`` returns it: for data already
    in its shape (a record's read representation, from :mod:`hub.records.representation`),
    which dumping through :class:`Record` would cut down to the fields it declares."""

    def __init__(self, nested: type[Schema], get: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(nested, **kwargs)
        self.get = get

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return self.get(obj)


class ProblemFinding(Finding):
    """A finding of an error; ``in`` is the location of a refused parameter."""

    in_ = fields.String(data_key="in", metadata={"description": "query, path, json or headers"})


class Problem(Schema):
    """An error, as RFC 9457 ``application/problem+json`` (every error of the API)."""

    class Meta:
        unknown = INCLUDE  # RFC 9457 section 3.2: extension members

    type = fields.String(required=True, metadata={"description": "always `about:blank`"})
    title = fields.String(required=True, metadata={"description": "the HTTP status phrase"})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "what went wrong, for a person"})
    code = fields.String(metadata={"description": "a machine-readable reason, e.g. `invalid_token`"})
    request_id = fields.String(metadata={"description": "quote it when asking the operator"})
    errors = fields.List(fields.Nested(ProblemFinding), metadata={"description": "what was refused, where"})


class Record(Schema):
    """A record in the standard; see docs/standard.md for each kind's fields."""

    class Meta:
        unknown = "include"

    uid = fields.String(dump_only=True)
    id = fields.String(required=True)
    country = fields.String(required=True)
    version = fields.Integer(dump_only=True)
    review = fields.String(dump_only=True)
    hub_updated_at = fields.String(dump_only=True)
    content_hash = fields.String(dump_only=True)
    warnings = fields.List(fields.Nested(Finding), dump_only=True)


class Tombstone(Record):
    """A deleted record, as GET answers it (410) once the deletion is published."""

    deleted = fields.Boolean(required=True, metadata={"description": "always true"})


class Query(Schema):
    """Query parameters: an unknown one is an error (a typo must not silently widen a filter)."""

    class Meta:
        unknown = RAISE


class FilterArgs(Query):
    """The list filters of SPEC section 4, shared by lists and exports."""

    country = fields.String(validate=validate.Length(equal=2))
    q = fields.String(
        validate=validate.Length(1, 200), metadata={"description": "text in names, any language, accent-insensitive"}
    )
    category = fields.String(
        metadata={"description": "common category (food) or native SCHEME:CODE (VN-OCOP-2023:1.2)"}
    )
    rating_min = fields.Integer(validate=validate.Range(1, 5), metadata={"description": "minimum rating band"})
    area = fields.String(validate=validate.Length(1, 20))
    updated_after = fields.AwareDateTime(format="iso")


class ListArgs(FilterArgs):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = fields.String(validate=validate.Length(1, 400))


class OneArgs(Query):
    include = fields.String(
        validate=validate.OneOf(["own"]),
        metadata={
            "description": "own: the owner country gets its latest revision (pending or returned) and "
            "its ETag, the one If-Match is compared with"
        },
    )


class Page(Schema):
    items = fields.List(fields.Nested(Record))
    next_cursor = fields.String(allow_none=True)


class BatchBody(Schema):
    records = fields.List(
        fields.Raw(),
        required=True,
        metadata={
            "description": "Up to 1,000 records. Each is judged on its own: one that is not a valid "
            "record (not even an object) is reported `invalid` in the results (207)."
        },
    )


class Result(Schema):
    index = fields.Integer()
    uid = fields.String(allow_none=True)
    status = fields.String(
        validate=validate.OneOf(["created", "updated", "unchanged", "deleted", "invalid", "forbidden"])
    )
    version = fields.Integer(allow_none=True)
    review = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(Finding))
    warnings = fields.List(fields.Nested(Finding))


class BatchResponse(Schema):
    results = fields.List(fields.Nested(Result))
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())


class ExportArgs(FilterArgs):
    """The list filters (SPEC section 4) without paging: an export is every match."""

    format = fields.String(load_default="ndjson", validate=validate.OneOf(["ndjson", "csv", "jsonld"]))


class ChangesArgs(Query):
    after = fields.String(
        validate=validate.Length(1, 100), metadata={"description": "next_cursor of the previous page"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    kind = fields.String(validate=validate.OneOf(standard.KINDS))
    country = fields.String(validate=validate.Length(equal=2))


class Change(Schema):
    seq = fields.Integer()
    kind = fields.String()
    uid = fields.String()
    op = fields.String(validate=validate.OneOf(["upsert", "delete"]))
    version = fields.Integer()
    record = fields.Nested(Record)


class ChangesPage(Schema):
    changes = fields.List(fields.Nested(Change))
    next_cursor = fields.String()
    has_more = fields.Boolean()


class Stats(Schema):
    published = fields.Integer()
    by_country = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_common_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_rating_band = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_review_state = fields.Dict(keys=fields.String(), values=fields.Integer())


class CodelistSummary(Schema):
    name = fields.String()
    version = fields.String()
    effective_from = fields.String(allow_none=True, metadata={"description": "date this version took effect"})
    title = fields.Dict(allow_none=True)
    kind = fields.String(metadata={"description": "codelist, crosswalk or areas"})


class Codelists(Schema):
    standard_version = fields.String(metadata={"description": "the exchange standard's version, e.g. 1.1"})
    codelists = fields.List(fields.Nested(CodelistSummary))


class Codelist(Schema):
    class Meta:
        unknown = "include"

    name = fields.String()
    version = fields.String()
    items = fields.List(fields.Dict())


class AreaArgs(Query):
    country = fields.String(validate=validate.Length(equal=2))
