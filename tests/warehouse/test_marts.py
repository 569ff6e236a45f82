"""The marts on a warehouse built from the embedded mirror (real figures), with the plain
functions (no Prefect engine). Invented figures appear only in the copies the tests change."""
from __future__ import annotations

import datetime as dt
import re
import shutil

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest

from flows import pipeline
from flows.catalog import load_catalog
from flows.config import PROJECT_ROOT, REFERENCE_DIR, Paths, paths
from schemas.published import PUBLISHED, data_dictionary_markdown
from tests.helpers import query
from warehouse import marts as marts_module
from warehouse.load import finish_run, load_run, open_writer, previous_fetches
from warehouse.marts import MartError, build_marts


def mirror_warehouse(tmp_path_factory) -> Paths:
    """A warehouse built from the whole embedded mirror, once per test session (under the
    session's base temp folder); every caller gets its own copy of the DuckDB file."""
    base = tmp_path_factory.getbasetemp() / "mirror-warehouse"
    built = base / "data" / "ftf.duckdb"
    if not (base / "built").exists():
        shutil.rmtree(base, ignore_errors=True)
        where = paths(base / "data")
        catalog = list(load_catalog().values())
        pipeline.replay_vintages_if_new(where, catalog, "mirror")
        started = dt.datetime.now(dt.timezone.utc)
        run = pipeline.RunInfo(run_id=pipeline.new_run_id(started), mode="mirror", started_at=started,
                               trigger="test", parameters={})
        known = previous_fetches(where.db)
        outcomes = [pipeline.process(s, pipeline.fetch(s, mode="mirror", raw_store=where.raw,
                                                       previous=known.get(s.id), override=None, force=False))
                    for s in catalog]
        load_run(where.db, run, outcomes)
        con = open_writer(where.db)
        try:
            build_marts(con)
        finally:
            con.close()
        finish_run(where.db, run.run_id)
        (base / "built").touch()
    copy = paths(tmp_path_factory.mktemp("warehouse") / "data")
    shutil.copy2(built, copy.db)
    return copy


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return mirror_warehouse(tmp_path_factory)


