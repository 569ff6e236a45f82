"""A damaged warehouse folder: corrupt or missing raw-store files, a full disk or a file in the way when
publishing, runs that never finished. Nothing is lost and every record tells the truth."""
from __future__ import annotations

import errno
import json
import os

import pytest

from flows import pipeline
from flows.catalog import load_catalog
from flows.fetch import raw_path_for, read_raw
from tests.faults.harness import HEALTHY, current_rows, query, run_sources
from warehouse.load import open_writer
from warehouse.publish import publish, publish_failure_message
from warehouse.runs import mark_interrupted, record_start

CATALOG = load_catalog()
SOURCE = "icsr_2015_01"


def stored_sha(warehouse, source_id: str) -> str:
    return query(warehouse.db, "select sha256 from meta.fetches where source_id = ? and outcome in ('loaded', 'unchanged') "
                               "order by fetched_at desc limit 1", [source_id])[0][0]


@pytest.mark.parametrize("force", [False, True], ids=["plain-run", "force"])
def test_a_corrupt_raw_file_is_detected_and_repaired_from_the_mirror(warehouse, force):
    SOURCE = "soufan_2017_10"   # noqa: N806 - its own mirror file (icsr_2013_12 shares icsr_2015_01's)
    sha = stored_sha(warehouse, SOURCE)
    path = raw_path_for(warehouse.raw, sha)
    good = path.read_bytes()
    path.write_bytes(b"#" * len(good))                     # same size: only the hash can tell
    with pytest.raises(ValueError, match="raw store is corrupt"):
        read_raw(warehouse.raw, sha)
    before = current_rows(warehouse, SOURCE)
    _, outcomes = run_sources(warehouse, [SOURCE, HEALTHY], force=force)
    assert path.read_bytes() == good
    assert any("no longer matched its SHA-256; repaired" in n for n in outcomes[SOURCE].notes)
    assert outcomes[SOURCE].status == ("loaded" if force else "unchanged")
    assert current_rows(warehouse, SOURCE) == before


def test_a_missing_raw_file_is_stored_again(warehouse):
    sha = stored_sha(warehouse, SOURCE)
    raw_path_for(warehouse.raw, sha).unlink()
    _, outcomes = run_sources(warehouse, [SOURCE, HEALTHY])
    assert outcomes[SOURCE].status == "unchanged" and outcomes[HEALTHY].status in ("unchanged", "loaded")
    assert read_raw(warehouse.raw, sha)


def test_drift_report_survives_a_corrupt_previous_document(warehouse, tmp_path):
    sha = stored_sha(warehouse, SOURCE)
    raw_path_for(warehouse.raw, sha).write_bytes(b"garbage")
    changed = CATALOG[SOURCE].mirror_path.read_bytes().replace(b"icsr.mean", b"icsr.avg")
    doc = tmp_path / "drift.csv"
    doc.write_bytes(changed)
    _, outcomes = run_sources(warehouse, [SOURCE], overrides={SOURCE: str(doc)}, force=True)
    assert outcomes[SOURCE].status == "failed" and "column 'icsr.mean' missing" in outcomes[SOURCE].error


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_publishing_keeps_the_previous_bundle(warehouse, monkeypatch):
    manifest_before = (warehouse.published / "manifest.json").read_text()
    files_before = sorted(p.name for p in warehouse.published.iterdir())
    monkeypatch.setattr("warehouse.publish.export_tables", _disk_full)
    con = open_writer(warehouse.db)
    try:
        with pytest.raises(OSError) as raised:
            publish(con, warehouse.published, run_id="full")
    finally:
        con.close()
    assert publish_failure_message(raised.value) == \
        "publishing failed: no space left on device; the previous bundle is still served"
    assert (warehouse.published / "manifest.json").read_text() == manifest_before
    assert sorted(p.name for p in warehouse.published.iterdir()) == files_before
    assert not list(warehouse.home.glob(".published-*"))   # the half-built bundle was removed


def test_a_file_in_the_way_of_the_bundle_is_one_line(warehouse):
    import shutil
    shutil.rmtree(warehouse.published)
    warehouse.published.write_text("not a folder")
    con = open_writer(warehouse.db)
    try:
        with pytest.raises(OSError) as raised:
            publish(con, warehouse.published, run_id="blocked")
    finally:
        con.close()
    message = publish_failure_message(raised.value)
    assert message.startswith("publishing failed: not a directory") and "\n" not in message
    assert message.endswith("; the previous bundle is still served")
    assert warehouse.published.read_text() == "not a folder"


def test_runs_that_never_finished_are_marked_interrupted_by_the_next(warehouse):
    dead = []
    for status in ("running", "loaded"):
        run = pipeline.RunInfo(run_id=pipeline.new_run_id(), mode="mirror", parameters={}, trigger="test",
                               started_at=__import__("datetime").datetime.now(__import__("datetime").timezone.utc))
        record_start(warehouse.db, run, parameters_json="{}")
        dead.append(run.run_id)
    con = open_writer(warehouse.db)
    try:
        con.execute("update meta.runs set status = 'loaded' where run_id = ?", [dead[1]])
    finally:
        con.close()
    assert mark_interrupted(warehouse.db, "the-next-run") == dead
    rows = query(warehouse.db, "select status, finished_at, message from meta.runs where run_id in (?, ?)", dead)
    assert all(r[0] == "interrupted" and r[1] is None and "found by run the-next-run" in r[2] for r in rows)
    lying = query(warehouse.db, "select count(*) from meta.runs where finished_at is null "
                                "and status in ('completed', 'partial', 'failed', 'published_failed')")
    assert lying == [(0,)]
    assert mark_interrupted(warehouse.db, "another-run") == []      # marked once


def test_a_finished_run_records_its_status_with_finished_at(warehouse):
    run, outcomes = run_sources(warehouse, [SOURCE, HEALTHY], force=True)
    row = query(warehouse.db, "select status, finished_at is not null, sources from meta.runs where run_id = ?",
                [run.run_id])
    assert row[0][0] == "completed" and row[0][1]
    assert set(json.loads(row[0][2])) == {SOURCE, HEALTHY}
