"""Backup and restore of the whole database, consistent while writers run.

- SQLite: the sqlite3 online backup API copies the database as of one moment (a read
  transaction: in WAL mode writers go on meanwhile) into a file that is itself a SQLite
  database.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot) and ``pg_restore`` in a single
  transaction, so a failed restore leaves the target as it was.

A backup is written next to its destination and renamed into place when complete, so a
file at ``PATH`` is always a whole backup. A restore refuses a target that holds tables
unless forced. The audit log's hash chain travels with the data: ``hub audit verify``
checks a restored database like any other.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; one line for the operator."""


@dataclass(frozen=True)
class Done:
    engine: str
    path: Path
    bytes: int


def backup(database_url: str, path: str | Path, *, pg_bin_dir: str = "") -> Done:
    """Write a consistent copy of the database to ``path`` (which must not exist yet)."""
    url, dest = make_url(database_url), Path(path)
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name (a backup never overwrites one)")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a folder")
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url, must_exist=True), partial)
        elif url.get_backend_name() == "postgresql":
            _run(pg_bin_dir, "pg_dump", url, ["--format=custom", "--no-password", f"--file={partial}"])
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, dest)
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Done(url.get_backend_name(), dest, dest.stat().st_size)


def restore(database_url: str, path: str | Path, *, force: bool = False, pg_bin_dir: str = "") -> Done:
    """Replace the database with the backup at ``path``; refuses a database with tables
    unless ``force``. Stop the server and the scheduler first."""
    url, src = make_url(database_url), Path(path)
    try:
        with open(src, "rb") as f:
            magic = f.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {src}: {exc.strerror or exc}") from None
    backend = url.get_backend_name()
    kind = "sqlite" if magic.startswith(SQLITE_MAGIC) else "postgresql" if magic.startswith(PGDUMP_MAGIC) else None
    if kind is None:
        raise BackupError(f"{src} is not a backup made by 'hub backup' (neither SQLite nor pg_dump custom format)")
    if kind != backend:
        raise BackupError(
            f"{src} is a {kind} backup and the database is {backend}: restore into a "
            f"{kind} database (moving between engines is not a restore)"
        )
    tables = _tables(database_url)
    if tables and not force:
        raise BackupError(
            f"the database already holds {len(tables)} table(s) ({', '.join(sorted(tables)[:3])}"
            f"{', ...' if len(tables) > 3 else ''}): restore into an empty database, or add --force "
            "to replace it"
        )
    if backend == "sqlite":
        _sqlite_restore(src, _sqlite_file(url, must_exist=False))
    else:
        args = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--no-password"]
        if tables:
            args += ["--clean", "--if-exists"]
        _run(pg_bin_dir, "pg_restore", url, [*args, str(src)])
    return Done(backend, src, src.stat().st_size)


# -- SQLite ---------------------------------------------------------------------------------


def _sqlite_file(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: nothing to back up or restore")
    file = Path(url.database)
    if must_exist and not file.is_file():
        raise BackupError(f"no database at {file} (run 'hub init' first)")
    return file


def _sqlite_backup(file: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)  # all pages in one step: one read transaction, one moment
        finally:
            out.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {file} failed: {exc}") from None
    finally:
        src.close()


def _sqlite_restore(src_file: Path, file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{src_file}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"{src_file} is damaged: {check[0] if check else 'unreadable'}")
        out = sqlite3.connect(file, timeout=30)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=WAL")
        finally:
            out.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore of {src_file} failed: {exc}") from None
    finally:
        src.close()


# -- both ------------------------------------------------------------------------------------


def _tables(database_url: str) -> list[str]:
    """The tables the target holds (an SQLite file that does not exist holds none)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return sa.inspect(engine).get_table_names()
    except sa.exc.SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        raise BackupError(f"cannot open the database: {' '.join(str(orig).split())[:300]}") from None
    finally:
        engine.dispose()


# -- PostgreSQL tools ------------------------------------------------------------------------


def _run(pg_bin_dir: str, tool: str, url: URL, args: list[str]) -> None:
    """Run ``pg_dump``/``pg_restore`` against ``url``; the password goes by environment,
    never on the command line (where ``ps`` shows it)."""
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    try:
        done = subprocess.run(
            [_tool(pg_bin_dir, tool), f"--dbname={libpq}", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=24 * 3600,
        )
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        raise BackupError(f"{tool} failed: {lines[0] if lines else f'exit {done.returncode}'}")


def _tool(pg_bin_dir: str, name: str) -> str:
    """``pg_bin_dir``, else the PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    if pg_bin_dir:
        path = Path(pg_bin_dir) / name
        if not path.is_file():
            raise BackupError(f"no {name} in {pg_bin_dir} (setting pg_bin_dir)")
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} not found: install the PostgreSQL client tools or set pg_bin_dir")
