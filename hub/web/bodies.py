"""Request bodies over the size limit are refused, whatever their framing.

Werkzeug enforces ``MAX_CONTENT_LENGTH`` up front for a ``Content-Length`` body, but a
body sent with ``Transfer-Encoding: chunked`` has no length: werkzeug then stops reading
at the limit *without a word*, so an NDJSON batch arrived cut (its last records dropped)
and a JSON one as malformed. Here a body that reaches the limit is probed for one more
byte: if there is one, the request is ``413`` (problem+json, from :mod:`hub.web.errors`)
before anything was parsed or written.
"""

from __future__ import annotations

import typing as t

from flask import Flask, Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class CappedStream(LimitedStream):
    """A stream of at most ``limit`` bytes that raises ``413`` when the client sent more."""

    def __init__(self, stream: t.IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)

    def on_exhausted(self) -> None:
        """At the limit: end of body, or the first byte past the limit (refused)."""
        if self._stream.read(1):
            raise RequestEntityTooLarge(f"The request body is larger than {self.limit} bytes.")

    def readall(self) -> bytes:
        data = super().readall()  # stops at the limit without checking for more
        if self.is_exhausted:
            self.on_exhausted()
        return data


class HubRequest(Request):
    """Flask's request with :class:`CappedStream` for bodies without a length."""

    @cached_property
    def stream(self) -> t.IO[bytes]:
        limit = self.max_content_length
        if limit is None or self.content_length is not None or "wsgi.input_terminated" not in self.environ:
            return get_input_stream(self.environ, max_content_length=limit)
        return t.cast(t.IO[bytes], CappedStream(self.environ["wsgi.input"], limit))  # a stream, as werkzeug's are


def init_app(app: Flask) -> None:
    app.request_class = HubRequest
