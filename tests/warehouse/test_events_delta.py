"""A release stored as a line delta loads from its changed lines alone, and to the same history as
the whole file would: only when its base is the file last loaded cleanly; otherwise it is written
whole first."""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import duckdb
import pytest

from bench.ged_generate import expected_changes, generate
from flows import line_delta
from flows.download import _into_store, _local_chunks
from flows.extractors.events import _delta_fields
from warehouse.db import connect, migrate
from warehouse.events import EventRelease, load_release

ROWS = 3000
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc)
GED_LAYOUT = dict(tomllib.loads((Path(__file__).resolve().parents[2] / "flows/sources/ucdp_ged/source.toml")
                                 .read_text(encoding="utf-8"))["events"]["columns"])
HEADER = ",".join(GED_LAYOUT).encode()
HISTORY = "select * from history.ucdp_ged_events order by all"


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ged")
    return [generate(folder / f"r{r}.csv", ROWS, seed=7, revision=r) for r in (0, 1)]


def _stored(store: Path, path: Path, base_sha256: str | None = None) -> tuple[str, Path]:
    sha, _, raw = _into_store(store, _local_chunks(path), max_bytes=1 << 34, base_sha256=base_sha256)
    return sha, raw


def _load(db: Path, raw: Path, sha: str, run_id: str, tmp_path: Path, published=dt.date(2026, 6, 8)):
    release = EventRelease("ucdp_ged", raw, True, published, columns=GED_LAYOUT, resolve_country=lambda name: None,
                           sha256=sha, **_delta_fields(raw, len(HEADER) + 1))
    return release, _load_release(db, release, run_id, tmp_path)


def _load_release(db: Path, release: EventRelease, run_id: str, tmp_path: Path) -> list:
    """Load one release in its own transaction; the whole history afterwards."""
    con = connect(db)
    migrate(con)
    try:
        con.execute("BEGIN TRANSACTION")
        load_release(con, release, run_id=run_id, recorded_at=NOW, scratch=tmp_path / "scratch")
        con.execute("COMMIT")
        return con.execute(HISTORY).fetchall()
    finally:
        con.close()


def test_a_delta_loads_from_its_changed_lines_to_the_same_history_as_the_whole_file(releases, tmp_path):
    store = tmp_path / "raw"
    sha0, raw0 = _stored(store, releases[0])
    sha1, raw1 = _stored(store, releases[1], sha0)
    assert not raw1.exists() and line_delta.delta_path(raw1).is_file()

    _load(tmp_path / "delta.duckdb", raw0, sha0, "r0", tmp_path)
    delta, delta_history = _load(tmp_path / "delta.duckdb", raw1, sha1, "r1", tmp_path)
    _load(tmp_path / "whole.duckdb", releases[0], sha0, "r0", tmp_path)
    whole, whole_history = _load(tmp_path / "whole.duckdb", releases[1], sha1, "r1", tmp_path)

    want = expected_changes(ROWS, seed=7)
    assert delta.from_delta and not whole.from_delta and not raw1.exists()     # never written whole
    assert (delta.opened, delta.closed) == (whole.opened, whole.closed) == (want["opened"], want["closed"])
    assert delta.rows_in_release == whole.rows_in_release == ROWS - want["withdrawn"] + want["added"]
    assert delta.rows_parsed == want["revised"] + want["added"]
    assert delta_history == whole_history


def test_a_delta_against_a_release_not_loaded_cleanly_is_written_whole(releases, tmp_path):
    store, db = tmp_path / "raw", tmp_path / "w.duckdb"
    sha0, raw0 = _stored(store, releases[0])
    broken = tmp_path / "broken.csv"     # release 0 where event 1 fails a check: its load is not clean
    duckdb.execute(f"copy (select * replace (case when id = 1 then best + 1000 else best end as best) "
                   f"from read_csv('{releases[0]}')) to '{broken}' (header true)")
    sha_broken, raw_broken = _stored(store, broken)
    _load(db, raw_broken, sha_broken, "r0", tmp_path)
    sha1, raw1 = _stored(store, releases[1], sha_broken)
    assert line_delta.delta_path(raw1).is_file()
    release, history = _load(db, raw1, sha1, "r1", tmp_path)
    assert not release.from_delta and raw1.is_file() and not line_delta.delta_path(raw1).exists()
    assert any("written whole" in note for note in release.notes)
    _load(tmp_path / "whole.duckdb", broken, sha_broken, "r0", tmp_path)
    assert history == _load(tmp_path / "whole.duckdb", releases[1], sha1, "r1", tmp_path)[1]
    assert raw0.is_file()


