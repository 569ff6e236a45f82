"""Where a large release's download goes: `python -m bench.scale_download FILE`.

Serves FILE over local HTTP (as `make bench-scale` does) and receives it four times, each time doing
one thing more, with the same code as the pipeline (flows/download.py): receive only; receive and
SHA-256; receive, SHA-256 and write to /dev/null; receive, SHA-256 and write a file next to FILE
(deleted after); with `--base BASE` (the release before it), also receive, SHA-256 and keep a line
delta against BASE (flows/line_delta.py, as the pipeline stores a release after the first).
Each pass starts with `sync`. While the file is written, the kernel's Dirty figure
(/proc/meminfo) is sampled: its plateau is the page cache the write may fill before it runs at the
disk's speed.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import threading
import time
from pathlib import Path

import requests

from bench.scale import serve
from flows.download import _body_chunks, _HashingWriter
from flows.line_delta import LineDiffer

PASSES = ("receive", "receive + sha256", "receive + sha256 + write /dev/null", "receive + sha256 + write file")
DELTA_PASS = "receive + sha256 + line delta"


def _dirty_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Dirty:"):
            return int(line.split()[1]) // 1024
    return 0


def _delta_pass(response, base: Path, target: Path) -> int:
    """Receive, hash and diff against `base` (inserted and removed lines written next to the file)."""
    received = 0
    with open(f"{target}.lines", "wb") as inserts, open(f"{target}.removed", "wb") as removed:
        differ = LineDiffer(base, inserts, removed)
        writer = _HashingWriter(differ.feed)
        for chunk in _body_chunks(response):
            received += len(chunk)
            writer.put(chunk)
        writer.close()
        differ.finish()
    return received


def _one_pass(url: str, what: str, target: Path, base: Path | None = None) -> tuple[float, int]:
    """(seconds, bytes received) of one pass."""
    started, received = time.monotonic(), 0
    with requests.get(url, stream=True, timeout=60) as response:
        if what == DELTA_PASS:
            received = _delta_pass(response, base, target)
        elif what == "receive":
            for chunk in _body_chunks(response):
                received += len(chunk)
        elif what == "receive + sha256":
            digest = hashlib.sha256()
            for chunk in _body_chunks(response):
                received += len(chunk)
                digest.update(chunk)
        else:
            with open(os.devnull if "/dev/null" in what else target, "wb") as fh:
                writer = _HashingWriter(fh.write)
                for chunk in _body_chunks(response):
                    received += len(chunk)
                    writer.put(chunk)
                writer.close()
    return time.monotonic() - started, received


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--base", type=Path, help="the release before FILE: adds the line-delta pass")
    args = parser.parse_args(argv)
    release = args.file.resolve()
    target = release.with_name(f".{release.name}.download-test")
    peak_dirty, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak_dirty[0] = max(peak_dirty[0], _dirty_mb())

    try:
        with serve(release.parent) as base:
            for what in PASSES + ((DELTA_PASS,) if args.base else ()):
                os.sync()
                sampler = threading.Thread(target=sample, daemon=True)
                peak_dirty[0] = 0
                stop.clear()
                sampler.start()
                seconds, received = _one_pass(f"{base}/{release.name}", what, target, args.base)
                stop.set()
                sampler.join()
                print(f"{what}: {seconds:.1f} s ({received / 1e6 / max(seconds, 1e-6):,.0f} MB/s, "
                      f"{received:,} bytes), peak Dirty {peak_dirty[0]:,} MB", flush=True)
    finally:
        for leftover in (target, Path(f"{target}.lines"), Path(f"{target}.removed")):
            leftover.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
