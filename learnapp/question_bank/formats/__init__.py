"""Question files in and out: the Excel template, CSV, GIFT, Aiken and Moodle XML.

Each format module offers `parse(data, filename, default_kp) -> ParseResult` (pure: bytes in,
drafts and problems out) and `export(drafts) -> ExportResult`.
`detect` picks the format from the file name, and for .txt from the content.
"""

import re
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.formats import aiken, csv, gift, moodle_xml, xlsx
from learnapp.question_bank.formats.common import (
    ExportResult,
    ParsedQuestion,
    ParseResult,
    Problem,
)
from learnapp.question_bank.types import TYPES

__all__ = [
    "FORMATS",
    "ExportResult",
    "FormatError",
    "ParseResult",
    "ParsedQuestion",
    "Problem",
    "detect",
    "export",
    "export_refusal",
    "parse",
]


@dataclass(frozen=True)
class Format:
    code: str
    label: str
    extension: str
    mimetype: str
    module: object


FORMATS = {
    "xlsx": Format(
        "xlsx",
        _l("Excel template (.xlsx)"),
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx,
    ),
    "csv": Format("csv", _l("CSV (.csv)"), ".csv", "text/csv; charset=utf-8", csv),
    "gift": Format("gift", _l("GIFT (Moodle, .gift)"), ".gift", "text/plain; charset=utf-8", gift),
    "aiken": Format("aiken", _l("Aiken (.txt)"), ".txt", "text/plain; charset=utf-8", aiken),
    "xml": Format("xml", _l("Moodle XML (.xml)"), ".xml", "application/xml", moodle_xml),
}
BY_EXTENSION = {".xlsx": "xlsx", ".csv": "csv", ".gift": "gift", ".aiken": "aiken", ".xml": "xml"}
AIKEN_ANSWER = re.compile(rb"^\s*ANSWER\s*(?::|\xef\xbc\x9a)", re.MULTILINE)


class FormatError(ValueError):
    """The file's format is not one we read."""


def detect(filename: str, data: bytes) -> str:
    """The format code for a file: by extension; a .txt is Aiken when it has ANSWER: lines and no
    answer braces, else GIFT."""
    name = (filename or "").lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension in BY_EXTENSION:
        return BY_EXTENSION[extension]
    if extension in (".xls", ".xlsm", ".xlsb", ".et"):
        raise FormatError(_l("Save the workbook as .xlsx (Excel Workbook, without macros)."))
    if extension == ".txt":
        if AIKEN_ANSWER.search(data) and b"{" not in data:
            return "aiken"
        return "gift"
    raise FormatError(
        _l("Upload an .xlsx, .csv, .gift, .xml (Moodle XML) or .txt (GIFT or Aiken) file.")
    )


def parse(
    fmt: str, data: bytes, filename: str = "", default_kp: list[str] | None = None
) -> ParseResult:
    return FORMATS[fmt].module.parse(data, filename, default_kp)


def export(fmt: str, drafts) -> ExportResult:
    return FORMATS[fmt].module.export(drafts)


def export_refusal(fmt: str, matching: int, result: ExportResult) -> str | None:
    """Why an export gives no file, or None: no question matched the filters, or the format can
    hold none of those that did (each writer's reasons, with how many questions of which type)."""
    if matching == 0:
        return str(_l("No question matches these filters, so there is nothing to export."))
    if result.exported:
        return None
    by_reason: dict[str, Counter] = {}
    for draft, reason in result.skipped:
        by_reason.setdefault(reason, Counter())[draft.type] += 1
    reasons = "; ".join(
        f"{reason} ({', '.join(f'{TYPES[code].short_label} {n}' for code, n in types.items())})"
        for reason, types in by_reason.items()
    )
    return str(
        _l(
            "%(format)s can hold none of the %(n)d matching questions: %(reasons)s",
            format=FORMATS[fmt].label,
            n=matching,
            reasons=reasons,
        )
    )
