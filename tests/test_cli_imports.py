"""Fast start: the read-only commands never import the run's heavy parts (Prefect, pandera,
altair). Each command runs in a fresh interpreter, which then reports what it imported."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("prefect", "pandera", "altair", "vl_convert")

PROBE = """
import json, sys
from flows.cli import app
try:
    code = app(sys.argv[1:], standalone_mode=False) or 0
except SystemExit as exc:
    code = exc.code
except BaseException as exc:  # typer.Exit and click errors
    code = getattr(exc, "exit_code", repr(exc))
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(args: list[str], home: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                          env={"FTF_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "120"}, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory) -> Path:
    """An empty, migrated warehouse with one figure, so `sql` and `history` run their whole path."""
    from warehouse.db import connect, migrate

    home = tmp_path_factory.mktemp("data")
    con = connect(home / "ftf.duckdb")
    migrate(con)
    con.close()
    return home


@pytest.mark.parametrize("args", [["--help"], ["sources"], ["sql", "select 42 as answer", "--format", "json"],
                                  ["history", "Tunisia"]])
def test_read_only_commands_do_not_import_the_run(args, warehouse_home):
    result = _run(args, warehouse_home)
    loaded = [m for m in result["modules"] if m.split(".")[0] in HEAVY]
    assert loaded == [], f"ftf {' '.join(args)} imported {sorted({m.split('.')[0] for m in loaded})}"
    # the command really ran: sql and history reached the warehouse (history: no figures -> exit 2)
    expected = {"history": 2}.get(args[0], 0)
    assert result["code"] == expected
    if args[0] == "sql":
        assert "duckdb" in result["modules"]
    if args[0] == "history":
        assert "warehouse.changes" in result["modules"] and "flows.countries" in result["modules"]


def test_the_probe_sees_heavy_imports(warehouse_home):
    """The probe itself can fail: `ftf run --help` resolves the command only, but importing the flow
    module directly shows up (guards against a probe that never reports a module)."""
    done = subprocess.run([sys.executable, "-c", "import json, sys, flows.refresh; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"FTF_HOME": str(warehouse_home), "PATH": "/usr/bin:/bin"})
    assert "prefect" in json.loads(done.stdout.strip().splitlines()[-1])