def frame(home, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(home.db), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


# --------------------------------------------------------------------------- done-when checks
def test_returnee_rate_saudi_arabia_soufan_2017(home):
    row = frame(home, "select * from marts.returnee_rates where country_iso3 = 'SAU' and publication_id = 'soufan_2017_10'")
    assert len(row) == 1
    r = row.iloc[0]
    assert (r.travelled, r.returned, r.return_rate) == (3244, 760, 0.234)
    assert r.travelled_qualifier == "exact" and r.returned_qualifier == "exact"
    # Soufan 2017 was published before the first population vintage the warehouse holds (2017-10-26)
    assert r.population_basis == "current_fallback" and r.population_year == 2017
    current = query(home.db, "select value from core.population where country_iso3 = 'SAU' and year = 2017")[0][0]
    assert r.population == current
    assert r.travelled_per_million == pytest.approx(round(3244e6 / current, 3))
    assert r.returned_per_million == pytest.approx(round(760e6 / current, 3))
    assert "3244" in r.travelled_quote.replace(",", "") and r.travelled_document_url.startswith("http")


def test_headline_soufan_2017_stated_beside_warehouse_sum(home):
    h = frame(home, "select * from marts.headline_figures where publication_id = 'soufan_2017_10' and metric = 'returned'").iloc[0]
    assert h.stated_text == "at least 5,600 from 33 countries"
    assert (h.stated_qualifier, h.stated_value, h.stated_countries) == ("at_least", 5600, 33)
    # the warehouse's own sum: one accepted figure per country (the main reading; France 271, not 302)
    own = query(home.db, """
        select sum(value), count(*) from core.figures
        where publication_id = 'soufan_2017_10' and metric = 'returned' and area_kind = 'country'
          and review_status = 'accepted' and variant = ''""")[0]
    assert (h.warehouse_sum, h.warehouse_countries) == (own[0], own[1])
    assert h.gap == 5600 - own[0] and h.countries_gap == 33 - own[1]
    assert "5,600" in h.stated_quote


# --------------------------------------------------------------------------- rules
def test_best_estimate_is_the_latest_publication_with_its_qualifier(home):
    best = frame(home, "select * from marts.country_estimates").set_index(["country_iso3", "metric"])
    fra = best.loc[("FRA", "travelled")]
    assert (fra.best_publication_id, fra.value, fra.is_secondary) == ("elcano_2018", 1910, False)
    tun = best.loc[("TUN", "travelled")]
    assert (tun.best_publication_id, tun.value) == ("soufan_2017_10", 2926)
    # Soufan 2014 "more than 3,000" sets no upper bound: the span across publications has none
    assert pd.isna(tun.max_value) and tun.max_publication_id == "soufan_2014_06"
    assert (tun.min_value, tun.min_publication_id) == (382, "icsr_2013_12")  # low end of the 2013 range
    assert tun.range_qualifier == "at_least"
    assert tun.publications == 5 and tun.publication_ids.startswith("icsr_2013_12")
    bel = best.loc[("BEL", "returned")]
    assert (bel.qualifier, bel.value) == ("more_than", 102)  # "more than 102" stays "more than"
    assert best.loc[("FRA", "returned")].value == 271  # main reading, not the flagged variant 302
    aus = best.loc[("AUS", "travelled")]
    assert (aus.qualifier, aus.value_low, aus.value_high) == ("range", 100, 250) and pd.isna(aus.value)
    # the timeline's latest point is the best estimate, everywhere
    latest = frame(home, "select country_iso3, metric, publication_id from marts.estimate_timeline where is_latest")
    merged = latest.merge(best.reset_index(), on=["country_iso3", "metric"])
    assert len(merged) == len(best) and (merged.publication_id == merged.best_publication_id).all()


def test_estimate_timeline_orders_publications(home):
    fra = frame(home, "select * from marts.estimate_timeline where country_iso3 = 'FRA' and metric = 'travelled' "
                      "order by position")
    assert list(fra.position) == list(range(1, 8)) and (fra.series_length == 7).all()
    assert fra.published_on.is_monotonic_increasing
    assert list(fra.publication_id[:2]) == ["icsr_2013_12", "soufan_2014_06"]
    assert fra.is_latest.tolist() == [False] * 6 + [True]
    row = fra[fra.publication_id == "soufan_2015_12"].iloc[0]
    assert (row.previous_publication_id, row.previous_value, row.change_from_previous) == ("icsr_2015_01", 1200, 500)
    assert pd.isna(fra.iloc[1].change_from_previous)  # previous was a range
    returned = frame(home, "select readings from marts.estimate_timeline where country_iso3 = 'FRA' "
                           "and metric = 'returned' and publication_id = 'soufan_2017_10'")
    assert returned.readings.iloc[0] == 2  # 271 and the flagged 302


def test_source_comparison_disagreement(home):
    sc = frame(home, "select * from marts.source_comparison").set_index(["country_iso3", "metric"])
    tun = sc.loc[("TUN", "travelled")]
    assert tun.disagreement and tun.publications == 5
    assert "soufan_2015_12 2015-12-07: 6,000" in tun.values_by_publication
    assert "icsr_2015_01 2015-01-26: 1,500–3,000" in tun.values_by_publication
    assert tun.spread == round(6000 / 382, 2)
    egy = sc.loc[("EGY", "travelled")]
    assert egy.readings_differ and egy.flagged_conflict and "360–400 (afrigate)" in egy.values_by_publication
    fra = sc.loc[("FRA", "returned")]  # 246 (ICCT 2016) vs 271 (Soufan 2017): within 50 %
    assert not fra.disagreement and fra.readings_differ
    bhr = sc.loc[("BHR", "travelled")]
    assert not bhr.disagreement and bhr.spread == 1.0
    assert (sc.disagreement_ratio == 1.5).all()
    assert ((sc.publications >= 2) | sc.readings_differ).all()


def test_region_totals_members_as_of_reference_date(home):
    rt = frame(home, "select * from marts.region_totals").set_index(["region_code", "publication_id", "metric"])
    eu = rt.loc[("EU", "soufan_2017_10", "travelled")]
    members = query(home.db, """
        select sum(value), count(*) from core.figures
        where publication_id = 'soufan_2017_10' and metric = 'travelled' and review_status = 'accepted'
          and variant = '' and country_iso3 in ('AUT','BEL','DEU','FRA','GBR','NLD','ITA','ESP','SWE','DNK')""")[0]
    assert (eu.publisher_value, eu.publisher_qualifier) == (5718, "exact")
    assert (eu.member_sum, eu.countries_counted) == (members[0], members[1])
    assert eu.members_total == 28 and eu.members_missing == 28 - members[1]  # the UK was still a member
    assert eu.gap == 5718 - members[0] and "GBR" in eu.counted_members and "POL" in eu.missing_members
    # Croatia left the EU's "Western Balkans" on joining the EU (member_to 2013-06-30)
    wb = rt.loc[("WBALKANS", "soufan_2017_10", "travelled")]
    assert wb.members_total == 6 and "HRV" not in wb.missing_members
    assert pd.isna(wb.member_sum) and wb.countries_counted == 0 and pd.isna(wb.gap)
    world = rt.loc[("WLD", "soufan_2017_10", "returned")]
    assert (world.publisher_value, world.publisher_qualifier) == (5600, "at_least")
    assert pd.isna(world.members_total) and pd.isna(world.missing_members)
    # the warehouse's copy of the member lists
    lines = (REFERENCE_DIR / "region_members.csv").read_text(encoding="utf-8").strip().splitlines()
    assert query(home.db, "select count(*) from ref.region_members")[0][0] == len(lines) - 1
    assert query(home.db, "select member_to from ref.region_members where region_code = 'EU' "
                          "and country_iso3 = 'GBR'") == [(dt.date(2020, 1, 31),)]


def test_every_published_column_is_commented(home):
    comments = query(home.db, "select table_name, comment from duckdb_tables() where schema_name = 'marts'")
    assert {t for t, _ in comments} == set(PUBLISHED)
    for table, comment in comments:
        assert comment == PUBLISHED[table].to_schema().description
    missing = query(home.db, "select table_name, column_name from duckdb_columns() "
                             "where schema_name = 'marts' and (comment is null or comment = '')")
    assert missing == []


# --------------------------------------------------------------------------- invented data (copies only)
INVENTED = [
    # (source, publication, area, kind, metric, value, status, published_on): ZZZ is an invented country code
    ("test_source", "test_pub_2030", "SAU", "country", "travelled", 99999.0, "pending", "2030-01-01"),
    ("test_source", "test_pub_2030", "SAU", "country", "returned", 88888.0, "rejected", "2030-01-01"),
    ("test_source", "test_pub_a", "ZZZ", "country", "travelled", 100.0, "accepted", "2020-01-01"),
    ("test_source", "test_pub_b", "ZZZ", "country", "travelled", 150.0, "accepted", "2020-02-01"),
    ("test_source", "test_pub_a", "ZZZ", "country", "returned", 100.0, "accepted", "2020-01-01"),
    ("test_source", "test_pub_c", "ZZZ", "country", "returned", 151.0, "accepted", "2020-03-01"),
]


@pytest.fixture(scope="module")
def invented(tmp_path_factory):
    """A copy of the warehouse with a few invented figures inserted, marts rebuilt."""
    home = mirror_warehouse(tmp_path_factory)
    con = duckdb.connect(str(home.db))
    for i, (source, pub, area, kind, metric, value, status, published) in enumerate(INVENTED):
        con.execute("""
            insert into history.figures (key_hash, row_hash, source_id, publication_id, document_url, is_secondary,
                country_iso3, area_kind, country_as_published, metric, variant, value, qualifier, reference_date,
                published_on, quote, review_status, recorded_from, opened_by_run)
            values (?, ?, ?, ?, 'https://example.invalid/test', true, ?, ?, ?, ?, '', ?, 'exact', ?::DATE, ?::DATE,
                    'invented for a test', ?, now(), 'test')""",
                    [f"k{i}", f"r{i}", source, pub, area, kind, f"Invented {area}", metric, value, published,
                     published, status])
    build_marts(con)
    con.close()
    return home


def test_pending_and_rejected_claims_never_enter_estimates(home, invented):
    before = frame(home, "select * from marts.country_estimates where country_iso3 = 'SAU' order by metric")
    after = frame(invented, "select * from marts.country_estimates where country_iso3 = 'SAU' order by metric")
    cols = ["metric", "value", "best_publication_id", "publications", "max_value"]
    pd.testing.assert_frame_equal(before[cols], after[cols])
    assert (after.set_index("metric").pending_claims - before.set_index("metric").pending_claims).to_dict() == \
        {"returned": 0, "travelled": 1}
    for table in ("returnee_rates", "estimate_timeline", "source_comparison", "region_totals"):
        assert frame(invented, f"select count(*) n from marts.{table} where publication_id = 'test_pub_2030'"
                     if table != "source_comparison" else
                     "select count(*) n from marts.source_comparison where values_by_publication like '%test_pub_2030%'"
                     ).n[0] == 0
    pending = frame(invented, "select * from marts.pending_figures where publication_id = 'test_pub_2030'")
    assert len(pending) == 1 and pending.value[0] == 99999 and pending.area_name[0] == "Saudi Arabia"
    assert pd.isna(pending.accepted_value[0]) and pd.isna(pending.agrees_with_accepted[0])
    assert frame(invented, "select count(*) n from marts.pending_figures where value = 88888").n[0] == 0


def test_disagreement_threshold_is_one_and_a_half(invented):
    sc = frame(invented, "select * from marts.source_comparison where country_iso3 = 'ZZZ'").set_index("metric")
    assert not sc.loc["travelled"].disagreement          # 150 = 1.5 × 100
    assert sc.loc["returned"].disagreement                # 151 > 1.5 × 100
    assert sc.loc["returned"].contemporary_disagreement   # two months apart
    assert sc.loc["travelled"].country_name == "Invented ZZZ"
    rates = frame(invented, "select * from marts.returnee_rates where country_iso3 = 'ZZZ' order by publication_id")
    assert rates.return_rate.tolist()[0] == 1.0 and pd.isna(rates.population.iloc[0])


# --------------------------------------------------------------------------- contracts reject violations
def test_contracts_reject_bad_frames(home):
    good = frame(home, "select * from marts.returnee_rates")
    PUBLISHED["returnee_rates"].validate(good)
    bad = good.copy()
    i = bad.index[bad.return_rate.notna()][0]
    bad.loc[i, "return_rate"] = 0.9
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors), match="return_rate is not returned / travelled|return_rate lies outside"):
        PUBLISHED["returnee_rates"].validate(bad)
    bad = good.copy()
    bad.loc[bad.index[0], "travelled_qualifier"] = "roughly"
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):
        PUBLISHED["returnee_rates"].validate(bad)
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):  # strict: an unannounced column is a breaking change
        PUBLISHED["returnee_rates"].validate(good.assign(extra=1))
    est = frame(home, "select * from marts.country_estimates")
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):  # one best estimate per country × metric
        PUBLISHED["country_estimates"].validate(pd.concat([est, est.head(1)], ignore_index=True))


