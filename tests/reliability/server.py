"""A real hub server (``hub serve``: gunicorn, two workers) for reliability tests.

Each server runs in its own process group so a test can SIGKILL master and workers at
once, as a power cut or the OOM killer would, and always cleans it up afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

HUB = [sys.executable, "-c", "from hub.cli import main; main()"]
START_TIMEOUT = 30.0
HTTP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hub_env(database_url: str, instance: Path) -> dict[str, str]:
    """Environment of a ``hub`` subprocess on the test's database (no config file)."""
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": "test-secret",
        "HUB_RATE_LIMIT": "1000000/minute",
    }
    env.pop("HUB_CONFIG", None)
    return env


def hub_cli(env: dict[str, str], *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run one ``hub`` command to completion (never waits forever)."""
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=timeout)


def token(base: str, client_id: str, secret: str) -> str:
    r = requests.post(
        base + "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=HTTP_TIMEOUT
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


class HubServer:
    """``hub serve`` on a free loopback port; :meth:`start` returns once it answers HTTP."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2, options: tuple[str, ...] = ()) -> None:
        self.env, self.log, self.workers, self.options = env, log, workers, options
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> str:
        assert self.proc is None, "already running"
        port = free_port()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    *HUB,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(self.workers),
                    *self.options,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # readiness: the first HTTP answer (polling, bounded)
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub serve exited with {self.proc.returncode}: {self.tail()}")
            try:  # once bound, the request waits in the backlog until a worker has booted
                requests.get(self.base + "/", timeout=max(1.0, deadline - time.monotonic()))
                return self.base
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"hub serve did not answer within {START_TIMEOUT} s: {self.tail()}") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group and wait until none of it runs any more."""
        assert self.proc is not None
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.proc = None
        _wait_group_gone(pgid)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), SIGKILL after a bound; safe to call when stopped."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
        try:
            os.killpg(pgid, signal.SIGKILL)  # workers the master left behind, if any
        except ProcessLookupError:
            pass
        _wait_group_gone(pgid)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    """Until no process of the group is alive: a worker still dying could commit late.

    Zombies count as gone (they hold no locks or connections); PID 1 in a container
    may never reap the orphaned workers.
    """
    deadline = time.monotonic() + timeout
    while _alive_in_group(pgid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"process group {pgid} still alive {timeout} s after SIGKILL")
        time.sleep(0.02)


def _alive_in_group(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields: list[Any] = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
