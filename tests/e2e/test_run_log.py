"""`make run > run.log` on a fresh data folder (`make e2e`): the log a file gets has no spinner frames
and no broken words; every line is a progress event, a key=value summary line or a known message;
the schema-drift lines say whether anything needs doing; the report's path comes last."""
from __future__ import annotations

import re
import subprocess

from tests.e2e.conftest import PROJECT, clean_env

PROGRESS = re.compile(r"\s*\d+\.\ds  \S+\s+[a-z]+: .*")
SUMMARY = re.compile(r"(run=\S+ status=\w+|source=\S+ fetch=\S+ result=\w+ loaded=\d+ quarantined=\d+ opened=\d+ closed=\d+)")
MESSAGES = ("Replayed ", "Marts rebuilt: ", "Pipeline work inside the flow: ", "Warehouse: ", "Published bundle: ", "Report: ",
            "country_codes country-codes_vintage_")
SOURCE_IDS = sorted(p.parent.name for p in (PROJECT / "flows" / "sources").glob("*/source.toml"))
SOURCE_NOTE = re.compile(rf"({'|'.join(SOURCE_IDS)}): [a-z].*")   # a source's own note, e.g. "ucdp_ged: skipped in mirror mode (…)"


def test_make_run_into_a_file(tmp_path):
    log = tmp_path / "run.log"
    home = tmp_path / "data"
    with open(log, "w") as out:
        done = subprocess.run(["make", "--no-print-directory", "run"], cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT,
                              env=clean_env(FTF_HOME=str(home), PREFECT_HOME=str(tmp_path / "prefect-home")),
                              timeout=600)
    text = log.read_text()
    assert done.returncode == 0, text[-3000:]
    assert not re.search("[\u2800-\u28ff\r]", text), "spinner frames or carriage returns in the log"
    lines = [line for line in text.splitlines() if not line.startswith(".venv/bin/ftf run")]  # make echoes the command
    strange = [line for line in lines if not (PROGRESS.fullmatch(line) or SUMMARY.fullmatch(line)
                                              or SOURCE_NOTE.fullmatch(line)
                                              or line.startswith(MESSAGES))]
    assert not strange, "lines that are neither events, summary nor known messages (broken words?):\n" + "\n".join(strange)
    drift = [line for line in lines if "schema drift" in line]
    assert len(drift) == 3 and all(line.endswith("nothing to do)") for line in drift), drift
    assert lines[-1] == f"Report: {home.resolve() / 'published' / 'report.html'}  (open it in a browser)"
    assert (home / "published" / "report.html").exists()
