"""What `ftf run` prints off a terminal, and --json, without starting Prefect (the flow is replaced
by a stand-in returning a result of the real shape). The real `make run > run.log` is in tests/e2e."""
from __future__ import annotations

import io
import json
import re

import pytest
from typer.testing import CliRunner

from flows import cli

SPINNER = re.compile("[\u2800-\u28ff\r]")   # Rich's dots spinner frames, carriage returns


def _result(tmp_path, status="completed") -> dict:
    rows = [{"source": "icsr_2015_01", "kind": "figures", "fetch": "fetched", "result": "loaded", "rows loaded": 50,
             "rows quarantined": 2, "versions opened": 50, "versions closed": 0, "error": ""},
            {"source": "news_2017_10_25_reportfocus", "kind": "figures", "fetch": "failed", "result": "failed",
             "rows loaded": 0, "rows quarantined": 0, "versions opened": 0, "versions closed": 0,
             "error": "news_2017_10_25_reportfocus: news_2017_10_25_reportfocus: read [x].txt failed"}]
    replayed = [{"source": "country_codes", "vintage": "country-codes_vintage_2026-05-15.csv", "recorded_from": "2026-05-15",
                 "status": "loaded", "notes": ["schema drift: column(s) added since the last loaded document: wikidata_id"]}]
    return {"run_id": "20261129T212539Z-a31ea2", "status": status, "sources": rows, "marts": {"country_estimates": 85},
            "replayed": replayed, "warehouse": str(tmp_path / "ftf.duckdb"), "published": str(tmp_path / "published"),
            "seconds": 10.2}


def test_plain_progress_is_one_line_per_event_with_its_own_time():
    out = io.StringIO()
    progress = cli.PlainProgress(out)
    progress("icsr_2015_01", "fetch", "/mirror/icsr.csv")
    progress("icsr_2015_01", "validated", "50 rows, 2 quarantined")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and not SPINNER.search(out.getvalue())
    for line, expected in zip(lines, ["fetch: /mirror/icsr.csv", "validated: 50 rows, 2 quarantined"]):
        assert re.fullmatch(rf"\s*\d+\.\ds  icsr_2015_01\s+{re.escape(expected)}", line), line


def test_off_a_terminal_the_summary_is_key_value_and_the_report_path_comes_last(tmp_path, monkeypatch):
    out, errors = io.StringIO(), io.StringIO()
    monkeypatch.setattr(cli, "console", cli.Console(file=out, width=80))   # a file: not a terminal, 80 wide
    monkeypatch.setattr(cli, "err", cli.Console(file=errors, width=80, soft_wrap=True))
    cli._print_result(_result(tmp_path))
    lines = out.getvalue().splitlines()
    assert lines[1] == "source=icsr_2015_01 fetch=fetched result=loaded loaded=50 quarantined=2 opened=50 closed=0"
    assert lines[2].startswith("source=news_2017_10_25_reportfocus ") and lines[2].endswith(" closed=0")
    assert lines[-1] == f"Report: {tmp_path / 'published' / 'report.html'}  (open it in a browser)"
    assert not SPINNER.search(out.getvalue())
    # the failure: once, on stderr, the id not repeated, the bracketed file name kept
    assert errors.getvalue() == "news_2017_10_25_reportfocus: read [x].txt failed\n"
    drift = [line for line in lines if "schema drift" in line]
    assert len(drift) == 1 and drift[0].endswith("nothing to do)") and len(drift[0]) > 80   # one line, unwrapped


def test_a_drift_note_of_a_failed_document_says_what_to_do():
    note = cli._explain_note("schema drift: column(s) removed since the last loaded document: x", failed=True)
    assert "needs updating" in note and "nothing to do" not in note
    assert cli._explain_note("2 of 3 original documents could not be archived", failed=False).endswith("archived")


def test_run_json_is_one_document_with_the_report(tmp_path, monkeypatch):
    import flows.refresh

    seen = {}

    def stand_in(**parameters):
        seen.update(parameters, trigger=flows.refresh._TRIGGER.get())
        return _result(tmp_path)

    monkeypatch.setattr(flows.refresh, "refresh", stand_in)
    out = CliRunner().invoke(cli.app, ["run", "--json", "--source", "icsr_2015_01"])
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout)
    assert document["run_id"] == "20261129T212539Z-a31ea2"
    assert document["report"] == str(tmp_path / "published" / "report.html")
    assert seen["sources"] == ["icsr_2015_01"] and seen["trigger"] == "cli"   # the trigger rides in run_trigger
    assert set(seen) - {"trigger"} == {"sources", "mode", "url_overrides", "force", "publish",
                                       "wait_for_writer_seconds", "publish_to", "accept_shrink"}


@pytest.mark.parametrize("status, code", [("completed", 0), ("partial", 0), ("failed", 1)])
def test_run_exit_code_follows_the_status(tmp_path, monkeypatch, status, code):
    import flows.refresh
    monkeypatch.setattr(flows.refresh, "refresh", lambda **_: _result(tmp_path, status))
    assert CliRunner().invoke(cli.app, ["run", "--json"]).exit_code == code
