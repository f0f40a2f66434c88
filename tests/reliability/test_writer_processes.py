"""``hub serve`` runs a writer process beside each worker (hub/api/writers.py) and
writes batches through it."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.conftest import product

from .conftest import Prepared
from .server import HTTP_TIMEOUT, HubServer, token


def _children(pid: int, running: str) -> list[int]:
    """Living children of ``pid`` whose command line contains ``running``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and running in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_hub_serve_writes_batches_in_a_writer_process_beside_each_worker(prepared: Prepared, tmp_path: Path) -> None:
    server = HubServer(prepared.env, tmp_path / "server.log")
    base = server.start()
    try:
        assert server.proc is not None
        workers = _children(server.proc.pid, "hub.cli")
        assert len(workers) == 2
        spawned = "multiprocessing.spawn"
        deadline = time.monotonic() + 30
        while not all(_children(w, spawned) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(len(_children(w, spawned)) == 1 for w in workers), server.tail()  # write_slots = 1 each
        bearer = {"Authorization": f"Bearer {token(base, prepared.client_id, prepared.secret)}"}
        r = requests.post(
            base + "/api/v1/products/batch", json={"records": [product(1)]}, headers=bearer, timeout=HTTP_TIMEOUT
        )
        assert r.status_code == 200 and r.json()["summary"]["created"] == 1
        got = requests.get(base + "/api/v1/products/VN/p1", headers=bearer, timeout=HTTP_TIMEOUT)
        assert got.status_code == 200
    finally:
        server.stop()
