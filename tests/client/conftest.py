"""The partner client against a real hub on 127.0.0.1 (a WSGI server in a thread)."""

from __future__ import annotations

import threading
from typing import Iterator

import pytest
from werkzeug.serving import make_server

from hub.curation.members import set_policy
from hub.store.db import transaction


@pytest.fixture
def live(app, hub) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        for cc in ("VN", "TH"):
            set_policy(s, "test", cc, "auto")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
