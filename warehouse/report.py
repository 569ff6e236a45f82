"""The report: one self-contained HTML file (data/published/report.html) with Vega-Lite charts
(Altair) that resize to the screen, the JavaScript inlined (no network needed), a country page
(choose a country: every figure, its timeline, its disagreements), PNG copies of the main charts
in charts/ (cached by the hash of their spec and data), and a markdown summary for the run's
Prefect artifact.

Everything shown is read from the published tables (marts.*), the marts' staging view
core.accepted_readings and the run bookkeeping (meta.fetches, meta.runs) with the queries in
warehouse/report/*.sql; source titles and links come from the catalog the caller passes in.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import html
import json
import os
import string
from pathlib import Path
from typing import Iterable

import altair as alt
import duckdb
import pandas as pd
import vl_convert as vlc

from warehouse.publish import REPORT  # the file name lives where light commands can read it

REPORT_DIR = Path(__file__).resolve().parent / "report"
TEMPLATE = REPORT_DIR / "template.html"
CHARTS_DIR = "charts"
CHART_CACHE = "chart-cache"  # beside the published folder: PNGs by the hash of their spec + data
PNG_CHARTS = ["top_travelled", "top_returned", "return_rates", "per_million", "timelines"]
PNG_SCALE = 2
PNG_WIDTH = 720
TOP_N = 15
VALIDATE_SPECS = False  # Altair's JSON-schema check of every spec costs ~3 s a build; tests turn it on
PER_MILLION_N = 20
TIMELINE_COUNTRIES = 6
OPEN_QUALIFIERS = ("at_least", "more_than", "up_to", "less_than")
INK, MUTED = "#1f2933", "#616e7c"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#eeca3b",
           "#ff9da6", "#79706e", "#1d4e89", "#8cd17d"]
ACRONYMS = {"icsr", "icct", "un", "eu", "aivd", "nl", "uk", "us"}

QUALIFIER_WORDS = {"exact": "", "approx": "about ", "at_least": "at least ", "more_than": "more than ",
                   "up_to": "up to ", "less_than": "less than "}
QUALIFIER_SIGNS = {"exact": "", "approx": "~", "at_least": "≥", "more_than": ">", "up_to": "≤", "less_than": "<"}


# --------------------------------------------------------------------------- formatting
def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _n(value, digits: int = 0) -> str:
    if _missing(value):
        return ""
    return f"{value:,.{digits}f}"


def figure_text(qualifier, value, low=None, high=None, *, compact: bool = False, digits: int = 0) -> str:
    """A figure in words: 'at least 5,600', 'about 280', '1,500–3,000' (compact: '≥5,600'). An open
    bound without a point value takes its bound: 'at least' the low end, 'up to' the high end."""
    words = QUALIFIER_SIGNS if compact else QUALIFIER_WORDS
    has_range = not _missing(low) and not _missing(high)
    if _missing(value):
        if qualifier in ("at_least", "more_than") and not _missing(low):
            value = low
        elif qualifier in ("up_to", "less_than") and not _missing(high):
            value = high
        elif has_range or qualifier == "range":
            return f"{_n(low, digits)}–{_n(high, digits)}"
        else:
            value = low if not _missing(low) else high
    elif qualifier == "range" and has_range:
        return f"{_n(low, digits)}–{_n(high, digits)}"
    return f"{words.get(qualifier or 'exact', '')}{_n(value, digits)}"


def _percent(value):
    return None if _missing(value) else value * 100


def rate_text(qualifier, value, low, high) -> str:
    """A share in per cent with its qualifier: '5%', '≥20%', '≤27%', '12–30%'; 'no rate' when unknown."""
    if qualifier == "unbounded" or all(_missing(v) for v in (value, low, high)):
        return "no rate"
    point = None if qualifier in ("range", "at_least", "up_to") else value
    return figure_text(qualifier, _percent(point), _percent(low), _percent(high), compact=True) + "%"


def publication_label(publication_id: str, published_on) -> str:
    """A short name for a publication: 'Soufan Oct 2017', 'ICSR Jan 2015'."""
    words = []
    for part in str(publication_id).split("_"):
        if part.isdigit():
            break
        words.append(part.upper() if part in ACRONYMS else part.capitalize())
    when = pd.Timestamp(published_on).strftime("%b %Y") if not _missing(published_on) else ""
    return " ".join(words + [when]).strip() or str(publication_id)


def _e(value) -> str:
    return "" if _missing(value) else html.escape(str(value))


def _web_url(url) -> str | None:
    """The URL if it is a web address (never a javascript: or data: link), else None."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


def _link(text, url) -> str:
    safe = _web_url(url)
    return f'<a href="{html.escape(safe)}">{_e(text)}</a>' if safe else _e(text)


def _cell(record: dict, column: str, numeric: set, flags: set, markup: set) -> str:
    value = record.get(column)
    if column in flags:
        return f'<td class="{"yes" if value else "muted"}">{"yes" if value else "no"}</td>'
    if column in markup:  # already escaped HTML built by this module
        return f"<td>{value or ''}</td>"
    if column in numeric:
        return f'<td class="num">{_e(value if isinstance(value, str) else _n(value))}</td>'
    return f"<td>{_e(value)}</td>"


