"""Fixtures for the generic extractors: documents generated here, never real data.

Country names in these documents are fictional on purpose (Atlantis, Borduria, ...), so the
figures cannot be mistaken for published ones.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the project on sys.path
    sys.path.insert(0, str(ROOT))

# The table drawn on the PDF pages, as printed (footnote marks, a dash for "no figure").
PDF_TABLE = [
    ["Country", "Travelled", "Returned"],
    ["Atlantis", "3,417a", "2,926*"],
    ["Borduria", "470", "118"],
    ["Syldavia", "1,910", "\u2013"],
    ["Zembla", "850", "425"],
]


def _draw_table(c, rows, *, ruled: bool, title: str, x0: float = 72, top: float = 700) -> None:
    c.setFont("Helvetica-Bold", 12)
    c.drawString(x0, top + 50, title)
    c.setFont("Helvetica", 10)
    c.drawString(x0, top + 30, "Invented figures for a test; the method is described elsewhere.")
    xs = [x0, x0 + 150, x0 + 240, x0 + 330]
    height = 18
    for i, row in enumerate(rows):
        y = top - i * height
        for j, cell in enumerate(row):
            c.drawString(xs[j] + 4, y - 13, cell)
    if ruled:
        for i in range(len(rows) + 1):
            c.line(xs[0], top - i * height, xs[-1], top - i * height)
        for x in xs:
            c.line(x, top, x, top - len(rows) * height)
    c.drawString(x0, top - len(rows) * height - 30, "a) estimate.  * includes dual nationals.")


def make_pdf(pages) -> bytes:
    """pages: a list of callables drawing on a reportlab canvas, one per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for draw in pages:
        draw(c)
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def two_layout_pdf() -> bytes:
    """Page 1: the table with drawn grid lines; page 2: the same table without any line."""
    return make_pdf([
        lambda c: _draw_table(c, PDF_TABLE, ruled=True, title="Table 1. Ruled layout"),
        lambda c: _draw_table(c, PDF_TABLE, ruled=False, title="Table 2. Unruled layout"),
    ])
