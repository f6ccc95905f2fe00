"""GIFT reading, stage one: blocks parsed the way Moodle reads them (question-formats.md §3.1).

Reading has two stages. `read_items` parses blocks the way Moodle does (escapes, categories,
names, answer blocks, type detection, weights) but validates what Moodle lets through: weights
outside [-100, 100], non-numeric or non-finite numbers, stray braces. `to_drafts` then maps each
item onto this bank's types and says, as a warning, whatever did not map exactly:

- multichoice with one `=` → 单选; without `=`, the positively weighted answers (adding up to
  100%) → 多选 with those answers; penalties and unequal weights are reported;
- true/false → 判断; short answer → 填空 with one blank; numerical → 填空 with the exact value,
  or skipped when a tolerance or range cannot be held; essay → 简答 (reference answer taken
  from the general feedback); matching and description items are skipped with the reason.

Moodle's quirks are reported, not copied: a line that is just `0` does not end a question here;
`=%50%x` in a multichoice is read as the weight the writer meant; `{true}` stays a short answer.
Question text is stored as plain text: [html] and [markdown] text lose their tags (a warning
says so). Category paths become knowledge-point names and are never used as file paths.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import MAX_KNOWLEDGE_NAME, MAX_PATH_DEPTH, MAX_TAG
from learnapp.question_bank.formats.common import (
    MAX_QUESTIONS,
    ParseResult,
    clean_line,
    has_html,
    html_to_text,
    strip_invisible,
)
from learnapp.sanitize import strip_bidi
from learnapp.tabular import TableError, decode_text

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
BLANK_MARK = "\ue010"  # where the answer block stood, for 填空
MOODLE_BLANK = "_____"
FILL_BLANK = "____"
FORMAT_PREFIX = re.compile(r"^\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"^%\s*(-?[0-9]+(?:\.[0-9]*)?)\s*%")
BAD_WEIGHT = re.compile(r"^%([^%\s]{0,12})%")
NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
ID_COMMENT = re.compile(r"\[id:((?:\\\]|[^\]])*)\]")
TAG_COMMENT = re.compile(r"\[tag:((?:\\\]|[^\]])*)\]")
BAD_TAG = re.compile(r"[<>`\x00-\x1f\x7f]")
MAX_NUMBER = Decimal("1e15")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


@dataclass
class Answer:
    text: str
    fraction: Decimal = Decimal(0)
    feedback: str = ""
    value: Decimal | None = None  # numerical
    tolerance: Decimal | None = None


@dataclass
class Item:
    """One GIFT block as Moodle reads it (test vectors compare against this)."""

    line: int
    qtype: str  # category | description | essay | numerical | multichoice | match | truefalse | shortanswer
    name: str = ""
    text: str = ""
    text_format: str = "moodle"
    marked_text: str = ""  # the text with BLANK_MARK where the answer block stood
    answers: list[Answer] = field(default_factory=list)
    answer_formats: list[str] = field(default_factory=list)
    single: bool = True
    correct: bool | None = None  # truefalse
    general_feedback: str = ""
    idnumber: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)
    quirks: list = field(default_factory=list)  # warnings found while reading


def _escape(text: str) -> str:
    for sequence, placeholder in ESCAPES.items():
        text = text.replace(sequence, placeholder)
    return text


def _restore(text: str) -> str:
    return PLACEHOLDERS.sub(lambda m: RESTORE.get(m.group(0), ""), text)


def _blocks(text: str, result: ParseResult):
    """(first line number, [(line number, line)], comments) per block of non-blank lines."""
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


def _line_at(lines: list[tuple[int, str]], joined: str, offset: int) -> int:
    return lines[min(joined.count("\n", 0, offset), len(lines) - 1)][0]


def _format(text: str, inherited: str) -> tuple[str, str]:
    match = FORMAT_PREFIX.match(text)
    if match:
        return match.group(1), text[match.end() :].strip()
    return inherited, text


def _weight(text: str, item: Item, result: ParseResult):
    """(fraction or None when absent, rest of text); an invalid weight is an error."""
    match = WEIGHT.match(text)
    if match:
        value = Decimal(match.group(1))
        if not Decimal(-100) <= value <= Decimal(100):
            result.error(
                item.line,
                "",
                _l("The weight %(w)s%% is outside -100%% to 100%%.", w=match.group(1)),
            )
            return None, text[match.end() :]
        return value / 100, text[match.end() :].strip()
    bad = BAD_WEIGHT.match(text)
    if bad:
        result.error(
            item.line,
            "",
            _l(
                "“%%%(w)s%%” is not a weight: write a percentage such as %%50%%.",
                w=_restore(bad.group(1)),
            ),
        )
    return None, text


def _split_feedback(text: str) -> tuple[str, str]:
    head, _sep, feedback = text.partition("#")
    return head.strip(), feedback.strip()


def _number(text: str, item: Item, result: ParseResult) -> Decimal | None:
    text = text.strip()
    value = None
    if NUMBER.match(text):
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
    if value is None:
        result.error(item.line, "", _l("“%(v)s” is not a number.", v=_restore(text)[:30]))
        return None
    if not value.is_finite() or abs(value) > MAX_NUMBER:
        result.error(item.line, "", _l("The number %(v)s is out of range.", v=text[:30]))
        return None
    return value


def _multichoice(item: Item, body: str, result: ParseResult) -> None:
    pieces = body.replace("=", "~=").split("~")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    if len(pieces) < 2:
        result.error(item.line, "", _l("A multiple-choice question needs at least two answers."))
        return
    # Single choice when some answer is marked with a bare `=` (an `=%w%` counts as `~%w%`).
    item.single = False
    for piece in pieces:
        piece = piece.strip()
        fraction = Decimal(0)
        if piece.startswith("="):
            piece = piece[1:].strip()
            fraction = Decimal(1)
            quirk = WEIGHT.match(piece)
            if not quirk:
                item.single = True
            else:
                item.quirks.append(
                    _l(
                        "“=%(w)s” gives full marks in Moodle and keeps %(w)s as text; it is read here as a weight, as if written “~%(w)s”.",
                        w=_restore(quirk.group(0)),
                    )
                )
                weight, piece = _weight(piece, item, result)
                fraction = weight if weight is not None else fraction
        else:
            weight, piece = _weight(piece, item, result)
            if weight is not None:
                fraction = weight
        text, feedback = _split_feedback(piece)
        answer_format, text = _format(text, "")
        item.answer_formats.append(answer_format)
        item.answers.append(Answer(text, fraction, feedback))


def _shortanswer(item: Item, body: str, result: ParseResult) -> None:
    pieces = body.split("=")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    for piece in pieces:
        weight, piece = _weight(piece.strip(), item, result)
        text, feedback = _split_feedback(piece)
        answer_format, text = _format(text, "")
        item.answer_formats.append(answer_format)
        item.answers.append(Answer(text, Decimal(1) if weight is None else weight, feedback))
    if not item.answers:
        result.error(item.line, "", _l("A short-answer question needs at least one answer."))


def _numerical(item: Item, body: str, result: ParseResult) -> None:
    body = body[1:]
    body, tilde, wrong = body.partition("~")
    if tilde:
        item.answers.append(Answer("*", Decimal(0), _split_feedback(wrong)[1]))
    pieces = body.split("=")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    if not pieces:
        result.error(item.line, "", _l("A numerical question needs an answer."))
    for piece in pieces:
        weight, piece = _weight(piece.strip(), item, result)
        text, feedback = _split_feedback(piece)
        answer = Answer(text, Decimal(1) if weight is None else weight, feedback)
        if ".." in text:
            low_text, _, high_text = text.partition("..")
            low, high = _number(low_text, item, result), _number(high_text, item, result)
            if low is None or high is None:
                continue
            if low > high:
                result.error(item.line, "", _l("The range %(r)s runs backwards.", r=text[:40]))
                continue
            answer.value, answer.tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in text:
            value_text, _, tolerance_text = text.partition(":")
            value, tolerance = (
                _number(value_text, item, result),
                _number(tolerance_text, item, result),
            )
            if value is None or tolerance is None:
                continue
            if tolerance < 0:
                result.error(item.line, "", _l("A tolerance cannot be negative."))
                continue
            answer.value, answer.tolerance = value, tolerance
        else:
            answer.value = _number(text, item, result)
            answer.tolerance = Decimal(0)
            if answer.value is None:
                continue
        item.answers.append(answer)


def _parse_comments(item: Item, comments: list[str], result: ParseResult) -> None:
    joined = " ".join(comments)
    match = ID_COMMENT.search(joined)
    if match:
        item.idnumber = match.group(1).replace("\\]", "]").strip()
    for match in TAG_COMMENT.finditer(joined):
        tag = match.group(1).replace("\\]", "]").strip()
        if not tag:
            continue
        if BAD_TAG.search(tag) or len(tag) > MAX_TAG:
            result.warn(
                item.line,
                "",
                _l(
                    "The tag “%(t)s” is not kept: tags may not contain < > ` or control characters and have at most %(n)d characters.",
                    t=tag[:30],
                    n=MAX_TAG,
                ),
            )
        elif tag not in item.tags:
            item.tags.append(tag)


def _read_block(lines, comments, result: ParseResult) -> Item | None:
    first = lines[0][0] if lines else 0
    raw = "\n".join(line for _, line in lines).strip()
    if RESERVED.search(raw):
        result.error(
            first,
            "",
            _l("The text contains private-use characters (U+E000–U+E01F) that cannot be imported."),
        )
        return None
    text = full = _escape(raw)
    item = Item(first, "")
    _parse_comments(item, comments, result)
    if text.startswith("$CATEGORY:"):
        item.qtype = "category"
        item.category = _restore(text[len("$CATEGORY:") :]).strip()
        if "\n" in item.category:
            result.error(
                first,
                "",
                _l("A $CATEGORY: line must be a block of its own: add a blank line after it."),
            )
            return None
        return item
    offset = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            text, offset = text[2:], 2
        else:
            item.name = _restore(text[2:end]).strip()
            rest = text[end + 2 :]
            offset = end + 2 + (len(rest) - len(rest.lstrip()))
            text = rest.strip()
    start, finish = text.find("{"), text.find("}")
    if start == -1 and finish == -1:
        if "｛" in text and "｝" in text:
            item.quirks.append(
                _l(
                    "Full-width braces ｛ ｝ do not mark answers in GIFT; type the half-width "
                    "{ } (switch the input method to English)."
                )
            )
        item.qtype = "description"
        item.text_format, item.text = _format(text, "moodle")
        item.text = _restore(item.text)
        return item
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
    body = text[start + 1 : finish].strip()
    at_end = text.endswith("}")
    item.marked_text = (text[:start] + BLANK_MARK + after).strip()
    question_text = (
        (text[:start] + after).strip() if at_end else text[:start] + MOODLE_BLANK + after
    )
    item.text_format, question_text = _format(question_text.strip(), "moodle")
    item.text = _restore(question_text)
    _fmt, marked = _format(item.marked_text, "moodle")
    item.marked_text = _restore(marked)
    if "####" in body:
        body, _sep, feedback = body.rpartition("####")
        item.general_feedback = _restore(feedback.strip())
        body = body.strip()
    head = body.split("#", 1)[0].strip()
    if not body:
        item.qtype = "essay"
    elif body.startswith("#"):
        item.qtype = "numerical"
        _numerical(item, body, result)
    elif "~" in body:
        item.qtype = "multichoice"
        _multichoice(item, body, result)
    elif "=" in body and "->" in body:
        item.qtype = "match"
        for piece in body.split("=")[1:]:
            left, _arrow, right = piece.partition("->")
            item.pairs.append((_restore(left.strip()), _restore(right.strip())))
    elif head in TRUE_FALSE:
        item.qtype = "truefalse"
        item.correct = TRUE_FALSE[head]
        parts = body.split("#")
        if len(parts) > 1:
            item.answers.append(Answer(head, Decimal(1), "#".join(parts[1:])))
    else:
        item.qtype = "shortanswer"
        if head.lower() in ("t", "true", "f", "false"):
            item.quirks.append(
                _l(
                    "“{%(v)s}” is a short answer with the text “%(v)s”, not true/false: write {T} or {F} for a 判断.",
                    v=head,
                )
            )
        _shortanswer(item, body, result)
    for answer in item.answers:
        answer.text, answer.feedback = _restore(answer.text), _restore(answer.feedback)
    return item


def read_items(data: bytes, result: ParseResult) -> list[Item]:
    """Every block of the file as Moodle reads it, with errors for what Moodle should refuse."""
    try:
        text, encoding = decode_text(data)
    except TableError as error:
        result.error(None, "", str(error))
        return []
    result.encoding = encoding
    text = strip_invisible(text, result)
    if encoding != "utf-8":
        result.warn(None, "", _l("GIFT files should be UTF-8; this one was read as GB18030 (GBK)."))
    items = []
    for lines, comments in _blocks(text, result):
        if not lines:
            continue
        if len(items) >= MAX_QUESTIONS:
            result.error(None, "", _l("At most %(n)d questions per file.", n=MAX_QUESTIONS))
            return []
        errors = len(result.errors)
        item = _read_block(lines, comments, result)
        if item is not None and len(result.errors) == errors:
            items.append(item)
    return items


def category_path(raw: str, line: int, result: ParseResult) -> list[str]:
    """A Moodle category path as knowledge-point names: $course$/top and ../ segments dropped."""
    parts = []
    for part in raw.split("/"):
        name = strip_bidi(clean_line(part))
        if not name or re.fullmatch(r"\$\w+\$", name) or (not parts and name.lower() == "top"):
            continue
        if name in (".", ".."):
            result.warn(line, "", _l("“%(s)s” in a category path is ignored.", s=name))
            continue
        parts.append(name[:MAX_KNOWLEDGE_NAME])
    if len(parts) > MAX_PATH_DEPTH:
        result.warn(
            line, "", _l("Only the first %(n)d levels of the category are kept.", n=MAX_PATH_DEPTH)
        )
        parts = parts[:MAX_PATH_DEPTH]
    return parts


def plain(text: str, text_format: str) -> tuple[str, bool]:
    """The bank's plain text, and whether formatting was dropped ([html], [markdown], HTML tags)."""
    if text_format == "plain" or (text_format == "moodle" and not has_html(text)):
        return text.strip(), False
    return html_to_text(text), True
