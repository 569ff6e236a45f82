"""Hostile and broken documents given to a source with --url (a local file): each fails that source
alone with one line, the other source still loads, the faulty source's snapshot is intact and
nothing outside the raw store changes. Documents are generated from the real mirror copies."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from flows.catalog import load_catalog
from tests.faults.harness import HEALTHY, current_rows, files_outside_raw, one_line, query, run_sources

CATALOG = load_catalog()
SOUFAN = "soufan_2017_10"


def mirror(source_id: str) -> bytes:
    return CATALOG[source_id].mirror_path.read_bytes()


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def with_cell(data: bytes, column: str, value: str, row: int = 1) -> bytes:
    """The CSV with one cell of data row `row` replaced (csv module: quoting stays right)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows[row][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def fail_alone(warehouse, source_id: str, document: str, *, expect: str, accept=()):
    """Run the faulty source beside a healthy one; assert the four things every case asserts."""
    before = current_rows(warehouse, source_id)
    files_before = files_outside_raw(warehouse)
    _, outcomes = run_sources(warehouse, [source_id, HEALTHY], overrides={source_id: document},
                              force=True, accept_shrink=accept)
    bad, good = outcomes[source_id], outcomes[HEALTHY]
    assert bad.status == "failed", bad.error
    assert one_line(bad.error) and bad.error.startswith(f"{source_id}: ")
    assert expect in bad.error, bad.error
    assert good.status == "loaded"
    assert current_rows(warehouse, source_id) == before
    assert files_outside_raw(warehouse) == files_before
    return bad.error


# --------------------------------------------------------------------------- shrinking datasets


def test_50_row_population_file_fails_with_the_shrink_message(warehouse, tmp_path):
    short = b"".join(mirror("worldbank_population").splitlines(keepends=True)[:51])
    message = fail_alone(warehouse, "worldbank_population", write(tmp_path, "pop50.csv", short),
                         expect="worldbank_population: the new document would close 17,145 of 17,195 current rows "
                                "(99.7 %, limit 20 %); nothing loaded; use --accept-shrink worldbank_population")
    ledger = query(warehouse.db, "select passed, rows_checked, rows_failed from meta.validation "
                                 "where source_id = 'worldbank_population' and model = 'assertion:max_closed_share' "
                                 "order by checked_at desc limit 1")
    assert ledger == [(False, 17195, 17145)], message


def test_5_row_country_code_file_fails_with_the_shrink_message(warehouse, tmp_path):
    short = b"".join(mirror("country_codes").splitlines(keepends=True)[:6])
    fail_alone(warehouse, "country_codes", write(tmp_path, "cc5.csv", short),
               expect="the new document would close 244 of 249 current rows (98 %, limit 20 %); nothing loaded; "
                      "use --accept-shrink country_codes to load it")


@pytest.mark.parametrize("source_id, keep, current", [("worldbank_population", 51, 50), ("country_codes", 6, 5)])
def test_accept_shrink_loads_the_short_document(warehouse, tmp_path, source_id, keep, current):
    short = b"".join(mirror(source_id).splitlines(keepends=True)[:keep])
    _, outcomes = run_sources(warehouse, [source_id, HEALTHY], overrides={source_id: write(tmp_path, "s.csv", short)},
                              force=True, accept_shrink=(source_id,))
    assert outcomes[source_id].status == "loaded", outcomes[source_id].error
    assert len(current_rows(warehouse, source_id)) == current
    accepted = query(warehouse.db, "select detail from meta.validation where source_id = ? "
                                   "and model = 'assertion:max_closed_share' order by checked_at desc limit 1",
                     [source_id])[0][0]
    assert "accepted with --accept-shrink" in accepted


def test_population_below_min_rows_after_a_small_dataset(warehouse, tmp_path):
    # 60 % of the rows: closes 40 % (over the 20 % limit) and is below min_rows = 10,000
    lines = mirror("worldbank_population").splitlines(keepends=True)
    part = b"".join(lines[: int(len(lines) * 0.5)])
    fail_alone(warehouse, "worldbank_population", write(tmp_path, "half.csv", part),
               expect="nothing loaded; use --accept-shrink worldbank_population")


# --------------------------------------------------------------------------- implausible values and dates


def test_reference_date_in_the_future_fails_the_source(warehouse, tmp_path):
    doc = with_cell(mirror(SOUFAN), "reference_date", "2099-12-31")
    fail_alone(warehouse, SOUFAN, write(tmp_path, "future.csv", doc),
               expect="row(s) with reference_date outside [, ")


def test_population_year_in_the_future_fails_the_source(warehouse, tmp_path):
    doc = with_cell(mirror("worldbank_population"), "Year", "2099")
    fail_alone(warehouse, "worldbank_population", write(tmp_path, "future.csv", doc),
               expect="1 row(s) with year outside [")


def test_population_value_out_of_the_declared_range_fails(warehouse, tmp_path):
    doc = with_cell(mirror("worldbank_population"), "Value", "99000000000")
    fail_alone(warehouse, "worldbank_population", write(tmp_path, "huge.csv", doc),
               expect="1 row(s) with value outside [0, 20000000000]")


# --------------------------------------------------------------------------- bytes


def test_nul_byte_after_the_first_4_kib_fails_the_source(warehouse, tmp_path):
    data = mirror(SOUFAN)
    cut = data.index(b"\n", 6000) - 5
    fail_alone(warehouse, SOUFAN, write(tmp_path, "nul.csv", data[:cut] + b"\x00" + data[cut:]),
               expect=f"control character 0x00 at byte {cut}")


@pytest.mark.parametrize("byte", [b"\x1b", b"\x07", b"\x0b"], ids=["escape", "bell", "vertical-tab"])
def test_other_control_characters_fail_the_source(warehouse, tmp_path, byte):
    data = mirror("icsr_2015_01")
    cut = len(data) - 10
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "ctl.csv", data[:cut] + byte + data[cut:]),
               expect=f"control character 0x{byte[0]:02x} at byte {cut}")


