"""A release stored as the lines it changes against the previous release (a line delta).

An event dataset's new release repeats most lines of the one before it: GED revises about 1 % of its
events a year. Writing every byte again to the raw store costs more than everything else a 1 %-changed
release needs, so the download compares the body with the previous release as it streams, and keeps:

- ``<sha>.delta``: one JSON line (the base release's SHA-256, the sizes), then the runs of changes as
  little-endian 64-bit triples ``copy skip insert`` (copy this many bytes of the base, skip this
  many, insert this many from the ``.lines`` file);
- ``<sha>.lines``: the inserted bytes: whole lines, the new and changed lines of the release, which is
  also the only part of the release the warehouse parses again;
- ``<sha>.removed``: the skipped bytes: the base's lines the release dropped or changed (the
  warehouse reads them to tell which events were withdrawn).

The body is rebuilt byte for byte by ``open_release`` (a sequential reader) and ``materialize``. The
base is always a release stored whole: when the previous release is itself a delta, the new one is
diffed against that delta's base (a sibling delta; the warehouse then also reads the previous
release's inserted and removed lines), so there are no chains of deltas, and a release that has
drifted so far that its delta does not pay is stored whole and becomes the next base. Lines are
compared as bytes, never parsed: a line delta holds for any line-based text, and a body that is not
(no newlines, lines reordered) stops being diffed, and the release is stored whole.
"""
from __future__ import annotations

import array
import hashlib
import json
import mmap
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 64 * 1024             # bytes compared at a time while the two files agree
LOOKAHEAD = 512 * 1024        # bytes of the body held back until the next chunk (room to look ahead)
RELEASE_BYTES = 256 * 1024 * 1024  # base pages passed are let go in steps of this
PREFETCH_BYTES = 128 * 1024 * 1024  # base bytes the kernel is asked to read ahead
READ_AHEAD_BYTES = 1024 * 1024 * 1024  # base bytes read ahead of the comparison, at most
MAX_WAIT_BYTES = 64 * 1024 * 1024   # body held while looking for a line in common, at most
RESYNC_STEPS = (16, 512)      # lines searched ahead (first a few, then more) for the next line both share
READ_BYTES = 4 * 1024 * 1024
DELTA_PARTS = ("delta", "lines", "removed")


class NotDiffable(Exception):
    """The body stopped looking like an edit of its base (see module doc)."""


class _NeedMore(Exception):
    """A resync needs more lines of the body than have come: wait for the next chunk."""


def delta_path(raw_path: Path) -> Path:
    return raw_path.with_name(raw_path.name + ".delta")