def _table(frame: pd.DataFrame, columns: dict[str, str], *, numeric: Iterable[str] = (),
           flags: Iterable[str] = (), markup: Iterable[str] = (), empty: str = "Nothing to show.",
           tall: bool = False) -> str:
    """An HTML table inside its own box, which scrolls sideways (and down when `tall`) on a narrow screen."""
    if frame.empty:
        return f'<p class="muted">{html.escape(empty)}</p>'
    numeric, flags, markup = set(numeric), set(flags), set(markup)
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = ["<tr>" + "".join(_cell(record, c, numeric, flags, markup) for c in columns) + "</tr>"
            for record in frame.to_dict("records")]
    box = "table-box tall" if tall else "table-box"
    return f'<div class="{box}"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _iso(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


# --------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=None)
def report_sql(name: str) -> str:
    """The query warehouse/report/<name>.sql."""
    return (REPORT_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    return con.execute(report_sql(name), params or {}).df()


class Publications:
    """Short labels, titles, links and colours of the publications (from the catalog, if given)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sources=None):
        rows = con.execute(report_sql("publications")).fetchall()
        catalog = {s.id: s for s in sources or []}
        self.order = [pid for pid, _ in rows]
        self.label = {pid: publication_label(pid, when) for pid, when in rows}
        self.colour = {pid: PALETTE[i % len(PALETTE)] for i, pid in enumerate(self.order)}
        self.title = {pid: catalog[pid].title if pid in catalog else pid for pid in self.order}
        self.url = {pid: catalog[pid].original_url if pid in catalog else None for pid in self.order}

    def scale(self, present: Iterable[str]) -> alt.Scale:
        """A colour scale over the publications present (oldest first), each in its own colour."""
        present = set(present)
        ids = [pid for pid in self.order if pid in present]
        return alt.Scale(domain=[self.label[p] for p in ids], range=[self.colour[p] for p in ids])

    def labels(self, ids: Iterable[str]) -> list[str]:
        return [self.label.get(pid, pid) for pid in ids]


def _figure_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds bar_end (point value or low end), label_at (where a label goes), hollow and label."""
    return frame.assign(
        bar_end=frame["value"].fillna(frame["value_low"]).fillna(frame["value_high"]),
        label_at=frame["value_high"].fillna(frame["value"]).fillna(frame["value_low"]),
        hollow=frame["qualifier"].isin(OPEN_QUALIFIERS),
        label=[figure_text(q, v, lo, hi, compact=True) for q, v, lo, hi in
               zip(frame["qualifier"], frame["value"], frame["value_low"], frame["value_high"])])


def _best(con, metric: str, pubs: Publications) -> pd.DataFrame:
    frame = _query(con, "best_estimates", {"metric": metric, "limit": TOP_N})
    frame = _figure_columns(frame).assign(publication=pubs.labels(frame["publication_id"]))
    return _iso(frame, "published_on")


def _rate_label(row) -> str:
    rate = rate_text(row.return_rate_qualifier, row.return_rate, row.return_rate_low, row.return_rate_high)
    returned = figure_text(row.returned_qualifier, row.returned, row.returned_low, row.returned_high, compact=True)
    travelled = figure_text(row.travelled_qualifier, row.travelled, row.travelled_low, row.travelled_high,
                            compact=True)
    return f"{rate} ({returned or '?'} of {travelled or '?'})"


def _return_rates(con, pubs: Publications) -> pd.DataFrame:
    """One row per country: the share returned as a point, or a bar to its bound (hollow for an
    open bound) and an error bar for a range, by the marts' interval rules."""
    frame = _query(con, "return_rates")
    qualifier = frame["return_rate_qualifier"]
    point = frame["return_rate"].where(~qualifier.isin(["range", "at_least", "up_to", "unbounded"]))
    frame = frame.assign(
        qualifier=qualifier, value=point,
        value_low=frame["return_rate_low"].where(qualifier == "range"),
        value_high=frame["return_rate_high"].where(qualifier == "range"),
        publication=pubs.labels(frame["publication_id"]),
        hollow=qualifier.isin(["at_least", "up_to", "unbounded"]),
        label=[_rate_label(r) for r in frame.itertuples()])
    frame["bar_end"] = point.fillna(frame["return_rate_low"].where(qualifier != "up_to")).fillna(
        frame["return_rate_high"].where(qualifier == "up_to"))
    frame["label_at"] = frame["value_high"].fillna(frame["bar_end"]).fillna(0)
    return _iso(frame, "published_on")


def _per_million(con, pubs: Publications) -> pd.DataFrame:
    """One row per country × measure (travelled, returned), per million inhabitants."""
    wide = _query(con, "per_million", {"limit": PER_MILLION_N})
    parts = []
    for measure in ("travelled", "returned"):
        part = wide[["country_iso3", "country_label", "publication_id", "published_on", "population",
                     "population_year", "population_basis"]].assign(
            measure=measure, qualifier=wide[f"{measure}_per_million_qualifier"],
            value=wide[f"{measure}_per_million"], value_low=wide[f"{measure}_per_million_low"],
            value_high=wide[f"{measure}_per_million_high"], people=[
                figure_text(q, v, lo, hi) for q, v, lo, hi in zip(
                    wide[f"{measure}_qualifier"], wide[measure], wide[f"{measure}_low"], wide[f"{measure}_high"])])
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if len(wide) else wide.assign(measure=[], value=[])
    if frame.empty:
        return frame
    frame = frame.assign(
        bar_end=frame["value"].fillna(frame["value_low"]).fillna(frame["value_high"]),
        label_at=frame["value_high"].fillna(frame["value"]).fillna(frame["value_low"]).fillna(0),
        hollow=frame["qualifier"].isin(OPEN_QUALIFIERS + ("unbounded",)),
        publication=pubs.labels(frame["publication_id"]))
    frame["shade"] = [0.08 if h else 0.45 if m == "returned" else 0.9 for h, m in zip(frame.hollow, frame.measure)]
    frame["label"] = [
        f"{m} " + (figure_text(q, v, lo, hi, compact=True, digits=1) if not _missing(e) else "not given")
        for m, q, v, lo, hi, e in zip(frame.measure, frame.qualifier, frame.value, frame.value_low,
                                       frame.value_high, frame.bar_end)]
    frame["country_order"] = frame["country_iso3"].map({c: i for i, c in enumerate(wide["country_iso3"])})
    return _iso(frame.sort_values(["country_order", "measure"], ascending=[True, False]), "published_on")


def _timelines(con, pubs: Publications) -> pd.DataFrame:
    frame = _query(con, "timelines")
    frame = _figure_columns(frame).assign(publication=pubs.labels(frame["publication_id"]))
    frame["mid"] = frame["value"].fillna((frame["value_low"] + frame["value_high"]) / 2)
    frame["mid"] = frame["mid"].fillna(frame["value_low"]).fillna(frame["value_high"])
    return _iso(frame, "published_on", "reference_date")


# --------------------------------------------------------------------------- charts
def _responsive(chart: alt.TopLevelMixin, height) -> alt.TopLevelMixin:
    """Width follows the chart's box (the screen); PNG copies get a fixed width instead."""
    return chart.properties(width="container", height=height)


def _publication_colour(frame: pd.DataFrame, pubs: Publications, *, legend: bool = True):
    return alt.Color("publication:N", title="publication", scale=pubs.scale(frame["publication_id"]),
                     legend=alt.Legend(orient="bottom", columns=2, labelLimit=200) if legend else None)


def _bar_chart(frame: pd.DataFrame, pubs: Publications, *, x_title: str, x_format: str | None = None,
               tooltip: list) -> alt.TopLevelMixin:
    """Horizontal bars ranked as the frame is: fill = publication, hollow for open bounds
    ("more than", "up to"), an error bar for a range, a label with the qualifier."""
    top = float(frame["label_at"].max() or 1) * 1.6
    axis = alt.Axis(format=x_format, tickCount=4) if x_format else alt.Axis(tickCount=4)
    x_scale = alt.Scale(domain=[0, top], nice=False)
    base = alt.Chart(frame).encode(
        y=alt.Y("country_label:N", sort=list(dict.fromkeys(frame["country_label"])), title=None,
                axis=alt.Axis(labelLimit=110)),
        tooltip=tooltip)
    colour = _publication_colour(frame, pubs)
    bars = base.mark_bar(strokeWidth=1.5, height={"band": 0.75}).encode(
        x=alt.X("bar_end:Q", title=x_title, scale=x_scale, axis=axis), fill=colour, stroke=colour,
        fillOpacity=alt.condition("datum.hollow", alt.value(0.08), alt.value(0.9)))
    layers = [bars]
    if (frame["qualifier"] == "range").any():
        layers.append(base.transform_filter("datum.qualifier == 'range'").mark_errorbar(
            ticks=True, color=INK, thickness=1.5).encode(x=alt.X("value_low:Q", scale=x_scale, title=x_title),
                                                        x2="value_high:Q"))
    layers.append(base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(
        x=alt.X("label_at:Q", scale=x_scale), text="label:N"))
    return alt.layer(*layers)


def _figure_tooltip(value_title: str) -> list:
    return [alt.Tooltip("country_label:N", title="country"), alt.Tooltip("label:N", title=value_title),
            alt.Tooltip("publication:N", title="publication"), alt.Tooltip("published_on:N", title="published")]


def _top_chart(frame: pd.DataFrame, pubs: Publications, metric: str) -> alt.TopLevelMixin:
    tooltip = _figure_tooltip(metric) + [alt.Tooltip("publications:Q", title="publications giving it")]
    chart = _bar_chart(frame, pubs, x_title=f"people ({metric})", tooltip=tooltip)
    return _responsive(chart, alt.Step(20))


def _rates_chart(frame: pd.DataFrame, pubs: Publications) -> alt.TopLevelMixin:
    tooltip = [alt.Tooltip("country_label:N", title="country"), alt.Tooltip("label:N", title="returned of travelled"),
               alt.Tooltip("publication:N", title="publication"), alt.Tooltip("published_on:N", title="published")]
    chart = _bar_chart(frame, pubs, x_title="returned ÷ travelled", x_format="%", tooltip=tooltip)
    return _responsive(chart, alt.Step(20))


def _per_million_chart(frame: pd.DataFrame, pubs: Publications) -> alt.TopLevelMixin:
    top = float(frame["label_at"].max() or 1) * 1.9
    x_scale = alt.Scale(domain=[0, top], nice=False)
    base = alt.Chart(frame).encode(
        y=alt.Y("country_label:N", sort=list(dict.fromkeys(frame["country_label"])), title=None,
                axis=alt.Axis(labelLimit=110)),
        yOffset=alt.YOffset("measure:N", sort=["travelled", "returned"]),
        tooltip=[alt.Tooltip("country_label:N", title="country"), alt.Tooltip("label:N", title="per million"),
                 alt.Tooltip("people:N", title="people"), alt.Tooltip("publication:N", title="publication"),
                 alt.Tooltip("population:Q", format=",", title="population"),
                 alt.Tooltip("population_year:Q", title="population year"),
                 alt.Tooltip("population_basis:N", title="population as")])
    colour = _publication_colour(frame, pubs)
    bars = base.mark_bar(strokeWidth=1.2, height={"band": 0.9}).encode(
        x=alt.X("bar_end:Q", title="people per million inhabitants", scale=x_scale, axis=alt.Axis(tickCount=4)),
        fill=colour, stroke=colour,
        fillOpacity=alt.FillOpacity("shade:Q", scale=None))
    ranges = base.transform_filter("datum.qualifier == 'range'").mark_errorbar(
        ticks=True, color=INK).encode(x=alt.X("value_low:Q", scale=x_scale, title="people per million inhabitants"), x2="value_high:Q")
    labels = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(
        x=alt.X("label_at:Q", scale=x_scale), text="label:N")
    return _responsive(alt.layer(bars, ranges, labels), alt.Step(11))


@functools.lru_cache(maxsize=None)
def _timeline_layers(metrics: tuple[str, ...], legend: bool) -> tuple:
    """Line through every publication (ranges at their middle), error bars for ranges, points
    hollow for "more than"/"up to", labels with the qualifier; coloured by metric. The layers hold
    no data, so every timeline with the same metrics shares them (Altair builds them in ~0.06 s)."""
    colour = _metric_colour(metrics, legend)
    x = alt.X("published_on:T", title="publication date", axis=alt.Axis(format="%Y", tickCount=5),
              scale=alt.Scale(padding=18))
    base = alt.Chart().encode(
        x=x, color=colour,
        tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("publication:N", title="publication"),
                 alt.Tooltip("published_on:N", title="published"), alt.Tooltip("label:N", title="estimate")])
    y = alt.Y("mid:Q", title="people", scale=alt.Scale(zero=True, nice=True), axis=alt.Axis(tickCount=4))
    line = base.mark_line(strokeDash=[4, 3], strokeWidth=1.2, opacity=0.7).encode(y=y)
    ranges = base.transform_filter("datum.value_low != null && datum.value_high != null").mark_errorbar(
        ticks=True, thickness=2).encode(y=alt.Y("value_low:Q", title="people"), y2="value_high:Q")
    points = base.transform_filter("datum.value != null").mark_point(size=55, strokeWidth=2).encode(
        y="value:Q", fill=colour, fillOpacity=alt.condition("datum.hollow", alt.value(0), alt.value(1)))
    point_labels = base.transform_filter("datum.value != null").mark_text(dy=-9, fontSize=10).encode(
        y="value:Q", text="label:N")
    range_labels = base.transform_filter("datum.value == null").mark_text(
        align="left", baseline="middle", dx=5, fontSize=10).encode(y="mid:Q", text="label:N")
    return line, ranges, points, point_labels, range_labels


