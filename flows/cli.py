"""`ftf`: the command line of ftf-warehouse (typer + rich)."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Optional

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# Fast start: at module level only typer, rich and flows.config. Each command imports what it
# needs inside its body, so `ftf --help`, `ftf sql`, `ftf history` and `ftf sources` never load
# Prefect, pandera or altair (tests/test_cli_imports.py); only `ftf run` pays for the flow.
import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from flows.config import paths as data_paths  # noqa: E402

app = typer.Typer(help="ftf-warehouse: published figures on foreign terrorist fighters and returnees.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
console = Console()
err = Console(stderr=True)

EXAMPLE_QUERY = ("select country_iso3, publication_id, metric, value, value_low, value_high, qualifier "
                 "from core.figures where country_iso3 = 'TUN' order by reference_date")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _cell(value) -> str:
    """Human-readable cell: integral floats without '.0', timestamps to the minute, NaN empty."""
    import datetime as dt
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.3f}".rstrip("0")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10000:
        return f"{value:,}"
    return str(value)


def _table(title: str | None, columns: list[str], rows: list, *, max_width: int | None = 60) -> Table:
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(str(c), overflow="fold", max_width=max_width)
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    return table


def _parse_overrides(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        if "=" not in item:
            fail(f"--url expects ID=URL, got {item!r}")
        key, url = item.split("=", 1)
        out[key.strip()] = url.strip()
    return out


@app.command()
def run(
    mode: str = typer.Option("mirror", help="mirror (embedded copies, offline) or live (publishers' URLs)"),
    source: list[str] = typer.Option([], "--source", "-s", help="Only this source id (repeatable)"),
    url: list[str] = typer.Option([], "--url", help="Override a source's URL or path: ID=URL (repeatable)"),
    force: bool = typer.Option(False, help="Re-extract and reload even unchanged documents"),
    publish: bool = typer.Option(True, "--publish/--no-publish", help="Export the marts to data/published/"),
    wait: float = typer.Option(0.0, help="Seconds to wait if another run is writing the warehouse"),
    publish_to: Optional[str] = typer.Option(None, "--publish-to", metavar="PATH_OR_URL",
                                             help="Also deliver the bundle here: a path or fsspec URL (s3://, file://, ...)"),
    accept_shrink: list[str] = typer.Option([], "--accept-shrink", metavar="ID",
                                            help="Load this source even if its new document is much smaller (repeatable)"),
) -> None:
    """Fetch, validate and load the sources, rebuild the marts and publish the bundle."""
    if mode not in ("mirror", "live"):
        fail(f"--mode must be mirror or live, not {mode!r}")
    if _answered_before_prefect(mode, force=force, options=[source, url, publish_to, not publish, accept_shrink]):
        return
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from flows import pipeline
    from flows.catalog import CatalogError
    from flows.refresh import refresh
    from warehouse.db import WarehouseBusy

    overrides = _parse_overrides(url)
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[source]:<28}"), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def show(source_id: str, stage: str, detail: str) -> None:
            if source_id not in tasks:
                tasks[source_id] = progress.add_task("", source=source_id, total=None)
            progress.update(tasks[source_id], description=escape(f"{stage}: {detail}"[:90]))

        pipeline.PROGRESS = show
        try:
            result = refresh(sources=source or None, mode=mode, url_overrides=overrides, force=force,
                             publish=publish, trigger="cli", wait_for_writer_seconds=wait, publish_to=publish_to,
                             accept_shrink=accept_shrink)
        except (CatalogError, WarehouseBusy, ValueError) as exc:
            progress.stop()
            fail(str(exc), 2)
        finally:
            pipeline.PROGRESS = pipeline._no_progress
    rows = result["sources"]
    columns = ["source", "fetch", "result", "rows loaded", "rows quarantined", "versions opened", "versions closed"]
    console.print(_table(f"Run {result['run_id']}: {result['status']}", columns,
                         [[r[c] for c in columns] for r in rows], max_width=32))
    # errors and notes quote documents: escaped, never read as Rich markup
    for gone in result.get("interrupted") or []:
        err.print(f"[yellow]run {escape(gone)} never finished (interrupted); marked 'interrupted' in meta.runs[/]")
    for r in rows:
        if r["error"]:
            (err if r["result"] == "failed" else console).print(
                f"[{'red' if r['result'] == 'failed' else 'yellow'}]{escape(r['source'])}[/]: {escape(r['error'])}")
    if result["replayed"]:
        console.print(f"Replayed {len(result['replayed'])} embedded vintages first (fresh warehouse): "
                      + ", ".join(f"{r['source']} {r['recorded_from']}" for r in result["replayed"]))
        for r in result["replayed"]:
            for note in r["notes"]:
                console.print(f"[yellow]{escape(r['source'])} {escape(r['vintage'])}[/]: {escape(note)}")
    console.print(result.get("message") or "Marts rebuilt: "
                  + (", ".join(f"{k} ({v} rows)" for k, v in result["marts"].items()) or "none"))
    console.print(f"Pipeline work inside the flow: {result['seconds']:.1f} s")
    console.print(f"Warehouse: [bold]{result['warehouse']}[/]")
    if result["published"]:
        console.print(f"Published bundle: [bold]{result['published']}[/]")
    if result.get("publish_error"):
        err.print(f"[bold red]error:[/] {escape(result['publish_error'])}", soft_wrap=True)
    console.print(f"Try: ftf sql \"{EXAMPLE_QUERY}\"")
    if result["status"] in ("failed", "published_failed"):
        raise typer.Exit(1)


def _answered_before_prefect(mode: str, *, force: bool, options: list) -> bool:
    """A plain `ftf run` in mirror mode (no --source, --url, --force, --no-publish, --publish-to,
    --accept-shrink): when nothing changed since the last run and its bundle is published, record an
    'unchanged' run and say so without starting Prefect (flows/state.py). False: the run goes
    through the flow."""
    if mode != "mirror" or force or any(options):
        return False
    from flows.state import answer_before_prefect

    answered = answer_before_prefect(data_paths(), parameters={
        "sources": [], "mode": "mirror", "url_overrides": {}, "force": False, "publish": True, "publish_to": None})
    if answered:
        console.print(f"Run {answered[0]}: nothing changed since run {answered[1]}; published bundle is current")
    return answered is not None


def _sandboxed_connection(*, published: bool):
    """`ftf sql`'s connection: read-only, no file access outside the data folder (or the published
    bundle), no extensions, capped memory/threads, locked configuration (warehouse.db.connect_sandboxed)."""
    from warehouse.db import WarehouseBusy, connect_sandboxed

    where = data_paths()
    if published:
        views = {f"marts.{p.stem}": p for p in sorted(where.published.glob("*.parquet"))}
        return connect_sandboxed(None, allowed_directories=[where.published], parquet_views=views)
    try:
        return connect_sandboxed(where.db, allowed_directories=[where.home])
    except WarehouseBusy:
        fail(f"a run is writing the warehouse right now ({where.db}); try again in a moment, or query the last "
             f"published bundle: ftf sql --published \"select * from marts.fighters_per_million limit 5\" "
             f"(files in {where.published})", 3)
    except FileNotFoundError as exc:
        fail(str(exc), 2)


@app.command()
def sql(
    query: str = typer.Argument(..., help="One SQL query (read-only)"),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
    published: bool = typer.Option(False, help="Query the published Parquet bundle (marts.*) instead of the warehouse"),
    timeout: float = typer.Option(60.0, help="Stop the query after this many seconds"),
) -> None:
    """Run one read-only query on the warehouse (or on the published bundle), sandboxed: one
    SELECT statement, no files outside the data folder, no extensions, a statement timeout."""
    from rich.markup import escape

    from warehouse.sandbox import QueryRefused, run_read_query

    con = _sandboxed_connection(published=published)
    try:
        columns, rows = run_read_query(con, query, timeout_seconds=timeout)
    except QueryRefused as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)  # one line, however narrow
        raise typer.Exit(2) from None
    finally:
        con.close()
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    elif format == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, r)) for r in rows], default=str, ensure_ascii=False, indent=1) + "\n")
    elif format == "table":
        console.print(_table(None, columns, rows))
        console.print(f"{len(rows)} row(s)")
    else:
        fail(f"--format must be table, csv or json, not {format!r}")


@app.command()
def sources() -> None:
    """List the catalog with each source's last fetch."""
    from flows.catalog import load_catalog
    from warehouse.db import WarehouseBusy, connect

    catalog = load_catalog()
    last: dict[str, tuple] = {}
    where = data_paths()
    if where.db.exists():
        try:
            con = connect(where.db, read_only=True)
            last = {r[0]: r[1:] for r in con.execute("""
                select source_id, fetched_at, status, outcome, bytes, left(sha256, 12), error from (
                  select *, row_number() over (partition by source_id order by fetched_at desc) n from meta.fetches)
                where n = 1""").fetchall()}
            con.close()
        except WarehouseBusy:
            err.print("[yellow]a run is writing the warehouse: last fetches not shown[/]")
    rows = []
    for s in catalog.values():
        f = last.get(s.id)
        rows.append([s.id, s.kind, s.format, s.published_on,
                     f"{f[0]:%Y-%m-%d %H:%M}" if f else "never", f"{f[1]}/{f[2]}" if f else "",
                     f"{f[3]:,}" if f and f[3] else "", (f[5] or "") if f else ""])
    console.print(_table("Sources (last fetch: status/outcome)", ["id", "kind", "format", "published", "last fetch",
                                                                 "result", "bytes", "error"], rows))


