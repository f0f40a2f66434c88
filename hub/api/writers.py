"""Batch writes in processes of their own beside each ``hub serve`` worker.

The database's write lock (:func:`hub.store.audit.lock`) is the hub's one serial section:
while a batch holds it, every other writer waits. In a threaded worker that batch shares
the interpreter with the worker's reads: each time it waits for the database (every
statement does), a read takes the interpreter, and the batch gets it back only when the
read lets go of it, so every writer queued on the lock waits for those reads too. In a
process of its own the batch competes for a core only, and the kernel hands it back the
moment the database answers. Reads keep the worker's threads and interpreter to
themselves.

Each worker starts ``write_slots`` writer processes (``spawn``: a fresh interpreter, no
locks inherited from the worker's threads) when gunicorn has made it (:func:`start`); the
admission slot a batch holds (:mod:`hub.api.admission`) is also its writer. A job carries
the request's body, the client's :class:`~hub.actors.Actor`, the Idempotency-Key and the
request id; the answer comes back as status, bytes and headers. Outside ``hub serve``
(tests, ``flask run``) the same :func:`run_batch` runs in the request's thread. A writer
that dies (killed, out of memory) is replaced, and the batch it held is answered ``503``
with ``Retry-After`` (its transaction was rolled back with the process; a replayed
Idempotency-Key finds no stored answer and writes it again).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import orjson
from flask import Response

from .. import config
from ..actors import Actor
from ..services import Hub
from ..store import writelock
from ..web.errors import problem
from . import idempotency

log = logging.getLogger("hub.writers")
NDJSON = "application/x-ndjson"
READY = "ready"
#: seconds a new writer process gets to import the hub and open the database
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class BatchJob:
    """One ``POST /{kind}/batch`` for a writer."""

    kind: str
    body: bytes
    mimetype: str
    actor: Actor
    key: str | None
    digest: str
    request_id: str | None = None


@dataclass(frozen=True)
class Answer:
    """A response as plain data (it crosses a pipe)."""

    status: int
    body: bytes
    mimetype: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, resp: Response) -> Answer:
        skip = {"content-type", "content-length"}
        headers = {k: v for k, v in resp.headers.items() if k.lower() not in skip}
        return cls(resp.status_code, resp.get_data(), resp.mimetype or "application/json", headers)

    def response(self) -> Response:
        return Response(self.body, status=self.status, headers=self.headers, mimetype=self.mimetype)


def _unreadable(exc: orjson.JSONDecodeError) -> tuple[str, str]:
    """``(code, message)`` for JSON that does not parse: past orjson's nesting limit of
    1,024 levels it is ``too_deep`` (records may nest 32), else ``json``."""
    import schemas

    if "depth" in str(exc) or "recursion" in str(exc).lower():
        return "too_deep", f"Nested more than 1,024 levels deep (a record may nest {schemas.MAX_DEPTH}): not read."
    return "json", f"Not valid JSON: {exc}"


def malformed(exc: orjson.JSONDecodeError) -> Response:
    """400 for a body that is not JSON, or nests past the parser's limit."""
    code, message = _unreadable(exc)
    if code == "json":
        return problem(400, "Bad Request", f"Malformed JSON: {exc}")
    return problem(400, "Bad Request", message, errors=[{"path": "$", "code": code, "message": message}])


def parse_batch(body: bytes, mimetype: str) -> tuple[list[Any], Response | None]:
    """The records of a batch body (``/batch`` and ``/validate``), or the refusal."""
    from ..records.writepath import Unparsed

    ctype = (mimetype or "").lower()
    if ctype == NDJSON:
        records: list[Any] = []
        for number, line in enumerate(body.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    code, message = _unreadable(exc)
                    records.append(Unparsed(code, f"Line {number}: {message}"))
        return records, None
    if ctype != "application/json":
        return [], problem(
            415, "Unsupported Media Type", f"Send application/json or {NDJSON}, not '{ctype or 'nothing'}'."
        )
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [], malformed(exc)
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list) or set(doc) != {"records"}:
        return [], problem(422, "Unprocessable Content", 'The body must be {"records": [...]} and nothing else.')
    return doc["records"], None