def _metrics(frame: pd.DataFrame) -> tuple[str, ...]:
    """The frame's metrics: travelled, returned, then the others by name."""
    return tuple(sorted(frame["metric"].unique(), key=lambda m: (m != "travelled", m != "returned", m)))


def _metric_colour(metrics: tuple[str, ...], legend: bool):
    metrics = list(metrics)
    return alt.Color("metric:N", sort=metrics, legend=alt.Legend(orient="bottom") if legend else None,
                     scale=alt.Scale(domain=metrics, range=PALETTE[:len(metrics)]))


def _timeline_chart(frame: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    chart = alt.layer(*_timeline_layers(_metrics(frame), legend=False), data=frame).properties(title=title)
    return _responsive(chart, 170)


def _timelines_png(frame: pd.DataFrame) -> alt.TopLevelMixin:
    return alt.layer(*_timeline_layers(_metrics(frame), legend=False), data=frame).properties(
        width=210, height=150).facet(facet=alt.Facet("country_label:N", title=None), columns=3).resolve_scale(
        y="independent").properties(title="Estimates of travelled, by publication date")


def _country_timeline_spec(frame: pd.DataFrame, country: str) -> dict:
    """Every metric's series for one country; the page's <select> sets the `country` signal."""
    chart = alt.layer(*_timeline_layers(_metrics(frame), legend=True), data=frame).transform_filter(
        "datum.country_iso3 === country")
    spec = _responsive(chart, 220).to_dict(validate=VALIDATE_SPECS)
    spec["params"] = [{"name": "country", "value": country}]
    return spec


def _nothing_yet(title: str) -> alt.TopLevelMixin:
    """Stands in for a chart whose table is empty (e.g. a run that loaded one source only)."""
    chart = alt.Chart(pd.DataFrame({"text": ["No figures in the warehouse for this chart yet."]})).mark_text(
        fontSize=13, color=MUTED).encode(text="text:N").properties(title=title)
    return _responsive(chart, 60)


def _draw(frame: pd.DataFrame, draw, title: str) -> alt.TopLevelMixin:
    return draw(frame) if len(frame) else _nothing_yet(title)


class ChartSpecs:
    """Vega-Lite specs by the hash of what each is drawn from (its name, data, the publications'
    labels and colours, this module's code and Altair's version), kept in `cache_dir/specs.json`:
    a chart whose inputs did not change is not built by Altair again. The file keeps the specs of
    the last build only. Without `cache_dir` (or with reuse=False: --force) every chart is built."""

    FILE = "specs.json"

    def __init__(self, cache_dir: Path | None, pubs: Publications, *, reuse: bool = True):
        self.path = Path(cache_dir) / self.FILE if cache_dir else None
        self.kept: dict[str, dict] = {}
        self.used: dict[str, dict] = {}
        if self.path is not None and reuse:
            with contextlib.suppress(OSError, ValueError):
                self.kept = json.loads(self.path.read_text(encoding="utf-8"))
        self.context = json.dumps({"order": pubs.order, "label": pubs.label, "colour": pubs.colour,
                                   "code": _code_version()}, sort_keys=True)

    def spec(self, name: str, frame: pd.DataFrame, build, *extra) -> dict:
        """The spec of chart `name` drawn from `frame` (and `extra` inputs): kept, or build()'s."""
        data = frame.to_json(orient="split", date_format="iso", default_handler=str)
        key = hashlib.sha256(json.dumps([name, data, self.context, [str(e) for e in extra]]).encode("utf-8")
                             ).hexdigest()
        spec = self.kept.get(key)
        if spec is None:
            spec = json.loads(json.dumps(build(), default=str))   # as stored: the same dict built or kept
        self.used[key] = spec
        return spec

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.FILE}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(self.used), encoding="utf-8")   # key order kept: the page embeds specs as built
        os.replace(partial, self.path)


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    """What a chart's spec depends on besides its data: this module and Altair."""
    return hashlib.sha256(Path(__file__).read_bytes() + alt.__version__.encode()).hexdigest()


