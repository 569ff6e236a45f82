"""`ftf`: the command line of ftf-warehouse (typer + rich)."""
from __future__ import annotations

import contextlib
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
import logging  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.table import Table  # noqa: E402

from flows.config import paths as data_paths  # noqa: E402

# rich_markup_mode=None: help texts are plain text ("[[vintages]]" stays as written)
app = typer.Typer(help="ftf-warehouse: published figures on foreign terrorist fighters and returnees.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)
# Off a terminal (a file, a pipe, a worker's log) Rich would squeeze tables to 80 columns and break
# words: there the width is wide (or $COLUMNS), so rows stay whole and grep-able.
OFF_TERMINAL_WIDTH = 240
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else OFF_TERMINAL_WIDTH)
err = Console(stderr=True, soft_wrap=True)
# the CLI prints each problem itself, once: a library logger ("ftf.fetch") without a handler of its
# own would reach Python's last-resort handler and say it a second time on stderr
logging.getLogger("ftf").addHandler(logging.NullHandler())

EXAMPLE_QUERY = ("select country_iso3, publication_id, metric, value, value_low, value_high, qualifier "
                 "from core.figures where country_iso3 = 'TUN' order by reference_date")


def fail(message: str, code: int = 1) -> None:
    """An expected error: one line on stderr (never wrapped, text escaped for Rich), then exit `code`."""
    line = " ".join(str(message).split())
    err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def say(text: str, *, style: str | None = None, to=None) -> None:
    """One line of user or file text on stdout (or `to`), escaped, never wrapped."""
    (to or console).print(escape(text), style=style, soft_wrap=True, highlight=False)


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
    """A Rich table whose title, headers and cells are plain text (no markup is interpreted)."""
    from rich.text import Text

    table = Table(title=Text(title) if title else None, show_lines=False)
    for c in columns:
        table.add_column(Text(str(c)), overflow="fold", max_width=max_width)
    for row in rows:
        table.add_row(*[Text(_cell(v)) for v in row])
    return table


# ---------------------------------------------------------------------------------------- ftf run
MODES = ("mirror", "live")
SUMMARY_COLUMNS = {"source": "source", "fetch": "fetch", "result": "result", "rows loaded": "loaded",
                   "rows quarantined": "quarantined", "versions opened": "opened", "versions closed": "closed"}
WIDE_ENOUGH = 110   # a terminal at least this wide gets the summary as a table, else key=value lines


def _parse_overrides(values: list[str], known: dict) -> dict[str, str]:
    """--url ID=URL items, checked before anything starts: the form and the id. (A URL or path that
    cannot be read fails that source in the run, once, with the reason: the run still records itself.)"""
    out = {}
    for item in values:
        key, sep, target = (part.strip() for part in item.partition("="))
        if not sep or not key or not target:
            fail(f"--url expects ID=URL (e.g. icsr_2015_01=https://example.org/file.csv), got {item!r}", 2)
        if key not in known:
            fail(f"--url {key}=...: unknown source {key!r} (ftf sources lists the ids)", 2)
        out[key] = target
    return out


def _checked_run_arguments(mode: str, source: list[str], url: list[str], accept_shrink: list[str]) -> dict[str, str]:
    """Every argument of `ftf run` that can be wrong, checked in well under a second, before Prefect starts."""
    from flows.catalog import CatalogError, load_catalog, select

    if mode not in MODES:
        fail(f"--mode must be mirror or live, not {mode!r}", 2)
    try:
        catalog = load_catalog()
        select(catalog, list(source) or None)
    except CatalogError as exc:
        fail(str(exc), 2)
    unknown = [i for i in accept_shrink if i not in catalog]
    if unknown:
        fail(f"--accept-shrink: unknown source(s): {', '.join(unknown)} (ftf sources lists the ids)", 2)
    return _parse_overrides(url, catalog)


def _final_stage(stage: str, detail: str) -> bool:
    return stage == "validated" or (stage == "fetched" and detail in ("unchanged", "failed"))


class PlainProgress:
    """Progress as plain lines (stdout is a file or a pipe): one line per source event, each with
    the seconds since the run started; no spinner frames, nothing rewritten."""

    def __init__(self, stream):
        import threading
        import time

        self._stream, self._lock, self._clock, self._started = stream, threading.Lock(), time.monotonic, time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def stop(self) -> None:
        return None

    def __call__(self, source_id: str, stage: str, detail: str) -> None:
        with self._lock:
            self._stream.write(f"{self._clock() - self._started:7.1f}s  {source_id:<28} {stage}: {detail}\n")
            self._stream.flush()