def test_build_marts_rolls_back_on_a_contract_violation(tmp_path, tmp_path_factory, monkeypatch):
    home = mirror_warehouse(tmp_path_factory)
    models = tmp_path / "marts"
    shutil.copytree(marts_module.MARTS_DIR, models)
    sql = (models / "returnee_rates.sql").read_text(encoding="utf-8")
    broken = sql.replace("round(d.returned / nullif(d.travelled, 0), 3) as return_rate",
                         "round(d.returned / nullif(d.travelled, 0), 3) + 1 as return_rate")
    assert broken != sql
    (models / "returnee_rates.sql").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(marts_module, "MARTS_DIR", models)
    con = duckdb.connect(str(home.db))
    try:
        before = con.execute("select count(*), sum(return_rate) from marts.returnee_rates").fetchone()
        with pytest.raises(MartError, match="marts.returnee_rates breaks its contract"):
            build_marts(con)
        assert con.execute("select count(*), sum(return_rate) from marts.returnee_rates").fetchone() == before
        (models / "unexplained.sql").write_text("select 1 as x", encoding="utf-8")
        with pytest.raises(MartError, match="without a contract"):
            build_marts(con)
    finally:
        con.close()


# --------------------------------------------------------------------------- documentation
def test_data_dictionary_lists_every_table_and_column():
    text = data_dictionary_markdown()
    for name, model in PUBLISHED.items():
        assert f"### `marts.{name}`" in text
        for column, spec in model.to_schema().columns.items():
            assert spec.description, f"{name}.{column} has no description"
            assert f"| `{column}` |" in text


def test_readme_documents_every_published_column():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    if "`marts.country_estimates`" not in readme:
        pytest.skip("README.md has no data dictionary yet: paste schemas.published.data_dictionary_markdown()")
    for name, model in PUBLISHED.items():
        match = re.search(rf"^#+ `marts\.{name}`\n(.*?)(?=^#+ |\Z)", readme, flags=re.S | re.M)
        assert match, f"README.md lacks a section for marts.{name}"
        for column in model.to_schema().columns:
            assert f"`{column}`" in match.group(1), f"README.md does not document {name}.{column}"
