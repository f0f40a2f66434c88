"""Sync benchmark: the real national files, a large generated CSV, a paged JSON API.

    .venv/bin/python bench/sync.py [--rows 100000] [--api-items 20000] [--json FILE]

Every figure is records per second through the whole sync engine (fetch, map, validate,
write path with its after-hook bookkeeping, checkpoint per page) into a fresh SQLite
database (WAL, synchronous=FULL), members on the default `required` review policy:

- `real_<source>_fresh` / `_reread`: the two files of ../shared/data (HUB_DATA_DIR) with
  the shipped mappings, first into an empty hub, then read again with --restart;
- `csv_fresh` / `csv_reread`: a generated CSV of --rows products, 500 per page;
- `json_fresh`: --api-items items from a local paged API (page style, 500 per page);
- `xlsx_fresh`: a generated workbook of --xlsx-rows products (target: at least half
  `csv_fresh`);
- `peak_rss_mb_<n>`: the peak resident memory of a child process syncing a CSV of n
  rows (a fifth of --rows, then --rows): about equal when memory is bounded;
- `peak_rss_mb_csv_<n>` / `peak_rss_mb_xlsx_<n>`: the same for --big-csv rows of CSV and
  --big-xlsx rows of XLSX (target: under 300 MB each; 0 skips them).

`--against TREE` compares the flat CSV path with another checkout of the hub instead (a
`git worktree add /tmp/old COMMIT`): child processes of this tree and TREE alternate,
--rounds times, each syncing --rows generated rows fresh and then again (--restart),
and the CPU seconds of each sync are printed with the ratio of the means. CPU seconds
of one process, taken in the same minutes, compare on a shared machine where wall
times do not.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("BENCH_HUB_TREE") or str(ROOT))  # --against runs another checkout

from hub import config  # noqa: E402
from hub.services import Hub  # noqa: E402
from hub.sync import sources  # noqa: E402
from hub.sync.runner import Runner  # noqa: E402

MAPPING = """
[source]
name = "{name}"
type = "{type}"
kind = "products"
country = "VN"
{where}
batch_size = 500
{extra}

[id]
template = "g-{{code}}"

[fields."name.vi"]
from = "name"
transforms = ["nfc", "collapse"]

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"

[fields."price.amount"]
from = "price"
transforms = ["number"]

[fields."price.currency"]
value = "VND"
when = "price.amount"
"""


def hub_in(tmp: str, data_dir: str, sources_dir: str) -> Hub:
    hub = Hub(
        config.load(
            {
                "database_url": f"sqlite:///{tmp}/bench.sqlite3",
                "secret_key": "bench",
                "instance_path": tmp,
                "data_dir": data_dir,
                "sources_dir": sources_dir,
            }
        )
    )
    hub.init()
    return hub


def timed(hub: Hub, source: sources.Source, restart: bool = False) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    result = Runner(hub, source, restart=restart).run()
    assert result is not None and result.ok, result and result.error
    return time.perf_counter() - started, result.counts


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("code,name,price\n")
        for i in range(rows):
            out.write(f'{i},Gạo ST25 lô {i},"{100_000 + i:,}"\n')


def write_xlsx(path: Path, rows: int) -> None:
    """A workbook as an office suite saves it (write-only mode: the generator stays small)."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách")
    sheet.append(["Danh sách sản phẩm"])
    sheet.append(["code", "name", "price"])
    for i in range(rows):
        sheet.append([i, f"Gạo ST25 lô {i}", f"{100_000 + i:,}"])
    book.save(path)


