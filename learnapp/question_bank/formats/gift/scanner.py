"""GIFT scanning: escapes, blocks, comments, format prefixes, answer blocks, weights, numbers."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import MAX_TAG
from learnapp.question_bank.formats.common import ParseResult

# Escapes become private-use placeholders before any splitting and are restored afterwards.
ESCAPES = {
    "\\\\": "\ue000",
    "\\:": "\ue001",
    "\\#": "\ue002",
    "\\=": "\ue003",
    "\\{": "\ue004",
    "\\}": "\ue005",
    "\\~": "\ue006",
    "\\n": "\ue007",
}
RESTORE = {
    "\ue000": "\\",
    "\ue001": ":",
    "\ue002": "#",
    "\ue003": "=",
    "\ue004": "{",
    "\ue005": "}",
    "\ue006": "~",
    "\ue007": "\n",
}
PLACEHOLDERS = re.compile("[\ue000-\ue007]")
RESERVED = re.compile("[\ue000-\ue01f]")
FORMAT_PREFIX = re.compile(r"^\[(html|moodle|plain|markdown)\]")
# Moodle's `[id:…]` and `[tag:…]`, and the bank's own fields, which Moodle ignores as comments:
# a 简答's reference answer and key points, and a 多选's partial credit. Read left to right, so
# a field's value may hold what looks like another field.
COMMENT_FIELD = re.compile(r"\[(id|tag|reference|key-point|partial-credit):((?:\\.|[^\]\\])*)\]")
# In the bank's own fields `\\`, `\]` and `\n` are escapes; Moodle's escape `]` only.
FIELD_ESCAPES = {"\\": "\\", "]": "]", "n": "\n"}
PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*%?\s*$")
BAD_TAG = re.compile(r"[<>`\x00-\x1f\x7f]")
WEIGHT = re.compile(r"^%\s*(-?[0-9]+(?:\.[0-9]*)?)\s*%")
BAD_WEIGHT = re.compile(r"^%([^%\s]{0,12})%")
NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
MAX_NUMBER = Decimal("1e15")


def escape(text: str) -> str:
    for sequence, placeholder in ESCAPES.items():
        text = text.replace(sequence, placeholder)
    return text


def restore(text: str) -> str:
    return PLACEHOLDERS.sub(lambda m: RESTORE.get(m.group(0), ""), text)


def text_format(text: str, inherited: str) -> tuple[str, str]:
    """(format, text without its [format] prefix); `inherited` when there is no prefix."""
    match = FORMAT_PREFIX.match(text)
    if match:
        return match.group(1), text[match.end() :].strip()
    return inherited, text


def blocks(text: str, result: ParseResult):
    """([(line number, line)], comments) per block of non-blank lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    block: list[tuple[int, str]] = []
    comments: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            if block or comments:
                yield block, comments
            block, comments = [], []
            continue
        if line == "0":
            result.warn(
                number,
                "",
                _l(
                    "A line that is just 0 ends the question in Moodle; here it is kept as question text."
                ),
            )
        if line.startswith("//"):
            comments.append(line[2:])
            continue
        block.append((number, line))
    if block or comments:
        yield block, comments


@dataclass
class CommentFields:
    idnumber: str = ""
    tags: list[str] = field(default_factory=list)
    reference: str = ""
    key_points: list[str] | None = None  # None when the block names neither these nor a reference
    partial_credit: str | None = None  # as written


