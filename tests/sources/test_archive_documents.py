"""Live mode archives the documents figures were read in (real local HTTP server, generated pages)."""
from __future__ import annotations

import dataclasses
import hashlib

from flows import pipeline
from flows.fetch import raw_path_for


def test_live_run_archives_each_document_once_and_never_fails_the_source(httpserver, catalog, home):
    source = catalog["soufan_2017_10"]
    fetched = pipeline.fetch(source, mode="live", raw_store=home.raw, previous=None)
    outcome = pipeline.process(source, fetched)
    page = b"<html><body>Saudi Arabia reported the return of 760 people.</body></html>"
    httpserver.expect_request("/article").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    frame = outcome.frame.copy()
    frame["document_url"] = [httpserver.url_for("/article")] * (len(frame) - 1) + [httpserver.url_for("/gone")]
    outcome.frame = frame
    source = dataclasses.replace(source, original_url=httpserver.url_for("/article"))
    pipeline.archive_documents(source, outcome, mode="live", raw_store=home.raw)
    by_url = {a["url"]: a for a in outcome.archives}
    assert len(outcome.archives) == 2                      # each distinct document once
    good = by_url[httpserver.url_for("/article")]
    assert good["outcome"] == "archived" and good["sha256"] == hashlib.sha256(page).hexdigest()
    assert raw_path_for(home.raw, good["sha256"]).read_bytes() == page
    assert by_url[httpserver.url_for("/gone")]["outcome"] == "archive_failed"
    assert outcome.status == "loaded" and "1 of 2 original documents could not be archived" in outcome.notes


def test_mirror_mode_archives_nothing(catalog, home):
    source = catalog["soufan_2017_10"]
    outcome = pipeline.process(source, pipeline.fetch(source, mode="mirror", raw_store=home.raw, previous=None))
    assert pipeline.archive_documents(source, outcome, mode="mirror", raw_store=home.raw).archives == []
