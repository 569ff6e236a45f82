"""The transcription extractor reads the project's CSV format and the same columns as XLSX."""
import io

import openpyxl
import pytest

from flows.extractors.transcription import COLUMNS
from schemas.validate import SourceError
from tests.helpers import extract, mirror_bytes


def _as_xlsx(csv_text: str) -> bytes:
    import csv
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(csv_text)):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_and_csv_of_the_same_transcription_give_the_same_figures(catalog):
    source = catalog["soufan_2017_10"]
    from_csv = extract(source, mirror_bytes(source)).frame
    from_xlsx = extract(source, _as_xlsx(mirror_bytes(source).decode())).frame
    assert from_xlsx.equals(from_csv)
    sau = from_csv[(from_csv.country_iso3 == "SAU")].set_index("metric")["value"]
    assert (sau["travelled"], sau["returned"]) == (3244, 760)


def test_xlsx_without_a_required_column_fails_clearly(catalog):
    source = catalog["soufan_2017_10"]
    text = mirror_bytes(source).decode().replace("document_url", "doc_url", 1)
    with pytest.raises(SourceError, match="soufan_2017_10: column 'document_url' missing"):
        extract(source, _as_xlsx(text))


def test_unknown_country_in_a_transcription_is_quarantined_with_a_suggestion(catalog):
    source = catalog["soufan_2017_10"]
    lines = mirror_bytes(source).decode().splitlines()
    header, first = lines[0], lines[1]
    assert header.split(",") == COLUMNS
    bad = first.replace("Russia", "Rusia", 1)
    out = extract(source, ("\n".join([header, bad, *lines[2:]]) + "\n").encode())
    reason = out.quarantine[out.quarantine.stage == "harmonise"].iloc[0]["reason"]
    assert "unknown country 'Rusia'" in reason and "RUS" in reason
