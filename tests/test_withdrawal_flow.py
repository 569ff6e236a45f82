"""Deleting a source folder: the next run of the flow closes its figures as withdrawn and says so."""
from __future__ import annotations

import shutil

from flows.catalog import load_catalog
from flows.config import SOURCES_DIR, paths
from tests.helpers import query

KEPT = ("icsr_2015_01",)
DELETED = "icsr_2013_12"


def test_a_deleted_source_folder_is_withdrawn_by_the_next_run(prefect_harness, tmp_path, monkeypatch):
    import flows.refresh as refresh_module

    sources = tmp_path / "sources"
    for source_id in (*KEPT, DELETED):
        shutil.copytree(SOURCES_DIR / source_id, sources / source_id)
    monkeypatch.setattr(refresh_module, "load_catalog", lambda: load_catalog(sources))
    home = paths(tmp_path / "data")
    with refresh_module.run_trigger("test"):
        refresh_module.refresh(home=str(home.home), publish=False)
    current = query(home.db, "select count(*) from core.figures where source_id = ?", [DELETED])[0][0]
    assert current > 0

    shutil.rmtree(sources / DELETED)
    with refresh_module.run_trigger("test"):
        result = refresh_module.refresh(home=str(home.home), publish=False)
    by_source = {r["source"]: r for r in result["sources"]}
    assert by_source[DELETED]["result"] == "withdrawn"
    assert by_source[DELETED]["versions closed"] == current
    assert "closed as withdrawn" in by_source[DELETED]["error"]
    assert {by_source[s]["fetch"] for s in KEPT} == {"unchanged"}
    assert query(home.db, "select count(*) from core.figures where source_id = ?", [DELETED]) == [(0,)]
    assert query(home.db, "select closed_reason, count(*) from history.figures where source_id = ? group by all",
                 [DELETED]) == [("withdrawn", current)]
    assert query(home.db, "select count(*) from history.figures where source_id <> ? and recorded_to is not null",
                 [DELETED]) == [(0,)]
