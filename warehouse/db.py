"""The DuckDB warehouse file: connections, migrations, and the one-writer rule."""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file (a run is writing)."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def in_utc(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Pin the session's time zone to UTC: DuckDB otherwise follows the process's TZ, and a
    TIMESTAMPTZ compared with a date or naive timestamp would change answer with the machine."""
    con.execute("SET TimeZone = 'UTC'")
    return con


def connect(db_path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    db_path = Path(db_path)
    if read_only and not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `ftf run` (or `make run`) first")
    try:
        return in_utc(duckdb.connect(str(db_path), read_only=read_only))
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise WarehouseBusy(f"the warehouse {db_path} is held by another process (a run is writing)") from None
        raise


def migrations() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = re.match(r"^(\d+)_(.+)\.sql$", path.name)
        if m:
            found.append((int(m.group(1)), m.group(2), path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the numbered migrations not yet recorded in meta.migrations, each in a transaction."""
    has_table = con.execute(
        "select count(*) from information_schema.tables where table_schema='meta' and table_name='migrations'"
    ).fetchone()[0]
    done = {r[0] for r in con.execute("select version from meta.migrations").fetchall()} if has_table else set()
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO meta.migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(f"{version:03d}_{name}")
    return applied


@contextlib.contextmanager
def writer_lock(lock_path: Path, *, wait_seconds: float = 0.0, poll: float = 0.5):
    """Hold the warehouse's writer lock (an OS file lock, released if the process dies).

    Waits up to `wait_seconds` for another writer to finish, then raises WarehouseBusy with
    the holder's description."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(lock_path, "a+")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise WarehouseBusy(f"a run is already writing the warehouse ({holder}); "
                                        f"waited {wait_seconds:.0f} s") from None
                time.sleep(poll)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(Exception):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()
