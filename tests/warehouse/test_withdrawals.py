"""Withdrawals are recorded, never silent (closed_reason), and quarantine never erases: plain
pipeline functions on copies of real mirror documents, changed in tmp."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.config import paths
from tests.helpers import query
from tests.warehouse.test_snapshots import T0, _figure, _warehouse
from tests.warehouse.test_three_clocks import NOW, load_document
from warehouse.snapshots import apply_figures, withdraw_sources

EARLIER = NOW - dt.timedelta(days=2)


# --------------------------------------------------------------------------- withdrawn
@pytest.fixture(scope="module")
def withdrawal(tmp_path_factory, catalog):
    """Two sources loaded; then a run whose catalog no longer has icsr_2013_12."""
    home = paths(tmp_path_factory.mktemp("withdrawal") / "data")
    both = ["icsr_2013_12", "icsr_2015_01"]
    for source_id in both:
        first, _ = load_document(home, catalog[source_id], catalog[source_id].mirror_path, at=EARLIER,
                                 catalog_ids=both)
    current = query(home.db, "select count(*) from core.figures where source_id = 'icsr_2013_12'")[0][0]
    kept = query(home.db, "select count(*) from core.figures where source_id = 'icsr_2015_01'")[0][0]
    run, outcomes = load_document(home, catalog["icsr_2015_01"], catalog["icsr_2015_01"].mirror_path, at=NOW,
                                  catalog_ids=["icsr_2015_01"])
    return {"home": home, "first": first, "run": run, "outcomes": outcomes, "current": current, "kept": kept}


def test_a_source_that_leaves_the_catalog_is_withdrawn_by_the_next_run(withdrawal):
    home, run, current = withdrawal["home"], withdrawal["run"], withdrawal["current"]
    assert current > 0
    withdrawn = [o for o in withdrawal["outcomes"] if o.status == "withdrawn"]
    assert [(o.source_id, o.kind, o.closed) for o in withdrawn] == [("icsr_2013_12", "figures", current)]
    assert f"{current} current version(s) closed as withdrawn" in withdrawn[0].notes[0]
    assert query(home.db, "select count(*) from core.figures where source_id = 'icsr_2013_12'") == [(0,)]
    assert query(home.db, "select count(*) from core.figures where source_id = 'icsr_2015_01'") == [(withdrawal["kept"],)]
    assert query(home.db, "select closed_reason, closed_by_run, count(*) from history.figures "
                          "where source_id = 'icsr_2013_12' group by all") == [("withdrawn", run.run_id, current)]
    # Qatar's bad row in ICSR 2013 never had a version: its quarantine kept nothing current
    assert query(home.db, "select kept_current from meta.quarantine where source_id = 'icsr_2013_12'") == [(False,)]
    summary = json.loads(query(home.db, "select sources from meta.runs where run_id = ?", [run.run_id])[0][0])
    assert summary["icsr_2013_12"]["status"] == "withdrawn"
    assert summary["icsr_2013_12"]["versions_closed"] == current


def test_diff_and_history_show_why_versions_were_closed(withdrawal, monkeypatch):
    monkeypatch.setenv("FTF_HOME", str(withdrawal["home"].home))
    runs = [withdrawal["first"].run_id, withdrawal["run"].run_id]
    out = CliRunner().invoke(app, ["diff", *runs, "--format", "json"])
    assert out.exit_code == 0, out.output
    closed = [r for r in json.loads(out.output) if r["change"] == "closed"]
    assert len(closed) == withdrawal["current"]
    assert {r["closed_reason"] for r in closed} == {"withdrawn"}
    assert {r["what"].split(" | ")[0] for r in closed} == {"icsr_2013_12"}
    table = CliRunner().invoke(app, ["diff", *runs])
    assert table.exit_code == 0 and "withdrawn" in table.output
    history = CliRunner().invoke(app, ["history", "Tunisia", "--format", "json"])
    reasons = {(r["publication_id"], r["closed_reason"]) for r in json.loads(history.output)}
    assert reasons == {("icsr_2013_12", "withdrawn"), ("icsr_2015_01", None)}


def test_an_empty_catalog_withdraws_nothing():
    con = _warehouse()
    apply_figures(con, pd.DataFrame([_figure("ed_2017", "TUN", 2926.0)]), run_id="r1", recorded_from=T0)
    assert withdraw_sources(con, [], run_id="r2", recorded_at=T0 + dt.timedelta(days=1)) == {}
    assert con.execute("select count(*) from core.figures").fetchall() == [(1,)]


# --------------------------------------------------------------------------- removed / rejected
def test_a_publication_gone_from_the_source_that_carried_it_is_removed_from_source():
    con = _warehouse()
    relayed = [_figure("soufan_2017", "TUN", 2926.0), _figure("icsr_2015", "TUN", 1500.0)]
    apply_figures(con, pd.DataFrame(relayed), run_id="r1", recorded_from=T0)
    apply_figures(con, pd.DataFrame([_figure("ed_2019", "TUN", 4000.0, source_id="other")]), run_id="r2",
                  recorded_from=T0 + dt.timedelta(days=1))
    result = apply_figures(con, pd.DataFrame(relayed[:1]), run_id="r3", recorded_from=T0 + dt.timedelta(days=2))
    assert (result.opened, result.closed) == (0, 1)
    assert con.execute("select publication_id, closed_reason, closed_by_run from history.figures "
                       "where recorded_to is not null").fetchall() == [("icsr_2015", "removed_from_source", "r3")]
    # another source's later publication is not a withdrawal of anything
    assert sorted(con.execute("select source_id, publication_id from core.figures").fetchall()) == [
        ("other", "ed_2019"), ("src", "soufan_2017")]


def test_a_claim_a_reviewer_rejects_is_closed_as_rejected_in_review():
    con = _warehouse()
    apply_figures(con, pd.DataFrame([_figure("news", "FRA", 271.0, review_status="pending"),
                                     _figure("news", "BEL", 120.0, review_status="pending")]),
                  run_id="r1", recorded_from=T0)
    apply_figures(con, pd.DataFrame([_figure("news", "FRA", 271.0, review_status="rejected"),
                                     _figure("news", "BEL", 125.0, review_status="pending")]),
                  run_id="r2", recorded_from=T0 + dt.timedelta(days=1))
    assert sorted(con.execute("select country_iso3, closed_reason from history.figures "
                              "where recorded_to is not null").fetchall()) == [("BEL", "revised"),
                                                                              ("FRA", "rejected_in_review")]
    published = con.execute("select country_iso3 from figures_published_by(DATE '2018-01-01')").fetchall()
    assert published == [("BEL",)]


# --------------------------------------------------------------------------- quarantine never erases
def _rewrite_csv(path, change):
    """Rewrite a CSV row by row: change(row) returns the row, or None to drop it."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(r for r in (rows[:1] + [change(r) for r in rows[1:]]) if r)
    path.write_text(out.getvalue(), encoding="utf-8")


