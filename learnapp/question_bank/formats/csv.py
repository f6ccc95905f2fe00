"""CSV with the template's columns: UTF-8 with or without BOM, or GBK/GB18030 (never GBK first)."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import ExportResult, ParseResult
from learnapp.question_bank.formats.sheet import COLUMNS, export_problem, parse_table, row_of
from learnapp.tabular import TableError, csv_bytes, read_csv


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    try:
        table = read_csv(data)
    except TableError as error:
        result = ParseResult()
        result.error(None, "", str(error))
        return result
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