def build_charts(con: duckdb.DuckDBPyConnection, sources=None, pubs: Publications | None = None,
                 cache_dir: Path | None = None, *, reuse_cached: bool = True) -> tuple[dict[str, dict], dict[str, dict]]:
    """The report's charts as Vega-Lite specs (data inline): (page charts by name, PNG charts by name).
    With `cache_dir`, a chart drawn from the same data as in the last build is reused (ChartSpecs)."""
    pubs = pubs or Publications(con, sources)
    kept = ChartSpecs(cache_dir, pubs, reuse=reuse_cached)
    top = {metric: _best(con, metric, pubs) for metric in ("travelled", "returned")}
    timelines = _timelines(con, pubs)
    largest = list(top["travelled"]["country_iso3"][:TIMELINE_COUNTRIES])
    travelled = timelines[(timelines["metric"] == "travelled") & timelines["country_iso3"].isin(largest)]
    rates, per_million = _return_rates(con, pubs), _per_million(con, pubs)
    specs = {
        "top_travelled": kept.spec("top_travelled", top["travelled"], lambda: _draw(
            top["travelled"], lambda f: _top_chart(f, pubs, "travelled"), "Travelled").to_dict(validate=VALIDATE_SPECS)),
        "top_returned": kept.spec("top_returned", top["returned"], lambda: _draw(
            top["returned"], lambda f: _top_chart(f, pubs, "returned"), "Returned").to_dict(validate=VALIDATE_SPECS)),
        "return_rates": kept.spec("return_rates", rates, lambda: _draw(
            rates, lambda f: _rates_chart(f, pubs), "Share returned").to_dict(validate=VALIDATE_SPECS)),
        "per_million": kept.spec("per_million", per_million, lambda: _draw(
            per_million, lambda f: _per_million_chart(f, pubs), "Per million").to_dict(validate=VALIDATE_SPECS)),
    }
    for iso3 in largest:
        series = travelled[travelled["country_iso3"] == iso3]
        title = series["country_label"].iloc[0]
        specs[f"timeline_{iso3}"] = kept.spec(f"timeline_{iso3}", series, lambda: _timeline_chart(
            series, title).to_dict(validate=VALIDATE_SPECS), title)
    if not largest:
        specs["timeline_none"] = _nothing_yet("Timelines").to_dict(validate=VALIDATE_SPECS)
    pngs = {name: _fixed_width(spec) for name, spec in specs.items() if name in PNG_CHARTS}
    pngs["timelines"] = kept.spec("timelines", travelled, lambda: _timelines_png(travelled).to_dict(
        validate=VALIDATE_SPECS)) if len(travelled) else \
        _fixed_width(_nothing_yet("Timelines").to_dict(validate=VALIDATE_SPECS))
    if len(timelines):
        country = _default_country(top, timelines)
        specs["country_timeline"] = kept.spec("country_timeline", timelines,
                                              lambda: _country_timeline_spec(timelines, country), country)
    kept.save()
    return specs, pngs


