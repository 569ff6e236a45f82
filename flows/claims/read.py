"""Bytes of a document → text, page by page.

    read_document(data, kind=None, name="") -> [(page, text), ...]

- plain text: one entry, page None; UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/latin-1;
- HTML: one entry, page None; script/style/nav/noscript/template/svg/iframe dropped, a blank
  line between block elements (paragraphs, headings, list items, table rows, <br>);
- PDF: one entry per page that has text, pages numbered from 1 (pdfplumber).
`kind` is "text" | "html" | "pdf" (aliases: txt, htm, text/html, application/pdf, ...);
when None it is sniffed from the bytes (`%PDF`, `<html`, `<!doctype`) and then the name.
Unreadable, empty or corrupt documents raise `ClaimsInputError`.
"""
from __future__ import annotations

import io
import re

_KINDS = {
    "text": "text", "txt": "text", "plain": "text", "text/plain": "text", "md": "text",
    "html": "html", "htm": "html", "xhtml": "html", "text/html": "html", "application/xhtml+xml": "html",
    "pdf": "pdf", "application/pdf": "pdf",
}
_DROP = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "head", "button", "select"}
_BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
    "thead", "tbody", "tfoot", "caption", "figure", "figcaption", "address", "hr", "form", "fieldset",
    "details", "summary", "title",
}


class ClaimsInputError(ValueError):
    """The document cannot be read as text (empty, corrupt, unsupported kind, no text layer)."""


def detect_kind(data: bytes, name: str = "") -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf") or b"%pdf-" in data[:1024]:
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:1024] or \
            (head.startswith(b"<?xml") and b"<html" in head):
        return "html"
    ext = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    ext = ext.split("?")[0]
    if ext in ("pdf",):
        return "pdf"
    if ext in ("html", "htm", "xhtml"):
        return "html"
    return "text"


def read_document(data: bytes, kind: str | None = None, name: str = "") -> list[tuple[int | None, str]]:
    if data is None or len(data) == 0:
        raise ClaimsInputError(f"{name or 'document'}: empty document (0 bytes)")
    if isinstance(data, str):
        data = data.encode("utf-8")
    if kind is None:
        kind = detect_kind(data, name)
    else:
        normalised = _KINDS.get(kind.strip().lower().split(";")[0])
        if normalised is None:
            raise ClaimsInputError(f"{name or 'document'}: unsupported kind {kind!r} (use text, html or pdf)")
        kind = normalised
    if kind == "pdf":
        pages = _read_pdf(data, name)
    elif kind == "html":
        pages = [(None, _read_html(data, name))]
    else:
        pages = [(None, _read_text(data, name))]
    pages = [(p, t) for p, t in pages if t and t.strip()]
    if not pages:
        raise ClaimsInputError(f"{name or 'document'}: no text found in the {kind} document")
    return pages


def decode_text(data: bytes, name: str = "") -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_WORD = re.compile(r"^[(\"'“‘]?[^\W\d_]{2,}[.,;:!?'\"”’)]*$")


def _looks_like_prose(text: str) -> bool:
    """Most whitespace-separated tokens of prose are words (a config file, a password file or a
    dump of numbers is not): at least 40 % of the first 5,000 tokens."""
    tokens = text.split()[:5000]
    return not tokens or sum(1 for t in tokens if _WORD.match(t)) >= 0.4 * len(tokens)


def _read_text(data: bytes, name: str) -> str:
    text = decode_text(data, name)
    if text.count("\x00") or sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f") > len(text) * 0.05:
        raise ClaimsInputError(f"{name or 'document'}: looks like a binary file, not text")
    if not _looks_like_prose(text):
        raise ClaimsInputError(f"{name or 'document'}: does not look like prose (few words), so nothing is read from it")
    return text


def _read_html(data: bytes, name: str) -> str:
    import lxml.html
    from bs4 import UnicodeDammit

    markup = UnicodeDammit(data, is_html=True).unicode_markup
    if markup is None:
        raise ClaimsInputError(f"{name or 'document'}: cannot decode the HTML")
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    try:
        root = lxml.html.document_fromstring(markup)
    except Exception as exc:  # lxml raises ParserError / ValueError on junk
        raise ClaimsInputError(f"{name or 'document'}: cannot parse the HTML ({exc})") from exc
    body = root.find("body")
    if body is None:
        body = root
    parts: list[str] = []
    _walk(body, parts)
    text = "".join(parts)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _walk(el, parts: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _DROP or not isinstance(el.tag, str):        # comments, processing instructions
        if el.tail:
            parts.append(el.tail)
        return
    block = tag in _BLOCK
    if block:
        parts.append("\n\n")
    if tag == "br":
        parts.append("\n")
    if tag in ("td", "th"):
        parts.append(" ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _walk(child, parts)
    if block:
        parts.append("\n\n")
    if tag in ("td", "th"):
        parts.append(" ")
    if el.tail:
        parts.append(el.tail)


def _read_pdf(data: bytes, name: str) -> list[tuple[int, str]]:
    import pdfplumber

    pages: list[tuple[int, str]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not pdf.pages:
                raise ClaimsInputError(f"{name or 'document'}: the PDF has no pages")
            for number, page in enumerate(pdf.pages, start=1):
                text = page.extract_text() or ""
                pages.append((number, text))
    except ClaimsInputError:
        raise
    except Exception as exc:  # pdfminer raises many kinds (PDFSyntaxError, PSEOF, ...)
        raise ClaimsInputError(f"{name or 'document'}: cannot read the PDF ({type(exc).__name__}: {exc})") from exc
    if not any(t.strip() for _, t in pages):
        raise ClaimsInputError(f"{name or 'document'}: the PDF has no text layer (scanned images?)")
    return pages
