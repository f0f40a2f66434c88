"""Records of every kind: lists, single records, history, batch and single writes, exports."""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

import orjson
from flask import Response, current_app, request, stream_with_context
from flask_smorest import Blueprint

import schemas

from .. import hub_of
from ..records import exports, reads, representation
from ..records.writepath import Conflict, NotFound
from ..web import KIND_RULE, liveness
from ..web.errors import problem
from ..web.requestid import request_id
from . import admission, idempotency, writers
from .bodies import BatchBody, BatchResponse, ExportArgs, ListArgs, OneArgs, Page, Record, Result, Tombstone
from .common import actor, bad_request, etag, json_response, parse_etag, protected

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="Records of the seven kinds")
ONE = f"/{KIND_RULE}/<country>/<local_id>"
NDJSON = writers.NDJSON


@blp.route(f"/{KIND_RULE}", methods=["GET"])
@protected(blp, "exchange:read", errors=(400, 422))
@blp.arguments(ListArgs, location="query", unknown=None)
@blp.response(200, Page)
def list_records(args: dict[str, Any], kind: str) -> Response:
    """Published records, filtered, in pages (keyset: follow `next_cursor` or the Link header)."""
    limit, cursor = args.pop("limit"), args.pop("cursor", None)
    with hub_of().sessions() as session:
        try:
            items, nxt = reads.list_records(session, kind, reads.Filters(**args), limit, cursor)
        except ValueError as exc:
            return bad_request(str(exc))
    headers = {}
    if nxt:
        query = request.args.to_dict() | {"cursor": nxt}
        base = hub_of().settings.base_url + request.path  # public_url, never the Host header
        link = base + "?" + "&".join(f"{k}={_q(v)}" for k, v in query.items())
        headers["Link"] = f'<{link}>; rel="next"'
    return json_response({"items": items, "next_cursor": nxt}, headers=headers)


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@blp.route(f"/{KIND_RULE}/batch", methods=["POST"])
@protected(blp, "exchange:write", errors=(400, 413, 415, 422))
@blp.doc(
    requestBody={
        "required": True,
        "content": {"application/json": {"schema": BatchBody}, NDJSON: {"schema": {"type": "string"}}},
    },
    parameters=[{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"}}],
)
@blp.response(200, BatchResponse, description="Every record accepted")
@blp.alt_response(207, schema=BatchResponse, description="Some records invalid or forbidden")
@blp.alt_response(503, description="Busy with other batch writes: retry after `Retry-After` seconds")
def batch(kind: str) -> Response:
    """Upsert up to 1,000 records; each is judged on its own (SPEC 3.1)."""
    body = request.get_data(cache=False)
    key = request.headers.get("Idempotency-Key")
    digest = hashlib.sha256(kind.encode() + b"\0" + body).hexdigest()
    who = actor()
    if key:  # the key's stored answer, or a claim on it, before any queueing for a write slot
        if len(key) > 200:
            return bad_request("Idempotency-Key is longer than 200 characters")
        answer = idempotency.lookup(hub_of(), who.id, key, digest) or idempotency.claim(hub_of(), who.id, key, digest)
        if answer is not None:
            return answer
    try:
        resp = _write_batch(kind, body, key, digest)
    except BaseException:
        if key:
            idempotency.release(hub_of(), who.id, key)
        raise
    if key and resp.status_code not in (200, 207):  # nothing stored: the key is free again
        idempotency.release(hub_of(), who.id, key)
    return resp


@admission.admitted
def _write_batch(kind: str, body: bytes, key: str | None, digest: str) -> Response:
    """In one of the worker's writer processes under ``hub serve`` (:mod:`hub.api.writers`),
    else in this thread."""
    job = writers.BatchJob(kind, body, request.mimetype or "", actor(), key, digest, request_id())
    pool = current_app.extensions.get("hub.writers")
    if pool is None:
        return writers.run_batch(hub_of(), job)
    try:
        return pool.run(job).response()
    except writers.WriterGone:
        return admission.retry_after(
            problem(503, "Service Unavailable", "The batch was interrupted and not written; send it again.")
        )


@blp.route(ONE, methods=["GET"])
@protected(blp, "exchange:read", errors=(404,))
@blp.arguments(OneArgs, location="query", unknown=None)
@blp.response(200, Record)
@blp.alt_response(410, schema=Tombstone, description="Deleted: the body is the tombstone")
def get_one(args: dict[str, Any], kind: str, country: str, local_id: str) -> Response:
    """One published record; `If-None-Match` with its ETag answers 304.

    With `include=own`, the owner country (the sender) gets its latest revision
    instead, pending or returned, and that revision's ETag: the one `If-Match` is
    compared with on PUT and DELETE. Everyone else always gets the published record.
    """
    own = args.get("include") == "own" and actor().country in (None, country)
    digest: str | None
    with hub_of().sessions() as session:
        rec = reads.get_record(session, kind, country, local_id)
        if rec is not None and own and rec.latest_version != rec.published_version:
            shown = reads.one_version(session, kind, rec.uid, rec.latest_version, include_unpublished=True)
            digest, deleted = rec.latest_hash, bool(shown and shown.get("deleted"))
        elif rec is None or rec.published_version is None:
            return problem(404, "Not Found", f"No published record {schemas.uid(country, kind, local_id)}.")
        else:
            shown, digest, deleted = representation.published(rec), rec.published_hash, rec.deleted
    tag = etag(digest)
    if deleted:
        return json_response(shown, 410, {"ETag": tag})
    if parse_etag(request.headers.get("If-None-Match")) == digest:
        return Response(status=304, headers={"ETag": tag})
    return json_response(shown, headers={"ETag": tag})


def _precondition_failed(kind: str, country: str, local_id: str) -> Response:
    """412, naming the revision If-Match was compared with (the latest, maybe pending)."""
    with hub_of().sessions() as session:
        rec = reads.get_record(session, kind, country, local_id)
        latest = (
            {"version": rec.latest_version, "review": rec.review_state, "etag": etag(rec.latest_hash)}
            if rec is not None
            else None
        )
        published = (
            {"version": rec.published_version, "etag": etag(rec.published_hash)}
            if rec is not None and rec.published_version is not None
            else None
        )
    if latest is None:
        detail = "If-Match needs a current revision, and the record does not exist."
    else:
        detail = (
            f"If-Match was compared with the latest revision, version {latest['version']} "
            f"({latest['review']}), ETag {latest['etag']}."
        )
        if published and published["version"] != latest["version"]:
            detail += (
                f" The published version {published['version']} is not the latest: read the "
                "latest with GET ...?include=own."
            )
    return problem(412, "Precondition Failed", detail, compared_with=latest, published=published)


@blp.route(ONE, methods=["PUT"])
@protected(blp, "exchange:write", country_param="country", errors=(400, 412, 415, 422))
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": Record}}})
@blp.response(200, Result, description="Updated or unchanged: the result of the record")
@blp.alt_response(201, schema=Result, description="Created: the result of the record")
def put_one(kind: str, country: str, local_id: str) -> Response:
    """Upsert one record; `If-Match` makes it conditional on the current revision."""
    if (request.mimetype or "") != "application/json":
        return problem(415, "Unsupported Media Type", "Send application/json.")
    try:
        doc = orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError as exc:
        return writers.malformed(exc)
    if not isinstance(doc, dict):
        return problem(422, "Unprocessable Content", "A record is a JSON object.")
    doc.setdefault("id", local_id)
    doc.setdefault("country", country)
    if (doc["id"], doc["country"]) != (local_id, country):
        return problem(
            422,
            "Unprocessable Content",
            "The record's id and country must match the URL.",
            errors=[{"path": "id", "code": "mismatch", "message": "id/country differ from the URL"}],
        )
    try:
        outcome = hub_of().writes.write(
            actor(), kind, [doc], source="api", if_match=parse_etag(request.headers.get("If-Match"))
        )
    except Conflict:
        return _precondition_failed(kind, country, local_id)
    result = outcome.results[0]
    if result.status == "invalid":
        return problem(422, "Unprocessable Content", "The record is not valid.", errors=result.errors)
    if result.status == "forbidden":
        return problem(403, "Forbidden", result.errors[0]["message"], errors=result.errors)
    # The ETag of the revision this request wrote (or found unchanged), from its own
    # transaction: read afterwards it could name a later writer's revision.
    headers = {"ETag": etag(result.content_hash)} if result.content_hash else {}
    return json_response(result.as_dict(), 201 if result.status == "created" else 200, headers)


@blp.route(ONE, methods=["DELETE"])
@protected(blp, "exchange:write", country_param="country", errors=(404, 412))
@blp.response(200, Result, description="Tombstone written (or already deleted): the result of the record")
def delete_one(kind: str, country: str, local_id: str) -> Response:
    """Write a tombstone; afterwards GET answers 410 with it (once published)."""
    try:
        result = hub_of().writes.delete(
            actor(), kind, country, local_id, source="api", if_match=parse_etag(request.headers.get("If-Match"))
        )
    except NotFound:
        return problem(404, "Not Found", f"No record {schemas.uid(country, kind, local_id)}.")
    except Conflict:
        return _precondition_failed(kind, country, local_id)
    if result.status == "forbidden":
        return problem(403, "Forbidden", result.errors[0]["message"])
    return json_response(result.as_dict())


@blp.route(f"{ONE}/versions", methods=["GET"])
@protected(blp, "exchange:read", errors=(404,))
@blp.response(200, Record(many=True))
def versions(kind: str, country: str, local_id: str) -> Response:
    """Full history: approved versions, and for the owner country every revision."""
    uid = schemas.uid(country, kind, local_id)
    with hub_of().sessions() as session:
        items = reads.history(session, kind, uid, include_unpublished=actor().country in (None, country))
    if not items:
        return problem(404, "Not Found", f"No history for {uid}.")
    return json_response(items)


@blp.route(f"{ONE}/versions/<int(max=2147483647):version>", methods=["GET"])
@protected(blp, "exchange:read", errors=(404,))
@blp.response(200, Record)
def version(kind: str, country: str, local_id: str, version: int) -> Response:
    """One version of the record."""
    uid = schemas.uid(country, kind, local_id)
    if version >= 2**31:
        return problem(404, "Not Found", f"{uid} has no version {version}.")
    with hub_of().sessions() as session:
        item = reads.one_version(session, kind, uid, version, include_unpublished=actor().country in (None, country))
    if item is None:
        return problem(404, "Not Found", f"{uid} has no version {version} you may see.")
    return json_response(item)


@blp.route(f"/{KIND_RULE}/export", methods=["GET"])
@protected(blp, "exchange:read", errors=(422,))
@blp.arguments(ExportArgs, location="query", unknown=None)
@blp.response(
    200,
    None,
    content_type="application/x-ndjson",
    description="Streamed: NDJSON, CSV (flattened, UTF-8 with BOM) or JSON-LD (schema.org)",
)
def export(args: dict[str, Any], kind: str) -> Response:
    """Every published record of the kind matching the list filters, streamed; the last
    line (NDJSON), row (CSV, after `# `) or member (JSON-LD, `hub:export`) is the trailer:
    `complete`, `count` and `feed_seq`/`feed_cursor`, the change-feed position the export
    reflects. A stream without it was cut short. CSV is for people: one column per
    language of each text, a label column beside each code, a UTF-8 byte-order mark."""
    fmt = args.pop("format")
    filters = reads.Filters(**args)
    factory = hub_of().sessions

    def generate() -> Iterator[bytes]:
        with factory() as session:
            yield from exports.stream(session, kind, fmt, progress=liveness.beat, filters=filters)

    return Response(
        stream_with_context(generate()),
        mimetype=exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'},
    )
