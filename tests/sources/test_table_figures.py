"""A tabular source declared only in source.toml (format table_figures), on generated documents:
a messy HTML table and a PDF rendered by the test. Invented countries' numbers live here only."""
from __future__ import annotations

import io
import json

import pytest

from flows.catalog import load_source
from tests.helpers import extract

TOML = """id = "{id}"
title = "Generated table"
publisher = "tests"
kind = "figures"
format = "table_figures"
original_url = "https://example.org/report"
data_url = ""
published_on = 2016-04-01
reference_date = 2016-04-01
licence = "test data"
cadence = "once"

[extract]
match = "Fighters"
area_column = "Country"
value_column = "{value_column}"
metric = "travelled"
page = "Table 1"

[mirror]
file = "{file}"
"""

HTML = b"""<html><body><p>Intro</p>
<table><caption>Foreign fighters by country</caption>
<tr><th rowspan="2">Country</th><th colspan="2">Estimates</th></tr>
<tr><th>Fighters</th><th>Returned</th></tr>
<tr><td>France</td><td>more than 900<sup>a</sup></td><td>246</td></tr>
<tr><td>Germany</td><td>720&ndash;760</td><td>n/a</td></tr>
<tr><td>Belgium</td><td>516*</td><td>130</td></tr>
<tr><td>Narnia</td><td>12</td><td>1</td></tr>
<tr><td>Austria</td><td>n/a</td><td>&ndash;</td></tr>
</table></body></html>"""


def _source(tmp_path, name: str, body: bytes, value_column: str = "Estimates Fighters"):
    folder = tmp_path / "generated_table"
    (folder / "mirror").mkdir(parents=True)
    (folder / "mirror" / name).write_bytes(body)
    (folder / "source.toml").write_text(TOML.format(id="generated_table", file=name, value_column=value_column))
    return load_source(folder)


def test_html_table_source_loads_ranges_qualifiers_and_quarantines_the_rest(tmp_path):
    source = _source(tmp_path, "table.html", HTML)
    out = extract(source, HTML)
    f = out.frame.set_index("country_iso3")
    assert (f.loc["FRA", "value"], f.loc["FRA", "qualifier"]) == (900, "more_than")
    assert (f.loc["DEU", "value_low"], f.loc["DEU", "value_high"], f.loc["DEU", "qualifier"]) == (720, 760, "range")
    assert f.loc["BEL", "value"] == 516
    assert f.loc["FRA", "page"] == "Table 1" and "Country: France" in f.loc["FRA", "quote"]
    reasons = {json.loads(r)["country_as_published"]: why for r, why in zip(out.quarantine.row_json, out.quarantine.reason)}
    assert set(reasons) == {"Narnia", "Austria"}
    assert "unknown country 'Narnia'" in reasons["Narnia"] and "needs a value" in reasons["Austria"]


def _pdf(rows: list[list[str]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle, Paragraph, PageBreak
    from reportlab.lib.styles import getSampleStyleSheet
    buf = io.BytesIO()
    table = Table(rows)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
    story = [Paragraph("Annex", getSampleStyleSheet()["Title"]), PageBreak(),
             Paragraph("Foreign fighters by country", getSampleStyleSheet()["Normal"]), table]
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def test_pdf_table_source_gives_page_numbers(tmp_path):
    body = _pdf([["Country", "Fighters"], ["Tunisia", "1,500-3,000"], ["Morocco", "1,500"], ["Jordan", "about 1,500"]])
    source = _source(tmp_path, "table.pdf", body, value_column="Fighters")
    out = extract(source, body)
    f = out.frame.set_index("country_iso3")
    assert (f.loc["TUN", "value_low"], f.loc["TUN", "value_high"]) == (1500, 3000)
    assert f.loc["MAR", "value"] == 1500 and f.loc["JOR", "qualifier"] == "approx"
    assert set(f["page"]) == {"Table 1, p. 2"}


def test_missing_column_names_the_column(tmp_path):
    from schemas.validate import SourceError
    body = HTML.replace(b"<th>Fighters</th>", b"<th>Fighters (total)</th>")
    source = _source(tmp_path, "table.html", body)
    with pytest.raises(SourceError, match="generated_table: column 'Estimates Fighters' missing"):
        extract(source, body)
