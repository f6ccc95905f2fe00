"""Spreadsheet files in and out, safely.

Reading: size is capped before anything is parsed; CSV is decoded as UTF-8 (BOM or not) and only
then as GB18030 (a superset of GBK) — never GBK first, which silently turns UTF-8 into mojibake;
an xlsx is a zip, so its member count and declared expansion are checked before openpyxl opens it
(read-only, through defusedxml). Writing: text cells that a spreadsheet would run as a formula are
prefixed with an apostrophe, and xlsx cells are forced to the string type (security.md §6.2).
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from flask import Response
from flask_babel import lazy_gettext as _l

from learnapp.web import content_disposition

MAX_ROWS = 20_000
MAX_ZIP_MEMBERS = 200
MAX_XLSX_EXPANDED_BYTES = 100 * 1024 * 1024
MAX_XLSX_RATIO = 100
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
MERGE_CELL = re.compile(rb'<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref="([^"]*)"')
# The sheet of notes the import templates carry after their data sheet: never read, never warned of.
NOTES_SHEET = "说明"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the user sees it, cells)
    encoding: str
    # (row number, column position) of every formula cell of a workbook; the cell's text is
    # then the formula itself, never a value a spreadsheet computed.
    formulas: set[tuple[int, int]] = field(default_factory=set)
    # The names of a workbook's other sheets that hold data: only the first sheet is read.
    other_sheets: list[str] = field(default_factory=list)


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030; anything else is refused, naming the
    line of the first bad byte as read by whichever decoder got further into the file (the
    encoding the file most likely is meant in; UTF-8 when they fail at the same byte). A UTF-8
    file with one stray Latin-1 byte thus names that byte's line, not the first line of
    Chinese, where GB18030 stumbles over the UTF-8 text."""
    if b"\x00" in data:
        if _looks_utf16(data):
            raise TableError(
                _l(
                    "The file is saved as UTF-16 (Unicode text): save it as UTF-8 and upload it again."
                )
            )
        raise TableError(_l("The file contains NUL bytes; it is not a text file."))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_bad = _bad_offset(data, error)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        bad = max(utf8_bad, _bad_offset(data, error))
    line = data[:bad].count(b"\n") + 1
    raise TableError(
        _l("The file is neither UTF-8 nor GBK/GB18030 (first bad byte on line %(n)d).", n=line)
    )


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 (Notepad's "Unicode"), with or without its BOM: its ASCII characters (newlines,
    commas, letters) bring NUL bytes, mostly at odd offsets (little-endian) or even ones, and
    the file decodes to text without control characters."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if max(even, odd) < max(2, len(data) // 100):
        return False
    try:
        text = data.decode("utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return False
    return all(char >= " " or char in "\t\r\n" for char in text)


def _bad_offset(data: bytes, error: UnicodeDecodeError) -> int:
    """Where a decoder failed, as an offset into `data`: "utf-8-sig" counts past the BOM."""
    return error.start + len(data) - len(error.object)


def _clean(value) -> str:
    """A cell as text. A date or time cell (what Excel makes of 1921-7-1 or 8:30 typed into a
    cell) reads as the date or time shown, without a midnight or zero seconds."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, datetime | time) and not (value.second or value.microsecond):
        return value.isoformat(timespec="minutes").replace("T", " ")
    return str(value).strip()


def csv_error(error: csv.Error, line: int) -> TableError:
    """A CSV reader's failure in words: a cell over the reader's size limit (what an oversized
    cell or a stray quote that swallows the rest of the file gives) names its line."""
    if "field larger than field limit" in str(error):
        return TableError(
            _l(
                'Line %(n)d: a cell is longer than %(max)s characters (an unmatched " can make'
                " the rest of the file one cell).",
                n=line,
                max=f"{csv.field_size_limit():,}",
            )
        )
    return TableError(_l("The CSV file is malformed: %(e)s", e=str(error)))


def read_csv(data: bytes) -> Table:
    text, encoding = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as error:
        raise csv_error(error, reader.line_num) from None
    if not lines:
        raise TableError(_l("The file is empty."))
    header = [_clean(cell) for cell in lines[0]]
    rows = [
        (number, [_clean(cell) for cell in line])
        for number, line in enumerate(lines[1:], start=2)
        if any(cell.strip() for cell in line)
    ]
    if len(rows) > MAX_ROWS:
        raise TableError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    return Table(header, rows, encoding)


def check_xlsx_container(data: bytes) -> None:
    """Refuse what is not a plain xlsx, and zip bombs, before any XML is parsed."""
    if not data.startswith(b"PK\x03\x04"):
        raise TableError(_l("This is not an .xlsx file."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile:
        raise TableError(_l("This is not an .xlsx file.")) from None
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names:
        raise TableError(_l("This is not an .xlsx file."))
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TableError(_l("Files with macros are not accepted."))
    if len(members) > MAX_ZIP_MEMBERS:
        raise TableError(_l("The workbook has too many parts."))
    expanded = sum(info.file_size for info in members)
    if expanded > MAX_XLSX_EXPANDED_BYTES or expanded > MAX_XLSX_RATIO * max(len(data), 1):
        raise TableError(_l("The workbook expands to too much data to be read safely."))


def _formula_text(value) -> str:
    """A formula cell's formula: openpyxl gives text, or an object for array and data-table
    formulas."""
    if isinstance(value, str):
        return value
    return getattr(value, "text", None) or "=TABLE()"


def _xlsx_cells(row, formulas: set[tuple[int, int]], number: int) -> list[str]:
    cells = []
    for position, cell in enumerate(row):
        if cell.data_type == "f":
            formulas.add((number, position))
            cells.append(_formula_text(cell.value))
        elif _is_percent(cell):
            cells.append(f"{(Decimal(repr(cell.value)) * 100).normalize():f}%")
        else:
            cells.append(_clean(cell.value))
    return cells


def _is_percent(cell) -> bool:
    """A number shown as a percentage (0.5 formatted as 50%): read as shown, since an answer or
    a label typed as 50% means the text 50%, not 0.5."""
    value = cell.value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and "%" in (getattr(cell, "number_format", None) or "")


def _holds_data(sheet) -> bool:
    return any(
        value not in (None, "") for row in sheet.iter_rows(values_only=True) for value in row
    )


def other_sheets_message(table: Table) -> str:
    """The warning that the workbook's other sheets holding data were not read."""
    return str(
        _l(
            "Only the first sheet is read. These sheets also hold data and were not read: "
            "%(names)s. Put all the rows on the first sheet.",
            names="、".join(table.other_sheets),
        )
    )


def _merged_ranges(sheet) -> list[str]:
    """The merged ranges of a read-only sheet ("C1:F1"): a merged cell's value is in its first
    cell only, so the others would read as empty. openpyxl gives them only to a sheet loaded
    whole, so the sheet's XML is scanned for its <mergeCell> elements, as bytes and a chunk at a
    time (XML escapes a < in text: only markup matches); a chunk is cut before its last <."""
    ranges: list[str] = []
    tail = b""
    with sheet._get_source() as source:
        while chunk := source.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")
            cut = len(text) if cut == -1 else cut
            ranges += MERGE_CELL.findall(text, 0, cut)
            tail = text[cut:]
    ranges += MERGE_CELL.findall(tail)
    return sorted((ref.decode("ascii", "replace") for ref in ranges), key=_range_order)


def _range_order(ref: str) -> tuple[int, int]:
    """A merged range's place on the sheet, row first; a range that cannot be read goes last."""
    from openpyxl.utils.cell import range_boundaries

    try:
        min_col, min_row, _max_col, _max_row = range_boundaries(ref)
    except ValueError:
        return (MAX_ROWS + 1, 0)
    return (min_row or 0, min_col or 0)


def read_xlsx(data: bytes) -> Table:
    """The first sheet's rows, and the names of the other sheets that hold data (so that a
    preview can say they were not read; the templates' notes sheet aside). A formula cell is read as its formula, never as the value a
    spreadsheet last computed for it (a file openpyxl or a script wrote has none: it would read
    as empty), and listed in `Table.formulas` so that the importers refuse it."""
    check_xlsx_container(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise TableError(_l("The workbook could not be opened.")) from None
    try:
        sheet = workbook.worksheets[0]
        merged = _merged_ranges(sheet)
        if merged:
            raise TableError(
                _l(
                    "The first sheet has merged cells (%(cells)s): unmerge them, give every "
                    "cell its own value and upload the file again.",
                    cells="、".join(merged[:5]) + ("…" if len(merged) > 5 else ""),
                )
            )
        found: set[tuple[int, int]] = set()
        rows_iter = sheet.iter_rows()
        header_row = next(rows_iter, None)
        if header_row is None:
            raise TableError(_l("The file is empty."))
        header = _xlsx_cells(header_row, found, 1)
        rows = []
        for number, row in enumerate(rows_iter, start=2):
            cells = _xlsx_cells(row, found, number)
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS:
                    raise TableError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
        others = [
            other.title
            for other in workbook.worksheets[1:]
            if other.title != NOTES_SHEET and _holds_data(other)
        ]
        return Table(header, rows, "xlsx", found, others)
    except TableError:
        raise
    except Exception:
        # The sheet is parsed while it is read: a malformed cell or formula fails here.
        raise TableError(_l("The workbook could not be opened.")) from None
    finally:
        workbook.close()


def read_table(filename: str, data: bytes) -> Table:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv(data)
    raise TableError(_l("Upload an .xlsx or .csv file."))


def looks_like_formula(value: str) -> bool:
    return bool(value) and value.startswith(FORMULA_PREFIXES)


def safe_text(value):
    """A cell value that no spreadsheet will evaluate: text with a formula prefix gets `'`."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """CSV as UTF-8 with BOM (Excel opens it correctly), formula-safe, streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for row in _chain(header, rows):
        writer.writerow([safe_text(cell) for cell in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def _chain(header, rows):
    yield header
    yield from rows


def write_xlsx_sheet(sheet, header: list[str], rows: Iterable[Iterable]) -> None:
    """Append rows to an openpyxl sheet with every text cell stored as a string."""
    for row in _chain(header, rows):
        sheet.append([safe_text(cell) for cell in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def download(body, *, content_type: str, filename: str, ascii_filename: str) -> Response:
    """A file download, never cached, its name in UTF-8 with an ASCII fallback for old clients
    (`ascii_filename`: say what the file is, as "audit-log.csv").
    The content type is sent as given: Werkzeug's `mimetype` would append a second charset to a
    text type that names one already."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response.headers["Cache-Control"] = "no-store"
    return response
