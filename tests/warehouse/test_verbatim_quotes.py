"""Verbatim provenance (README "Verbatim quotes"): every figure a mirror run loads carries a quote
and a quote_kind, and the quote is found verbatim in the raw document it was loaded from, read
the way that document is read (a CSV's cells, a text's characters), in the raw store."""
from __future__ import annotations

import csv
import io
import re

import pytest

from flows.catalog import load_catalog
from flows.config import paths
from flows.fetch import read_raw
from schemas.figure import QUOTE_KINDS
from tests.warehouse.test_marts import frame, mirror_warehouse


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return mirror_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def raw_store(home, tmp_path_factory):
    # the warehouse copies share the raw store of the session's one mirror build
    return paths(tmp_path_factory.getbasetemp() / "mirror-warehouse" / "data").raw


@pytest.fixture(scope="module")
def loaded(home):
    return frame(home, """
        with documents as (
            select source_id, arg_max(sha256, fetched_at) as sha256
            from meta.fetches where outcome = 'loaded' group by source_id
        )
        select f.source_id, f.publication_id, f.country_iso3, f.metric, f.variant, f.quote, f.quote_kind, f.page,
               d.sha256
        from core.figures f left join documents d using (source_id)""")


def _csv_cells(text: str) -> set[str]:
    return {cell.strip() for row in csv.reader(io.StringIO(text, newline="")) for cell in row}


def test_every_loaded_figure_has_a_quote_and_its_kind(loaded):
    assert len(loaded) > 300
    assert loaded.quote.notna().all(), loaded[loaded.quote.isna()].head()
    assert loaded.quote_kind.isin(QUOTE_KINDS).all(), loaded[~loaded.quote_kind.isin(QUOTE_KINDS)].head()
    assert loaded.sha256.notna().all()


def test_every_quote_is_verbatim_text_of_its_raw_document(loaded, raw_store):
    formats = {s.id: s.format for s in load_catalog().values()}
    documents: dict[str, str] = {}
    missing = []
    for f in loaded.itertuples():
        if f.sha256 not in documents:
            documents[f.sha256] = read_raw(raw_store, f.sha256).decode("utf-8-sig")   # the document's own decoding
        text = documents[f.sha256]
        if formats[f.source_id] == "transcription":
            # a curated transcription: the quote is a cell of the document, copied from the report/article
            found = f.quote in _csv_cells(text)
        else:
            found = f.quote in text
        if not found:
            missing.append(f"{f.source_id}/{f.country_iso3}/{f.metric}/{f.variant}: {f.quote[:80]!r}")
    assert not missing, f"{len(missing)} quote(s) not found verbatim in their raw document:\n" + "\n".join(missing[:10])


def test_csv_rows_are_quoted_as_the_line_the_page_names(loaded, raw_store):
    rows = loaded[loaded.quote_kind == "csv_row"]
    assert set(rows.source_id) == {"icsr_2013_12", "icsr_2015_01"} and len(rows) == 102
    for f in rows.itertuples():
        lines = read_raw(raw_store, f.sha256).decode("utf-8-sig").splitlines()
        number = int(re.match(r"line (\d+)", f.page).group(1))
        assert lines[number - 1] == f.quote


def test_a_sentence_is_text_not_a_url_slug(loaded):
    sentences = loaded[loaded.quote_kind == "sentence"]
    slugs = sentences[~sentences.quote.str.contains(r"\s", regex=True)]
    assert slugs.empty, slugs[["source_id", "country_iso3", "metric", "quote"]]