def _current_version(db, table, where):
    return query(db, f"select opened_by_run, recorded_to from {table} where recorded_to is null and {where}")


def test_quarantined_transcription_rows_keep_their_current_figures(tmp_path, catalog):
    home = paths(tmp_path / "data")
    source = catalog["soufan_2017_10"]
    copy = tmp_path / "soufan.csv"
    shutil.copy(source.mirror_path, copy)
    first, _ = load_document(home, source, copy, at=EARLIER)

    def damage(row):
        if row[1:5] == ["Tunisia", "", "travelled", ""]:
            return row[:6] + ["29x6"] + row[7:]                        # raw: not a number
        if row[1:5] == ["Jordan", "", "travelled", ""]:
            return [row[0], "Jordxn"] + row[2:]                         # harmonisation: unknown country
        if row[1:5] == ["France", "", "travelled", ""]:
            return row[:5] + ["range", "", "2000", "1000"] + row[9:]    # figure model: low > high
        if row[1:5] == ["Russia", "", "returned", ""]:
            return None                                                 # a row really gone
        return row
    _rewrite_csv(copy, damage)
    second, outcomes = load_document(home, source, copy, at=NOW)

    stages = query(home.db, "select stage, run_id, kept_current from meta.quarantine "
                            "where source_id = 'soufan_2017_10' order by 1")
    assert stages == [("canonical", second.run_id, True), ("harmonise", second.run_id, True),
                      ("raw", second.run_id, True)]
    for iso3 in ("TUN", "JOR", "FRA"):
        where = f"source_id = 'soufan_2017_10' and country_iso3 = '{iso3}' and metric = 'travelled'"
        assert _current_version(home.db, "history.figures", where) == [(first.run_id, None)], iso3
    assert query(home.db, "select closed_reason from history.figures where country_iso3 = 'RUS' "
                          "and metric = 'returned'") == [("removed_from_source",)]
    assert any("kept 3 current version(s)" in n for n in outcomes[0].notes), outcomes[0].notes
    assert outcomes[0].closed == 1


