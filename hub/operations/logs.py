"""Logging: text or JSON lines, each carrying the context it was logged in.

The context is kept in a :class:`contextvars.ContextVar`, so it follows a request (its
request id, set by :mod:`hub.web.requestid`) or a sync run (its run id and source, set
by the runner) into every module it calls, the write path included, without passing
it around. A log-record factory copies it onto every record, so any handler sees it
(``record.request_id``, ``record.sync_run``, ...), not only the hub's own.
"""

from __future__ import annotations

import logging
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, TextIO

FORMATS = ("text", "json")
QUIET = "alembic.runtime.migration"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")

_context: ContextVar[dict[str, Any]] = ContextVar("hub_log_context", default={})  # noqa: B039  (never mutated: bind() sets a new dict)


def current() -> dict[str, Any]:
    """The fields of the current context (read-only view)."""
    return _context.get()


@contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every line logged inside the block (nested blocks add to it)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> Any:
    """Like :func:`context` for code without a ``with`` block (request hooks); returns
    the token to give to :func:`unbind`."""
    return _context.set({**_context.get(), **fields})


def unbind(token: Any) -> None:
    _context.reset(token)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # "\n", "\t", "\x1b"


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [key=value ...] message``: for people and journald."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if _CONTROL.search(message):
            # A request path (%0A decodes to a newline) or a source's row could otherwise
            # forge whole log lines; a traceback, added below, keeps its own line breaks.
            record = logging.makeLogRecord({**record.__dict__, "args": None, "msg": _CONTROL.sub(_escape, message)})
        fields = getattr(record, "hub_context", None) or {}
        record.context = " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]" if fields else ""
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """One JSON object per line (python-json-logger); context fields at the top level."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        list(JSON_FIELDS),
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*_RESERVED, "hub_context", "context"],
    )


def configure(log_format: str = "text", level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Install the hub's handler on the root logger, replacing one installed before
    (``hub scheduler``; ``hub serve`` does it through :func:`gunicorn_config`). The app
    itself only adds the context (:func:`install_context`): whoever runs it owns the
    handlers."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log_level {level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
    handler = make_handler(log_format, stream)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_hub", False) and h is not handler]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # /readyz reads the schema version on every probe; Alembic would say so each time
    logging.getLogger(QUIET).setLevel(max(numeric, logging.WARNING))
    return handler


def make_handler(log_format: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """The hub's handler (also named in gunicorn's logging configuration: :func:`gunicorn_config`)."""
    if log_format not in FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    install_context()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else TextFormatter())
    handler._hub = True  # type: ignore[attr-defined]  # our mark on a stdlib handler: replaced on reconfigure
    return handler


def gunicorn_config(log_format: str, level: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error logger goes through the hub's handler, so
    the server's own lines have the same format as the application's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level.upper(), "handlers": ["hub"]},
        "handlers": {"hub": {"()": "hub.operations.logs.make_handler", "log_format": log_format}},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # gunicorn logs access lines whenever a logconfig is given: off, the
            # hub's request line (with its request id) says the same
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            QUIET: {"level": "WARNING"},
        },
    }


def install_context() -> None:
    """Wrap the log-record factory (once per process): each record gets the context's
    fields as attributes, whichever handler formats it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_hub_context", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        fields = _context.get()
        record.hub_context = fields
        for key, value in fields.items():
            setattr(record, key, value)
        return record

    factory._hub_context = True  # type: ignore[attr-defined]  # our mark on the factory: installed once
    logging.setLogRecordFactory(factory)


_RESERVED = tuple(vars(logging.LogRecord("", 0, "", 0, "", None, None))) + ("message", "asctime", "taskName")
