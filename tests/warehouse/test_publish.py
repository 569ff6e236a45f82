"""The published bundle: manifest, Parquet/CSV, datapackage.json (validated with frictionless),
report.html + PNG charts, previous/, and delivery to another place through fsspec."""
from __future__ import annotations

import hashlib
import json
import uuid

import duckdb
import fsspec
import pytest

from flows.catalog import load_catalog
from schemas.published import PUBLISHED
from tests.warehouse.test_marts import mirror_warehouse
from warehouse.datapackage import datapackage_extra
from warehouse.publish import MANIFEST, PREVIOUS, publish
from warehouse.report import CHARTS_DIR, REPORT, report_extra, report_markdown

CHARTS = ["top_travelled", "top_returned", "return_rates", "per_million", "timelines"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """Two runs published one after the other, each also delivered to memory:// ."""
    home = mirror_warehouse(tmp_path_factory)
    sources = list(load_catalog().values())
    url = f"memory://ftf-test-{uuid.uuid4().hex[:8]}/published"
    con = duckdb.connect(str(home.db))
    try:
        first = publish(con, home.published, run_id="run-one", publish_to=url,
                        extra=[datapackage_extra(sources, con), report_extra(con, sources)])
        # the run that validated last (run ids sort by the second only: a backfill replayed in the
        # same second as the run after it may sort either way)
        run_id = con.execute("select run_id from meta.validation order by checked_at desc limit 1").fetchone()[0]
        second = publish(con, home.published, run_id=run_id, publish_to=url,
                         extra=[datapackage_extra(sources, con), report_extra(con, sources)])
        markdown = report_markdown(con, (home.published / REPORT).as_uri(), second)
    finally:
        con.close()
    yield home, first, second, url, markdown
    fs, root = fsspec.core.url_to_fs(url)
    fs.rm(root.rsplit("/", 1)[0], recursive=True)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_rows_and_checksums_match_the_files(bundle):
    home, _, second, _, _ = bundle
    manifest = json.loads((home.published / MANIFEST).read_text())
    assert manifest == second
    assert set(manifest) == {"run_id", "generated_at", "tables"}
    assert {t["name"] for t in manifest["tables"]} == set(PUBLISHED)
    for table in manifest["tables"]:
        assert set(table) == {"name", "rows", "columns", "files", "sha256"}
        parquet, csv = home.published / table["files"]["parquet"], home.published / table["files"]["csv"]
        assert duckdb.sql(f"select count(*) from read_parquet('{parquet}')").fetchall()[0][0] == table["rows"]
        assert duckdb.sql(f"select count(*) from read_csv('{csv}')").fetchall()[0][0] == table["rows"]
        assert sha256(parquet) == table["sha256"]["parquet"] and sha256(csv) == table["sha256"]["csv"]
        assert [c["name"] for c in table["columns"]] == list(PUBLISHED[table["name"]].to_schema().columns)


def test_datapackage_is_valid_and_documented(bundle):
    import frictionless

    home, _, _, _, _ = bundle
    report = frictionless.validate(str(home.published / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    package = json.loads((home.published / "datapackage.json").read_text())
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == set(PUBLISHED) | {f"{name}_csv" for name in PUBLISHED} | {"validation_ledger", "quarantine"}
    rates = resources["returnee_rates"]
    schema = PUBLISHED["returnee_rates"].to_schema()
    assert rates["description"] == schema.description
    fields = {f["name"]: f for f in rates["schema"]["fields"]}
    assert fields["return_rate"]["type"] == "number"
    assert fields["return_rate"]["description"] == schema.columns["return_rate"].description
    assert fields["published_on"]["type"] == "date" and fields["country_iso3"]["constraints"]["required"]
    assert rates["schema"]["primaryKey"] == ["country_iso3", "publication_id"]
    assert resources["returnee_rates_csv"]["hash"] == f"sha256:{sha256(home.published / 'returnee_rates.csv')}"
    assert {s["id"] for s in package["sources"]} == set(load_catalog())
    assert {l["name"] for l in package["licenses"]} == {"CC-BY-4.0", "ODC-PDDL-1.0"}
    assert package["version"] == bundle[2]["run_id"]


def test_datapackage_carries_the_validation_ledger_and_the_quarantine(bundle):
    """The checks ship with the data: every source × model the warehouse validated its current
    document with (rows checked, rows failed), and every quarantined row with its check and reason,
    as resources that frictionless validated above."""
    home, _, second, _, _ = bundle
    package = json.loads((home.published / "datapackage.json").read_text())
    resources = {r["name"]: r for r in package["resources"]}
    ledger, quarantine = resources["validation_ledger"], resources["quarantine"]
    assert ledger["path"] == "checks/validation_ledger.csv" and quarantine["path"] == "checks/quarantine.csv"
    for resource in (ledger, quarantine):
        assert resource["hash"] == f"sha256:{sha256(home.published / resource['path'])}"
        assert all(f.get("description") for f in resource["schema"]["fields"])
    published = duckdb.sql(f"select * from read_csv('{home.published / ledger['path']}')").df()
    con = duckdb.connect(str(home.db), read_only=True)
    try:
        validated = {r[0] for r in con.execute("select distinct source_id from meta.validation").fetchall()}
        rejected = con.execute("select count(*) from meta.quarantine").fetchone()[0]
        models = con.execute("select count(distinct model) from meta.validation where source_id = 'icsr_2015_01'").fetchone()[0]
    finally:
        con.close()
    # every source validated, each with the models of one run only (its current document)
    assert set(published["source_id"]) == validated and len(validated) >= 10
    assert published.groupby("source_id")["run_id"].nunique().max() == 1
    assert len(published[published["source_id"] == "icsr_2015_01"]) == models >= 2
    assert (published["rows_passed"] == published["rows_checked"] - published["rows_failed"]).all()
    # the mirror's known bad rows: icsr_2015_01 rows without a value fail a check and are kept
    assert published.loc[published["source_id"] == "icsr_2015_01", "rows_failed"].sum() >= 1
    rows = duckdb.sql(f"select * from read_csv('{home.published / quarantine['path']}', all_varchar=true)").df()
    assert len(rows) == rejected >= 1
    icsr = rows[rows["source_id"] == "icsr_2015_01"]
    assert len(icsr) >= 1 and icsr["reason"].str.contains("needs a value").all()
    assert all(json.loads(text) for text in rows["row_json"])
    assert published["checked_in_this_run"].any()  # the run id published is the last run that validated


def test_previous_bundle_is_kept(bundle):
    home, first, _, _, _ = bundle
    previous = home.published / PREVIOUS
    assert json.loads((previous / MANIFEST).read_text()) == first
    assert (previous / REPORT).exists() and (previous / "datapackage.json").exists()
    assert sorted(p.name for p in (previous / CHARTS_DIR).iterdir()) == sorted(f"{c}.png" for c in CHARTS)
    assert not (previous / PREVIOUS).exists()
    assert (previous / "checks" / "quarantine.csv").exists()


def test_publish_to_delivers_through_fsspec(bundle, tmp_path):
    home, first, second, url, _ = bundle
    fs, root = fsspec.core.url_to_fs(url)
    assert json.loads(fs.cat(f"{root}/{MANIFEST}")) == second
    assert json.loads(fs.cat(f"{root}/{PREVIOUS}/{MANIFEST}")) == first
    for table in second["tables"]:
        for kind in ("parquet", "csv"):
            body = fs.cat(f"{root}/{table['files'][kind]}")
            assert hashlib.sha256(body).hexdigest() == table["sha256"][kind]
    assert fs.exists(f"{root}/{REPORT}") and fs.exists(f"{root}/{CHARTS_DIR}/timelines.png")
    assert not fs.exists(f"{root}/{PREVIOUS}/{PREVIOUS}")
    # a local folder, given as a file:// URL
    from warehouse.publish import deliver
    target = tmp_path / "elsewhere"
    deliver(home.published, target.as_uri())
    assert json.loads((target / MANIFEST).read_text()) == second
    assert not (target / PREVIOUS).exists()


def test_report_is_one_self_contained_file_with_png_charts(bundle):
    home, _, _, _, _ = bundle
    page = (home.published / REPORT).read_text(encoding="utf-8")
    assert "<script src" not in page and "<link " not in page and "@import" not in page
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    for chart in ["top_travelled", "top_returned", "return_rates", "per_million", "country_timeline",
                  "timeline_RUS", "timeline_TUN"]:
        assert f'id="chart-{chart}"' in page
    for chart in CHARTS:
        png = (home.published / CHARTS_DIR / f"{chart}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "at least 5,600 from 33 countries" in page
    assert "soufan_2017_10" in page and "icsr_2015_01" in page  # freshness table lists the sources


def test_report_markdown_links_the_report_with_headline_numbers(bundle):
    home, _, second, _, markdown = bundle
    assert f"({(home.published / REPORT).as_uri()})" in markdown
    assert "| soufan_2017_10 | returned | at least 5,600 from 33 countries |" in markdown
    assert "Saudi Arabia | 3,244 | soufan_2017_10 | 760 |" in markdown
    assert second["run_id"] in markdown


def test_publish_task_leaves_a_markdown_artifact_linking_the_report(prefect_harness, tmp_path_factory):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.refresh import publish_task

    home = mirror_warehouse(tmp_path_factory)

    @flow
    def publish_only():
        return publish_task(home.db, home.published, "run-artifact", None, list(load_catalog().values()))

    assert publish_only()["run_id"] == "run-artifact"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["refresh-report"])))
    markdown = [a.data for a in artifacts if "run-artifact" in (a.data or "")]
    assert markdown and f"]({(home.published / REPORT).resolve().as_uri()})" in markdown[0]
    assert "at least 5,600 from 33 countries" in markdown[0]


def test_report_is_built_from_empty_marts(tmp_path, tmp_path_factory):
    """A warehouse without figures yet (or a run of one source) still gets a report and its PNGs."""
    from warehouse.marts import build_marts
    from warehouse.report import write_report

    home = mirror_warehouse(tmp_path_factory)
    con = duckdb.connect(str(home.db))
    try:
        con.execute("delete from history.figures")
        build_marts(con)
        written = write_report(con, tmp_path, {"run_id": "empty", "generated_at": "2026-01-01T00:00:00+00:00",
                                               "tables": []})
    finally:
        con.close()
    assert sorted(p.name for p in written) == sorted([f"{c}.png" for c in CHARTS] + [REPORT])
    assert "No figures in the warehouse for this chart yet." in (tmp_path / REPORT).read_text(encoding="utf-8")


def test_checks_csv_neutralises_formula_cells(tmp_path, tmp_path_factory):
    """A rejected row's reason or text that starts like a formula reaches the checks CSV as text."""
    import shutil

    from warehouse.datapackage import export_checks

    home = mirror_warehouse(tmp_path_factory)
    db = tmp_path / "w.duckdb"
    shutil.copy2(home.db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("insert into meta.quarantine (run_id, source_id, stage, source_row, row_json, column_name, "
                    "check_name, reason, quarantined_at) values ('r', 'icsr_2015_01', 'raw', 7, '{}', 'country', "
                    "'not_nullable', '=HYPERLINK(\"http://x\")', now())")
        entries = export_checks(con, tmp_path, "r")
    finally:
        con.close()
    assert [e["name"] for e in entries] == ["validation_ledger", "quarantine"]
    text = (tmp_path / "checks" / "quarantine.csv").read_text(encoding="utf-8")
    assert "\"'=HYPERLINK(\"\"http://x\"\")\"" in text and ",=HYPERLINK" not in text
