"""The report: one self-contained HTML file (data/published/report.html) with Vega-Lite charts
(Altair), the JavaScript inlined (no network needed), PNG copies of every chart in charts/,
and a markdown summary for the run's Prefect artifact.

Everything shown is read from the published tables (marts.*) and the run bookkeeping
(meta.fetches, meta.runs) of the warehouse the bundle was built from.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import json
import string
from pathlib import Path
from typing import Iterable

import altair as alt
import duckdb
import pandas as pd
import vl_convert as vlc

TEMPLATE = Path(__file__).resolve().parent / "report" / "template.html"
REPORT = "report.html"
CHARTS_DIR = "charts"
TOP_N = 15
TIMELINE_COUNTRIES = 6

QUALIFIER_WORDS = {"exact": "", "approx": "about ", "at_least": "at least ", "more_than": "more than ",
                   "up_to": "up to ", "less_than": "less than "}


# --------------------------------------------------------------------------- formatting
def _n(value, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.{digits}f}"


def figure_text(qualifier, value, low=None, high=None) -> str:
    """A figure in words: 'at least 5,600', 'about 280', '1,500–3,000'."""
    if qualifier == "range" or (value is None or pd.isna(value)) and low is not None and not pd.isna(low):
        return f"{_n(low)}–{_n(high)}"
    return f"{QUALIFIER_WORDS.get(qualifier or 'exact', '')}{_n(value)}"


def _e(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def _table(frame: pd.DataFrame, columns: dict[str, str], *, numeric: Iterable[str] = (),
           flags: Iterable[str] = (), empty: str = "Nothing to show.", scroll: bool = False) -> str:
    if frame.empty:
        return f'<p class="muted">{html.escape(empty)}</p>'
    numeric, flags = set(numeric), set(flags)
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for column in columns:
            value = record.get(column)
            if column in flags:
                cells.append(f'<td class="{"yes" if value else "muted"}">{"yes" if value else "no"}</td>')
            elif column in numeric:
                cells.append(f'<td class="num">{_e(value if isinstance(value, str) else _n(value))}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return f'<div class="scroll">{table}</div>' if scroll else table


def _iso(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


# --------------------------------------------------------------------------- data
def _query(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _best(con, metric: str) -> pd.DataFrame:
    frame = _query(con, """
        select country_iso3, country_name, qualifier, value, value_low, value_high,
               best_publication_id, best_published_on, publications, min_value, max_value
        from marts.country_estimates where metric = ?
        order by coalesce(value, value_high, value_low) desc, country_iso3 limit ?""", [metric, TOP_N])
    frame["shown"] = frame["value"].fillna(frame["value_low"]).fillna(frame["value_high"])
    frame["label"] = [figure_text(q, v, lo, hi) for q, v, lo, hi in
                      zip(frame.qualifier, frame.value, frame.value_low, frame.value_high)]
    return _iso(frame, "best_published_on")


def _latest_per_country(con, column: str, limit: int | None = None) -> pd.DataFrame:
    """Per country, the latest publication's returnee_rates row where `column` (a fixed column
    name, never user input) is known, largest first."""
    frame = _query(con, f"""
        select * from (
            select *, row_number() over (partition by country_iso3 order by published_on desc, publication_id) as n
            from marts.returnee_rates where {column} is not null)
        where n = 1 order by {column} desc, country_iso3 {'limit ' + str(int(limit)) if limit else ''}""")
    return _iso(frame, "published_on")


def _timelines(con) -> pd.DataFrame:
    frame = _query(con, """
        with largest as (
            select country_iso3 from marts.country_estimates where metric = 'travelled'
            order by coalesce(value, value_high, value_low) desc, country_iso3 limit ?)
        select t.* from marts.estimate_timeline t join largest using (country_iso3)
        where t.metric = 'travelled' order by t.country_iso3, t.position""", [TIMELINE_COUNTRIES])
    frame["label"] = [figure_text(q, v, lo, hi) for q, v, lo, hi in
                      zip(frame.qualifier, frame.value, frame.value_low, frame.value_high)]
    return _iso(frame, "published_on", "reference_date")


# --------------------------------------------------------------------------- charts
def _top_chart(frame: pd.DataFrame, title: str, color: str) -> alt.TopLevelMixin:
    base = alt.Chart(frame).encode(
        y=alt.Y("country_name:N", sort=list(frame["country_name"]), title=None),  # frame is ranked
        tooltip=[alt.Tooltip("country_name:N", title="country"), alt.Tooltip("label:N", title="estimate"),
                 alt.Tooltip("best_publication_id:N", title="publication"),
                 alt.Tooltip("best_published_on:N", title="published"),
                 alt.Tooltip("publications:Q", title="publications giving it")])
    bars = base.mark_bar(color=color).encode(x=alt.X("shown:Q", title="people (low end of a range)"))
    ranges = base.transform_filter("datum.value_high != null").mark_rule(color="#1f2933", strokeWidth=2).encode(
        x="value_low:Q", x2="value_high:Q")
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#1f2933").encode(
        x=alt.X("max_shown:Q"), text="label:N").transform_calculate(
        max_shown="datum.value_high != null ? datum.value_high : datum.shown")
    layers = [bars, ranges, labels] if frame["value_high"].notna().any() else [bars, labels]
    return alt.layer(*layers).properties(title=title, width=250, height=alt.Step(20))


def _rates_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    return alt.Chart(frame).mark_bar(color="#3e7cb1").encode(
        y=alt.Y("country_name:N", sort="-x", title=None),
        x=alt.X("return_rate:Q", axis=alt.Axis(format="%"), title="returned ÷ travelled"),
        tooltip=[alt.Tooltip("country_name:N", title="country"),
                 alt.Tooltip("return_rate:Q", format=".1%", title="return rate"),
                 alt.Tooltip("travelled:Q", format=",", title="travelled"),
                 alt.Tooltip("returned:Q", format=",", title="returned"),
                 alt.Tooltip("publication_id:N", title="publication")],
    ).properties(title="Share of those who travelled who had returned", width=760, height=alt.Step(20))


def _per_million_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    return alt.Chart(frame).transform_fold(
        ["travelled_per_million", "returned_per_million"], as_=["measure", "per_million"]
    ).transform_filter("datum.per_million != null").transform_calculate(
        what="datum.measure == 'travelled_per_million' ? 'travelled' : 'returned'"
    ).mark_bar().encode(
        y=alt.Y("country_name:N", sort=list(frame["country_name"]), title=None),  # frame is ranked
        yOffset=alt.YOffset("what:N", sort=["travelled", "returned"]),
        x=alt.X("per_million:Q", title="people per million inhabitants"),
        color=alt.Color("what:N", title=None, sort=["travelled", "returned"],
                        scale=alt.Scale(range=["#1d4e89", "#e07a2f"])),
        tooltip=[alt.Tooltip("country_name:N", title="country"), alt.Tooltip("what:N", title="metric"),
                 alt.Tooltip("per_million:Q", format=",.1f", title="per million"),
                 alt.Tooltip("publication_id:N", title="publication"),
                 alt.Tooltip("population_year:Q", title="population year"),
                 alt.Tooltip("population_basis:N", title="population as")],
    ).properties(title="Travelled and returned per million inhabitants (top 20 by travelled)",
                 width=760, height=alt.Step(12))


def _timeline_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    base = alt.Chart().encode(
        x=alt.X("published_on:T", title="publication date", axis=alt.Axis(format="%Y")),
        tooltip=[alt.Tooltip("publication_id:N", title="publication"), alt.Tooltip("published_on:N", title="published"),
                 alt.Tooltip("label:N", title="estimate"), alt.Tooltip("qualifier:N")])
    line = base.transform_filter("datum.value != null").mark_line(color="#9fb3c8").encode(
        y=alt.Y("value:Q", title="travelled"))
    points = base.transform_filter("datum.value != null").mark_point(filled=True, size=60, color="#1d4e89").encode(
        y="value:Q")
    ranges = base.transform_filter("datum.value == null").mark_rule(strokeWidth=4, color="#e07a2f").encode(
        y="value_low:Q", y2="value_high:Q")
    layers = [line, ranges, points] if frame["value"].isna().any() else [line, points]
    return alt.layer(*layers, data=frame).properties(width=220, height=150).facet(
        facet=alt.Facet("country_name:N", title=None), columns=3
    ).resolve_scale(y="independent").properties(title="Estimates of travelled, by publication date")


# --------------------------------------------------------------------------- tables
def _headline_table(con) -> str:
    frame = _query(con, """
        select publication_id, metric, stated_text, warehouse_sum, warehouse_sum_low, warehouse_sum_high,
               warehouse_countries, gap, countries_gap
        from marts.headline_figures
        where stated_text is not null order by published_on, publication_id, metric""")
    frame["warehouse"] = [
        (f"{_n(s)}" if not pd.isna(s) else (f"{_n(lo)}–{_n(hi)}" if not pd.isna(lo) else "none"))
        + (f" from {c} countries" if c else "")
        for s, lo, hi, c in zip(frame.warehouse_sum, frame.warehouse_sum_low, frame.warehouse_sum_high,
                                frame.warehouse_countries)]
    return _table(frame, {"publication_id": "publication", "metric": "metric", "stated_text": "as stated",
                          "warehouse": "warehouse sum of its country figures", "gap": "gap",
                          "countries_gap": "countries not in the warehouse"},
                  numeric=["gap", "countries_gap"], empty="No publication states a total.")


def _region_table(con) -> str:
    frame = _query(con, """
        select region_name, publication_id, metric, publisher_qualifier, publisher_value, publisher_value_low,
               publisher_value_high, member_sum, member_sum_low, member_sum_high, countries_counted,
               members_total, gap
        from marts.region_totals
        where region_code <> 'WLD' and (publisher_value is not null or publisher_value_low is not null)
        order by region_name, published_on, metric""")
    frame["publisher"] = [figure_text(q, v, lo, hi) for q, v, lo, hi in zip(
        frame.publisher_qualifier, frame.publisher_value, frame.publisher_value_low, frame.publisher_value_high)]
    frame["members"] = [
        ("—" if c == 0 else (_n(s) if not pd.isna(s) else f"{_n(lo)}–{_n(hi)}"))
        for s, lo, hi, c in zip(frame.member_sum, frame.member_sum_low, frame.member_sum_high, frame.countries_counted)]
    frame["counted"] = [f"{c} of {t}" for c, t in zip(frame.countries_counted, frame.members_total)]
    return _table(frame, {"region_name": "region", "publication_id": "publication", "metric": "metric",
                          "publisher": "publisher's figure", "members": "sum of members", "counted": "members counted",
                          "gap": "gap"}, numeric=["gap"], empty="No regional figures.")


def _disagreement_table(con) -> str:
    frame = _query(con, """
        select country_name, metric, publications, values_by_publication, spread, disagreement,
               contemporary_disagreement, readings_differ
        from marts.source_comparison
        where disagreement or readings_differ
        order by contemporary_disagreement desc, readings_differ desc, spread desc nulls last, country_name, metric""")
    frame["spread"] = [f"×{s:,.1f}" if not pd.isna(s) else "" for s in frame.spread]
    return _table(frame, {"country_name": "country", "metric": "metric", "values_by_publication": "values by publication",
                          "spread": "max ÷ min", "contemporary_disagreement": "within a year",
                          "readings_differ": "readings differ"},
                  numeric=["spread"], flags=["contemporary_disagreement", "readings_differ"],
                  empty="No disagreements.", scroll=True)


def _freshness_table(con, sources) -> str:
    frame = _query(con, """
        with ranked as (
            select *, row_number() over (partition by source_id order by fetched_at desc) as n from meta.fetches)
        select r.source_id, strftime(r.fetched_at at time zone 'UTC', '%Y-%m-%d %H:%M UTC') as last_fetch,
               r.status, r.outcome, r.mode, r.error,
               (select strftime(max(f.fetched_at) at time zone 'UTC', '%Y-%m-%d %H:%M UTC') from meta.fetches f
                 where f.source_id = r.source_id and f.outcome = 'loaded') as last_loaded,
               (select count(*) from core.figures c where c.source_id = r.source_id)
               + (select count(*) from core.population p where p.source_id = r.source_id)
               + (select count(*) from ref.countries c where c.source_id = r.source_id) as rows_now
        from ranked r where n = 1 order by r.source_id""")
    info = {s.id: s for s in sources or []}
    frame["published"] = [info[s].published_on.isoformat() if s in info else "" for s in frame.source_id]
    frame["cadence"] = [info[s].cadence if s in info else "" for s in frame.source_id]
    frame["age"] = [_age(info[s].published_on) if s in info else "" for s in frame.source_id]
    return _table(frame, {"source_id": "source", "published": "published", "age": "age", "cadence": "cadence",
                          "last_fetch": "last fetch", "status": "fetch", "outcome": "outcome",
                          "last_loaded": "last loaded", "rows_now": "rows now", "error": "error"},
                  numeric=["rows_now"], empty="No fetches recorded.")


def _age(published: dt.date) -> str:
    days = (dt.date.today() - published).days
    return f"{days} d" if days < 60 else f"{days // 30} mo" if days < 730 else f"{days // 365} y"


def _runs_table(con) -> str:
    frame = _query(con, """
        select run_id, trigger, mode, status,
               strftime(started_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S UTC') as started,
               strftime(finished_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S UTC') as finished, changed, message
        from meta.runs order by started_at desc limit 8""")
    frame["finished"] = frame["finished"].fillna("(this run: publishing)")
    return _table(frame, {"run_id": "run", "trigger": "trigger", "mode": "mode", "status": "status",
                          "started": "started", "finished": "finished", "changed": "changed anything",
                          "message": "message"}, flags=["changed"], empty="No runs recorded.")


def _kpis(con) -> str:
    row = con.execute("""
        select (select count(*) from marts.country_estimates where metric = 'travelled'),
               (select count(*) from marts.country_estimates where metric = 'returned'),
               (select count(distinct publication_id) from marts.estimate_timeline),
               (select count(*) from core.figures where review_status = 'accepted'),
               (select count(*) from marts.source_comparison where disagreement),
               (select count(*) from marts.pending_figures)""").fetchone()
    labels = ["countries with a travelled estimate", "countries with a returned estimate",
              "publications with country figures", "accepted figures in the warehouse",
              "country × metric series where sources disagree", "claims pending review"]
    return "".join(f'<div class="kpi"><div class="n">{_n(n)}</div><div class="l">{html.escape(l)}</div></div>'
                   for n, l in zip(row, labels))


# --------------------------------------------------------------------------- assembly
def _vegalite_version() -> str | None:
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


@functools.lru_cache(maxsize=2)
def javascript_bundle(vl_version: str | None) -> str:
    """vega + vega-lite + vega-embed in one script (vl-convert bundles them offline)."""
    return vlc.javascript_bundle(vl_version=vl_version) if vl_version else vlc.javascript_bundle()


def _figure(name: str, caption: str) -> str:
    return (f'<figure class="chart"><div id="chart-{name}" class="vega-chart" data-chart="{name}"></div>'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _nothing_yet(title: str) -> alt.TopLevelMixin:
    """Stands in for a chart whose table is empty (e.g. a run that loaded one source only)."""
    return alt.Chart(pd.DataFrame({"text": ["No figures in the warehouse for this chart yet."]})).mark_text(
        fontSize=13, color="#616e7c").encode(text="text:N").properties(title=title, width=380, height=60)


def build_charts(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """The report's charts as Vega-Lite specs (data inline), by name."""
    plans = {
        "top_travelled": (lambda: _best(con, "travelled"),
                          lambda f: _top_chart(f, f"Top {TOP_N} countries by travelled", "#1d4e89"),
                          f"Top {TOP_N} countries by travelled"),
        "top_returned": (lambda: _best(con, "returned"),
                         lambda f: _top_chart(f, f"Top {TOP_N} countries by returned", "#e07a2f"),
                         f"Top {TOP_N} countries by returned"),
        "return_rates": (lambda: _latest_per_country(con, "return_rate"), _rates_chart, "Share of those who travelled who had returned"),
        "per_million": (lambda: _latest_per_country(con, "travelled_per_million", 20), _per_million_chart, "Per million inhabitants"),
        "timelines": (lambda: _timelines(con), _timeline_chart, "Estimates of travelled, by publication date"),
    }
    charts = {}
    for name, (data, draw, title) in plans.items():
        frame = data()
        charts[name] = draw(frame) if len(frame) else _nothing_yet(title)
    return {name: chart.to_dict() for name, chart in charts.items()}


def write_report(con: duckdb.DuckDBPyConnection, folder: Path, manifest: dict, sources=None) -> list[Path]:
    """Write report.html and charts/<name>.png into the bundle folder; returns the files written."""
    folder = Path(folder)
    specs = build_charts(con)
    charts_dir = folder / CHARTS_DIR
    charts_dir.mkdir(exist_ok=True)
    written = []
    for name, spec in specs.items():
        png = charts_dir / f"{name}.png"
        png.write_bytes(vlc.vegalite_to_png(spec, scale=2, vl_version=_vegalite_version()))
        written.append(png)
    captions = {
        "top_travelled": "Bars: point value, or the low end of a range; black line: the published range.",
        "top_returned": "Bars: point value, or the low end of a range; black line: the published range.",
        "return_rates": "Latest publication per country giving both travelled and returned as point values.",
        "per_million": "Latest publication per country; population as known when the figure was published.",
        "timelines": "Line: point values; orange bars: published ranges (low to high).",
    }
    version = _vegalite_version()
    page = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        run_id=html.escape(manifest["run_id"]),
        generated_at=html.escape(manifest["generated_at"][:16].replace("T", " ") + " UTC"),
        kpis=_kpis(con),
        headline_table=_headline_table(con),
        region_table=_region_table(con),
        disagreement_table=_disagreement_table(con),
        freshness_table=_freshness_table(con, sources),
        runs_table=_runs_table(con),
        vegalite_version=html.escape(version or "latest"),
        javascript=javascript_bundle(version).replace("</script", "<\\/script"),
        specs=json.dumps(specs, ensure_ascii=False, default=str).replace("</", "<\\/"),
        **{f"chart_{name}": _figure(name, captions[name]) for name in specs},
    )
    report = folder / REPORT
    report.write_text(page, encoding="utf-8")
    written.append(report)
    return written


def report_extra(con: duckdb.DuckDBPyConnection, sources=None):
    """An `extra` for warehouse.publish.publish(): (folder, manifest) -> None."""
    sources = list(sources) if sources is not None else None

    def add(folder: Path, manifest: dict) -> None:
        write_report(con, folder, manifest, sources)
    return add


def report_markdown(con: duckdb.DuckDBPyConnection, report_location: str, manifest: dict) -> str:
    """Markdown for the run's Prefect artifact: a link to the report and the headline numbers."""
    lines = [f"# ftf-warehouse run `{manifest['run_id']}`", "",
             f"**Report:** [{report_location}]({report_location})", "",
             "## Headline figures (as stated, and as the warehouse sums them)", "",
             "| publication | metric | as stated | warehouse sum | gap |", "|---|---|---|---|---|"]
    for r in con.execute("""
            select publication_id, metric, stated_text, warehouse_sum, warehouse_countries, gap
            from marts.headline_figures where stated_text is not null
            order by published_on desc, publication_id, metric""").fetchall():
        summed = f"{_n(r[3])} from {r[4]} countries" if r[3] is not None else (
            f"{r[4]} countries (ranges)" if r[4] else "no country figures")
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {summed} | {_n(r[5])} |")
    lines += ["", "## Largest best estimates", "", "| country | travelled | from | returned | from |",
              "|---|---|---|---|---|"]
    for r in con.execute("""
            select t.country_name, t.qualifier, t.value, t.value_low, t.value_high, t.best_publication_id,
                   r.qualifier, r.value, r.value_low, r.value_high, r.best_publication_id
            from marts.country_estimates t
            left join marts.country_estimates r on r.country_iso3 = t.country_iso3 and r.metric = 'returned'
            where t.metric = 'travelled'
            order by coalesce(t.value, t.value_high, t.value_low) desc limit 10""").fetchall():
        returned = figure_text(r[6], r[7], r[8], r[9]) if r[6] else ""
        lines.append(f"| {r[0]} | {figure_text(r[1], r[2], r[3], r[4])} | {r[5]} | {returned} | {r[10] or ''} |")
    counts = con.execute("""
        select (select count(*) from marts.source_comparison where disagreement),
               (select count(*) from marts.source_comparison where contemporary_disagreement),
               (select count(*) from marts.pending_figures)""").fetchone()
    tables = ", ".join(f"{t['name']} ({t['rows']})" for t in manifest["tables"])
    lines += ["", f"Disagreements: {counts[0]} country × metric series ({counts[1]} within a year); "
                  f"claims pending review: {counts[2]}.", "", f"Published tables: {tables}."]
    return "\n".join(lines) + "\n"
