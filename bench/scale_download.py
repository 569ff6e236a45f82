"""Where a large release's download goes: `python -m bench.scale_download FILE`.

Serves FILE over local HTTP (as `make bench-scale` does) and receives it four times, each time doing
one thing more, with the same code as the pipeline (flows/download.py): receive only; receive and
SHA-256; receive, SHA-256 and write to /dev/null; receive, SHA-256 and write a file next to FILE
(deleted after). Each pass starts with `sync`. While the file is written, the kernel's Dirty figure
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

PASSES = ("receive", "receive + sha256", "receive + sha256 + write /dev/null", "receive + sha256 + write file")


def _dirty_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Dirty:"):
            return int(line.split()[1]) // 1024
    return 0


def _one_pass(url: str, what: str, target: Path) -> tuple[float, int]:
    """(seconds, bytes received) of one pass."""
    started, received = time.monotonic(), 0
    with requests.get(url, stream=True, timeout=60) as response:
        if what == "receive":
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
    args = parser.parse_args(argv)
    release = args.file.resolve()
    target = release.with_name(f".{release.name}.download-test")
    peak_dirty, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak_dirty[0] = max(peak_dirty[0], _dirty_mb())

    try:
        with serve(release.parent) as base:
            for what in PASSES:
                os.sync()
                sampler = threading.Thread(target=sample, daemon=True)
                peak_dirty[0] = 0
                stop.clear()
                sampler.start()
                seconds, received = _one_pass(f"{base}/{release.name}", what, target)
                stop.set()
                sampler.join()
                print(f"{what}: {seconds:.1f} s ({received / 1e6 / max(seconds, 1e-6):,.0f} MB/s, "
                      f"{received:,} bytes), peak Dirty {peak_dirty[0]:,} MB", flush=True)
    finally:
        target.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
