"""The one exception the generic extractors raise for content they cannot read.

`ExtractError` says *where* (page, row, column, all optional) and *why* (reason), and its
``str()`` is a single human-readable line, e.g.::

    row 12, column 'value': 'abc' is not a number

Callers (the per-source extractors, the flow) prefix the source id; nothing here knows it.
Transport problems (connection refused, timeouts, HTTP 5xx) are not `ExtractError`: they are
raised by `requests` so the fetch layer can retry them.
"""
from __future__ import annotations

import re

__all__ = ["ExtractError"]


class ExtractError(ValueError):
    """A document could not be turned into a table; see `.reason`, `.page`, `.row`, `.column`.

    `row` and `page` are 1-based numbers as a person finds them in the document: for a CSV
    or spreadsheet the row number the file shows (header included), for an HTML/PDF table or
    an API page the data row (header not counted).
    """

    def __init__(
        self,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        page: int | None = None,
    ) -> None:
        self.reason = reason
        self.row = row
        self.column = column
        self.page = page
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.page is not None:
            where.append(f"page {self.page}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        reason = re.sub(r"\s+", " ", str(self.reason)).strip() or "unreadable content"
        return f"{', '.join(where)}: {reason}" if where else reason

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self):  # keep the keyword-only fields when pickled (Prefect, subprocesses)
        return (_rebuild, (self.reason, self.row, self.column, self.page))


def _rebuild(reason, row, column, page) -> ExtractError:
    return ExtractError(reason, row=row, column=column, page=page)
