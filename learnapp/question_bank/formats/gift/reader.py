"""GIFT reading, stage one: blocks parsed the way Moodle reads them (question-formats.md §3.1).

Reading has two stages. `read_items` parses blocks the way Moodle does (escapes, categories,
names, answer blocks, type detection, weights) but validates what Moodle lets through: weights
outside [-100, 100], non-numeric or non-finite numbers, stray braces. `to_drafts` then maps each
item onto this bank's types and says, as a warning, whatever did not map exactly:

- multichoice with one `=` → 单选; without `=`, the positively weighted answers (adding up to
  100%) → 多选 with those answers; unequal weights and penalties other than -100% (which is
  the bank's own rule, and what its exports write) are reported; the share a right subset
  earns comes from a `// [partial-credit:0%]` comment, else it is half;
- true/false → 判断; short answer → 填空 with one blank; numerical → 填空 with the exact value,
  or skipped when a tolerance or range cannot be held; essay → 简答: with the bank's own
  `// [reference:…]` and `// [key-point:…]` comments (what its export writes, since GIFT has no
  information for graders) the general feedback is the explanation, else the general feedback
  is the reference answer, one key point a line; matching and description items are skipped
  with the reason.

Moodle's quirks are reported, not copied: a line that is just `0` does not end a question here;
`=%50%x` in a multichoice is read as the weight the writer meant; `{true}` stays a short answer.
Question text is stored as plain text: [html] and [markdown] text lose their tags (a warning
says so). Category paths become knowledge-point names and are never used as file paths.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import MAX_KNOWLEDGE_NAME, MAX_PATH_DEPTH
from learnapp.question_bank.formats.common import (
    MAX_QUESTIONS,
    ParseResult,
    clean_line,
    has_html,
    html_to_text,
    strip_invisible,
)
from learnapp.question_bank.formats.gift.scanner import (
    RESERVED,
    WEIGHT,
    answer_block,
    blocks,
    comment_fields,
    escape,
    read_number,
    read_percent,
    read_weight,
    restore,
    split_feedback,
    text_format,
)
from learnapp.sanitize import strip_bidi
from learnapp.tabular import TableError, decode_text

BLANK_MARK = "\ue010"  # where the answer block stood, for 填空
MOODLE_BLANK = "_____"
FILL_BLANK = "____"
MAX_ANSWERS = 100  # in one answer block; the bank's types hold far fewer
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
# The default category Moodle makes for a course or quiz, in English and on a Chinese site.
MOODLE_DEFAULT = re.compile(r"(?:Default for|默认)\s(.*)", re.IGNORECASE)


@dataclass
class Answer:
    text: str
    fraction: Decimal = Decimal(0)
    feedback: str = ""
    value: Decimal | None = None  # numerical
    tolerance: Decimal | None = None


@dataclass
class Item:
    """One Moodle question as read from a GIFT block (test vectors compare against this) or a
    Moodle XML `<question>`."""

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
    points: Decimal | None = None  # Moodle XML's defaultgrade; GIFT has none
    # The bank's own fields (GIFT comments, Moodle XML's information for graders and
    # <partialcredit>): an essay's reference answer and key points, None when the file gives
    # no key points of its own; a multiple response's share for a right subset.
    reference: str = ""
    key_points: list[str] | None = None
    partial_credit: Decimal | None = None


def set_partial_credit(item: Item, raw: str) -> None:
    """The share a right subset earns, from the percentage written; a quirk when it is none."""
    share = read_percent(raw)
    if share is None:
        item.quirks.append(
            _l(
                "The partial credit “%(v)s” is not kept: it must be a percentage from 0 to 100. "
                "A right subset earns half the points.",
                v=raw[:20],
            )
        )
    else:
        item.partial_credit = share


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
                        w=restore(quirk.group(0)),
                    )
                )
                weight, piece = read_weight(piece, item.line, result)
                fraction = weight if weight is not None else fraction
        else:
            weight, piece = read_weight(piece, item.line, result)
            if weight is not None:
                fraction = weight
        text, feedback = split_feedback(piece)
        answer_format, text = text_format(text, "")
        item.answer_formats.append(answer_format)
        item.answers.append(Answer(text, fraction, feedback))


def _shortanswer(item: Item, body: str, result: ParseResult) -> None:
    pieces = body.split("=")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    for piece in pieces:
        weight, piece = read_weight(piece.strip(), item.line, result)
        text, feedback = split_feedback(piece)
        answer_format, text = text_format(text, "")
        item.answer_formats.append(answer_format)
        item.answers.append(Answer(text, Decimal(1) if weight is None else weight, feedback))
    if not item.answers:
        result.error(item.line, "", _l("A short-answer question needs at least one answer."))


def _numerical(item: Item, body: str, result: ParseResult) -> None:
    body = body[1:]
    body, tilde, wrong = body.partition("~")
    if tilde:
        item.answers.append(Answer("*", Decimal(0), split_feedback(wrong)[1]))
    pieces = body.split("=")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]
    if not pieces:
        result.error(item.line, "", _l("A numerical question needs an answer."))
    for piece in pieces:
        weight, piece = read_weight(piece.strip(), item.line, result)
        text, feedback = split_feedback(piece)
        answer = Answer(text, Decimal(1) if weight is None else weight, feedback)
        if ".." in text:
            low_text, _, high_text = text.partition("..")
            low, high = (
                read_number(low_text, item.line, result),
                read_number(high_text, item.line, result),
            )
            if low is None or high is None:
                continue
            if low > high:
                result.error(item.line, "", _l("The range %(r)s runs backwards.", r=text[:40]))
                continue
            answer.value, answer.tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in text:
            value_text, _, tolerance_text = text.partition(":")
            value, tolerance = (
                read_number(value_text, item.line, result),
                read_number(tolerance_text, item.line, result),
            )
            if value is None or tolerance is None:
                continue
            if tolerance < 0:
                result.error(item.line, "", _l("A tolerance cannot be negative."))
                continue
            answer.value, answer.tolerance = value, tolerance
        else:
            answer.value = read_number(text, item.line, result)
            answer.tolerance = Decimal(0)
            if answer.value is None:
                continue
        item.answers.append(answer)


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
    text = full = escape(raw)
    item = Item(first, "")
    fields = comment_fields(comments, first, result)
    item.idnumber, item.tags = fields.idnumber, fields.tags
    item.reference, item.key_points = fields.reference, fields.key_points
    if fields.partial_credit is not None:
        set_partial_credit(item, fields.partial_credit)
    if text.startswith("$CATEGORY:"):
        item.qtype = "category"
        item.category = restore(text[len("$CATEGORY:") :]).strip()
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
            item.name = restore(text[2:end]).strip()
            rest = text[end + 2 :]
            offset = end + 2 + (len(rest) - len(rest.lstrip()))
            text = rest.strip()
    located = answer_block(text, lines, full, offset, result)
    if located is None:
        return None
    start, finish = located
    if start == -1:
        if "｛" in text and "｝" in text:
            item.quirks.append(
                _l(
                    "Full-width braces ｛ ｝ do not mark answers in GIFT; type the half-width "
                    "{ } (switch the input method to English)."
                )
            )
        item.qtype = "description"
        item.text_format, item.text = text_format(text, "moodle")
        item.text = restore(item.text)
        return item
    after = text[finish + 1 :]
    body = text[start + 1 : finish].strip()
    at_end = text.endswith("}")
    item.marked_text = (text[:start] + BLANK_MARK + after).strip()
    question_text = (
        (text[:start] + after).strip() if at_end else text[:start] + MOODLE_BLANK + after
    )
    item.text_format, question_text = text_format(question_text.strip(), "moodle")
    item.text = restore(question_text)
    _fmt, marked = text_format(item.marked_text, "moodle")
    item.marked_text = restore(marked)
    if "####" in body:
        body, _sep, feedback = body.rpartition("####")
        item.general_feedback = restore(feedback.strip())
        body = body.strip()
    if body.count("~") + body.count("=") > MAX_ANSWERS:
        # Refused before the answers are read one by one: a block of a million `~x` would
        # otherwise take seconds to read into a question no type can hold.
        result.error(
            item.line,
            "",
            _l(
                "More than %(n)d answers in one answer block: no question type of the bank "
                "holds that many.",
                n=MAX_ANSWERS,
            ),
        )
        return None
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
            item.pairs.append((restore(left.strip()), restore(right.strip())))
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
                    "“{%(v)s}” is a short answer with the text “%(v)s”, not true/false: write {T} or {F} for a true-or-false question.",
                    v=head,
                )
            )
        _shortanswer(item, body, result)
    for answer in item.answers:
        answer.text, answer.feedback = restore(answer.text), restore(answer.feedback)
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
    for lines, comments in blocks(text, result):
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
    """A Moodle category path as knowledge-point names, without the levels Moodle makes itself:
    the context ($course$, $system$, $module$, $cat$ …), its `top` category, and its default
    category "Default for X" (默认 X on a Chinese site), which is read as X, named after the
    course or quiz, or dropped when the level above is X already. ../ segments are dropped."""
    parts = []
    for part in raw.split("/"):
        name = strip_bidi(clean_line(part))
        if not name or re.fullmatch(r"\$\w+\$", name) or (not parts and name.lower() == "top"):
            continue
        default_for = MOODLE_DEFAULT.fullmatch(name)
        if default_for:
            name = default_for.group(1).strip()
            if not name or parts[-1:] == [name[:MAX_KNOWLEDGE_NAME]]:
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
