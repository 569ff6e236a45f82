"""`make bench-scale ROWS=N`: the real pipeline on N invented GED events, against DuckDB's own floor.

1. Generates two releases in the GED layout under bench/results/ (seeded; kept for the next run):
   release 0 (events 1..N) and release 1 (1 % revised, 0.1 % withdrawn, N/1000 new).
2. Serves them from a local HTTP server (Last-Modified = each release's publication date) and starts
   a Prefect server (as in production: the flow run does not pay for a temporary server).
3. Measures the floor on release 0 in this process: DuckDB read_csv (explicit types) -> table -> Parquet.
4. Runs `ftf run --mode live --source ucdp_ged --url ucdp_ged=http://127.0.0.1:PORT/...` on a fresh
   data folder (pipeline_s, peak RSS of the ftf process tree), then again with release 1
   (incremental_s), and checks the warehouse against what the generator changed.

The last line: scale: rows=N file=PATH pipeline_s=… floor_s=… ratio=… peak_rss_gb=… incremental_ratio=…
Exit status 1 when the warehouse does not hold exactly the generated changes.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from bench.ged_generate import expected_changes, generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RELEASE_DATES = (dt.datetime(2025, 6, 11, tzinfo=dt.timezone.utc), dt.datetime(2026, 6, 8, tzinfo=dt.timezone.utc))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def release_file(rows: int, seed: int, revision: int, folder: Path = RESULTS) -> Path:
    """The generated release (made once, reused by later runs with the same rows and seed)."""
    path = folder / f"ged_{rows}_s{seed}_r{revision}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial.csv")
        generate(partial, rows, seed=seed, revision=revision)
        partial.rename(path)
    stamp = RELEASE_DATES[revision].timestamp()
    os.utime(path, (stamp, stamp))
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that sends file bodies with sendfile(2), as nginx or Apache would: the
    benchmark measures the pipeline's download, not Python copying the file 64 KiB at a time."""

    def log_message(self, *args) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:
        outputfile.flush()
        self.connection.sendfile(source)


@contextlib.contextmanager
def serve(folder: Path):
    """A local HTTP server for `folder` (Last-Modified from each file's mtime); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def prefect_server(home: Path):
    """A Prefect server on a free port with its own PREFECT_HOME; yields its API URL; stopped after."""
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        import requests
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start on port {port}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_measured(cmd: list[str], env: dict) -> tuple[float, int, int, str]:
    """Run a command; (wall seconds, peak RSS of its process tree in bytes, exit status, its output)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_bytes(proc.pid))
        time.sleep(0.2)
    reader.join()
    return time.monotonic() - started, peak, proc.returncode, "".join(output)


def read_through(path: Path) -> None:
    """Read a file once, so that the local server sends it from the page cache. This machine pages out
    what has not been read for a minute (DAMON proactive reclaim, /sys/kernel/mm/damon), so a release
    served a few minutes after it was generated would otherwise be read from disk by the server at the
    same time as the pipeline reads its own raw store."""
    with path.open("rb", buffering=0) as fh:
        buffer = bytearray(8 * 1024 * 1024)
        while fh.readinto(buffer):
            pass


def floor_seconds(csv_path: Path, columns: list[tuple[str, str]], scratch: Path) -> float:
    """DuckDB alone on the same file: read_csv with explicit types -> table -> Parquet."""
    scratch.mkdir(parents=True, exist_ok=True)
    db, parquet = scratch / "floor.duckdb", scratch / "floor.parquet"
    for p in (db, parquet):
        p.unlink(missing_ok=True)
    types = {name: kind for name, kind in columns}
    os.sync()
    started = time.monotonic()
    con = duckdb.connect(str(db))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TABLE events AS SELECT * FROM read_csv($path, header = true, auto_detect = false, "
                    "delim = ',', quote = '\"', escape = '\"', columns = $types)", {"path": str(csv_path), "types": types})
        con.execute("COPY events TO $target (FORMAT parquet)", {"target": str(parquet)})
    finally:
        con.close()
    took = time.monotonic() - started
    db.unlink(missing_ok=True)
    parquet.unlink(missing_ok=True)
    return took


