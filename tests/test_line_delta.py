"""Line deltas (flows/line_delta.py): a release stored as the lines it changes against its base.

The property: whatever the edit (lines changed, added, dropped, moved, a body that shares nothing),
the stored delta rebuilds the body byte for byte, its inserted bytes are whole lines of the body,
its removed bytes whole lines of the base, and base − removed + inserted is the body's multiset of
lines. Small BLOCK and LOOKAHEAD values make the comparison cross many chunk boundaries.
"""
from __future__ import annotations

import hashlib
import io
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import line_delta
from flows.download import _into_store
from flows.fetch import raw_path_for


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _diff(base_path: Path, body: bytes, chunk: int) -> tuple[list, bytes, bytes, bool]:
    inserts, removed = io.BytesIO(), io.BytesIO()
    differ = line_delta.LineDiffer(base_path, inserts, removed)
    for start in range(0, len(body), chunk):
        differ.feed(body[start:start + chunk])
    ops = differ.finish()
    return ops, inserts.getvalue(), removed.getvalue(), differ.whole


def _rebuild(base: bytes, ops, inserts: bytes) -> bytes:
    out, b, i = [], 0, 0
    for copy, skip, insert in ops:
        out.append(base[b:b + copy])
        b += copy + skip
        out.append(inserts[i:i + insert])
        i += insert
    assert b == len(base) and i == len(inserts)
    return b"".join(out)


def _edit(rng: random.Random, lines: list[bytes], edits: int) -> list[bytes]:
    new = list(lines)
    for _ in range(edits):
        kind, at = rng.choice(("change", "add", "drop", "move")), rng.randrange(len(new) + 1)
        if kind == "add" or not new:
            new.insert(at, b"added %d,%d\n" % (rng.randrange(10**6), at))
        elif kind == "change":
            new[min(at, len(new) - 1)] = b"changed %d\n" % rng.randrange(10**6)
        elif kind == "drop":
            del new[min(at, len(new) - 1)]
        else:
            new.insert(rng.randrange(len(new)), new.pop(min(at, len(new) - 1)))
    return new


@pytest.fixture()
def small_windows(monkeypatch):
    monkeypatch.setattr(line_delta, "BLOCK", 64)
    monkeypatch.setattr(line_delta, "LOOKAHEAD", 2048)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), rows=st.integers(0, 400), edits=st.integers(0, 40),
       chunk=st.sampled_from([1, 7, 100, 4096, 10**6]), last_newline=st.booleans())
def test_a_delta_rebuilds_the_body_from_whole_lines(tmp_path, small_windows, seed, rows, edits, chunk, last_newline):
    rng = random.Random(seed)
    lines = [b"%d,event %d,%s\n" % (i, i, b"x" * rng.randrange(0, 90)) for i in range(rows)]
    body = b"".join(_edit(rng, lines, edits))
    if not last_newline and body:
        body = body[:-1]
    base = b"".join(lines)
    base_path = tmp_path / f"base-{seed}-{rows}"
    base_path.write_bytes(base)
    ops, inserts, removed, whole = _diff(base_path, body, chunk)
    assert _rebuild(base, ops, inserts) == body
    body_lines, base_lines = Counter(_lines(body)), Counter(_lines(base))
    assert not whole                                        # 40 edits never lose every line in common
    assert not Counter(_lines(inserts)) - body_lines        # inserted: whole lines of the body
    assert not Counter(_lines(removed)) - base_lines        # removed: whole lines of the base
    assert base_lines - Counter(_lines(removed)) + Counter(_lines(inserts)) == body_lines


def test_one_changed_line_in_many_is_one_run(tmp_path):
    lines = [b"%d,a fairly long line of an event dataset\n" % i for i in range(20_000)]
    base = tmp_path / "base"
    base.write_bytes(b"".join(lines))
    body = b"".join(lines[:12_345] + [b"12345,revised\n"] + lines[12_346:])
    ops, inserts, removed, whole = _diff(base, body, 1 << 16)
    assert not whole
    assert inserts == b"12345,revised\n" and removed == lines[12_345]
    assert len(ops) == 2 and ops[0][1:] == (len(lines[12_345]), len(inserts))


