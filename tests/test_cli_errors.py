"""Every documented error of `ftf`, run as a real subprocess: one line on stderr, said once, no
traceback, no text lost to Rich markup, and fast (arguments are checked before Prefect starts).

The bound, 3 s, is on the command's CPU time (user + system), which a busy machine does not inflate
the way it inflates wall time; wall time is bounded too, by FTF_ERROR_WALL_SECONDS (default 45 s,
for machines shared by many test runs). Both numbers are printed with -s.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

FTF = str(Path(sys.executable).parent / "ftf")
CPU_BOUND = 3.0
WALL_BOUND = float(os.environ.get("FTF_ERROR_WALL_SECONDS", "45"))


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-warehouse") / "data"


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], home: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FTF_"))}
    # a Prefect API nobody answers: if a command started Prefect, it would hang and blow the bound
    env.update(FTF_HOME=str(home), PREFECT_API_URL="http://127.0.0.1:9/api", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    started, cpu = time.monotonic(), _cpu_of_children()
    done = subprocess.run([FTF, *args], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return done, time.monotonic() - started, _cpu_of_children() - cpu


# (arguments, what the one line must say); a path written "{tmp}" is a file that does not exist
CASES = [
    (["run", "--source", "nope"], "unknown source(s): nope; known: "),
    (["run", "--mode", "sideways"], "--mode must be mirror or live, not 'sideways'"),
    (["run", "--url", "icsr_2015_01"], "--url expects ID=URL"),
    (["run", "--url", "=https://example.org/x.csv"], "--url expects ID=URL"),
    (["run", "--url", "nope=https://example.org/x.csv"], "unknown source 'nope'"),
    (["run", "--accept-shrink", "nope"], "--accept-shrink: unknown source(s): nope"),
    (["backfill", "icsr_2015_01"], "source.toml lists no [[vintages]] to replay"),
    (["backfill", "nope"], "unknown source(s): nope"),
    (["claims", "{tmp}/nope.txt"], "file not found: {tmp}/nope.txt"),
    (["claims", "{tmp}/nope.txt", "--format", "xml"], "--format must be jsonl or table, not 'xml'"),
    (["history", "TUN", "--format", "xml"], "--format must be table, csv or json, not 'xml'"),
    (["diff", "a", "b", "--format", "xml"], "--format must be table, csv or json, not 'xml'"),
    (["history", "TUN"], "ftf.duckdb"),        # no warehouse yet: says which file is missing
    (["diff", "a", "b"], "ftf.duckdb"),
]


@pytest.mark.parametrize("args, expected", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_documented_error_is_one_clear_line(args, expected, empty_home, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    expected = expected.replace("{tmp}", str(tmp_path))
    done, seconds, cpu = _run(args, empty_home)
    print(f"ftf {' '.join(args)}: {seconds:.2f} s wall, {cpu:.2f} s CPU")
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{done.stderr}"
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == "", done.stdout
    assert cpu < CPU_BOUND, f"ftf {' '.join(args)} used {cpu:.1f} s of CPU (bound {CPU_BOUND} s): did Prefect start?"
    assert seconds < WALL_BOUND, f"ftf {' '.join(args)} took {seconds:.1f} s (bound {WALL_BOUND} s)"


def test_help_keeps_bracketed_text(empty_home):
    done, _, _ = _run(["backfill", "--help"], empty_home)
    assert done.returncode == 0 and "A source with [[vintages]] in its source.toml" in done.stdout


def test_a_message_with_brackets_is_printed_verbatim(empty_home):
    """Text from the user with Rich markup in it reaches the screen as written."""
    done, _, _ = _run(["run", "--url", "[bold]x[/bold].csv"], empty_home)
    assert done.stderr.strip() == ("error: --url expects ID=URL (e.g. icsr_2015_01=https://example.org/file.csv), "
                                   "got '[bold]x[/bold].csv'")


@pytest.fixture(scope="module")
def vintage_home(tmp_path_factory, catalog) -> tuple[Path, list[str]]:
    """A small real warehouse: the two embedded country-code vintages, loaded as two runs."""
    from flows import pipeline
    from flows.config import paths
    where = paths(tmp_path_factory.mktemp("vintages") / "data")
    results = pipeline.backfill(catalog["country_codes"], where)
    return where.home, [r["run_id"] for r in results]


def test_errors_about_runs_and_areas_are_one_line(vintage_home):
    home, (first, second) = vintage_home
    for args, expected in [
        (["diff", "nope", second], "no completed run 'nope'; latest runs: "),
        (["diff", second, first], f"run {second} came after run {first}: give the earlier run first "
                                  f"(ftf diff {first} {second})"),
        (["history", "Narnia"], "no figures for 'Narnia' (NARNIA)"),
        # `ftf sql` (its sandbox is tests/faults' subject): the documented refusals, as the user meets them
        (["sql", ""], "empty query: give one SQL statement"),
        (["sql", "select 1; select 2"], "one statement only: the query holds 2 statements"),
        (["sql", "delete from core.figures"], "read-only: DELETE statements are refused"),
        (["sql", "select * from [nope]"], "query failed: Parser Error"),
    ]:
        done, seconds, cpu = _run(args, home)
        print(f"ftf {' '.join(args)}: {seconds:.2f} s wall, {cpu:.2f} s CPU")
        assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"error: {expected}"), line
        assert cpu < CPU_BOUND and seconds < WALL_BOUND, (args, seconds, cpu)


def test_diff_of_a_run_with_itself_says_no_changes(vintage_home):
    home, (first, _) = vintage_home
    done, _, _ = _run(["diff", first, first], home)
    assert done.returncode == 0 and done.stdout.strip() == f"no changes between run {first} and run {first}"
