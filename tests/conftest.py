"""Shared fixtures. Invented documents for tests are generated here or under tests/, never in a mirror."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest  # noqa: E402

from flows.catalog import load_catalog  # noqa: E402
from flows.config import paths  # noqa: E402


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """An empty data folder (FTF_HOME) for one test."""
    monkeypatch.setenv("FTF_HOME", str(tmp_path / "data"))
    return paths(tmp_path / "data")


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=120):
        yield
