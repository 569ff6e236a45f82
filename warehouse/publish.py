"""Publish the marts: Parquet + CSV per table and manifest.json, built in a temporary folder
and swapped in atomically; the bundle it replaces is kept in published/previous/."""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

REPORT = "report.html"  # the report file in the bundle (warehouse.report writes it)
MANIFEST = "manifest.json"
PREVIOUS = "previous"
# OWASP CSV injection rule: a text cell that begins with one of these is prefixed with a single quote
# in the published CSV, so a spreadsheet shows it as text instead of running it as a formula.
# Parquet keeps every value as it is; numbers are never altered (a negative number stays negative).
CSV_FORMULA_START = r"^[=+\-@\t\r]"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_safe_select(table: str, columns: list[tuple[str, str]]) -> str:
    """SELECT of `table` with every text column neutralised for CSV (see CSV_FORMULA_START)."""
    parts = []
    for name, data_type in columns:
        column = _q(name)
        if data_type.upper() == "VARCHAR":
            parts.append(f"CASE WHEN regexp_matches({column}, '{CSV_FORMULA_START}') "
                         f"THEN chr(39) || {column} ELSE {column} END AS {column}")
        else:
            parts.append(column)
    return f"SELECT {', '.join(parts)} FROM {table}"


def publish_failure_message(exc: BaseException) -> str:
    """One line for a failed publish: what happened, and that the previous bundle is still served."""
    if isinstance(exc, OSError) and exc.strerror:
        what = exc.strerror[:1].lower() + exc.strerror[1:]
        if exc.filename:
            what += f" ({exc.filename})"
    else:
        lines = str(exc).strip().splitlines()
        what = lines[0] if lines else type(exc).__name__
    return f"publishing failed: {what}; the previous bundle is still served"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE). False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def export_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> list[dict]:
    tables = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name").fetchall()]
    entries = []
    for name in tables:
        parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        typed = con.execute("select column_name, data_type from information_schema.columns "
                            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                            [name]).fetchall()
        # rows in sorted order: the same rows give the same bytes (a bundle is a function of its state)
        con.execute(f"COPY (SELECT * FROM marts.{name} ORDER BY ALL) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY ({csv_safe_select(f'marts.{name}', typed)} ORDER BY ALL) TO '{csv}' (FORMAT csv, HEADER true)")
        rows = con.execute(f"select count(*) from marts.{name}").fetchone()[0]
        columns = [{"name": c, "type": t} for c, t in typed]
        entries.append({"name": name, "rows": rows, "columns": columns,
                        "files": {"parquet": parquet.name, "csv": csv.name},
                        "sha256": {"parquet": _sha256(parquet), "csv": _sha256(csv)}})
    return entries


def publish(con: duckdb.DuckDBPyConnection, target: Path, *, run_id: str,
            extra: list = (), publish_to: str | None = None, input_state: str | None = None,
            generated_at: str | None = None) -> dict:
    """Write the bundle for `run_id` to `target` (e.g. data/published). `extra` callables
    (folder, manifest) -> None may add files (datapackage.json, report.html) before the swap.
    `publish_to` (a path or fsspec URL) also receives a copy of the finished bundle: deliver().
    The flow passes the snapshot's run id and time and the input state (flows/state.py), so the
    same state always gives byte-identical Parquet, CSV and manifest.json."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".published-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the bundle is meant to be read by others
    try:
        manifest = {"run_id": run_id, "generated_at": generated_at or dt.datetime.now(dt.timezone.utc).isoformat(),
                    **({"input_state": input_state} if input_state else {}), "tables": export_tables(con, tmp)}
        for add in extra:
            add(tmp, manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            previous = tmp / PREVIOUS
            previous.mkdir()
            for item in target.iterdir():
                if item.name == PREVIOUS:
                    continue
                if item.is_dir():
                    shutil.copytree(item, previous / item.name)
                else:
                    shutil.copy2(item, previous / item.name)
            if not _exchange(tmp, target):
                old = target.with_name(target.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                os.rename(target, old)
                os.rename(tmp, target)
                tmp = old
        else:
            os.rename(tmp, target)
            tmp = None
    finally:
        if tmp is not None and Path(tmp).exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if publish_to:
        deliver(target, publish_to)
    return manifest


def deliver(folder: Path, url: str) -> str:
    """Copy the finished bundle in `folder` (not its previous/) to `url`: a local path or any
    fsspec URL (file://, s3://, gcs://, memory://, ...). The bundle already there is first copied
    to <url>/previous/; its manifest.json is removed before the upload and the new one is written
    last, so a reader that starts from manifest.json never mixes two bundles. Returns `url`."""
    import fsspec

    folder = Path(folder)
    fs, root = fsspec.core.url_to_fs(str(url))
    root = root.rstrip("/")

    def remote(relative: str) -> str:
        return f"{root}/{relative}"

    def put(source_path: str, destination: str, *, local: bool) -> None:
        fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
        if local:
            fs.put_file(source_path, destination)
        else:
            fs.copy(source_path, destination)

    fs.makedirs(root, exist_ok=True)
    there = {p[len(root) + 1:]: p for p in fs.find(root) if not p[len(root) + 1:].startswith(PREVIOUS + "/")}
    if MANIFEST in there:
        if fs.exists(remote(PREVIOUS)):
            fs.rm(remote(PREVIOUS), recursive=True)
        for relative, path in sorted(there.items()):
            put(path, remote(f"{PREVIOUS}/{relative}"), local=False)
        fs.rm(remote(MANIFEST))
    new = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
           if p.is_file() and p.relative_to(folder).parts[0] != PREVIOUS}
    for relative, path in new.items():
        if relative != MANIFEST:
            put(str(path), remote(relative), local=True)
    for relative in sorted(set(there) - set(new)):
        fs.rm(remote(relative))
    put(str(folder / MANIFEST), remote(MANIFEST), local=True)
    return str(url)