class SpinnerProgress:
    """Progress on a terminal: one live row per source; its clock stops when the source is done."""

    def __init__(self, target: Console):
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.fields[source]:<28}", markup=False),
                                  TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                                  console=target, transient=False)
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def stop(self) -> None:
        self._progress.stop()

    def __call__(self, source_id: str, stage: str, detail: str) -> None:
        if source_id not in self._tasks:
            self._tasks[source_id] = self._progress.add_task("", source=source_id, total=1)
        done = _final_stage(stage, detail)
        self._progress.update(self._tasks[source_id], description=f"{stage}: {detail}"[:90], completed=1 if done else 0)


class NoProgress(PlainProgress):
    """--json: nothing but the JSON document on stdout."""

    def __call__(self, source_id: str, stage: str, detail: str) -> None:
        return None


def _progress_for(as_json: bool):
    if as_json:
        return NoProgress(sys.stderr)
    return SpinnerProgress(console) if console.is_terminal else PlainProgress(sys.stdout)


def _own_message(source_id: str, message: str) -> str:
    """A source's error without its id repeated in front (the line already starts with the id)."""
    prefix = f"{source_id}: "
    while message.startswith(prefix):
        message = message[len(prefix):]
    return message


def _explain_note(note: str, failed: bool) -> str:
    """Say whether a schema-drift note needs anything doing."""
    if "schema drift" not in note:
        return note
    if failed:
        return f"{note} (this document failed: its extractor or raw model needs updating for the new layout)"
    return (f"{note} (informational: the document loaded and its rows passed their checks; "
            f"nothing to do)")


def _summary_lines(result: dict) -> list[str]:
    """The run summary as key=value lines: never wrapped, never a broken word, easy to grep."""
    lines = [f"run={result['run_id']} status={result['status']}"]
    for r in result["sources"]:
        lines.append(" ".join(f"{key}={r[name]}" for name, key in SUMMARY_COLUMNS.items()))
    return lines


def _print_summary(result: dict) -> None:
    rows = result["sources"]
    if console.is_terminal and console.width >= WIDE_ENOUGH:
        table = _table(f"Run {result['run_id']}: {result['status']}", list(SUMMARY_COLUMNS.values()),
                       [[r[c] for c in SUMMARY_COLUMNS] for r in rows], max_width=None)
        for column in table.columns:
            column.no_wrap = True
        console.print(table)
    else:
        for line in _summary_lines(result):
            say(line)
    for r in rows:
        if r["error"]:
            failed = r["result"] == "failed"
            message = f"{r['source']}: {_explain_note(_own_message(r['source'], r['error']), failed)}"
            say(message, style="red" if failed else "yellow", to=err if failed else console)


def _report_path(result: dict) -> Path | None:
    """The published report: this run's, or the one still current when the run published nothing new."""
    from warehouse.publish import REPORT

    report = Path(result.get("published") or data_paths().published) / REPORT
    return report if report.exists() or result.get("published") else None