def test_a_quarantined_population_value_keeps_its_current_version(tmp_path, catalog):
    home = paths(tmp_path / "data")
    source = catalog["worldbank_population"]
    copy = tmp_path / "population.csv"
    shutil.copy(source.mirror_path, copy)
    first, _ = load_document(home, source, copy, at=EARLIER)
    _rewrite_csv(copy, lambda r: (r[:3] + ["19 million"]) if r[1:3] == ["SYR", "2015"]
                 else None if r[1:3] == ["ABW", "1960"] else r)
    second, outcomes = load_document(home, source, copy, at=NOW)
    assert query(home.db, "select stage, column_name, run_id, kept_current from meta.quarantine") == [
        ("raw", "Value", second.run_id, True)]
    assert _current_version(home.db, "history.population", "country_iso3 = 'SYR' and year = 2015") == [
        (first.run_id, None)]
    assert query(home.db, "select closed_reason from history.population where country_iso3 = 'ABW' and year = 1960") \
        == [("removed_from_source",)]
    assert (outcomes[0].opened, outcomes[0].closed) == (0, 1)


def test_a_quarantined_country_row_keeps_its_current_version(tmp_path, catalog):
    home = paths(tmp_path / "data")
    source = catalog["country_codes"]
    copy = tmp_path / "country-codes.csv"
    shutil.copy(source.mirror_path, copy)
    first, _ = load_document(home, source, copy, at=EARLIER)
    header = next(csv.reader(io.StringIO(copy.read_text(encoding="utf-8"))))
    iso3, numeric = header.index("ISO3166-1-Alpha-3"), header.index("ISO3166-1-numeric")
    _rewrite_csv(copy, lambda r: r[:numeric] + ["25000"] + r[numeric + 1:] if r[iso3] == "FRA" else r)
    second, outcomes = load_document(home, source, copy, at=NOW)
    assert query(home.db, "select stage, run_id, kept_current from meta.quarantine") == [("raw", second.run_id, True)]
    assert _current_version(home.db, "history.countries", "country_iso3 = 'FRA'") == [(first.run_id, None)]
    assert (outcomes[0].opened, outcomes[0].closed) == (0, 0)
    assert any("kept 1 current version(s)" in n for n in outcomes[0].notes), outcomes[0].notes


def test_the_key_of_a_quarantined_row_is_read_as_far_as_it_can_be(catalog):
    """A bad value leaves the key readable (only that key is kept); a bad key part makes the row's
    key unknown, and an unknown part matches every value: when in doubt a version is kept."""
    from flows.pipeline import quarantined_keys
    from schemas.validate import quarantine_frame

    def quarantined(row, column):
        return {"source_id": "worldbank_population", "stage": "raw", "source_row": 5, "row_json": json.dumps(row),
                "column_name": column, "check_name": "str_matches", "reason": "bad cell"}
    keys = quarantined_keys(catalog["worldbank_population"], quarantine_frame([
        quarantined({"Country Name": "Syria", "Country Code": "SYR", "Year": "2015", "Value": "19 million"}, "Value"),
        quarantined({"Country Name": "Syria", "Country Code": "SYR", "Year": "20x5", "Value": "1"}, "Year")]))
    assert keys.to_dict("records") == [{"source_id": "worldbank_population", "country_iso3": "SYR", "year": "2015"},
                                       {"source_id": "worldbank_population", "country_iso3": None, "year": None}]