def field_escape(text: str) -> str:
    """A value for one of the bank's own comment fields: one line, `\\ ]` escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace("]", "\\]").replace("\n", "\\n")


def _field_value(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: FIELD_ESCAPES.get(m.group(1), m.group(0)), text).strip()


def comment_fields(comments: list[str], line: int, result: ParseResult) -> CommentFields:
    """A block's `[id:…]` (the first) and `[tag:…]` comments, and the bank's own `[reference:…]`,
    `[key-point:…]` and `[partial-credit:…]`; bad tags are warned of."""
    fields = CommentFields()
    found_id = False
    for match in COMMENT_FIELD.finditer(" ".join(comments)):
        name, raw = match.groups()
        if name == "id" and not found_id:
            fields.idnumber, found_id = raw.replace("\\]", "]").strip(), True
        elif name == "tag":
            _tag(raw.replace("\\]", "]").strip(), fields.tags, line, result)
        elif name in ("reference", "key-point"):
            value = _field_value(raw)
            if fields.key_points is None:
                fields.key_points = []
            if name == "reference":
                fields.reference = value
            elif value:
                fields.key_points.append(value)
        elif name == "partial-credit":
            fields.partial_credit = raw.strip()
    return fields


def _tag(tag: str, tags: list[str], line: int, result: ParseResult) -> None:
    if not tag:
        return
    if BAD_TAG.search(tag) or len(tag) > MAX_TAG:
        result.warn(
            line,
            "",
            _l(
                "The tag “%(t)s” is not kept: tags may not contain < > ` or control characters and have at most %(n)d characters.",
                t=tag[:30],
                n=MAX_TAG,
            ),
        )
    elif tag not in tags:
        tags.append(tag)


def read_percent(text: str) -> Decimal | None:
    """A share from a percentage from 0 to 100 ("50%", "33.5", "0"); None when it is not one."""
    match = PERCENT.match(text or "")
    if not match:
        return None
    value = Decimal(match.group(1))
    return value / 100 if value <= 100 else None


def _line_at(lines: list[tuple[int, str]], joined: str, offset: int) -> int:
    return lines[min(joined.count("\n", 0, offset), len(lines) - 1)][0]


def answer_block(
    text: str, lines: list[tuple[int, str]], full: str, offset: int, result: ParseResult
) -> tuple[int, int] | None:
    """(start, finish) of the one `{…}` in `text`, (-1, -1) without braces; None after an error.

    `text` starts at `offset` in `full`, the escaped block whose `lines` name the error's line.
    """
    start, finish = text.find("{"), text.find("}")
    if start == -1 and finish == -1:
        return start, finish
    if start == -1 or finish == -1 or finish < start:
        position = finish if start == -1 or (finish != -1 and finish < start) else start
        result.error(
            _line_at(lines, full, offset + position),
            "",
            _l(
                "Unbalanced braces: an answer block needs both { and } (write \\{ or \\} for a literal brace)."
            ),
        )
        return None
    after = text[finish + 1 :]
    if "{" in after or "}" in after or "{" in text[start + 1 : finish]:
        position = (
            finish + 1 + min(i for i in (after.find("{"), after.find("}")) if i >= 0)
            if ("{" in after or "}" in after)
            else start
        )
        result.error(
            _line_at(lines, full, offset + position),
            "",
            _l("Only one answer block per question: escape other braces as \\{ and \\}."),
        )
        return None
    return start, finish


def read_weight(text: str, line: int, result: ParseResult):
    """(fraction or None when absent, rest of text); an invalid weight is an error."""
    match = WEIGHT.match(text)
    if match:
        value = Decimal(match.group(1))
        if not Decimal(-100) <= value <= Decimal(100):
            result.error(
                line,
                "",
                _l("The weight %(w)s%% is outside -100%% to 100%%.", w=match.group(1)),
            )
            return None, text[match.end() :]
        return value / 100, text[match.end() :].strip()
    bad = BAD_WEIGHT.match(text)
    if bad:
        result.error(
            line,
            "",
            _l(
                "“%%%(w)s%%” is not a weight: write a percentage such as %%50%%.",
                w=restore(bad.group(1)),
            ),
        )
    return None, text


def split_feedback(text: str) -> tuple[str, str]:
    head, _sep, feedback = text.partition("#")
    return head.strip(), feedback.strip()


def read_number(text: str, line: int, result: ParseResult) -> Decimal | None:
    text = text.strip()
    value = None
    if NUMBER.match(text):
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
    if value is None:
        result.error(line, "", _l("“%(v)s” is not a number.", v=restore(text)[:30]))
        return None
    if not value.is_finite() or abs(value) > MAX_NUMBER:
        result.error(line, "", _l("The number %(v)s is out of range.", v=text[:30]))
        return None
    return value
