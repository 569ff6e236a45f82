"""The ucdp_ged source: declared layout, header and zip handling, publication date, mirror mode."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest

from bench.ged_generate import generate
from flows import pipeline
from flows.extractors.events import has_header, layout, prepare_release, publication_date, resolve_country
from flows.fetch import FetchResult
from schemas.validate import SourceError
from warehouse.events import SQL_DIR


@pytest.fixture()
def ged(catalog):
    return catalog["ucdp_ged"]


def test_layout_is_the_49_ged_columns_and_the_sql_reads_the_same(ged):
    names = [n for n, _ in layout(ged)]
    assert len(names) == 49 and names[:3] == ["id", "relid", "year"] and names[-2:] == ["gwnoa", "gwnob"]
    for name in ("stage", "stage_typed"):
        sql = (SQL_DIR / f"{name}.sql").read_text()
        # the SQL keeps no copy of the layout: it reads the one source.toml declares, bound as $columns
        assert "columns = $columns" in sql and not re.search(r"'relid': '\w+'", sql), name


def test_mirror_mode_skips_with_one_line(ged, tmp_path):
    fetched = pipeline.fetch(ged, mode="mirror", raw_store=tmp_path, previous=None)
    outcome = pipeline.process(ged, fetched)
    assert outcome.status == "skipped" and outcome.fetch is None
    assert len(outcome.notes) == 1 and "\n" not in outcome.notes[0] and "--url ucdp_ged=" in outcome.notes[0]


def test_a_zipped_release_is_streamed_out_and_checked(ged, tmp_path):
    csv_path = generate(tmp_path / "GEDEvent_v99_1.csv", 50)
    archive = tmp_path / "ged991-csv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(csv_path, "GEDEvent_v99_1.csv")
    fetched = pipeline.fetch(ged, mode="live", raw_store=tmp_path / "raw", previous=None, override=str(archive))
    assert fetched.status == "fetched" and fetched.body is None and fetched.raw_path.exists()
    release = prepare_release(ged, fetched)
    assert release.path.read_bytes() == csv_path.read_bytes() and release.has_header
    assert list(release.columns.items()) == layout(ged)
    assert release.path.parent.parent == tmp_path / "raw"


def test_header_checks(ged, tmp_path):
    path = generate(tmp_path / "r.csv", 5)
    lines = path.read_text().splitlines()
    headless = tmp_path / "headless.csv"
    headless.write_text("\n".join(lines[1:]) + "\n")
    def line_1(p):
        return p.read_bytes().split(b"\n", 1)[0]

    assert has_header(ged, line_1(path)) and not has_header(ged, line_1(headless))
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(lines[0].replace("relid", "rel_id") + "\n" + "\n".join(lines[1:]))
    with pytest.raises(SourceError, match=r"^ucdp_ged: line 1, column 2: header 'rel_id' where the layout has 'relid'$"):
        has_header(ged, line_1(renamed))


def test_publication_date_from_catalog_then_last_modified(ged):
    def fetched(url, modified):
        return FetchResult("ucdp_ged", url, "live", "fetched", 200, 1, "0" * 64, None, modified, True,
                           dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc), None, None, 1)
    assert publication_date(ged, fetched("https://ucdp.uu.se/downloads/ged/ged251-csv.zip", None)) == dt.date(2025, 6, 11)
    assert publication_date(ged, fetched("http://x/y.csv", "Mon, 08 Jun 2026 10:00:00 GMT")) == dt.date(2026, 6, 8)
    assert publication_date(ged, fetched("http://x/y.csv", None)) == dt.date(2026, 11, 29)


@pytest.mark.parametrize("name,iso3", [("Yemen (North Yemen)", "YEM"), ("DR Congo (Zaire)", "COD"),
                                       ("Russia (Soviet Union)", "RUS"), ("Syria", "SYR"), ("Atlantis", None)])
def test_ged_country_names(name, iso3):
    assert resolve_country(name) == iso3


def test_a_delta_whose_base_left_the_raw_store_fails_the_source_in_one_line(ged, tmp_path):
    from flows import line_delta
    from flows.fetch import PreviousFetch

    store = tmp_path / "raw"
    first, later = (generate(tmp_path / f"r{r}.csv", 2000, seed=4, revision=r) for r in (0, 1))
    fetched = pipeline.fetch(ged, mode="live", raw_store=store, previous=None, override=str(first))
    previous = PreviousFetch(sha256=fetched.sha256, release_sha256=fetched.sha256)
    again = pipeline.fetch(ged, mode="live", raw_store=store, previous=previous, override=str(later))
    assert again.status == "fetched" and line_delta.delta_path(again.raw_path).is_file()
    assert prepare_release(ged, again).base_sha256 == fetched.sha256
    fetched.raw_path.unlink()
    with pytest.raises(SourceError, match=r"^ucdp_ged: cannot read the stored release: \w+ is not in the raw store$"):
        prepare_release(ged, again)
