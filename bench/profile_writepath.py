"""Where the write path spends its time after validation: cProfile of ``WritePath.write``.

    .venv/bin/python bench/profile_writepath.py [--records 10000] [--batch 500] [--case fresh|unchanged] [--lines 25]

Same setup as ``bench/ingest.py`` (temporary SQLite database, the VN member on the
``auto`` policy). ``fresh`` profiles the first delivery, ``unchanged`` the second.
Validation is included in ``fresh``; compare with ``bench/profile_validation.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import products  # noqa: E402
from hub import config  # noqa: E402
from hub.actors import Actor  # noqa: E402
from hub.curation.members import set_policy  # noqa: E402
from hub.services import Hub  # noqa: E402
from hub.store.db import transaction  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--case", choices=("fresh", "unchanged"), default="fresh")
    ap.add_argument("--lines", type=int, default=25)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--cpu", action="store_true", help="CPU time (time.process_time) instead of wall time")
    args = ap.parse_args()
    records = list(products(args.records))
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(
            config.load({"database_url": f"sqlite:///{tmp}/bench.sqlite3", "secret_key": "bench", "instance_path": tmp})
        )
        hub.init()
        with transaction(hub.sessions) as s:
            set_policy(s, "bench", "VN", "auto")
        actor = Actor("bench", "VN")

        def deliver() -> None:
            for i in range(0, len(records), args.batch):
                hub.writes.write(actor, "products", records[i : i + args.batch], source="bench")

        profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        if args.case == "unchanged":
            deliver()
        profile.enable()
        deliver()
        profile.disable()
        hub.engine.dispose()
    pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