def warehouse_counts(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        current, versions, closed_revised, closed_removed = con.execute("""
            SELECT count(*) FILTER (WHERE recorded_to IS NULL), count(*),
                   count(*) FILTER (WHERE closed_reason = 'revised'),
                   count(*) FILTER (WHERE closed_reason = 'removed_from_source')
            FROM history.ucdp_ged_events""").fetchall()[0]
        runs = con.execute("SELECT sources FROM meta.runs ORDER BY seq").fetchall()
    finally:
        con.close()
    per_run = [json.loads(r[0])["ucdp_ged"] for r in runs]
    return {"current": current, "versions": versions, "closed_revised": closed_revised,
            "closed_removed": closed_removed, "runs": per_run}


def check(rows: int, seed: int, counts: dict) -> list[str]:
    """What the warehouse holds against what the generator changed (empty list: all as expected)."""
    want = expected_changes(rows, seed=seed)
    first, second = counts["runs"][0], counts["runs"][1]
    expected = {
        "first release versions opened": (first["versions_opened"], rows),
        "second release versions opened": (second["versions_opened"], want["opened"]),
        "second release versions closed": (second["versions_closed"], want["closed"]),
        "closed as revised": (counts["closed_revised"], want["revised"]),
        "closed as removed_from_source": (counts["closed_removed"], want["withdrawn"]),
        "current events": (counts["current"], rows - want["withdrawn"] + want["added"]),
        "versions in history": (counts["versions"], rows + want["opened"]),
        "rows quarantined": (first["rows_quarantined"] + second["rows_quarantined"], 0),
    }
    return [f"{what}: {got:,} where the generator made {exp:,}" for what, (got, exp) in expected.items() if got != exp]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ftf-warehouse at scale: GED-layout releases through the real pipeline")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from flows.catalog import load_catalog
    from flows.extractors.events import layout

    results = args.results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    files = [release_file(args.rows, args.seed, r, results) for r in (0, 1)]
    print(f"releases: {files[0]} ({files[0].stat().st_size / 2**20:,.0f} MiB), {files[1].name}", flush=True)
    floor = floor_seconds(files[0], layout(load_catalog()["ucdp_ged"]), results / "floor")
    print(f"floor (DuckDB read_csv -> table -> Parquet): {floor:.1f} s", flush=True)
    home = results / f"home_{args.rows}"
    shutil.rmtree(home, ignore_errors=True)
    ftf = str(Path(sys.executable).with_name("ftf"))
    timings = []
    with serve(results) as base, prefect_server(results / "prefect-home") as api:
        env = dict(os.environ, FTF_HOME=str(home), PREFECT_API_URL=api, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        for path in files:
            cmd = [ftf, "run", "--mode", "live", "--source", "ucdp_ged", "--url", f"ucdp_ged={base}/{path.name}"]
            os.sync()   # the previous phase's writes (the generator's, the last run's) are not billed to this one
            read_through(path)   # the server's own disk reads are not the pipeline's (a real server is elsewhere)
            seconds, peak, status, output = run_measured(cmd, env)
            timings.append((seconds, peak))
            log = results / f"run_{args.rows}_{path.stem.rsplit('_', 1)[-1]}.log"
            log.write_text(output, encoding="utf-8")
            print(f"ftf run {path.name}: {seconds:.1f} s, peak RSS {peak / 1e9:.2f} GB (its output: {log})", flush=True)
            for line in output.splitlines():   # the run's own timeline of the source (seconds since it started)
                if " ucdp_ged " in f" {line} " and line.strip()[:1].isdigit():
                    print(f"    {line.strip()}", flush=True)
            if status != 0 or "failed" in output:
                print(output[-3000:])
                return 1
    counts = warehouse_counts(home / "ftf.duckdb")
    for n, run in enumerate(counts["runs"]):
        print(f"release {n}: " + "; ".join(note for note in run["notes"] if "rows parsed" in note), flush=True)
    problems = check(args.rows, args.seed, counts)
    for p in problems:
        print(f"MISMATCH {p}")
    shutil.rmtree(home, ignore_errors=True)
    (pipeline_s, peak1), (incremental_s, peak2) = timings
    print(f"scale: rows={args.rows} file={files[0]} pipeline_s={pipeline_s:.1f} floor_s={floor:.1f} "
          f"ratio={pipeline_s / floor:.2f} peak_rss_gb={max(peak1, peak2) / 1e9:.2f} "
          f"incremental_ratio={incremental_s / pipeline_s:.2f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