def remove_delta(raw_path: Path) -> None:
    """Remove the files of a release stored as a delta (its base stays)."""
    for part in DELTA_PARTS:
        raw_path.with_name(f"{raw_path.name}.{part}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Delta:
    """A stored line delta: the base's raw path and the copy/skip/insert runs."""
    path: Path                 # raw/<xx>/<sha>.delta
    base_sha256: str
    size: int
    inserted_bytes: int
    ops: tuple[tuple[int, int, int], ...]

    @property
    def lines(self) -> Path:
        return self.path.with_suffix(".lines")

    @property
    def removed(self) -> Path:
        return self.path.with_suffix(".removed")

    @property
    def raw_path(self) -> Path:
        return self.path.with_suffix("")

    def base_raw_path(self) -> Path:
        return self.path.parent.parent / self.base_sha256[:2] / self.base_sha256

    @classmethod
    def load(cls, path: Path) -> "Delta":
        with path.open("rb") as fh:
            head = json.loads(fh.readline())
            flat = array.array("q")
            flat.frombytes(fh.read())
        if sys.byteorder != "little":
            flat.byteswap()
        ops = tuple(zip(flat[0::3], flat[1::3], flat[2::3]))
        return cls(path, head["base_sha256"], head["size"], head["inserted_bytes"], ops)


def is_stored(raw_path: Path) -> bool:
    """The release's bytes are in the store, whole or as a delta."""
    return raw_path.is_file() or delta_path(raw_path).is_file()


class _DeltaReader:
    """The release's bytes, read sequentially (copy runs from the base reader, inserts from .lines)."""

    def __init__(self, delta: Delta):
        self.delta, self.base = delta, open_release(delta.base_raw_path())
        self.inserts = delta.lines.open("rb")
        self.runs = iter(delta.ops)
        self.pending: list[tuple[object, int]] = []   # (reader, bytes still to take from it)

    def _next_run(self) -> bool:
        run = next(self.runs, None)
        if run is None:
            return False
        copy, skip, insert = run
        self.pending = [(self.base, copy), (None, skip), (self.inserts, insert)]
        return True

    def read(self, n: int = READ_BYTES) -> bytes:
        out = []
        while n > 0:
            if not self.pending and not self._next_run():
                break
            reader, left = self.pending[0]
            take = min(n, left) if reader is not None else left
            data = _read_exact(reader if reader is not None else self.base, take)
            if reader is not None:
                out.append(data)
                n -= len(data)
            left -= take
            self.pending[0] = (reader, left)
            if left == 0:
                self.pending.pop(0)
        return b"".join(out)

    def close(self) -> None:
        self.base.close()
        self.inserts.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_exact(reader, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        data = reader.read(min(left, READ_BYTES))
        if not data:
            raise OSError("the raw store's delta refers past the end of its base")
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def open_release(raw_path: Path):
    """A binary reader of the release's bytes whether it is stored whole or as a delta."""
    if raw_path.is_file():
        return raw_path.open("rb")
    d = delta_path(raw_path)
    if not d.is_file():
        raise FileNotFoundError(f"{raw_path.name} is not in the raw store")
    return _DeltaReader(Delta.load(d))


def materialize(raw_path: Path, target: Path | None = None) -> Path:
    """Write the release whole (to `target`, default its raw path) and return where it is. The bytes
    rebuilt must hash to the SHA-256 the release is stored under (its file name): a base changed since
    the delta was taken fails here, in one line, instead of loading other bytes."""
    target = target or raw_path
    if target.is_file():
        return target
    tmp, digest = target.with_name(target.name + ".rebuild.tmp"), hashlib.sha256()
    try:
        with open_release(raw_path) as reader, tmp.open("wb") as out:
            while data := reader.read(READ_BYTES):
                digest.update(data)
                out.write(data)
        expected = raw_path.name.split(".")[0]
        if digest.hexdigest() != expected:
            raise OSError(f"the release rebuilt from its line delta does not match its SHA-256 {expected[:12]}…")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class LineDiffer:
    """Compares a streamed body with its base, line by line where they differ and block by block where
    they agree. feed() each chunk, then finish(). The runs are in `ops`; inserted bytes go to `inserts`,
    skipped base lines to `removed` (file objects). The base is mapped, not read: only the bytes
    compared are copied, and the pages already passed are let go (the process's memory stays flat)."""

    def __init__(self, base_path: Path, inserts, removed=None):
        self.inserts, self.removed = inserts, removed
        size = base_path.stat().st_size
        with base_path.open("rb") as fh:
            self.bw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self.q, self.released, self.prefetched, self.closed = 0, 0, 0, False
        if size:
            self.bw.madvise(mmap.MADV_SEQUENTIAL)
            threading.Thread(target=self._read_ahead, args=(base_path,), name="line-delta-read-ahead",
                             daemon=True).start()
        self.nw, self.p = b"", 0
        self.ops: list[tuple[int, int, int]] = []
        self.run = [0, 0, 0]
        self.inserted = self.skipped = 0
        self.whole = False        # NotDiffable: the rest of the body is inserted as it comes

    def _read_ahead(self, base_path: Path) -> None:
        """Read the base ahead of the comparison with plain reads, at most READ_AHEAD_BYTES ahead: they
        run at the disk's speed, where faulting in mapped pages reads a little at a time (a base that
        has left the page cache took 7-10 s to compare instead of 3.5)."""
        buffer, done = bytearray(READ_BYTES), 0
        with base_path.open("rb", buffering=0) as fh:
            while not self.closed:
                if done - self.q > READ_AHEAD_BYTES:
                    time.sleep(0.005)
                elif not (n := fh.readinto(buffer)):
                    return
                else:
                    done += n

    def close(self) -> None:
        self.closed = True
        if isinstance(self.bw, mmap.mmap):
            self.bw.close()

    # ------------------------------------------------------------------ runs
    def _copy(self, n: int) -> None:
        run = self.run
        if run[1] or run[2]:
            self.ops.append((run[0], run[1], run[2]))
            self.run = run = [0, 0, 0]
        run[0] += n
        self.p += n
        self.q += n

    def _change(self, skip: int, insert: int) -> None:
        if skip:
            if self.removed is not None:
                self.removed.write(self.bw[self.q:self.q + skip])
            self.run[1] += skip
            self.skipped += skip
            self.q += skip
        if insert:
            self.inserts.write(self.nw[self.p:self.p + insert])
            self.run[2] += insert
            self.inserted += insert
            self.p += insert

    def feed(self, chunk: bytes) -> None:
        """Compare the next chunk of the body. The bytes held back from the last chunk are joined to
        this one's head only: once past them, the comparison goes on in the chunk itself (copying every
        chunk into one window cost a quarter of the diff)."""
        if self.whole:
            return self._insert_as_is(chunk)
        rest, head = b"", 2 * LOOKAHEAD
        try:
            carried = len(self.nw) - self.p
            if carried and len(chunk) > head:
                rest = chunk                      # inserted as it is if the diff stops within the head
                self.nw, self.p = self.nw[self.p:] + chunk[:head], 0
                self._advance(final=False, until=carried)
                if self.p >= carried:
                    self.nw, self.p = chunk, self.p - carried
                else:                             # waiting for more lines to resync: one window
                    self.nw, self.p = self.nw[self.p:] + chunk[head:], 0
                rest = b""
            else:
                self.nw, self.p = self.nw[self.p:] + chunk, 0
            self._advance(final=False)
        except NotDiffable:
            self._give_up()
            self._insert_as_is(rest[head:])
        self._let_go_of_passed_pages()

    def _insert_as_is(self, data: bytes) -> None:
        self.inserts.write(data)
        self.run[2] += len(data)
        self.inserted += len(data)

    def _let_go_of_passed_pages(self) -> None:
        """Ask the kernel to read the base ahead (a base no longer in the page cache is read from disk
        while the body arrives) and unmap the pages passed (the process's memory stays flat)."""
        if not isinstance(self.bw, mmap.mmap):
            return
        if self.q + PREFETCH_BYTES // 2 > self.prefetched and self.prefetched < len(self.bw):
            start = max(self.q, self.prefetched) - max(self.q, self.prefetched) % mmap.PAGESIZE
            length = min(PREFETCH_BYTES, len(self.bw) - start)
            self.bw.madvise(mmap.MADV_WILLNEED, start, length)
            self.prefetched = start + length
        if self.q - self.released > RELEASE_BYTES:
            start = self.released - self.released % mmap.PAGESIZE
            stop = self.q - self.q % mmap.PAGESIZE
            self.bw.madvise(mmap.MADV_DONTNEED, start, stop - start)
            self.released = stop

    def _give_up(self) -> None:
        """Insert the rest of the body as it comes and skip the rest of the base (not a usable delta:
        the download stores this release whole)."""
        self.whole = True
        self._change(0, len(self.nw) - self.p)
        self.run[1] += len(self.bw) - self.q
        self.q = len(self.bw)

    def finish(self) -> list[tuple[int, int, int]]:
        if not self.whole:
            try:
                self._advance(final=True)
            except NotDiffable:
                self._give_up()
        if self.q < len(self.bw):                       # the base's tail: removed
            self._change(len(self.bw) - self.q, 0)
        if any(self.run):
            self.ops.append(tuple(self.run))
        self.close()
        return self.ops

    # ------------------------------------------------------------------ comparison
    def _advance(self, final: bool, until: int | None = None) -> None:
        """Compare from p while LOOKAHEAD bytes of the body are ahead (to its end when final), or up to
        `until`; or until a resync needs more of the body than has come."""
        stop = len(self.nw) if final else len(self.nw) - LOOKAHEAD
        stop = stop if until is None else min(stop, until)
        try:
            self._compare(stop, final)
        except _NeedMore:
            return

    def _compare(self, stop: int, final: bool) -> None:
        """Up to BLOCK bytes at a time: numpy finds the first byte that differs (as fast as comparing
        the two slices, and it says where); the whole lines before it are copied, then resynced."""
        nw, bw, base_size = self.nw, self.bw, len(self.bw)
        while self.p < stop:
            p, q = self.p, self.q
            if q >= base_size:                           # the base has ended: the rest is new
                self._change(0, len(nw) - p)
                return
            n = min(BLOCK, len(nw) - p, base_size - q)
            differ = np.frombuffer(nw, np.uint8, n, p) != np.frombuffer(bw, np.uint8, n, q)
            first = int(differ.argmax())
            if first == 0 and not differ[0]:             # the block agrees: copy its whole lines
                first = n
                end = nw.rfind(b"\n", p, p + n) + 1
                if end > p:
                    self._copy(end - p)
                    continue
            end = nw.rfind(b"\n", p, p + first) + 1
            if end > p:
                self._copy(end - p)
            self._resync(final)

    def _resync(self, final: bool) -> None:
        """At a line where the files differ: find the next line they share; what lies before it is
        skipped from the base and inserted from the body. One line changed, added or dropped is
        settled by comparing the next lines; anything else by looking up to RESYNC_LINES lines ahead."""
        nw, bw, p, q = self.nw, self.bw, self.p, self.q
        e1, f1 = nw.find(b"\n", p) + 1, bw.find(b"\n", q) + 1
        if e1 and f1:
            e2, f2 = nw.find(b"\n", e1) + 1, bw.find(b"\n", f1) + 1
            if e2 and f2:
                if nw[e1:e2] == bw[f1:f2]:
                    return self._change(f1 - q, e1 - p)          # a line changed
                if nw[e1:e2] == bw[q:f1]:
                    return self._change(0, e1 - p)               # a line added
                if nw[p:e1] == bw[f1:f2]:
                    return self._change(f1 - q, 0)               # a line dropped
        for count in RESYNC_STEPS:
            new, old = _line_starts(nw, p, count), _line_starts(bw, q, count)
            seen = {bw[a:b]: a for a, b in zip(old, old[1:])}
            for a, b in zip(new, new[1:]):
                at = seen.get(nw[a:b])
                if at is not None and (a, at) != (p, q):
                    return self._change(at - q, a - p)
            if len(new) <= count:                              # the window ends within `count` lines
                if final:
                    return self._change(0, len(nw) - p)
                if len(nw) - p > MAX_WAIT_BYTES:
                    break
                raise _NeedMore()
        raise NotDiffable(f"no line in common within {RESYNC_STEPS[-1]} lines")


def _line_starts(window, start: int, count: int) -> list[int]:
    """Offsets where the next `count` lines from `start` begin, and where the last one ends."""
    starts, pos, size = [start], start, len(window)
    for _ in range(count):
        end = window.find(b"\n", pos)
        pos = end + 1 if end >= 0 else size
        if pos == starts[-1]:
            break
        starts.append(pos)
    return starts


def write_delta(path: Path, *, base_sha256: str, size: int, inserted: int, ops) -> None:
    """The .delta file: one JSON line, then the runs as little-endian 64-bit (copy, skip, insert) triples."""
    flat = array.array("q", (n for run in ops for n in run))
    if sys.byteorder != "little":
        flat.byteswap()
    with path.open("wb") as fh:
        fh.write(json.dumps({"base_sha256": base_sha256, "size": size, "inserted_bytes": inserted,
                             "runs": len(ops)}).encode("ascii") + b"\n")
        fh.write(flat.tobytes())
