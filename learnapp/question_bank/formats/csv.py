"""CSV with the template's columns: UTF-8 with or without BOM, or GBK/GB18030 (never GBK first),
or UTF-16 with a BOM (comma- or tab-separated)."""

import codecs
import csv as std_csv
import io
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import ExportResult, ParseResult
from learnapp.question_bank.formats.sheet import COLUMNS, parse_table
from learnapp.question_bank.formats.sheet_rows import export_problem, row_of
from learnapp.tabular import TableError, csv_bytes, csv_error, read_csv


def _from_utf16(data: bytes) -> bytes:
    """Excel's "Unicode text" and some CSV exports are UTF-16 with a BOM, often tab-separated:
    the same table as UTF-8 comma-separated CSV."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        raise TableError(_l("The file starts like UTF-16 but is not valid UTF-16.")) from None
    first = text.split("\n", 1)[0]
    if "\t" in first and "," not in first:
        buffer = io.StringIO()
        reader = std_csv.reader(io.StringIO(text, newline=""), delimiter="\t")
        try:
            rows = list(reader)
        except std_csv.Error as error:
            raise csv_error(error, reader.line_num) from None
        std_csv.writer(buffer).writerows(rows)
        text = buffer.getvalue()
    return text.encode("utf-8")


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        table = read_csv(_from_utf16(data) if utf16 else data)
    except TableError as error:
        result = ParseResult()
        result.error(None, "", str(error))
        return result
    if utf16:
        table.encoding = "utf-16"
    width = len(table.header)
    # A row with fewer cells than the header means shifted or lost columns (an unquoted line
    # break, a missing separator): it is refused as a whole rather than guessed at.
    short = [(number, len(cells)) for number, cells in table.rows if len(cells) < width]
    table.rows = [(number, cells) for number, cells in table.rows if len(cells) >= width]
    result = parse_table(table, filename, default_kp)
    for number, count in short:
        result.error(
            number,
            "",
            _l("This row has %(cells)d cells; the header has %(n)d.", cells=count, n=width),
        )
    result.errors.sort(key=lambda problem: problem.line or 0)
    return result


def export(drafts: Iterable[QuestionDraft]) -> ExportResult:
    """UTF-8 with BOM so Excel opens it, formula-safe (tabular.csv_bytes)."""
    rows, skipped = [], []
    for draft in drafts:
        problem = export_problem(draft)
        if problem:
            skipped.append((draft, str(problem)))
        else:
            rows.append(row_of(draft))
    return ExportResult(b"".join(csv_bytes(list(COLUMNS), rows)), len(rows), skipped)