def _print_result(result: dict) -> None:
    for gone in result.get("interrupted") or []:
        say(f"run {gone} never finished (interrupted); marked 'interrupted' in meta.runs", style="yellow", to=err)
    _print_summary(result)
    if result["replayed"]:
        say(f"Replayed {len(result['replayed'])} embedded vintages first (fresh warehouse): "
            + ", ".join(f"{r['source']} {r.get('recorded_from', r.get('valid_from'))}" for r in result["replayed"]))
    for r in result["replayed"]:
        for note in r["notes"]:
            say(f"{r['source']} {r['vintage']}: {_explain_note(note, r['status'] == 'failed')}", style="yellow")
    say(result.get("message") or "Marts rebuilt: "
        + (", ".join(f"{k} ({v} rows)" for k, v in result["marts"].items()) or "none"))
    say(f"Pipeline work inside the flow: {result['seconds']:.1f} s")
    say(f"Warehouse: {result['warehouse']}  (try: ftf sql \"{EXAMPLE_QUERY}\")")
    if result["published"]:
        say(f"Published bundle: {result['published']}")
    if result.get("publish_error"):
        say(f"error: {result['publish_error']}", style="bold red", to=err)
    if _report_path(result):
        say(f"Report: {_report_path(result)}  (open it in a browser)", style="bold")


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
    as_json: bool = typer.Option(False, "--json", help="Print the run's result as one JSON document (for machines)"),
) -> None:
    """Fetch, validate and load the sources, rebuild the marts and publish the bundle."""
    overrides = _checked_run_arguments(mode, source, url, accept_shrink)
    # Prefect's console handler stays quiet: this command prints each event and each problem once
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    # Prefect's temporary server gets 20 s to start by default: too little on a busy machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if _answered_before_prefect(mode, force=force, options=[source, url, publish_to, not publish, accept_shrink],
                                as_json=as_json):
        return
    # the flow must run: Prefect's temporary server starts now, on the other core, while this
    # process imports the flow (flows/prefect_server.py)
    from flows.prefect_server import TemporaryServerError, start_early

    server = start_early()
    from flows import pipeline
    from flows.catalog import CatalogError, load_catalog
    from flows.refresh import refresh, run_trigger
    from warehouse.db import WarehouseBusy

    with _progress_for(as_json) as progress:
        pipeline.PROGRESS = progress
        try:
            if server is not None:   # once it answers, and while it warms up: what the run imports on first use
                server.wait_until_healthy()
                server.answer_first_request()
                pipeline.import_what_a_run_uses(load_catalog())
            with run_trigger("cli"), server.run_settings() if server is not None else contextlib.nullcontext():
                result = refresh(sources=list(source) or None, mode=mode, url_overrides=overrides, force=force,
                                 publish=publish, wait_for_writer_seconds=wait, publish_to=publish_to,
                                 accept_shrink=list(accept_shrink) or None)
        except (CatalogError, WarehouseBusy, ValueError) as exc:
            progress.stop()
            fail(str(exc), 2)
        except RuntimeError as exc:
            if not isinstance(exc, TemporaryServerError) and "ephemeral Prefect API server" not in str(exc):
                raise
            progress.stop()
            fail("Prefect's temporary server did not start in time (a busy machine?): try again, set "
                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS higher, or start `make server` and set "
                 "PREFECT_API_URL=http://127.0.0.1:4200/api", 3)
        finally:
            pipeline.PROGRESS = pipeline._no_progress
    report = _report_path(result)
    if as_json:
        sys.stdout.write(json.dumps(dict(result, report=str(report) if report else None), default=str) + "\n")
    else:
        _print_result(result)
    skip_the_final_garbage_collection()
    if result["status"] in ("failed", "published_failed"):
        raise typer.Exit(1)


def skip_the_final_garbage_collection() -> None:
    """The command has done and said everything: freeze the heap (gc.freeze), so that the
    interpreter's last garbage collections at exit do not walk the million objects a run leaves
    (pandas, pandera, altair, Prefect) only for the OS to free them anyway (about 1 s). Files and
    the warehouse are closed by then; atexit handlers (stopping Prefect's server) still run."""
    import gc

    gc.freeze()


def _answered_before_prefect(mode: str, *, force: bool, options: list, as_json: bool = False) -> bool:
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
        report = _report_path({"published": None})
        message = f"nothing changed since run {answered[1]}; published bundle is current"
        if as_json:
            sys.stdout.write(json.dumps({"run_id": answered[0], "status": "unchanged", "message": message,
                                         "report": str(report) if report else None}) + "\n")
        else:
            say(f"Run {answered[0]}: {message}")
            if report:
                say(f"Report: {report}  (open it in a browser)", style="bold")
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
    from flows.catalog import CatalogError, load_catalog, select

    try:
        (source,) = select(load_catalog(), [source_id])
    except CatalogError as exc:
        fail(str(exc), 2)
    if not source.vintages:   # said before the heavy imports: an argument error answers at once
        fail(f"{source_id}: source.toml lists no [[vintages]] to replay", 2)
    from flows import pipeline
    from warehouse.db import WarehouseBusy, writer_lock

    where = data_paths()
    try:
        with writer_lock(where.lock):
            results = pipeline.backfill(source, where, rebuild=rebuild)
    except (WarehouseBusy, pipeline.BackfillError) as exc:
        fail(str(exc), 2)
    cols = ["vintage", "recorded_from", "status", "opened", "closed", "error"]
    console.print(_table(f"Backfill {source_id}", cols, [[r[c] for c in cols] for r in results]))
    for r in results:
        for note in r["notes"]:
            say(f"{r['vintage']}: {_explain_note(note, r['status'] == 'failed')}", style="yellow")