def test_a_delta_whose_base_is_not_the_last_release_loaded_is_written_whole(releases, tmp_path):
    store, db = tmp_path / "raw", tmp_path / "w.duckdb"
    sha0, raw0 = _stored(store, releases[0])
    sha1, raw1 = _stored(store, releases[1], sha0)
    _load(db, raw0, sha0, "r0", tmp_path)
    _load(db, raw1, sha1, "r1", tmp_path)
    again = tmp_path / "r0-again.csv"   # release 0 again (one id quoted), diffed against release 0, not r1
    again.write_bytes(releases[0].read_bytes().replace(b"\n5,", b'\n"5",', 1))
    sha2, raw2 = _stored(store, again, sha0)
    release, _ = _load(db, raw2, sha2, "r2", tmp_path)
    assert not release.from_delta and raw2.is_file()
    want = expected_changes(ROWS, seed=7)
    assert release.closed == want["revised"] + want["added"]            # back to release 0's events
    con = duckdb.connect(str(db), read_only=True)
    try:
        current = con.execute("select count(*) from history.ucdp_ged_events where recorded_to is null").fetchall()
    finally:
        con.close()
    assert current == [(ROWS,)]


def _variant(rng, header: bytes, first: dict, second: dict) -> bytes:
    """A release drawn from two: each event as in the first, as in the second, or dropped; a few lines
    moved. Every line is a valid event, and no id appears twice."""
    lines = []
    for event_id in sorted(first.keys() | second.keys()):
        pick = rng.random()
        choices = [v for v in (first.get(event_id), second.get(event_id)) if v is not None]
        if pick < 0.05:
            continue
        lines.append(choices[-1] if pick < 0.15 else choices[0])
    for _ in range(len(lines) // 200):
        i = rng.randrange(len(lines) - 1)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return header + b"".join(lines)


def _events(path: Path) -> tuple[bytes, dict]:
    header, *lines = path.read_bytes().splitlines(keepends=True)
    return header, {int(line.split(b",", 1)[0]): line for line in lines}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sibling_deltas_load_to_the_same_history_as_whole_files(releases, tmp_path, seed):
    import random

    rng = random.Random(seed)
    header, first = _events(releases[0])
    _, second = _events(releases[1])
    files = [releases[0]]
    for n in range(3):      # releases after the first, each drawn afresh from release 0 and release 1
        files.append(tmp_path / f"v{n}.csv")
        files[-1].write_bytes(_variant(rng, header, first, second))
    store, last_sha, delta_history, whole_history = tmp_path / "raw", None, None, None
    for n, path in enumerate(files):
        sha, raw = _stored(store, path, last_sha)
        release = EventRelease("ucdp_ged", raw, True, dt.date(2026, 6, 8) + dt.timedelta(days=n), columns=GED_LAYOUT,
                               resolve_country=lambda name: None, sha256=sha,
                               **_delta_fields(raw, len(HEADER) + 1, last_sha))
        assert release.previous_sha256 == (last_sha if n >= 2 else None)   # the third and fourth: siblings
        delta_history = _load_release(tmp_path / "delta.duckdb", release, f"r{n}", tmp_path)
        assert release.from_delta == (n > 0) and raw.is_file() == (n == 0)   # deltas are never written whole
        whole = EventRelease("ucdp_ged", path, True, dt.date(2026, 6, 8) + dt.timedelta(days=n), columns=GED_LAYOUT,
                             resolve_country=lambda name: None, sha256=sha)
        whole_history = _load_release(tmp_path / "whole.duckdb", whole, f"r{n}", tmp_path)
        assert release.rows_in_release == whole.rows_in_release == path.read_bytes().count(b"\n") - 1
        assert (release.opened, release.closed) == (whole.opened, whole.closed)
        assert delta_history == whole_history
        last_sha = sha
