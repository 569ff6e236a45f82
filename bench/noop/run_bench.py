"""`make bench`: what a run costs when there is nothing (or one thing) to do, against the
Prefect floor, measured in one invocation on this machine (medians of several runs).

Figures (one line each, then a summary line):
  floor          a flow of one no-op task per source, started from the command line
  shortcut       no-op `ftf run` in mirror mode (answers before Prefect)      ÷ floor
  noop_flow      no-op `ftf run --mode live` against a local HTTP server serving the
                 same documents (answering 304 after the first run): through the flow ÷ floor
  noop_pipeline  "Pipeline work inside the flow" of that run, seconds
  one_source     a run where one source's document changed                   ÷ a `--force` run
  cold (--cold)  `make run` on a fresh clone with an empty uv cache (downloads the packages)

Everything runs in bench/results/ (ignored by git): its own FTF_HOME and PREFECT_HOME. The
changed document is the embedded icsr_2019_07 transcription minus its last row, written
there (never into a mirror).
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
CHANGED_SOURCE = "icsr_2019_07"
sys.path.insert(0, str(ROOT))

from flows.catalog import load_catalog  # noqa: E402


def environment(home: Path) -> dict:
    env = dict(os.environ, FTF_HOME=str(home), PREFECT_HOME=str(RESULTS / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", COLUMNS="200",
               # a loaded machine can take longer than Prefect's default 20 s to start its server
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=os.environ.get(
                   "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    env.pop("PREFECT_API_URL", None)
    return env


def timed(args: list[str], env: dict, *, cwd: Path = ROOT) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args[:3])} failed (exit {done.returncode}): "
                         f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return seconds, done.stdout


def median_of(label: str, repeat: int, once) -> float:
    times = [once() for _ in range(repeat)]
    print(f"  {label}: " + ", ".join(f"{t:.2f}" for t in times) + " s", flush=True)
    return statistics.median(times)


class MirrorServer(http.server.ThreadingHTTPServer):
    """Serves each source's embedded document at /<source id>, with an ETag; answers 304 to
    If-None-Match, as a publisher whose document did not change."""

    def __init__(self, documents: dict[str, bytes]):
        self.documents = documents
        super().__init__(("127.0.0.1", 0), _Handler)

    def url(self, source_id: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{source_id}"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.server.documents.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def pipeline_seconds(output: str) -> float:
    found = re.search(r"Pipeline work inside the flow: ([\d.]+) s", output)
    if not found:
        raise SystemExit("bench: the run did not report its pipeline work:\n" + output[-500:])
    return float(found.group(1))


def cold_make_run() -> float:
    """`make run` on a fresh clone of this checkout's HEAD, with an empty uv cache."""
    with tempfile.TemporaryDirectory(prefix="ftf-cold-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = dict(os.environ, UV_CACHE_DIR=str(Path(tmp) / "uv-cache"), PREFECT_HOME=str(Path(tmp) / "prefect"),
                   PIP_NO_CACHE_DIR="1")
        env.pop("FTF_HOME", None)
        env.pop("VIRTUAL_ENV", None)
        start = time.monotonic()
        done = subprocess.run(["make", "run"], cwd=clone, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        for line in done.stdout.splitlines():
            if line.startswith("[setup"):
                print(f"  {line}")
        if done.returncode != 0:
            raise SystemExit(f"bench: cold make run failed: {done.stderr.strip().splitlines()[-1:]}")
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--cold", action="store_true", help="also time `make run` on a fresh clone (downloads)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    home = RESULTS / "home"
    env = environment(home)
    ftf = [str(BIN / "ftf"), "run"]
    catalog = load_catalog()

    print("bench: warming up (a first run builds the warehouse in bench/results/home)", flush=True)
    timed(ftf, env)
    timed([str(BIN / "python"), "bench/noop/floor_flow.py"], env)  # Prefect's own first start

    floor = median_of("prefect floor", args.repeat,
                      lambda: timed([str(BIN / "python"), "bench/noop/floor_flow.py"], env)[0])
    shortcut = median_of("no-op ftf run (mirror)", max(args.repeat, 5), lambda: _shortcut(ftf, env))

    # sources with an embedded document (an events source such as ucdp_ged has none and is skipped offline)
    served = [s for s in catalog.values() if s.mirror_path.is_file()]
    server = MirrorServer({s.id: s.mirror_path.read_bytes() for s in served})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        live = ftf + ["--mode", "live"] + [a for s in served for a in ("--source", s.id, "--url", f"{s.id}={server.url(s.id)}")]
        timed(live, env)   # first live run: 200s with the same bytes, ETags recorded
        pipeline: list[float] = []

        def noop_live() -> float:
            seconds, out = timed(live, env)
            if "published bundle is current" not in out:
                raise SystemExit("bench: the live no-op run rebuilt something:\n" + out[-800:])
            pipeline.append(pipeline_seconds(out))
            return seconds
        noop = median_of("no-op ftf run --mode live (304)", args.repeat, noop_live)
    finally:
        server.shutdown()
        server.server_close()
    noop_pipeline = statistics.median(pipeline)

    changed = RESULTS / f"{CHANGED_SOURCE}_minus_last_row.csv"
    original = catalog[CHANGED_SOURCE].mirror_path
    changed.write_bytes(b"".join(original.read_bytes().splitlines(keepends=True)[:-1]))
    flip = iter(range(10_000))
    work = {"one": [], "force": []}

    def run_with_work(label: str, extra: list[str]) -> float:
        seconds, out = timed(ftf + extra, env)
        work[label].append(pipeline_seconds(out))
        return seconds

    def one_source() -> float:
        document = changed if next(flip) % 2 == 0 else original
        return run_with_work("one", ["--url", f"{CHANGED_SOURCE}={document}"])
    one = median_of(f"one source changed ({CHANGED_SOURCE})", args.repeat, one_source)
    timed(ftf + ["--url", f"{CHANGED_SOURCE}={original}"], env)   # leave the mirror's state behind
    forced = median_of("ftf run --force", args.repeat, lambda: run_with_work("force", ["--force"]))
    print("  pipeline work inside the flow: one source " + ", ".join(f"{w:.1f}" for w in work["one"])
          + " s; --force " + ", ".join(f"{w:.1f}" for w in work["force"]) + " s", flush=True)

    print(f"bench: prefect floor ({len(catalog)} no-op tasks from the CLI): {floor:.2f} s")
    print(f"bench: no-op ftf run, mirror (answers before Prefect): {shortcut:.2f} s = {shortcut / floor:.2f} x floor")
    print(f"bench: no-op ftf run --mode live (304, through the flow): {noop:.2f} s = {noop / floor:.2f} x floor")
    print(f"bench: pipeline work of that no-op run: {noop_pipeline:.2f} s")
    print(f"bench: one source changed: {one:.2f} s; --force: {forced:.2f} s = {one / forced:.2f} x")
    if args.cold:
        print(f"bench: cold make run on a fresh clone (empty uv cache): {cold_make_run():.1f} s")
    print(f"bench: shortcut_ratio={shortcut / floor:.2f} noop_ratio={noop / floor:.2f} "
          f"noop_pipeline_s={noop_pipeline:.2f} one_source_ratio={one / forced:.2f}")


def _shortcut(ftf: list[str], env: dict) -> float:
    seconds, out = timed(ftf, env)
    if "published bundle is current" not in out or "Pipeline work" in out:
        raise SystemExit("bench: the mirror no-op run did not answer before Prefect:\n" + out[-800:])
    return seconds


if __name__ == "__main__":
    main()
