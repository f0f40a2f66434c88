"""Who holds something, and whether that holder is still alive.

A holder is ``host:pid:nonce``. A holder on this machine whose process has ended is
known to be gone at once (a process killed with SIGKILL cleans nothing up); one on
another machine cannot be checked, so callers fall back on an expiry time.
"""

from __future__ import annotations

import os
import socket
import uuid

HOST = socket.gethostname()


def new_holder() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def gone(holder: str) -> bool:
    """Whether the holder is a process of this machine that has ended."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False