def real_files(figures: dict[str, float]) -> None:
    data = os.environ.get("HUB_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    if not Path(data).is_dir():
        print(f"skipping the real files: {data} not found", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        hub = hub_in(tmp, data, str(ROOT / "config" / "sources"))
        for name, source in sources.load_all(ROOT / "config" / "sources").items():
            seconds, counts = timed(hub, source)
            figures[f"real_{name}_fresh"] = round(counts["fetched"] / seconds, 1)
            seconds, counts = timed(hub, source, restart=True)
            figures[f"real_{name}_reread"] = round(counts["fetched"] / seconds, 1)
        hub.engine.dispose()


def generated_csv(rows: int, figures: dict[str, float], fmt: str = "csv", reread: bool = True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (write_csv if fmt == "csv" else write_xlsx)(Path(tmp) / f"gen.{fmt}", rows)
        (Path(tmp) / "gen.toml").write_text(MAPPING.format(name="gen", type="file", where=f'path = "gen.{fmt}"',
                                                           extra=""), encoding="utf-8")
        hub = hub_in(tmp, tmp, tmp)
        source = sources.load(Path(tmp) / "gen.toml")
        seconds, counts = timed(hub, source)
        figures[f"{fmt}_fresh"] = round(counts["fetched"] / seconds, 1)
        if reread:
            seconds, counts = timed(hub, source, restart=True)
            figures[f"{fmt}_reread"] = round(counts["fetched"] / seconds, 1)
        hub.engine.dispose()


def json_api(items: int, figures: dict[str, float]) -> None:
    import logging

    from tests.sync.fakes import FakeNational

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = FakeNational(
        items=[{"code": str(i), "name": f"Gạo ST25 lô {i}", "price": f"{100_000 + i:,}"} for i in range(items)]
    ).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            text = MAPPING.format(
                name="api",
                type="json",
                where=f'url = "{server.url}/products"\nitems = "data"',
                extra='[source.pagination]\nstyle = "page"\nsize = 500\n',
            )
            (Path(tmp) / "api.toml").write_text(text, encoding="utf-8")
            hub = hub_in(tmp, tmp, tmp)
            seconds, counts = timed(hub, sources.load(Path(tmp) / "api.toml"))
            figures["json_fresh"] = round(counts["fetched"] / seconds, 1)
            hub.engine.dispose()
    finally:
        server.stop()


def child(rows: int, fmt: str) -> None:
    """Sync a generated file of ``rows`` rows and print the peak RSS in MB."""
    figures: dict[str, float] = {}
    generated_csv(rows, figures, fmt, reread=False)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak(rows: int, fmt: str = "csv") -> float:
    out = subprocess.run([sys.executable, __file__, "--child", str(rows), "--child-format", fmt],
                         capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def cpu_child(rows: int, phases: str = "both") -> None:
    """Sync ``rows`` generated CSV rows fresh, then again (``phases="fresh"``: only fresh);
    print the CPU seconds of each."""
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(Path(tmp) / "gen.csv", rows)
        # type "csv": the name older checkouts know (today an alias of "file")
        (Path(tmp) / "gen.toml").write_text(MAPPING.format(name="gen", type="csv", where='path = "gen.csv"',
                                                           extra=""), encoding="utf-8")
        hub = hub_in(tmp, tmp, tmp)
        source = sources.load(Path(tmp) / "gen.toml")
        out = {}
        for label, restart in (("fresh", False), ("reread", True))[: 1 if phases == "fresh" else 2]:
            started = time.process_time()
            result = Runner(hub, source, restart=restart).run()
            assert result is not None and result.ok and result.counts["fetched"] == rows, result
            out[label] = round(time.process_time() - started, 3)
        hub.engine.dispose()
    print(json.dumps(out))


def against(tree: str, rows: int, rounds: int) -> dict[str, float]:
    """Alternate child runs of this checkout and ``tree``; the mean CPU seconds and ratios."""
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    for n in range(rounds):
        for who in ("other", "this"):
            env = {**os.environ, "BENCH_HUB_TREE": tree if who == "other" else str(ROOT)}
            out = subprocess.run([sys.executable, __file__, "--cpu-child", str(rows)], env=env, capture_output=True,
                                 text=True, check=True)
            runs[who].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {n + 1} {who:5}: {runs[who][-1]}", file=sys.stderr)
    figures: dict[str, float] = {}
    for label in ("fresh", "reread"):
        for who in ("this", "other"):
            figures[f"cpu_s_{label}_{who}"] = round(sum(r[label] for r in runs[who]) / rounds, 3)
        figures[f"cpu_ratio_{label}"] = round(figures[f"cpu_s_{label}_this"] / figures[f"cpu_s_{label}_other"], 3)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--api-items", type=int, default=20_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--big-csv", type=int, default=1_000_000)
    parser.add_argument("--big-xlsx", type=int, default=200_000)
    parser.add_argument("--only", choices=("all", "files"), default="all",
                        help="files: only the CSV/XLSX rates and memory (no real files, no API)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--against", metavar="TREE",
                        help="compare the flat CSV path's CPU seconds with another checkout (see above)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each checkout (--against)")
    parser.add_argument("--cpu-child", type=int, metavar="ROWS",
                        help="sync ROWS generated CSV rows in this process and print its CPU seconds (of the "
                             "checkout BENCH_HUB_TREE names, else this one): the unit --against runs, and what "
                             "to run under valgrind --tool=callgrind")
    parser.add_argument("--phases", choices=("fresh", "both"), default="both", help="--cpu-child: fresh only, or "
                        "fresh then reread")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.child_format)
        return 0
    if args.cpu_child:
        cpu_child(args.cpu_child, args.phases)
        return 0
    figures: dict[str, float] = {}
    if args.against:
        figures = against(args.against, args.rows, args.rounds)
        print(json.dumps(figures, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
        return 0
    if args.only == "all":
        real_files(figures)
    generated_csv(args.rows, figures)
    if args.xlsx_rows:
        generated_csv(args.xlsx_rows, figures, "xlsx", reread=False)
    if args.only == "all":
        json_api(args.api_items, figures)
        for n in (args.rows // 5, args.rows):
            figures[f"peak_rss_mb_{n}"] = peak(n)
    if args.big_csv:
        figures[f"peak_rss_mb_csv_{args.big_csv}"] = peak(args.big_csv)
    if args.big_xlsx:
        figures[f"peak_rss_mb_xlsx_{args.big_xlsx}"] = peak(args.big_xlsx, "xlsx")
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
