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
# What only GIFT writes: a name (::name::) or category at the start of a line, or an answer block
# opening with =, ~, #, %, T/F or nothing ({}).
GIFT_STRUCTURE = re.compile(
    rb"^\s*(?:::|\$CATEGORY:)|(?<!\\)\{\s*(?:[=~#%}]|(?:T|F|TRUE|FALSE)\s*[#}])", re.MULTILINE
)


class FormatError(ValueError):
    """The file's format is not one we read."""


def _is_aiken(data: bytes) -> bool:
    """A .txt with ANSWER: lines is Aiken when it reads as Aiken without an error (braces in a
    stem are text there), or when it has nothing only GIFT writes (so its Aiken errors show). Lines
    may end in a bare carriage return (classic Mac), which both readers split on."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not AIKEN_ANSWER.search(data):
        return False
    if not GIFT_STRUCTURE.search(data):
        return True
    result = aiken.parse(data)
    return bool(result.questions) and not result.errors


def detect(filename: str, data: bytes) -> str:
    """The format code for a file: by extension; a .txt by its content (Aiken or GIFT)."""
    name = (filename or "").lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension in BY_EXTENSION:
        return BY_EXTENSION[extension]
    if extension in (".xls", ".xlsm", ".xlsb", ".et"):
        raise FormatError(_l("Save the workbook as .xlsx (Excel Workbook, without macros)."))
    if extension == ".txt":
        return "aiken" if _is_aiken(data) else "gift"
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