@app.command()
def backfill(
    source_id: str = typer.Argument(..., help="A source with [[vintages]] in its source.toml"),
    rebuild: bool = typer.Option(False, help="Drop this source's history first and replay it from scratch"),
) -> None:
    """Replay a source's embedded vintages in order, valid from each vintage's publication date."""
    from flows import pipeline
    from flows.catalog import CatalogError, load_catalog, select
    from warehouse.db import WarehouseBusy, writer_lock

    where = data_paths()
    try:
        (source,) = select(load_catalog(), [source_id])
        with writer_lock(where.lock):
            results = pipeline.backfill(source, where, rebuild=rebuild)
    except (CatalogError, WarehouseBusy, pipeline.BackfillError) as exc:
        fail(str(exc), 2)
    cols = ["vintage", "recorded_from", "status", "opened", "closed", "error"]
    console.print(_table(f"Backfill {source_id}", cols, [[r[c] for c in cols] for r in results]))
    for r in results:
        for note in r["notes"]:
            console.print(f"[yellow]{r['vintage']}[/]: {note}")


@app.command()
def history(
    area: str = typer.Argument(..., help="ISO3 code, region code (EU, WLD, ...) or a country name"),
    metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Only this metric (travelled, returned, ...)"),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
) -> None:
    """Every version of every figure for a country or region, with publication and validity."""
    from flows.countries import harmonise
    from flows.harmonise import region_codes
    from warehouse.changes import area_history

    code = area if area in region_codes() else (harmonise(area).iso3 or area.upper())
    frame = _read(lambda con: area_history(con, code, metric))
    if frame.empty:
        fail(f"no figures for {area!r} ({code}){' and metric ' + metric if metric else ''}", 2)
    cols = ["metric", "publication_id", "reference_date", "qualifier", "value", "value_low", "value_high",
            "review_status", "recorded_from", "recorded_to", "closed_reason"]
    _print_frame(frame, cols if format == "table" else list(frame.columns), format,
                 title=f"{code}: {len(frame)} versions")


