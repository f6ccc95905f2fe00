"""What every question file format shares: problems with their place, and the text rules.

A parser turns bytes into `ParsedQuestion`s plus problems, never touching the database, so it is
tested on its own and reused by the web import, the CLI and the demo seeder. Problems carry the
row (spreadsheets) or line (GIFT, Aiken) and, for spreadsheets, the column header.

- errors block the import (nothing is stored while any remains);
- warnings tell how something was read (a format quirk, HTML turned into text);
- skipped items are well-formed but cannot be held by this bank (a GIFT matching question):
  they are listed and left out, without blocking the rest.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import (
    MAX_KNOWLEDGE_NAME,
    MAX_PATH_DEPTH,
    MAX_TAG,
    MAX_TAGS,
    QuestionDraft,
)
from learnapp.sanitize import plain_text
from learnapp.text import CONTROL

# More than any real bank file; a GIFT file of 10,000 questions must still be read.
MAX_QUESTIONS = 20_000
MAX_SOURCE_DOCUMENT = 200
MAX_SOURCE_VERSION = 64
DEFAULT_POINTS = {"single": "1", "multiple": "2", "judge": "1", "fill": "2", "short": "5"}

HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--|&(?:[a-z]+|#\d+);")
TAG_SEPARATORS = re.compile(r"[;；、，,]")
# Characters that show as nothing, picked up from Word and web pages: zero-width space, word
# joiner, soft hyphen, and byte-order marks (a second file pasted after the first).
INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")


@dataclass
class Problem:
    line: int | None  # row or line number; None for the file as a whole
    column: str  # a spreadsheet column header or letter; "" for line-based formats
    message: str

    def where(self) -> str:
        """ROW_OR_LINE[ column] as the CLI and the preview show it."""
        if self.line is None:
            return ""
        return f"{self.line}" + (f" {self.column}" if self.column else "")


@dataclass
class ParsedQuestion:
    line: int
    draft: QuestionDraft


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    encoding: str = ""

    def error(self, line, column, message) -> None:
        self.errors.append(Problem(line, column, message))

    def warn(self, line, column, message) -> None:
        self.warnings.append(Problem(line, column, message))

    def skip(self, line, column, message) -> None:
        self.skipped.append(Problem(line, column, message))


def right_share(count: int) -> str:
    """Each of `count` right answers' share of the marks in percent, as GIFT and Moodle XML write
    it (33.33333 for three)."""
    return f"{Decimal(100) / count:.5f}".rstrip("0").rstrip(".")


@dataclass
class ExportResult:
    data: bytes
    exported: int
    skipped: list[tuple[QuestionDraft, str]] = field(default_factory=list)


def has_html(text: str) -> bool:
    return bool(HTML_TAG.search(text or ""))


def html_to_text(text: str) -> str:
    """Tags removed and entities decoded: the bank stores plain text and templates escape it."""
    with_breaks = re.sub(r"(?i)<br\s*/?>|</p\s*>", "\n", text)
    return html.unescape(plain_text(with_breaks)).strip()


def fold(text: str) -> str:
    """Full-width letters, digits and punctuation made half-width (Ａ．→A.)."""
    return unicodedata.normalize("NFKC", text or "")


def clean_line(text: str) -> str:
    """A cell without control or invisible characters (line breaks and tabs stay), trimmed."""
    return INVISIBLE.sub("", CONTROL.sub("", text or "")).strip()


def strip_invisible(text: str, result: ParseResult) -> str:
    """A line-based file's text without invisible characters, which would otherwise keep a
    "blank" line from separating two questions or hide inside stems; a warning names the first
    line that had one."""
    match = INVISIBLE.search(text)
    if match is None:
        return text
    line = text.count("\n", 0, match.start()) + 1
    result.warn(
        line,
        "",
        _l(
            "Invisible characters (zero-width spaces, byte-order marks) were removed, here and "
            "wherever else they were."
        ),
    )
    return INVISIBLE.sub("", text)


def path_problem(parts: list[str]):
    if len(parts) > MAX_PATH_DEPTH:
        return _l("A knowledge-point path has at most %(n)d levels.", n=MAX_PATH_DEPTH)
    for part in parts:
        if len(part) > MAX_KNOWLEDGE_NAME:
            return _l("A knowledge-point name has at most %(n)d characters.", n=MAX_KNOWLEDGE_NAME)
    return None


def split_tags(text: str) -> list[str]:
    tags: list[str] = []
    for part in TAG_SEPARATORS.split(text or ""):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def tags_problem(tags: list[str]):
    if len(tags) > MAX_TAGS:
        return _l("At most %(n)d tags.", n=MAX_TAGS)
    if any(len(tag) > MAX_TAG for tag in tags):
        return _l("A tag has at most %(n)d characters.", n=MAX_TAG)
    return None