def _fixed_width(spec: dict) -> dict:
    """The spec with a fixed width (a PNG has no container to follow)."""
    return {**spec, "width": PNG_WIDTH} if spec.get("width") == "container" else spec


def _default_country(top: dict, timelines: pd.DataFrame) -> str:
    ranked = list(top["travelled"]["country_iso3"])
    return ranked[0] if ranked else str(timelines["country_iso3"].iloc[0])


# --------------------------------------------------------------------------- PNG copies, cached
def _png_key(spec: dict, vl_version: str | None) -> str:
    material = json.dumps({"spec": spec, "vega_lite": vl_version, "scale": PNG_SCALE,
                           "vl_convert": getattr(vlc, "__version__", "")}, sort_keys=True, default=str)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def write_pngs(pngs: dict[str, dict], charts_dir: Path, cache_dir: Path, *, reuse_cached: bool = True) -> list[Path]:
    """charts/<name>.png for every spec; a chart whose spec and data hash to a PNG already in
    `cache_dir` is copied from there instead of being rendered again (vl-convert takes about a
    second a chart). `reuse_cached=False` (`ftf run --force`: trust no cache) renders every chart
    and replaces the cached copies. The cache keeps the charts of the last build only."""
    charts_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    version, written, keys = _vegalite_version(), [], set()
    for name, spec in pngs.items():
        key = _png_key(spec, version)
        cached = cache_dir / f"{key}.png"
        if not (reuse_cached and cached.exists()):
            partial = cache_dir / f".{key}.{os.getpid()}.tmp"
            partial.write_bytes(vlc.vegalite_to_png(spec, scale=PNG_SCALE, vl_version=version))
            os.replace(partial, cached)
        target = charts_dir / f"{name}.png"
        target.write_bytes(cached.read_bytes())
        written.append(target)
        keys.add(cached.name)
    for stale in cache_dir.glob("*.png"):
        if stale.name not in keys:
            stale.unlink(missing_ok=True)
    return written


