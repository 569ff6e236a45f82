"""Hostile SQL and files on the command line (`ftf sql`, `ftf claims`, in-process with typer's runner):
each is refused with one line (exit code 2, no traceback), nothing is written anywhere, and an
ordinary query still answers afterwards."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.faults.harness import files_outside_raw, query

RUNNER = CliRunner()


def ftf(*args: str):
    return RUNNER.invoke(app, list(args))


def refused(result, expect: str, *, rewrapped: bool = False) -> str:
    """One line on stderr, exit code 2. `rewrapped`: the message is printed by the CLI's shared fail(),
    which Rich wraps at the console width; it is one line once the wrapping is undone."""
    stderr = " ".join(result.stderr.split()) if rewrapped else result.stderr.strip()
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert len(stderr.splitlines()) == 1 and "Traceback" not in result.output, stderr
    assert expect in stderr, stderr
    return stderr


HOSTILE = [
    ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
    ("select * from read_text('/etc/hostname')", "file system operations are disabled"),
    ("select * from glob('/etc/*')", "file system operations are disabled"),
    ("COPY (select 1) TO '{outside}/x.csv'", "read-only: COPY statements are refused"),
    ("COPY core.figures TO '{home}/published/figures.csv'", "read-only: COPY statements are refused"),
    ("ATTACH '{outside}/other.duckdb' AS other", "read-only: ATTACH statements are refused"),
    ("INSTALL httpfs", "read-only: INSTALL/LOAD statements are refused"),
    ("LOAD httpfs", "read-only: INSTALL/LOAD statements are refused"),
    ("select 1; select 2", "one statement only: the query holds 2 statements"),
    ("select 1; COPY (select 1) TO '{outside}/y.csv'", "one statement only"),
    ("create table core.x as select 1", "read-only: CREATE statements are refused"),
    ("delete from meta.runs", "read-only: DELETE statements are refused"),
    ("SET enable_external_access = true", "read-only: SET statements are refused"),
    ("EXPORT DATABASE '{outside}/dump'", "read-only: EXPORT statements are refused"),
    ("", "empty query"),
]


@pytest.mark.parametrize("sql, expect", HOSTILE, ids=[
    "read_csv-etc-passwd", "read_text", "glob", "copy-to-outside", "copy-into-bundle", "attach", "install", "load",
    "two-statements", "hidden-second-statement", "create", "delete", "set-external-access", "export", "empty"])
def test_ftf_sql_refuses_with_one_line(warehouse, outside, sql, expect):
    files_before = files_outside_raw(warehouse)
    runs_before = query(warehouse.db, "select count(*) from meta.runs")
    result = ftf("sql", sql.format(outside=outside, home=warehouse.home))
    refused(result, expect)
    assert list(outside.iterdir()) == []
    assert files_outside_raw(warehouse) == files_before
    assert query(warehouse.db, "select count(*) from meta.runs") == runs_before
    ok = ftf("sql", "--format", "csv", "select count(*) as n from core.figures")
    assert ok.exit_code == 0 and int(ok.stdout.splitlines()[1]) > 0


def test_a_runaway_query_is_stopped_by_the_statement_timeout(warehouse):
    result = ftf("sql", "--timeout", "1", "select count(*) from range(1000000000000) a")
    refused(result, "query stopped after 1 s (statement timeout)")


def test_published_bundle_is_sandboxed_too(warehouse, outside):
    result = ftf("sql", "--published", f"COPY marts.fighters_per_million TO '{outside}/x.csv'")
    refused(result, "read-only: COPY statements are refused")
    result = ftf("sql", "--published", f"select * from read_parquet('{warehouse.db}')")
    refused(result, "file system operations are disabled")
    ok = ftf("sql", "--published", "--format", "csv", "select count(*) as n from marts.fighters_per_million")
    assert ok.exit_code == 0 and int(ok.stdout.splitlines()[1]) > 0
    assert list(outside.iterdir()) == []


def test_history_reads_through_the_same_sandbox(warehouse):
    from flows.cli import _open_read_only
    con = _open_read_only()
    try:
        assert con.execute("select current_setting('enable_external_access'), "
                           "current_setting('lock_configuration')").fetchone() == (False, True)
    finally:
        con.close()
    assert ftf("history", "TUN").exit_code == 0


def test_claims_on_a_non_prose_file_says_so_and_prints_nothing_of_it(warehouse, tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("".join(f"user{i}:$6$salt{i}$hash{i}:19000:0:99999:7:::\n" for i in range(30)))
    result = ftf("claims", str(shadow), "--unresolved")
    stderr = refused(result, "does not look like prose", rewrapped=True)
    assert "salt" not in result.output and "hash" not in result.output and "user1" not in result.output
    assert "user" not in stderr.split(":", 2)[-1]


def test_claims_on_a_binary_file_says_so(warehouse, tmp_path):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01SECRET\x02\x03" * 400)
    result = ftf("claims", str(blob))
    refused(result, "looks like a binary file, not text", rewrapped=True)
    assert "SECRET" not in result.output
