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


# --------------------------------------------------------------------------- sandboxed readers
SANDBOX_MEMORY_LIMIT = "2GB"
SANDBOX_THREADS = 2


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect_sandboxed(db_path: Path | None, *, allowed_directories: list[Path] = (),
                      parquet_views: dict[str, Path] | None = None,
                      memory_limit: str = SANDBOX_MEMORY_LIMIT,
                      threads: int = SANDBOX_THREADS) -> duckdb.DuckDBPyConnection:
    """A locked-down read-only connection for queries typed by people (`ftf sql`, a future API).

    `db_path` opens the warehouse read-only; None opens an empty in-memory database in which
    `parquet_views` ({"marts.name": path}) become views (the published bundle). Then file access
    is limited to `allowed_directories`, extension install/autoload is off, memory and threads
    are capped, and the configuration is locked so the query cannot undo any of it."""
    config = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
              "allow_community_extensions": "false", "memory_limit": memory_limit, "threads": str(int(threads))}
    if db_path is not None:
        db_path = Path(db_path)
        if not db_path.exists():
            raise FileNotFoundError(f"no warehouse at {db_path}: run `ftf run` (or `make run`) first")
        try:
            con = duckdb.connect(str(db_path), read_only=True, config=config)
        except duckdb.IOException as exc:
            if _is_lock_error(exc):
                raise WarehouseBusy(f"the warehouse {db_path} is held by another process (a run is writing)") from None
            raise
    else:
        con = duckdb.connect(config=config)
    try:
        for name, path in (parquet_views or {}).items():
            schema, _, view = name.rpartition(".")
            schema = _quote_identifier(schema or "main")
            literal = "'" + str(path).replace("'", "''") + "'"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE VIEW {schema}.{_quote_identifier(view)} AS SELECT * FROM read_parquet({literal})")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET allowed_directories = ?", [[str(Path(d).resolve()) + os.sep for d in allowed_directories]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con