def test_not_utf8_fails_with_the_byte_offset(warehouse, tmp_path):
    data = mirror("icsr_2015_01").replace(b"afghanistan", "afgh\u00e4nistan".encode("latin-1"), 1)
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "latin1.csv", data), expect="not UTF-8 text (byte ")


def test_empty_document_fails(warehouse, tmp_path):
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "empty.csv", b""), expect="empty document")


def test_header_only_document_fails(warehouse, tmp_path):
    header = mirror("icsr_2015_01").splitlines(keepends=True)[0]
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "header.csv", header), expect="no data rows")


def test_pdf_bytes_where_a_csv_is_expected(warehouse, tmp_path):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 4
    fail_alone(warehouse, SOUFAN, write(tmp_path, "doc.pdf", pdf), expect="binary content where a text/CSV")


# --------------------------------------------------------------------------- nothing of a file leaks


def test_a_system_file_as_a_transcription_echoes_nothing_of_it(warehouse, tmp_path):
    lines = [f"user{i}:x:{1000 + i}:{1000 + i}:Secret Person {i}:/home/user{i}:/bin/bash" for i in range(20)]
    passwd = write(tmp_path, "passwd", ("\n".join(lines) + "\n").encode())
    message = fail_alone(warehouse, SOUFAN, passwd, expect="its first line is not a CSV header (1 column)")
    assert "user0" not in message and "Secret" not in message and "/bin/bash" not in message


def test_a_foreign_csv_header_is_named_only_by_plain_column_names(warehouse, tmp_path):
    doc = b"name,password_hash,<script>alert(1)</script>,[/bold]\nalice,$6$abc,1,2\n"
    message = fail_alone(warehouse, SOUFAN, write(tmp_path, "foreign.csv", doc), expect="column 'publication_id' missing")
    assert "'name'" in message and "'password_hash'" in message
    assert "<script>" not in message and "[/bold]" not in message and "2 unreadable" in message
    assert "alice" not in message and "$6$abc" not in message


def test_rich_markup_in_a_header_is_a_plain_failure(warehouse, tmp_path):
    data = mirror("icsr_2015_01").replace(b"countrycode", b"[/bold]countrycode[link=file:///etc/passwd]", 1)
    message = fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "markup.csv", data),
                         expect="column 'countrycode' missing")
    from rich.console import Console
    from rich.markup import escape
    console = Console(file=io.StringIO(), width=300)
    console.print(f"[red]icsr_2015_01[/]: {escape(message)}")   # what `ftf run` prints: no MarkupError


def test_duplicate_columns_fail(warehouse, tmp_path):
    lines = mirror("icsr_2015_01").splitlines(keepends=True)
    lines[0] = lines[0].replace(b"icsr.mean", b"icsr.low")
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "dupe.csv", b"".join(lines)), expect="duplicate column(s)")


def test_ragged_rows_fail_with_the_row_number(warehouse, tmp_path):
    lines = mirror("icsr_2015_01").splitlines(keepends=True)
    lines[3] = lines[3].rstrip(b"\n") + b",extra\n"
    fail_alone(warehouse, "icsr_2015_01", write(tmp_path, "ragged.csv", b"".join(lines)),
               expect="row 4: 7 cells where the header has 6")


# --------------------------------------------------------------------------- formulas reach the CSV neutralised


def test_formula_cells_are_neutralised_in_the_published_csv_not_in_parquet(warehouse, tmp_path):
    import json

    import duckdb

    from warehouse.load import open_writer
    from warehouse.marts import build_marts
    from warehouse.publish import publish

    prefixes = ['=HYPERLINK("http://evil.example","x") ', "+cmd|' /C calc'!A0 ", "-2+3 ", "@SUM(A1) ", "\t", "\r"]
    doc = mirror(SOUFAN)
    rows = list(csv.reader(io.StringIO(doc.decode("utf-8"))))
    for row, prefix in enumerate(prefixes, start=1):
        doc = with_cell(doc, "quote", prefix + rows[row][rows[0].index("quote")], row=row)
    _, outcomes = run_sources(warehouse, [SOUFAN], overrides={SOUFAN: write(tmp_path, "formula.csv", doc)}, force=True)
    assert outcomes[SOUFAN].status == "loaded", outcomes[SOUFAN].error
    con = open_writer(warehouse.db)
    try:
        build_marts(con)
        publish(con, warehouse.published, run_id="formula")
    finally:
        con.close()
    manifest = json.loads((warehouse.published / "manifest.json").read_text())
    neutralised = 0
    for table in manifest["tables"]:
        text_columns = [c["name"] for c in table["columns"] if c["type"] == "VARCHAR"]
        with open(warehouse.published / table["files"]["csv"], newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for column in text_columns:
                    cell = row[column]
                    assert not cell or cell[0] not in "=+-@\t\r", f"{table['name']}.{column}: {cell[:30]!r}"
                    neutralised += cell.startswith("'=HYPERLINK")
    assert neutralised >= 1
    kept = duckdb.sql(f"select count(*) from read_parquet('{warehouse.published / 'country_estimates.parquet'}') "
                      "where quote like '=HYPERLINK%'").fetchall()[0][0]
    assert kept >= 1   # Parquet keeps the value as it is