# --------------------------------------------------------------------------- tables
def _publication_cells(ids, pubs: "Publications") -> list[str]:
    """A publication's short name linked to its page, its full title on hover."""
    return [(f'<span title="{_e(pubs.title.get(p, p))}">' + _link(pubs.label.get(p, p), pubs.url.get(p)) + "</span>")
            for p in ids]


def _headline_table(con, pubs: "Publications") -> str:
    frame = _query(con, "headline_figures")
    frame["publication"] = _publication_cells(frame["publication_id"], pubs)
    frame["warehouse"] = [
        (f"{_n(s)}" if not pd.isna(s) else (f"{_n(lo)}–{_n(hi)}" if not pd.isna(lo) else "none"))
        + (f" from {c} countries" if c else "")
        for s, lo, hi, c in zip(frame.warehouse_sum, frame.warehouse_sum_low, frame.warehouse_sum_high,
                                frame.warehouse_countries)]
    return _table(frame, {"publication": "publication", "metric": "metric", "stated_text": "as stated",
                          "warehouse": "warehouse sum of its country figures", "gap": "gap",
                          "countries_gap": "countries not in the warehouse"},
                  numeric=["gap", "countries_gap"], markup=["publication"], empty="No publication states a total.")


def _region_table(con, pubs: "Publications") -> str:
    frame = _query(con, "region_totals")
    frame["publication"] = _publication_cells(frame["publication_id"], pubs)
    frame["publisher"] = [figure_text(q, v, lo, hi) for q, v, lo, hi in zip(
        frame.publisher_qualifier, frame.publisher_value, frame.publisher_value_low, frame.publisher_value_high)]
    frame["members"] = [
        ("—" if c == 0 else (_n(s) if not pd.isna(s) else f"{_n(lo)}–{_n(hi)}"))
        for s, lo, hi, c in zip(frame.member_sum, frame.member_sum_low, frame.member_sum_high, frame.countries_counted)]
    frame["counted"] = [f"{c} of {t}" if not _missing(t) else f"{c}" for c, t in
                        zip(frame.countries_counted, frame.members_total)]
    return _table(frame, {"region_name": "region", "publication": "publication", "metric": "metric",
                          "publisher": "publisher's figure", "members": "sum of members", "counted": "members counted",
                          "gap": "gap"}, numeric=["gap"], markup=["publication"], empty="No regional figures.")


def _disagreement_table(con) -> str:
    frame = _query(con, "disagreements")
    frame["spread"] = [f"×{s:,.1f}" if not pd.isna(s) else "" for s in frame.spread]
    return _table(frame, {"country_name": "country", "metric": "metric", "values_by_publication": "values by publication",
                          "spread": "max ÷ min", "contemporary_disagreement": "within a year",
                          "readings_differ": "readings differ"},
                  numeric=["spread"], flags=["contemporary_disagreement", "readings_differ"],
                  empty="No disagreements.", tall=True)


def _freshness_table(con, sources) -> str:
    frame = _query(con, "freshness")
    info = {s.id: s for s in sources or []}
    frame["source"] = [_link(info[s].title, info[s].original_url) + f' <span class="muted">({_e(s)})</span>'
                       if s in info else _e(s) for s in frame.source_id]
    frame["publisher"] = [info[s].publisher if s in info else "" for s in frame.source_id]
    frame["published"] = [info[s].published_on.isoformat() if s in info else "" for s in frame.source_id]
    frame["cadence"] = [info[s].cadence if s in info else "" for s in frame.source_id]
    frame["age"] = [_age(info[s].published_on) if s in info else "" for s in frame.source_id]
    return _table(frame, {"source": "source", "publisher": "publisher", "published": "published", "age": "age",
                          "cadence": "cadence", "last_fetch": "last fetch", "status": "fetch",
                          "outcome": "outcome", "last_loaded": "last loaded", "rows_now": "rows now",
                          "error": "error"},
                  numeric=["rows_now"], markup=["source"], empty="No fetches recorded.")


def _age(published: dt.date) -> str:
    days = (dt.date.today() - published).days
    return f"{days} d" if days < 60 else f"{days // 30} mo" if days < 730 else f"{days // 365} y"


