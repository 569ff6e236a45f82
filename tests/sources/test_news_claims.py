"""The news report as a source: figures read out of its text, pending until an analyst decides."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from flows.catalog import load_source
from flows.cli import app
from flows.extractors.claims import quote_sha256
from schemas.validate import SourceError
from tests.helpers import extract, mirror_bytes

SOURCE_ID = "news_2017_10_25_reportfocus"


@pytest.fixture(scope="module")
def news(catalog):
    source = catalog[SOURCE_ID]
    return source, extract(source, mirror_bytes(source))


def test_every_figure_of_the_report_is_pending_and_traceable(news):
    source, out = news
    f = out.frame.set_index(["country_iso3", "metric"])
    assert f.loc[("SAU", "returned"), "value"] == 760
    assert f.loc[("SAU", "travelled"), "value"] == 3244
    assert f.loc[("RUS", "returned"), "share"] == pytest.approx(0.10)
    assert f.loc[("RUS", "returned"), "share_of"] == "travelled"
    assert f.loc[("WLD", "returned"), "qualifier"] == "at_least"
    assert f.loc[("WLD", "returned"), "countries_count"] == 33
    assert f.loc[("EU", "returned"), "area_kind"] == "region"
    assert set(out.frame["review_status"]) == {"pending"}
    assert (out.frame["publication_id"] == "soufan_2017_10").all() and out.frame["is_secondary"].all()
    assert (out.frame["document_url"] == source.original_url).all()
    for quote in out.frame["quote"]:
        assert quote in mirror_bytes(source).decode()


def test_unresolved_figures_are_quarantined_not_guessed(news):
    _, out = news
    reasons = list(out.quarantine["reason"])
    assert any("'5,700'" in r and "no area" in r for r in reasons)


def _copy_with_decisions(tmp_path, catalog, rows: list[str]):
    folder = tmp_path / SOURCE_ID
    shutil.copytree(catalog[SOURCE_ID].folder, folder)
    with (folder / "decisions.csv").open("a", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in rows)
    return load_source(folder)


def test_analyst_decisions_survive_re_extraction(tmp_path, catalog, news):
    _, out = news
    sau = out.frame[(out.frame.country_iso3 == "SAU") & (out.frame.metric == "returned")].iloc[0]
    tun = out.frame[(out.frame.country_iso3 == "TUN") & (out.frame.metric == "returned")].iloc[0]
    source = _copy_with_decisions(tmp_path, catalog, [
        f"SAU,returned,,{quote_sha256(sau.quote)},accepted,analyst,2026-11-24,checked against the report",
        f"TUN,returned,,{quote_sha256(tun.quote)},rejected,analyst,2026-11-24,test decision",
    ])
    for _ in range(2):  # the same decisions apply on every run
        again = extract(source, mirror_bytes(source)).frame.set_index(["country_iso3", "metric"])["review_status"]
        assert again[("SAU", "returned")] == "accepted"
        assert again[("TUN", "returned")] == "rejected"
        assert again[("RUS", "travelled")] == "pending"


def test_bad_decision_names_file_row_and_column(tmp_path, catalog):
    source = _copy_with_decisions(tmp_path, catalog, ["SAU,returned,,abc,approved,analyst,2026-11-24,"])
    with pytest.raises(SourceError, match=r"decisions.csv row 2, column 'decision': 'approved'"):
        extract(source, mirror_bytes(source))


def test_ftf_claims_prints_every_figure_as_jsonl(catalog):
    path = catalog[SOURCE_ID].mirror_path
    out = CliRunner().invoke(app, ["claims", str(path), "--format", "jsonl"])
    assert out.exit_code == 0, out.output
    claims = [json.loads(line) for line in out.output.splitlines()]
    got = {(c["area"], c["metric"]) for c in claims}
    assert {("WLD", "returned"), ("WLD", "travelled"), ("EU", "travelled"), ("EU", "returned"),
            ("RUS", "travelled"), ("SAU", "travelled"), ("RUS", "returned"), ("SAU", "returned"),
            ("TUR", "returned"), ("TUN", "returned")} == got
    assert all(c["quote"] and c["qualifier"] for c in claims)


def test_ftf_claims_over_http_and_bad_input(httpserver, tmp_path):
    httpserver.expect_request("/report.html").respond_with_data(
        "<html><body><p>Officials said 45 Kosovars had returned, while up to 120 travelled to Syria.</p>"
        "</body></html>", content_type="text/html")
    out = CliRunner().invoke(app, ["claims", httpserver.url_for("/report.html"), "--format", "jsonl"])
    assert out.exit_code == 0, out.output
    assert {json.loads(l)["area"] for l in out.output.splitlines()} == {"XKX"}
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    out = CliRunner().invoke(app, ["claims", str(bad)])
    assert out.exit_code == 2 and "broken.pdf" in out.output and "Traceback" not in out.output


def test_a_new_decision_rereads_an_unchanged_document(tmp_path, catalog, home):
    from flows import pipeline
    from flows.fetch import PreviousFetch
    source = _copy_with_decisions(tmp_path, catalog, [])
    first = pipeline.fetch(source, mode="mirror", raw_store=home.raw, previous=None)
    remembered = PreviousFetch(sha256=first.sha256, inputs_sha256=source.inputs_sha256())
    assert pipeline.fetch(source, mode="mirror", raw_store=home.raw, previous=remembered).status == "unchanged"
    with (source.folder / "decisions.csv").open("a", encoding="utf-8") as fh:
        fh.write("SAU,returned,,abc,accepted,analyst,2026-11-24,\n")
    again = pipeline.fetch(source, mode="mirror", raw_store=home.raw, previous=remembered)
    assert again.status == "fetched" and again.changed