def run_batch(hub: Hub, job: BatchJob) -> Response:
    """Parse, validate and write one batch (the Idempotency-Key's answer in the same
    transaction): the part of the request that holds the write lock."""
    records, failure = parse_batch(job.body, job.mimetype)
    if failure is not None:
        return failure
    limit = hub.settings.batch_max_records
    if len(records) > limit:
        return problem(413, "Payload Too Large", f"At most {limit} records per request; got {len(records)}.")
    writes = hub.writes
    prepared = writes.prepare(job.actor, job.kind, records)
    outcome = None if job.key else writes.settle(prepared, "api")  # nothing to write: no transaction
    if outcome is None:
        with writes.transaction(job.actor, "api") as txn:
            outcome = txn.write(prepared)
            if job.key:  # the stored answer commits with the batch, or neither does
                idempotency.save(txn.session, job.actor.id, job.key, job.digest, outcome)
    return Response(orjson.dumps(outcome.as_dict()), status=200 if outcome.ok else 207, mimetype="application/json")


class WriterGone(Exception):
    """The writer process ended while it held a batch (its transaction rolled back)."""


class Writer:
    """One writer process and its end of the pipe."""

    def __init__(self, settings: config.Settings) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.settings = settings
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, settings, writelock.shared()), name="hub-writer", daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        """Until the process has started (imported the hub): its first message."""
        if self.ready:
            return
        try:
            if not self.conn.poll(timeout) or self.conn.recv() != READY:
                raise RuntimeError(f"a writer process did not start within {timeout:.0f} s")
        except (EOFError, OSError):
            raise WriterGone(f"a writer process ended as it started (exit code {self.process.exitcode})") from None
        self.ready = True

    def run(self, job: BatchJob) -> Answer:
        self.wait_ready(START_TIMEOUT_S)
        try:  # the body apart, as bytes: pickling it would copy it on both sides
            self.conn.send(replace(job, body=b""))
            self.conn.send_bytes(job.body)
            answer = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WriterGone(str(exc) or type(exc).__name__) from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def stop(self) -> None:
        self.conn.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


class Writers:
    """A worker's writer processes; a batch borrows one for its run."""

    def __init__(self, settings: config.Settings, count: int) -> None:
        self.settings = settings
        self._idle: queue.SimpleQueue[Writer] = queue.SimpleQueue()
        self._all: list[Writer] = []
        self._lock = threading.Lock()
        for _ in range(max(count, 1)):
            self._add()
        for writer in self._all:  # the worker serves once its writers can take a batch
            writer.wait_ready(START_TIMEOUT_S)

    def _add(self) -> None:
        writer = Writer(self.settings)
        with self._lock:
            self._all.append(writer)
        self._idle.put(writer)

    def run(self, job: BatchJob) -> Answer:
        writer = self._idle.get()
        try:
            return writer.run(job)
        except WriterGone:
            log.error("a writer process ended during a batch (exit code %s): replaced", writer.process.exitcode)
            with self._lock:
                self._all.remove(writer)
            writer.stop()
            writelock.forget(writer.process.pid or 0)  # its mark, if it died holding the lock
            writer = Writer(self.settings)
            with self._lock:
                self._all.append(writer)
            raise
        finally:
            self._idle.put(writer)

    def stop(self) -> None:
        with self._lock:
            writers, self._all = self._all, []
        for writer in writers:
            writer.stop()


def start(app: Any) -> None:
    """gunicorn's ``post_worker_init``: this worker's writers, one per write slot, unless
    admission control is off (the baseline writes in the request's thread) or the setting
    ``write_processes`` is."""
    settings = app.extensions["hub"].settings
    if settings.write_slots > 0 and settings.write_processes:
        app.extensions["hub.writers"] = Writers(settings, settings.write_slots)


def _serve(conn: Connection, settings: config.Settings, table: Any) -> None:
    """A writer process: one job at a time until the worker closes its end or asks it to
    stop (SIGTERM, which its worker sends at exit). A batch in progress is finished and
    answered first; SIGINT, which a terminal sends the whole process group, is left to
    the worker."""
    import signal

    from ..operations import logs

    busy, stopping = False, False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if not busy:
            raise SystemExit(0)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    logs.configure(settings.log_format, settings.log_level)
    writelock.adopt(table)
    hub = Hub(settings)
    conn.send(READY)
    while not stopping:
        try:
            meta: BatchJob = conn.recv()
            job = replace(meta, body=conn.recv_bytes())
        except (EOFError, OSError):  # the worker ended: so does its writer
            return
        busy = True
        try:
            with logs.context(request_id=job.request_id):
                answer: Answer | BaseException = Answer.of(run_batch(hub, job))
        except Exception as exc:  # the worker answers it as the request's own error would be
            log.exception("batch write failed in a writer process")
            answer = exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except OSError:  # the worker is gone
            return
        busy = False


def _picklable(exc: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except (pickle.PickleError, TypeError, AttributeError, ValueError):
        return False
    return True
