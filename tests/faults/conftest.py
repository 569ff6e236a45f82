"""The fault matrix: hostile documents, broken HTTP, a damaged warehouse, hostile SQL and arguments.

`make faults` runs this folder (FTF_FAULTS=1) and prints the matrix, one line per case with its
outcome. Most cases drive the plain pipeline functions (fetch → extract → guards → load, no Prefect)
on a copy of one warehouse built once from the embedded mirror; the few that need a real process
(kill -9 of a run, the Prefect task retries, the command line) start one and stop it by PID.

Every case asserts four things: the one-line message, that another source still loads, that the
faulty source's previous snapshot is intact, and that nothing was written where it should not be.
Invented documents are generated here, never in a mirror.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

collect_ignore_glob = [] if os.environ.get("FTF_FAULTS") == "1" else ["test_*.py"]

_MATRIX: list[tuple[str, str, float]] = []


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if "tests/faults/" in report.nodeid.replace("\\", "/"):
            _MATRIX.append((report.nodeid.split("::", 1)[-1], report.outcome, report.duration))


def pytest_terminal_summary(terminalreporter):
    if not _MATRIX:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"fault matrix: {len(_MATRIX)} cases")
    width = min(100, max(len(name) for name, _, _ in _MATRIX))
    for name, outcome, seconds in _MATRIX:
        write(f"{name:<{width}}  →  {outcome.upper():<7} {seconds:6.2f} s")
    passed = sum(1 for _, outcome, _ in _MATRIX if outcome == "passed")
    write(f"{passed} of {len(_MATRIX)} cases passed")


@pytest.fixture(scope="session")
def baseline(tmp_path_factory):
    """A warehouse loaded from the embedded mirror (vintages replayed, every source, marts, bundle)."""
    from tests.faults.harness import build_baseline
    return build_baseline(tmp_path_factory.mktemp("baseline") / "data")


@pytest.fixture()
def warehouse(baseline, tmp_path, monkeypatch):
    """A private copy of the baseline warehouse (FTF_HOME points at it)."""
    from flows.config import paths
    home = tmp_path / "data"
    shutil.copytree(baseline.home, home)
    monkeypatch.setenv("FTF_HOME", str(home))
    return paths(home)


@pytest.fixture()
def outside(tmp_path) -> Path:
    """A folder outside the data folder: nothing may ever be written here."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder
