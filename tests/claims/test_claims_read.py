"""Reading documents: plain text, HTML and PDF (a PDF generated here with reportlab)."""
import io

import pytest

from flows.claims import ClaimsInputError, extract_all_from_document, extract_from_document, read_document
from flows.claims.read import detect_kind

PAGE_1 = [
    "Foreign fighters: where they came from",
    "The report found that more than 5,000 people from the European Union travelled to Syria and Iraq. "
    "Of them, more than 1,200 came back, the report said.",
    "Some 300 Swedes went to fight, officials in Stockholm said on 3 May 2017.",
]
PAGE_2 = [
    "Returnees",
    "Police arrested 43 returnees in France last year. Tunisia reported the return of 800 people.",
    "Contact: +33 1 23 45 67 89",
]


def make_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    buf = io.BytesIO()
    styles = getSampleStyleSheet()
    story = []
    for i, paragraphs in enumerate(pages):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(paragraphs[0], styles["Heading1"]))
        story.extend(Paragraph(p, styles["BodyText"]) for p in paragraphs[1:])
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


@pytest.fixture(scope="module")
def pdf_bytes():
    return make_pdf([PAGE_1, PAGE_2])


def test_pdf_is_read_page_by_page(pdf_bytes):
    pages = read_document(pdf_bytes)
    assert [p for p, _ in pages] == [1, 2]
    assert "5,000 people" in pages[0][1] and "arrested 43" in pages[1][1]


def test_pdf_claims_carry_their_page(pdf_bytes):
    got = {(c.page, c.area, c.metric, c.value, c.qualifier) for c in extract_from_document(pdf_bytes, name="r.pdf")}
    assert got == {
        (1, "EU", "travelled", 5000, "more_than"),
        (1, "EU", "returned", 1200, "more_than"),       # wrapped lines are joined into sentences
        (1, "SWE", "travelled", 300, "approx"),
        (2, "FRA", "detained", 43, "exact"),
        (2, "TUN", "returned", 800, "exact"),
    }


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Returnees</title>
<style>p { color: red } .x:before { content: "9,999 fighters from France" }</style>
<script>var n = "7,777 fighters from Germany travelled";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/x">2,000 people from Spain joined</a></nav>
<article>
<h1>Belgium&#8217;s returnees</h1>
<p>In Belgi&euml; vertrokken bijna 500 Syri&euml;strijders.<br>Volgens de denktank zijn meer dan 102 van hen teruggekeerd.</p>
<p>An estimated <b>280</b> Dutch jihadists traveled to Syria over the past years.</p>
<ul><li>Turkey: 900</li><li>Tunisia: 800</li></ul>
</article>
<footer>&copy; 2017 &middot; Tel. 020 555 0123</footer>
</body></html>"""


def test_html_drops_script_style_nav_and_keeps_paragraphs():
    [(page, text)] = read_document(HTML.encode("utf-8"))
    assert page is None
    assert "7,777" not in text and "9,999" not in text and "2,000 people" not in text
    assert "Belgium’s returnees" in text
    assert "\n\nAn estimated 280 Dutch jihadists" in text         # paragraph break kept
    assert "In België vertrokken bijna 500 Syriëstrijders." in text


def test_html_claims():
    result = extract_all_from_document(HTML.encode("utf-8"), name="page.html")
    got = {(c.area, c.metric, c.value, c.qualifier) for c in result.claims}
    assert got == {("BEL", "travelled", 500, "approx"), ("BEL", "returned", 102, "more_than"),
                   ("NLD", "travelled", 280, "approx")}
    # the list items have no metric in the page: reported, not guessed
    assert {(u.area, u.value, u.reason) for u in result.unresolved} == {("TUR", 900, "no metric"), ("TUN", 800, "no metric")}


def test_html_in_another_encoding():
    html = '<html><head><meta charset="windows-1252"></head><body><p>Plus de 900 Fran\xe7ais sont partis combattre.</p></body></html>'
    [(_, text)] = read_document(html.encode("cp1252"))
    assert "Français" in text
    [claim] = extract_from_document(html.encode("cp1252"))
    assert (claim.area, claim.metric, claim.value, claim.qualifier) == ("FRA", "travelled", 900, "more_than")


@pytest.mark.parametrize("data", [
    "Around 60 have returned to Canada.\n".encode("utf-8"),
    "\ufeffAround 60 have returned to Canada.\n".encode("utf-8"),
    "Around 60 have returned to Canada.\n".encode("utf-16"),
    "Around 60 have returned to Canada. – cp1252\n".encode("cp1252"),
])
def test_text_encodings(data):
    [(page, text)] = read_document(data)
    assert page is None and text.startswith("Around 60")
    [claim] = extract_from_document(data)
    assert (claim.area, claim.metric, claim.value, claim.qualifier) == ("CAN", "returned", 60, "approx")


@pytest.mark.parametrize("data,name,kind", [
    (b"%PDF-1.7\n...", "", "pdf"), (b"  <!DOCTYPE html><html>", "", "html"), (b"<html lang=en>", "", "html"),
    (b"plain words", "", "text"), (b"<p>fragment</p>", "page.htm", "html"), (b"plain", "notes.txt", "text"),
])
def test_detect_kind(data, name, kind):
    assert detect_kind(data, name) == kind


@pytest.mark.parametrize("data,kind,message", [
    (b"", None, "empty"),
    (b"   \n\n  ", None, "no text"),
    (b"%PDF-1.4\nthis is not really a pdf", None, "cannot read the PDF"),
    (b"\x00\x01\x02\x03binary\x00\x00" * 50, "text", "binary"),
    (b"<html><body><script>x=1</script></body></html>", None, "no text"),
    (b"hello", "docx", "unsupported kind"),
])
def test_unreadable_documents(data, kind, message):
    with pytest.raises(ClaimsInputError, match=message):
        read_document(data, kind=kind, name="doc")


def test_pdf_without_text_layer():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200)          # a drawing, no text
    c.showPage()
    c.save()
    with pytest.raises(ClaimsInputError, match="no text layer"):
        read_document(buf.getvalue())


def test_explicit_kind_wins_over_sniffing():
    [(page, text)] = read_document(b"<p>Around 60 have returned to Canada.</p>", kind="text/plain")
    assert text.startswith("<p>")
    [(page, text)] = read_document(b"<p>Around 60 have returned to Canada.</p>", kind="html")
    assert text == "Around 60 have returned to Canada."


def test_pdf_claims_are_grounded_in_their_page(pdf_bytes):
    from flows.claims.grounding import grounding_problem

    pages = dict(read_document(pdf_bytes))
    claims = extract_from_document(pdf_bytes, name="r.pdf")
    assert claims and all(grounding_problem(c, pages[c.page]) is None for c in claims)
    eu = next(c for c in claims if c.area == "EU" and c.metric == "returned")
    assert pages[1][eu.span_start:eu.span_end] == "1,200"       # the wrapped line joined, offsets kept


def test_offsets_survive_wrapped_and_hyphenated_lines():
    text = ("Officials in Stockholm said on Monday that some 300 Swedes\nhad travelled to Syria since 2012, "
            "and that 49 of them had been kil-\nled there.\n")
    claims = extract_all_from_document(text.encode(), kind="text").claims
    assert [(c.area, c.metric, c.value) for c in claims] == [("SWE", "travelled", 300), ("SWE", "killed", 49)]
    for c in claims:
        assert text[c.span_start:c.span_end] == str(int(c.value))
        assert text[c.quote_start:c.quote_end].startswith("Officials") and text[c.quote_start:c.quote_end].endswith("there.")
