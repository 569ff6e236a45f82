"""The report built from the whole mirror: what its charts draw (publication, ranges, open bounds,
short names, true captions), that it escapes document text, that its queries live in .sql files,
and that its PNG charts are cached by the hash of their spec and data."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

import warehouse.report as report
from flows.catalog import load_catalog
from tests.warehouse.test_marts import mirror_warehouse
from warehouse.marts import build_marts

MANIFEST = {"run_id": "report-test", "generated_at": "2026-11-29T12:00:00+00:00", "tables": []}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return mirror_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def charts(home):
    """The specs, each checked against the Vega-Lite JSON schema (off in a run, for speed)."""
    con = duckdb.connect(str(home.db), read_only=True)
    report.VALIDATE_SPECS = True
    try:
        return report.build_charts(con, list(load_catalog().values()))
    finally:
        report.VALIDATE_SPECS = False
        con.close()


def rows(spec: dict) -> list[dict]:
    """Every data row of a spec (Altair moves inline data to the top-level `datasets`)."""
    found = [row for dataset in spec.get("datasets", {}).values() for row in dataset]
    return found + list(spec.get("data", {}).get("values", []))


def marks(spec: dict) -> list[str]:
    layers = spec.get("layer") or spec.get("spec", {}).get("layer") or [spec]
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]


def test_every_page_chart_follows_the_width_of_its_box_and_every_png_has_a_fixed_width(charts):
    page, pngs = charts
    assert {"top_travelled", "top_returned", "return_rates", "per_million", "country_timeline"} <= set(page)
    assert len([n for n in page if n.startswith("timeline_")]) == report.TIMELINE_COUNTRIES
    for name, spec in page.items():
        assert spec["width"] == "container", name
    assert sorted(pngs) == sorted(report.PNG_CHARTS)
    for name, spec in pngs.items():
        assert spec.get("width", 0) != "container", name


def test_top_charts_show_the_publication_open_bounds_and_short_names(charts):
    page, _ = charts
    travelled = rows(page["top_travelled"])
    names = [r["country_label"] for r in travelled]
    assert "UK" in names and not any("Great Britain" in n for n in names)
    assert all(r["publication"] for r in travelled)
    bars = page["top_travelled"]["layer"][0]
    assert bars["encoding"]["fill"]["field"] == "publication"
    assert {r["publication"] for r in travelled} >= {"Soufan Oct 2017"}
    belgium = next(r for r in rows(page["top_returned"]) if r["country_iso3"] == "BEL")
    assert belgium["qualifier"] == "more_than" and belgium["hollow"] and belgium["label"] == ">102"
    filled = next(r for r in rows(page["top_returned"]) if r["country_iso3"] == "SAU")
    assert not filled["hollow"] and filled["label"] == "760"


def test_share_returned_has_labels_with_both_figures_and_their_qualifiers(charts):
    page, _ = charts
    rates = {r["country_iso3"]: r for r in rows(page["return_rates"])}
    assert rates["USA"]["label"] == "5% (7 of 129)"
    # more than 102 of about 500: at least 20 % by the marts' interval rules, drawn hollow
    assert rates["BEL"]["label"] == "≥20% (>102 of ~500)" and rates["BEL"]["hollow"]
    assert rates["BEL"]["bar_end"] == pytest.approx(0.204)
    assert "text" in marks(page["return_rates"])


@pytest.mark.parametrize("qualifier, value, low, high, text", [
    ("exact", 0.054, 0.054, 0.054, "5%"), ("approx", 0.2, 0.2, 0.2, "~20%"), ("at_least", 0.204, 0.204, None, "≥20%"),
    ("up_to", 0.274, 0.0, 0.274, "≤27%"), ("range", None, 0.12, 0.3, "12–30%"), ("unbounded", None, 0.0, None, "no rate"),
    (None, None, None, None, "no rate")])
def test_rate_text_keeps_the_qualifier_of_a_derived_share(qualifier, value, low, high, text):
    assert report.rate_text(qualifier, value, low, high) == text


def test_per_million_shows_a_missing_returned_figure_as_not_given_and_its_caption_counts_the_basis(home, charts):
    page, _ = charts
    data = rows(page["per_million"])
    missing = [r for r in data if r["measure"] == "returned" and r["bar_end"] is None]
    assert missing and all(r["label"] == "returned not given" for r in missing)
    con = duckdb.connect(str(home.db), read_only=True)
    try:
        caption = report._per_million_caption(con)
        basis = con.execute("""
            select r.country_iso3, r.population_basis,
                   coalesce(r.travelled_per_million, r.travelled_high * 1e6 / r.population) as ranked
            from marts.country_estimates e join marts.returnee_rates r
              on r.country_iso3 = e.country_iso3 and r.publication_id = e.best_publication_id
            where e.metric = 'travelled' and r.population is not null""").df()
    finally:
        con.close()
    shown = basis.sort_values("ranked", ascending=False).head(report.PER_MILLION_N)
    then = int((shown["population_basis"] == "known_at_publication").sum())
    assert {r["country_iso3"] for r in data} == set(shown["country_iso3"])
    assert f"for {then} of these {len(shown)} countries, the current value for {len(shown) - then}" in caption


def test_timelines_keep_ranges_and_qualifiers(charts):
    page, _ = charts
    tunisia = rows(page["timeline_TUN"])
    by_publication = {r["publication_id"]: r for r in tunisia}
    assert by_publication["soufan_2014_06"]["label"] == ">3,000" and by_publication["soufan_2014_06"]["hollow"]
    assert by_publication["icsr_2015_01"]["label"] == "1,500–3,000"
    assert by_publication["icsr_2015_01"]["mid"] == 2250  # the line goes through the range, not around it
    assert "errorbar" in marks(page["timeline_TUN"])
    x = page["timeline_TUN"]["layer"][0]["encoding"]["x"]
    assert x["scale"]["padding"] > 0  # the first publication is not drawn on the axis line
    country = page["country_timeline"]
    assert country["params"] == [{"name": "country", "value": "RUS"}]
    assert {r["metric"] for r in rows(country)} >= {"travelled", "returned", "women"}


def test_report_names_sources_by_title_with_links(home, tmp_path):
    con = duckdb.connect(str(home.db), read_only=True)
    try:
        report.write_report(con, tmp_path, MANIFEST, list(load_catalog().values()), chart_cache=tmp_path / "cache")
    finally:
        con.close()
    page = (tmp_path / report.REPORT).read_text(encoding="utf-8")
    assert ('<a href="https://thesoufancenter.org/research/beyond-the-caliphate/">'
            'Beyond the Caliphate: Foreign Fighters and the Threat of Returnees</a>') in page
    assert '<option value="TUN">Tunisia</option>' in page
    # headline totals name the publication by its short name, linked to its page, its title on hover
    assert ('<span title="Foreign Fighters in Syria"><a href="https://www.soufangroup.com/">Soufan Jun 2014</a></span>'
            in page)
    # captions name only the marks a chart has: the top returned has one "more than" (Belgium), no range
    assert "Bars: the best estimate, coloured by the publication it comes from; hollow bar: an open bound " \
           "(&gt; more than); ~ about." in page
    data = json.loads(re.search(r'<script type="application/json" id="country-data">(.*?)</script>', page, re.S)[1])
    tunisia = data["TUN"]["figures"]
    assert {f["publication"] for f in tunisia} >= {"Soufan Oct 2017", "ICSR Jan 2015"}
    assert all(f["quote"] and f["metric"] and f["value"] for f in tunisia)
    travelled = next(d for d in data["TUN"]["disagreements"] if d["metric"] == "travelled")
    assert travelled["disagree"] and "soufan_2014_06" in travelled["values"]


def test_report_escapes_document_and_message_text(home, tmp_path):
    """Text from documents (quotes, names as published, URLs) and from errors reaches the page
    escaped: never as markup, never as a javascript: link."""
    db = tmp_path / "hostile.duckdb"
    shutil.copy2(home.db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("update history.figures set quote = ?, country_as_published = ?, document_url = ? "
                    "where recorded_to is null and country_iso3 = 'TUN'", [HOSTILE, HOSTILE, "javascript:alert(1)"])
        con.execute("update meta.fetches set error = ? where source_id = 'icsr_2015_01'", [HOSTILE])
        con.execute("update meta.runs set message = ?", [HOSTILE])
        build_marts(con)
        report.write_report(con, tmp_path, MANIFEST, list(load_catalog().values()), chart_cache=tmp_path / "cache")
    finally:
        con.close()
    page = (tmp_path / report.REPORT).read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page and "javascript:alert" not in page
    assert html_escaped(HOSTILE) in page  # the fetch error and the run message, in tables
    data = json.loads(re.search(r'<script type="application/json" id="country-data">(.*?)</script>', page, re.S)[1])
    assert {f["quote"] for f in data["TUN"]["figures"]} == {HOSTILE}  # the browser shows it as text
    assert {f["url"] for f in data["TUN"]["figures"]} == {None}


def html_escaped(text: str) -> str:
    import html
    return html.escape(text)


def test_report_queries_live_in_sql_files():
    source = Path(report.__file__).read_text(encoding="utf-8")
    assert not re.search(r"\b(select|from marts|from core|from meta)\b", source.replace("<select>", ""), re.I)
    used = set(re.findall(r'(?:_query\(con, |report_sql\()"(\w+)"', source))
    files = {p.stem for p in report.REPORT_DIR.glob("*.sql")}
    assert used and used <= files


def test_unchanged_charts_are_reused_and_a_changed_one_alone_is_rendered(home, tmp_path, monkeypatch):
    rendered = []
    render = report.vlc.vegalite_to_png

    def counting(spec, **kwargs):
        rendered.append(spec)
        return render(spec, **kwargs)
    monkeypatch.setattr(report.vlc, "vegalite_to_png", counting)
    db, cache, sources = tmp_path / "w.duckdb", tmp_path / "cache", list(load_catalog().values())
    shutil.copy2(home.db, db)

    def build(folder: str, reuse: bool = True) -> dict[str, bytes]:
        con = duckdb.connect(str(db))
        try:
            report.write_report(con, tmp_path / folder, MANIFEST, sources, chart_cache=cache, reuse_charts=reuse)
        finally:
            con.close()
        return {p.stem: p.read_bytes() for p in (tmp_path / folder / report.CHARTS_DIR).glob("*.png")}

    for folder in ("one", "two", "three", "four"):
        (tmp_path / folder).mkdir()
    first = build("one")
    assert len(rendered) == len(report.PNG_CHARTS) == len(first)
    with monkeypatch.context() as nothing_drawn:   # every chart's data is as before: Altair builds nothing
        nothing_drawn.setattr(report.alt, "layer", None)
        second = build("two")
    assert len(rendered) == len(report.PNG_CHARTS)  # nothing rendered again
    assert second == first
    assert (tmp_path / "two" / report.REPORT).read_bytes() == (tmp_path / "one" / report.REPORT).read_bytes()
    # a new population vintage for Jordan changes the per-million chart only
    con = duckdb.connect(str(db))
    try:
        con.execute("update history.population set value = value * 2 where recorded_to is null and country_iso3 = 'JOR'")
        build_marts(con)
    finally:
        con.close()
    third = build("three")
    assert len(rendered) == len(report.PNG_CHARTS) + 1
    assert [name for name in third if third[name] != first[name]] == ["per_million"]
    assert len(list(cache.glob("*.png"))) == len(report.PNG_CHARTS)  # the cache keeps the last build only
    assert len(list(cache.glob("vega-bundle-*.js"))) == 1  # and the JavaScript bundle, made once
    # --force trusts no cache: every chart is rendered again (to the same bytes), the JavaScript bundled
    # again, and the cache refreshed
    bundles = []
    monkeypatch.setattr(report.vlc, "javascript_bundle", lambda **kw: bundles.append(kw) or "/* bundled */")
    fourth = build("four", reuse=False)
    assert len(rendered) == 2 * len(report.PNG_CHARTS) + 1
    assert fourth == third
    assert len(list(cache.glob("*.png"))) == len(report.PNG_CHARTS)
    assert len(bundles) == 1 and "/* bundled */" in (tmp_path / "four" / report.REPORT).read_text()
