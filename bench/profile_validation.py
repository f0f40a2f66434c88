"""Where validation spends its time: cProfile of ``schemas.validate`` on generated records.

    .venv/bin/python bench/profile_validation.py [--records 6000] [--kind products|mixed] [--lines 15]

Prints the top functions by own time (the figures bench/README.md keeps before and after).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemas  # noqa: E402
from bench.generate import mixed, products  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--records", type=int, default=6000)
    ap.add_argument("--kind", choices=("products", "mixed"), default="products")
    ap.add_argument("--lines", type=int, default=15)
    args = ap.parse_args()
    pairs = [("products", r) for r in products(args.records)] if args.kind == "products" else list(mixed(args.records))
    for kind, rec in pairs[:500]:
        schemas.validate(kind, rec)
    profile = cProfile.Profile()
    profile.enable()
    for kind, rec in pairs:
        schemas.validate(kind, rec)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.strip_dirs().sort_stats("tottime").print_stats(args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