def test_a_body_that_shares_no_lines_is_inserted_whole(tmp_path):
    base = tmp_path / "base"
    base.write_bytes(b"".join(b"%d,an event of the base\n" % i for i in range(5000)))
    body = bytes(random.Random(1).randrange(256) for _ in range(200_000))
    ops, inserts, _, _ = _diff(base, body, 4096)
    assert inserts == body and not any(copy for copy, _, _ in ops)
    assert _rebuild(base.read_bytes(), ops, inserts) == body


def _store(store: Path, body: bytes, base_sha256: str | None = None) -> tuple[str, Path]:
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    sha, size, path = _into_store(store, chunks, max_bytes=1 << 30, base_sha256=base_sha256)
    assert size == len(body) and sha == hashlib.sha256(body).hexdigest() and path == raw_path_for(store, sha)
    return sha, path


def _read(path: Path) -> bytes:
    with line_delta.open_release(path) as reader:
        parts = []
        while data := reader.read(1000):
            parts.append(data)
    return b"".join(parts)


def test_the_store_keeps_a_small_change_as_a_delta_and_rebuilds_it(tmp_path):
    store = tmp_path / "raw"
    lines = [b"%d,event,%d\n" % (i, i * 7) for i in range(50_000)]
    base_sha, base_path = _store(store, b"".join(lines))
    body = b"".join(lines[:100] + [b"100,revised,0\n"] + lines[101:40_000] + lines[40_001:] + [b"50000,new,1\n"])
    sha, path = _store(store, body, base_sha)
    assert not path.exists() and line_delta.delta_path(path).is_file()
    delta = line_delta.Delta.load(line_delta.delta_path(path))
    assert (delta.base_sha256, delta.size, delta.inserted_bytes) == (base_sha, len(body), 26)
    assert delta.lines.read_bytes() == b"100,revised,0\n50000,new,1\n"
    assert delta.removed.read_bytes() == lines[100] + lines[40_000]
    assert _read(path) == body
    # the release after it is diffed against the same base (a sibling delta, never a delta of a delta)
    later = b"".join(lines[:100] + [b"100,revised again,0\n"] + lines[101:] + [b"50000,new,1\n"])
    later_sha, later_path = _store(store, later, sha)
    assert line_delta.Delta.load(line_delta.delta_path(later_path)).base_sha256 == base_sha
    assert _read(later_path) == later
    assert line_delta.materialize(path) == path and path.read_bytes() == body
    assert _store(store, body, sha) == (sha, path) and path.read_bytes() == body    # stored once
    assert sorted(p.name for p in store.rglob(".download.*")) == []


def test_the_store_keeps_a_release_whole_when_a_delta_does_not_pay(tmp_path):
    store = tmp_path / "raw"
    base_sha, _ = _store(store, b"".join(b"%d,old\n" % i for i in range(10_000)))
    mostly_new = b"".join(b"%d,%s\n" % (i, b"old" if i % 3 == 0 else b"new") for i in range(10_000))
    _, path = _store(store, mostly_new, base_sha)
    assert path.read_bytes() == mostly_new and not line_delta.delta_path(path).exists()
    binary = bytes(random.Random(2).randrange(256) for _ in range(300_000))   # e.g. a zip
    _, path = _store(store, binary, base_sha)
    assert path.read_bytes() == binary and not line_delta.delta_path(path).exists()
    assert sorted(p.name for p in store.rglob("*.tmp*")) == []


def test_a_delta_whose_base_changed_since_is_not_rebuilt(tmp_path):
    store = tmp_path / "raw"
    lines = [b"%d,event,%d\n" % (i, i) for i in range(20_000)]
    base_sha, base_path = _store(store, b"".join(lines))
    _, path = _store(store, b"".join(lines[:500] + [b"500,revised,1\n"] + lines[501:]), base_sha)
    base_path.write_bytes(base_path.read_bytes().replace(b"7,event,7\n", b"7,event,8\n", 1))
    with pytest.raises(OSError, match="does not match its SHA-256"):
        line_delta.materialize(path)
    assert not path.exists() and sorted(p.name for p in path.parent.iterdir() if "rebuild" in p.name) == []