def _runs_table(con) -> str:
    frame = _query(con, "runs")
    frame["finished"] = frame["finished"].fillna("(this run: publishing)")
    return _table(frame, {"run_id": "run", "trigger": "trigger", "mode": "mode", "status": "status",
                          "started": "started", "finished": "finished", "changed": "changed anything",
                          "message": "message"}, flags=["changed"], empty="No runs recorded.")


def _kpis(con) -> str:
    row = _query(con, "kpis").iloc[0]
    labels = {"travelled_countries": "countries with a travelled estimate",
              "returned_countries": "countries with a returned estimate",
              "publications": "publications with country figures",
              "accepted_figures": "accepted figures in the warehouse",
              "disagreements": "country × metric series where sources disagree",
              "pending_claims": "claims pending review"}
    return "".join(f'<div class="kpi"><div class="n">{_n(row[k])}</div><div class="l">{html.escape(l)}</div></div>'
                   for k, l in labels.items())


# --------------------------------------------------------------------------- the country page
def _country_page(con, pubs: Publications, default: str | None) -> tuple[str, str]:
    """(<option>s of the country <select>, the page's data as JSON for the browser)."""
    figures = _query(con, "country_figures")
    disagreements = _query(con, "country_disagreements")
    countries = figures.drop_duplicates("country_iso3").sort_values("country_label", key=lambda s: s.str.casefold())
    options = "".join(
        f'<option value="{_e(c)}"{" selected" if c == default else ""}>{_e(label)}</option>'
        for c, label in zip(countries.country_iso3, countries.country_label))
    by_country: dict[str, dict] = {c: {"figures": [], "disagreements": []} for c in countries.country_iso3}
    for r in _iso(figures, "published_on", "reference_date").itertuples():
        by_country[r.country_iso3]["figures"].append({
            "publication": pubs.label.get(r.publication_id, r.publication_id),
            "title": pubs.title.get(r.publication_id, r.publication_id), "metric": r.metric,
            "qualifier": r.qualifier, "value": figure_text(r.qualifier, r.value, r.value_low, r.value_high),
            "reference_date": r.reference_date, "as_published": r.country_as_published,
            "quote": None if _missing(r.quote) else r.quote, "page": None if _missing(r.page) else str(r.page),
            "url": _web_url(r.document_url),
            "quoted_by": r.source_id if r.source_id != r.publication_id else None,
            "main_reading": int(r.reading_rank) == 1})
    for r in disagreements.itertuples():
        if r.country_iso3 in by_country:
            by_country[r.country_iso3]["disagreements"].append({
                "metric": r.metric, "publications": int(r.publications), "values": r.values_by_publication,
                "spread": None if _missing(r.spread) else f"×{r.spread:,.1f}",
                "disagree": bool(r.disagreement), "within_a_year": bool(r.contemporary_disagreement),
                "readings_differ": bool(r.readings_differ)})
    return options, _script_json(by_country)


def _script_json(data) -> str:
    """JSON safe inside a <script> element: every '<' written as \\u003c."""
    return json.dumps(data, ensure_ascii=False, default=str).replace("<", "\\u003c")


# --------------------------------------------------------------------------- assembly
def _vegalite_version() -> str | None:
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


@functools.lru_cache(maxsize=2)
def _vega_bundle(vl_version: str | None) -> str:
    return vlc.javascript_bundle(vl_version=vl_version) if vl_version else vlc.javascript_bundle()


def javascript_bundle(vl_version: str | None, cache_dir: Path | None = None, *, reuse_cached: bool = True) -> str:
    """vega + vega-lite + vega-embed in one script (vl-convert bundles them offline, in about 2–5 s;
    kept in `cache_dir` by Vega-Lite and vl-convert version). `reuse_cached=False` (`ftf run
    --force`: trust no cache) bundles them again and replaces the cached copy."""
    cached = Path(cache_dir) / f"vega-bundle-{vl_version or 'latest'}-{getattr(vlc, '__version__', '')}.js" \
        if cache_dir else None
    if reuse_cached and cached is not None and cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = _vega_bundle(vl_version) if reuse_cached else _vega_bundle.__wrapped__(vl_version)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        os.replace(partial, cached)
    return bundle


def _figure(name: str, caption: str = "", kind: str = "chart") -> str:
    caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="{kind}"><div id="chart-{name}" class="vega-chart" data-chart="{name}"></div>'
            f"{caption}</figure>")


def _top_caption(con, metric: str) -> str:
    """What the bars of a top chart show, naming only the marks the chart has."""
    frame = _query(con, "best_estimates", {"metric": metric, "limit": TOP_N})
    parts = ["Bars: the best estimate, coloured by the publication it comes from"]
    ranges = int((frame["value"].isna() & frame["value_low"].notna()).sum())
    if ranges:
        parts.append(f"{ranges} range(s) drawn from the low end, with an error bar to the high end")
    open_bounds = frame[frame["qualifier"].isin(OPEN_QUALIFIERS)]
    if len(open_bounds):
        signs = ", ".join(f"{QUALIFIER_SIGNS[q]} {q.replace('_', ' ')}" for q in sorted(set(open_bounds["qualifier"])))
        parts.append(f"hollow bar: an open bound ({signs})")
    if (frame["qualifier"] == "approx").any():
        parts.append("~ about")
    return "; ".join(parts) + "."


