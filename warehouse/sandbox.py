"""Run one query typed by a person on a sandboxed connection (warehouse.db.connect_sandboxed).

    columns, rows = run_read_query(con, "select ...", timeout_seconds=60)

One statement only, and only a read (SELECT, EXPLAIN): anything else is refused with a one-line
`QueryRefused` before it reaches DuckDB ("read-only: COPY statements are refused ..."). DuckDB has
no server-side statement timeout, so a timer thread interrupts the connection; the query then
ends with `QueryRefused("query stopped after 60 s (statement timeout)")`. Errors DuckDB raises
(syntax, unknown table, file access disabled) become one line too.
"""
from __future__ import annotations

import threading

import duckdb

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "QueryRefused", "read_statement", "run_read_query"]

DEFAULT_TIMEOUT_SECONDS = 60.0
READ_STATEMENT_TYPES = frozenset({"SELECT", "EXPLAIN"})


class QueryRefused(ValueError):
    """A query that was not run (or was stopped): the message is one line."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_statement(con: duckdb.DuckDBPyConnection, sql: str):
    """The single read statement in `sql`, or QueryRefused saying why not."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {_one_line(exc)}") from None
    if not statements:
        raise QueryRefused("empty query: give one SQL statement")
    if len(statements) > 1:
        raise QueryRefused(f"one statement only: the query holds {len(statements)} statements")
    statement = statements[0]
    kind = str(statement.type).rsplit(".", 1)[-1]
    if kind not in READ_STATEMENT_TYPES:
        kind = "INSTALL/LOAD" if kind == "LOAD" else kind
        raise QueryRefused(f"read-only: {kind} statements are refused; only SELECT (or EXPLAIN) queries run here")
    return statement


def run_read_query(con: duckdb.DuckDBPyConnection, sql: str, *,
                   timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> tuple[list[str], list[tuple]]:
    """Check and run one read query; returns (column names, rows)."""
    statement = read_statement(con, sql)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(timeout_seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        cursor = con.execute(statement)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise QueryRefused(f"query stopped after {timeout_seconds:g} s (statement timeout)") from None
        raise QueryRefused(f"query failed: {_one_line(exc)}") from None
    finally:
        timer.cancel()
    return columns, rows
