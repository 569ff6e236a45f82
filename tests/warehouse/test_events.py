"""Event releases at scale, on small generated GED-layout files: SCD2 counts, quarantine, caps."""
from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import duckdb
import pytest

from bench.ged_generate import expected_changes, generate
from warehouse.db import connect, migrate
from warehouse.events import EventRelease, load_release

ROWS = 3000
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ged")
    return [generate(folder / f"r{r}.csv", ROWS, seed=5, revision=r) for r in (0, 1)]


GED_LAYOUT = dict(tomllib.loads((Path(__file__).resolve().parents[2] / "flows/sources/ucdp_ged/source.toml")
                                 .read_text(encoding="utf-8"))["events"]["columns"])


def _load(con, path, published, run_id, tmp_path, **kwargs):
    release = EventRelease("ucdp_ged", path, True, published, columns=GED_LAYOUT,
                           resolve_country=lambda name: None, **kwargs)
    con.execute("BEGIN TRANSACTION")
    load_release(con, release, run_id=run_id, recorded_at=NOW, scratch=tmp_path / "scratch")
    con.execute("COMMIT")
    return release


@pytest.fixture()
def con(tmp_path):
    c = connect(tmp_path / "w.duckdb")
    migrate(c)
    yield c
    c.close()


def test_second_release_touches_only_the_changes(con, releases, tmp_path):
    first = _load(con, releases[0], dt.date(2025, 6, 11), "r0", tmp_path)
    assert (first.opened, first.closed, first.rows_parsed) == (ROWS, 0, ROWS)
    second = _load(con, releases[1], dt.date(2026, 6, 8), "r1", tmp_path)
    want = expected_changes(ROWS, seed=5)
    assert want["revised"] > 0 and want["withdrawn"] > 0
    assert (second.opened, second.closed) == (want["opened"], want["closed"])
    # only the changed or new lines were parsed again, not the release
    assert second.rows_parsed == want["revised"] + want["added"]
    reasons = dict(con.execute("select closed_reason, count(*) from history.ucdp_ged_events "
                               "where closed_reason is not null group by 1").fetchall())
    assert reasons == {"revised": want["revised"], "removed_from_source": want["withdrawn"]}
    # a revised event: old version superseded on the second release's date, new one published then
    old_best, superseded, new_best, published = con.execute("""select h.best, h.superseded_on, n.best, n.published_on
        from history.ucdp_ged_events h join history.ucdp_ged_events n on n.id = h.id and n.recorded_to is null
        where h.closed_reason = 'revised' order by h.id limit 1""").fetchall()[0]
    assert (superseded, published, new_best) == (dt.date(2026, 6, 8), dt.date(2026, 6, 8), old_best + 1)
    # loading the same release again changes nothing
    again = _load(con, releases[1], dt.date(2026, 6, 8), "r2", tmp_path)
    assert (again.opened, again.closed, again.rows_parsed) == (0, 0, 0)


def test_failing_rows_are_quarantined_capped_and_never_close_a_version(con, releases, tmp_path):
    _load(con, releases[0], dt.date(2025, 6, 11), "r0", tmp_path)
    bad = tmp_path / "bad.csv"
    # release 2 = release 1 where events 1..50 have a best that is not the sum of their deaths
    duckdb.execute(f"""copy (select * replace (case when id <= 50 then best + 1000 else best end as best,
                                               case when id <= 50 then high + 1000 else high end as high)
                             from read_csv('{releases[0]}')) to '{bad}' (header true)""")
    release = _load(con, bad, dt.date(2026, 6, 8), "r1", tmp_path, quarantine_cap=10)
    assert release.failures_by_check == {"best is not deaths_a + deaths_b + deaths_civilians + deaths_unknown": 50}
    assert release.rows_failed == 50 and release.quarantine_kept == 10
    assert (release.opened, release.closed) == (0, 0)     # the current versions of ids 1..50 stay
    kept = con.execute("select count(*), bool_and(kept_current) from meta.quarantine where run_id = 'r1'").fetchall()[0]
    assert kept == (10, True)
    assert json.loads(release.ledger()["failures_by_check"]) == release.failures_by_check


def test_duplicate_event_ids_are_quarantined(con, releases, tmp_path):
    dup = tmp_path / "dup.csv"
    duckdb.execute(f"""copy (select * from read_csv('{releases[0]}') union all
                             select * from read_csv('{releases[0]}') where id = 7) to '{dup}' (header true)""")
    release = _load(con, dup, dt.date(2025, 6, 11), "r0", tmp_path)
    assert release.failures_by_check == {"unique_key": 2} and release.rows_failed == 2
    assert release.opened == ROWS - 1
    reason = con.execute("select reason from meta.quarantine where check_name = 'unique_key'").fetchall()
    assert reason == [("event id 7 appears 2 times in the release: none of its rows is loaded",)]
    assert con.execute("select count(*) from history.ucdp_ged_events where id = 7").fetchall()[0][0] == 0


def test_a_first_release_keeps_its_failing_rows_out_of_the_history(con, releases, tmp_path):
    bad = tmp_path / "bad_first.csv"
    duckdb.execute(f"""copy (select * replace (case when id % 100 = 0 then -1 else deaths_a end as deaths_a)
                             from read_csv('{releases[0]}')) to '{bad}' (header true)""")
    release = _load(con, bad, dt.date(2025, 6, 11), "r0", tmp_path, quarantine_cap=5)
    failing = ROWS // 100
    assert release.rows_failed == failing and release.opened == ROWS - failing
    held = con.execute("select count(*), count(*) filter (where id % 100 = 0), count(line_hash) "
                       "from history.ucdp_ged_events").fetchall()[0]
    assert held == (ROWS - failing, 0, ROWS - failing)
    kept = con.execute("select count(*), bool_or(kept_current) from meta.quarantine where run_id = 'r0'").fetchall()[0]
    assert kept[0] == min(5, failing) * len(release.failures_by_check) and kept[1] is False   # nothing was current


def test_records_spanning_lines_keep_no_line_hashes_and_are_parsed_again(con, releases, tmp_path):
    multi = tmp_path / "multi.csv"
    duckdb.execute(f"""copy (select * replace (case when id = 3 then 'line one' || chr(10) || 'line two'
                                                    else where_description end as where_description)
                             from read_csv('{releases[0]}')) to '{multi}' (header true)""")
    first = _load(con, multi, dt.date(2025, 6, 11), "r0", tmp_path)
    assert first.opened == ROWS and any("records span several lines" in n for n in first.notes)
    assert con.execute("select count(line_hash) from history.ucdp_ged_events").fetchall()[0][0] == 0
    described = con.execute("select where_description from history.ucdp_ged_events where id = 3").fetchall()
    assert described == [("line one\nline two",)]
    again = _load(con, multi, dt.date(2026, 6, 8), "r1", tmp_path)
    assert (again.rows_parsed, again.opened, again.closed) == (ROWS, 0, 0)