@app.command()
def diff(
    run_a: str = typer.Argument(..., help="Earlier run id (see: ftf sql \"select run_id, trigger, status from meta.runs order by seq\")"),
    run_b: str = typer.Argument(..., help="Later run id"),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
    limit: int = typer.Option(100, help="Rows shown in table format (csv/json give all)"),
) -> None:
    """What changed between two runs: added / revised / closed figures, population values and countries."""
    from warehouse.changes import UnknownRun, diff_counts, diff_runs

    try:
        frame = _read(lambda con: diff_runs(con, run_a, run_b))
    except UnknownRun as exc:
        fail(str(exc), 2)
    if format == "table":
        counts = diff_counts(frame)
        console.print(_table(f"Changes {run_a} → {run_b}", list(counts.columns), counts.values.tolist()))
        shown = frame.head(limit)
        _print_frame(shown, ["table", "change", "what", "old_value", "new_value", "closed_reason"], format,
                     title=f"Rows ({len(shown)} of {len(frame)}; --format csv for all)")
        return
    _print_frame(frame, list(frame.columns), format)


@app.command()
def claims(
    location: str = typer.Argument("", help="A text, HTML or PDF file, or an http(s) URL"),
    format: str = typer.Option("table", "--format", "-f", help="jsonl or table"),
    unresolved: bool = typer.Option(False, help="Also list figures that could not be tied to an area or metric"),
    low_confidence: bool = typer.Option(False, "--low-confidence", help="Also list low-confidence claims (headlines, captions)"),
    evaluate: list[Path] = typer.Option(None, "--evaluate", help="Score the extractor on a labelled folder (<name>.txt + <name>.csv); repeatable"),
) -> None:
    """Read figures out of prose: one figure per line with area, metric, value/range/share, qualifier, quote, page."""
    import tempfile

    if evaluate:
        _evaluate_claims(evaluate)
        return
    if not location:
        fail("give a file or URL to read, or --evaluate FOLDER", 2)

    from rich.markup import escape

    from flows.claims.extract import claims_to_jsonl, claims_to_table, extract_all_from_document
    from flows.claims.read import ClaimsInputError
    from flows.fetch import fetch_source

    if format not in ("jsonl", "table"):
        fail(f"--format must be jsonl or table, not {format!r}")
    with tempfile.TemporaryDirectory() as tmp:
        got = fetch_source("claims", location, mode="live", raw_store=Path(tmp))
    if got.status == "failed":
        fail(got.error or f"cannot read {location}", 2)
    try:
        result = extract_all_from_document(got.body or b"", name=location.rsplit("/", 1)[-1])
    except ClaimsInputError as exc:
        fail(f"{location}: {exc}", 2)
    if low_confidence:
        result.claims = sorted(result.claims + result.low_confidence, key=lambda c: (c.page or 0, c.quote_start))
    if format == "jsonl":
        sys.stdout.write(claims_to_jsonl(result.claims))
        if unresolved:
            sys.stdout.write(claims_to_jsonl(result.unresolved))
        return
    console.print(claims_to_table(result.claims), markup=False, highlight=False, soft_wrap=True)
    for claim in result.claims:
        console.print(f"[dim]{claim.area} {claim.metric} ({escape(claim.attributed_to)}):[/] {escape(claim.quote)}",
                      highlight=False)
    console.print(f"{len(result.claims)} figure(s); {len(result.unresolved)} unresolved"
                  + ("" if unresolved or not result.unresolved else " (--unresolved to list them)"))
    if unresolved:
        for u in result.unresolved:
            console.print(f"[yellow]unresolved[/] {escape(repr(u.figure))} ({escape(u.reason)}): {escape(u.quote)}",
                          highlight=False)


