"""Real servers the tests need besides the database: Redis (started by ``.ci/services``)."""
from __future__ import annotations

import os

import pytest


def redis_url(db: int = 0) -> str:
    """The Redis of this test run, on database ``db``.

    Skips where none is configured on a developer's machine; on CI (``CI`` set) a missing
    Redis fails the test instead, so the scale-out paths cannot silently go untested.
    """
    url = os.environ.get("HUB_TEST_REDIS_URL", "")
    if not url:
        message = "Redis not configured: eval \"$(.ci/services start)\" sets HUB_TEST_REDIS_URL"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url.rsplit("/", 1)[0] + f"/{db}"