def _per_million_caption(con) -> str:
    """True to the data: how many of the countries shown use the population known at publication."""
    counts = _query(con, "per_million", {"limit": PER_MILLION_N})["population_basis"].value_counts()
    then, now = int(counts.get("known_at_publication", 0)), int(counts.get("current_fallback", 0))
    return (f"Publication of each country's best travelled estimate; dark bar travelled, light bar returned; "
            f"'not given' where that publication gives no returned figure. World Bank population of the "
            f"reference year: as the warehouse knew it when the figure was published for {then} of these "
            f"{then + now} countries, the current value for {now} (no earlier vintage was known then).")


def _captions(con) -> dict[str, str]:
    return {
        "top_travelled": _top_caption(con, "travelled"), "top_returned": _top_caption(con, "returned"),
        "return_rates": ("Returned ÷ travelled from the publication of each country's best returned estimate, "
                         "with both figures as published (qualifiers kept); colour: the publication."),
        "per_million": _per_million_caption(con),
    }


def _timeline_figures(specs: dict) -> str:
    names = [n for n in specs if n.startswith("timeline_")]
    return "".join(_figure(n, kind="chart small") for n in names)


def write_report(con: duckdb.DuckDBPyConnection, folder: Path, manifest: dict, sources=None,
                 chart_cache: Path | None = None, *, reuse_charts: bool = True) -> list[Path]:
    """Write report.html and charts/<name>.png into the bundle folder; returns the files written.
    `chart_cache` (default: chart-cache/ beside the bundle folder) keeps the last build's PNGs;
    `reuse_charts=False` renders every chart and bundles the JavaScript again (trust no cache)."""
    folder = Path(folder)
    pubs = Publications(con, sources)
    cache = Path(chart_cache or folder.parent / CHART_CACHE)
    specs, pngs = build_charts(con, sources, pubs, cache, reuse_cached=reuse_charts)
    written = write_pngs(pngs, folder / CHARTS_DIR, cache, reuse_cached=reuse_charts)
    default = specs.get("country_timeline", {}).get("params", [{}])[0].get("value")
    options, country_data = _country_page(con, pubs, default)
    captions = _captions(con)
    version = _vegalite_version()
    page = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        run_id=html.escape(manifest["run_id"]),
        generated_at=html.escape(manifest["generated_at"][:16].replace("T", " ") + " UTC"),
        kpis=_kpis(con),
        headline_table=_headline_table(con, pubs),
        region_table=_region_table(con, pubs),
        disagreement_table=_disagreement_table(con),
        freshness_table=_freshness_table(con, sources),
        runs_table=_runs_table(con),
        country_options=options,
        country_data=country_data,
        chart_country_timeline=_figure("country_timeline") if "country_timeline" in specs else "",
        timelines=_timeline_figures(specs),
        vegalite_version=html.escape(version or "latest"),
        javascript=javascript_bundle(version, cache, reuse_cached=reuse_charts).replace("</script", "<\\/script"),
        specs=_script_json(specs),
        **{f"chart_{name}": _figure(name, captions[name]) for name in captions},
    )
    report = folder / REPORT
    report.write_text(page, encoding="utf-8")
    written.append(report)
    return written


def report_extra(con: duckdb.DuckDBPyConnection, sources=None, chart_cache: Path | None = None, *,
                 reuse_charts: bool = True):
    """An `extra` for warehouse.publish.publish(): (folder, manifest) -> None."""
    sources = list(sources) if sources is not None else None

    def add(folder: Path, manifest: dict) -> None:
        write_report(con, folder, manifest, sources, chart_cache, reuse_charts=reuse_charts)
    return add


def report_markdown(con: duckdb.DuckDBPyConnection, report_location: str, manifest: dict) -> str:
    """Markdown for the run's Prefect artifact: a link to the report and the headline numbers."""
    lines = [f"# ftf-warehouse run `{manifest['run_id']}`", "",
             f"**Report:** [{report_location}]({report_location})", "",
             "## Headline figures (as stated, and as the warehouse sums them)", "",
             "| publication | metric | as stated | warehouse sum | gap |", "|---|---|---|---|---|"]
    for r in _query(con, "headline_figures").itertuples():
        summed = f"{_n(r.warehouse_sum)} from {r.warehouse_countries} countries" if not _missing(r.warehouse_sum) \
            else (f"{r.warehouse_countries} countries (ranges)" if r.warehouse_countries else "no country figures")
        lines.append(f"| {r.publication_id} | {r.metric} | {r.stated_text} | {summed} | {_n(r.gap)} |")
    lines += ["", "## Largest best estimates", "", "| country | travelled | from | returned | from |",
              "|---|---|---|---|---|"]
    for r in con.execute(report_sql("markdown_largest")).fetchall():
        returned = figure_text(r[6], r[7], r[8], r[9]) if r[6] else ""
        lines.append(f"| {r[0]} | {figure_text(r[1], r[2], r[3], r[4])} | {r[5]} | {returned} | {r[10] or ''} |")
    counts = _query(con, "kpis").iloc[0]
    tables = ", ".join(f"{t['name']} ({t['rows']})" for t in manifest["tables"])
    lines += ["", f"Disagreements: {counts['disagreements']} country × metric series "
                  f"({counts['contemporary_disagreements']} within a year); "
                  f"claims pending review: {counts['pending_claims']}.", "", f"Published tables: {tables}."]
    return "\n".join(lines) + "\n"