def _evaluate_claims(folders: list[Path]) -> None:
    """Precision, recall and F1 of the claim extractor on labelled folders (make bench-claims)."""
    from flows.claims.evaluate import evaluate_dir, format_report

    for folder in folders:
        if not folder.is_dir():
            fail(f"--evaluate {folder}: not a folder of labelled texts", 2)
        sys.stdout.write(format_report(evaluate_dir(folder), title=f"claims benchmark: {folder}") + "\n")


def _open_read_only(*, published: bool = False):
    """A read-only connection to the warehouse (or to the published bundle), sandboxed like
    `ftf sql`'s, with a clear message instead of DuckDB's lock error when a run holds the file."""
    return _sandboxed_connection(published=published)


def _read(fn):
    """Run fn(con) on a read-only connection."""
    con = _open_read_only()
    try:
        return fn(con)
    finally:
        con.close()


def _print_frame(frame, columns: list[str], format: str, *, title: str | None = None) -> None:
    frame = frame[columns]
    if format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif format == "json":
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=1) + "\n")
    elif format == "table":
        rows = frame.astype(object).where(frame.notna(), None).values.tolist()
        console.print(_table(title, columns, rows))
    else:
        fail(f"--format must be table, csv or json, not {format!r}")


@app.command()
def serve(
    api_url: Optional[str] = typer.Option(None, "--api-url", help="Prefect API to register with (default: "
                                          "$PREFECT_API_URL, else http://127.0.0.1:4200/api, i.e. `make server`)"),
    limit: Optional[int] = typer.Option(None, help="Run at most this many flow runs at once"),
) -> None:
    """Serve the refresh-daily (06:00 UTC, live) and refresh-manual deployments from this one process.

    The laptop alternative to `make deploy` + `make worker`: needs a running Prefect server
    (`make server`); Ctrl-C stops serving and pauses the schedule."""
    from flows.serve import ServeError
    from flows.serve import serve as serve_deployments

    try:
        serve_deployments(api_url, limit=limit)
    except ServeError as exc:
        fail(str(exc), 2)