def _figure_value(row) -> str:
    """A figure's number as published: the point value, else the range, else the share."""
    if _cell(row.get("value")):
        return _cell(row["value"])
    low, high = _cell(row.get("value_low")), _cell(row.get("value_high"))
    if low or high:
        return f"{low}–{high}"
    return f"{_cell(row.get('share'))} share" if _cell(row.get("share")) else ""


def _recorded(row) -> str:
    """When the warehouse held this version: from → to (or 'current')."""
    start = row.get("recorded_from", row.get("valid_from"))
    end = row.get("recorded_to", row.get("valid_to"))
    return f"{_cell(start)} → {_cell(end) or 'current'}"


@app.command()
def history(
    area: str = typer.Argument(..., help="ISO3 code, region code (EU, WLD, ...) or a country name"),
    metric: Optional[str] = typer.Option(None, "--metric", "-m", help="Only this metric (travelled, returned, ...)"),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
) -> None:
    """Every version of every figure for a country or region: source, publication, review status and validity."""
    if format not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {format!r}", 2)
    _open_read_only().close()   # no warehouse, or a run holding it: said before the heavy imports
    from flows.countries import harmonise
    from flows.harmonise import region_codes
    from warehouse.changes import area_history

    code = area if area in region_codes() else (harmonise(area).iso3 or area.upper())
    frame = _read(lambda con: area_history(con, code, metric))
    if frame.empty:
        fail(f"no figures for {area!r} ({code}){' and metric ' + metric if metric else ''}", 2)
    if format != "table":
        _print_frame(frame, list(frame.columns), format)
        return
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    columns = ["source", "publication", "metric", "reference date", "qualifier", "value", "review", "recorded"]
    rows = [[r["source_id"], r["publication_id"], r["metric"] + (f" ({r['variant']})" if r.get("variant") else ""),
             r["reference_date"], r["qualifier"], _figure_value(r), r["review_status"], _recorded(r)]
            for r in records]
    if "closed_reason" in frame.columns:
        columns.append("closed because")
        for row, r in zip(rows, records):
            row.append(r["closed_reason"] or "")
    current = sum(r.get("recorded_to", r.get("valid_to")) is None for r in records)
    console.print(_table(f"{code}: {len(frame)} versions ({current} current)", columns, rows))


class ReversedRuns(ValueError):
    pass


@app.command()
def diff(
    run_a: str = typer.Argument(..., help="Earlier run id (see: ftf sql \"select run_id, trigger, status from meta.runs order by seq\")"),
    run_b: str = typer.Argument(..., help="Later run id"),
    format: str = typer.Option("table", "--format", "-f", help="table, csv or json"),
    limit: int = typer.Option(100, help="Rows shown in table format (csv/json give all)"),
) -> None:
    """What changed between two runs: added / revised (with the columns that changed) / closed rows."""
    if format not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {format!r}", 2)
    _open_read_only().close()   # no warehouse, or a run holding it: said before the heavy imports
    from warehouse.changes import UnknownRun, diff_counts, diff_runs, run_seq

    def changes(con):
        if run_seq(con, run_a) > run_seq(con, run_b):
            raise ReversedRuns(f"run {run_a} came after run {run_b}: give the earlier run first "
                               f"(ftf diff {run_b} {run_a})")
        return diff_runs(con, run_a, run_b)

    try:
        frame = _read(changes)
    except (UnknownRun, ReversedRuns) as exc:
        fail(str(exc), 2)
    if format != "table":
        _print_frame(frame, list(frame.columns), format)
        return
    if frame.empty:
        say(f"no changes between run {run_a} and run {run_b}")
        return
    counts = diff_counts(frame)
    console.print(_table(f"Changes {run_a} → {run_b}", list(counts.columns), counts.values.tolist()))
    shown = frame.head(limit)
    _print_frame(shown, ["table", "change", "what", "changed_columns", "old_value", "new_value", "closed_reason"], format,
                 title=f"Rows ({len(shown)} of {len(frame)}; --format csv for all)")


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
        fail(f"--format must be jsonl or table, not {format!r}", 2)
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
