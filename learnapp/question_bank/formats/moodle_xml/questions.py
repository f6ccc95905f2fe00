"""Moodle XML questions read into the Moodle items GIFT reading also produces (gift.reader.Item).

Text is made plain here, element by element, following its `format` attribute: html (and
Moodle's auto-format when it holds tags) goes through the sanitiser's plain-text cleaner, so
tags go and entities are decoded; CDATA is ordinary text to the XML reader. The paragraphs and
line breaks every editor adds are dropped silently; other formatting, images (`<img>`, and
`<file>` elements, which are never decoded nor written anywhere) are dropped with a warning.
A question's `defaultgrade` becomes its points when the bank can hold it (more than 0, at most
100). Types the bank cannot hold are skipped with the reason; so are essays with no text for
markers (information for graders, else general feedback). The bank's own fields come back too:
an essay's key points from the information for graders its export writes (grader_info.py), a
multiple response's `<partialcredit>`.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import MAX_TAG, MAX_TAGS
from learnapp.question_bank.formats.common import ParseResult, clean_line, html_to_text
from learnapp.question_bank.formats.gift.reader import (
    BLANK_MARK,
    Answer,
    Item,
    set_partial_credit,
)
from learnapp.question_bank.formats.gift.scanner import BAD_TAG, read_number
from learnapp.question_bank.formats.moodle_xml import grader_info
from learnapp.question_bank.types.written import BLANK
from learnapp.sanitize import strip_bidi

# Moodle's text formats, as GIFT names them.
TEXT_FORMATS = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
}
TAG_NAME = re.compile(r"<\s*([A-Za-z][A-Za-z0-9]*)")
# Tags every editor wraps text in: losing them loses nothing a reader sees.
LAYOUT_TAGS = {"p", "br", "div", "span"}
CENT = Decimal("0.01")
MAX_POINTS = Decimal(100)


class _Reading:
    """One question's text conversions, noting what was lost on the way."""

    def __init__(self, default_format: str):
        self.default_format = default_format
        self.images = False
        self.formatting = False

    def text(self, node: Element | None, default: str | None = None) -> str:
        """The plain text of a node's `<text>` child in the node's format."""
        if node is None:
            return ""
        raw = node.findtext("text") or ""
        code = TEXT_FORMATS.get(node.get("format") or default or self.default_format, "html")
        if code == "plain" or (code == "moodle" and "<" not in raw and "&" not in raw):
            return strip_bidi(clean_line(raw))
        names = {name.lower() for name in TAG_NAME.findall(raw)}
        self.images = self.images or "img" in names
        self.formatting = self.formatting or bool(names - LAYOUT_TAGS - {"img"})
        return strip_bidi(clean_line(html_to_text(raw)))


def _fraction(answer: Element, line: int, result: ParseResult) -> Decimal | None:
    raw = (answer.get("fraction") or "0").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(100):
        result.error(
            line,
            "",
            _l("The fraction “%(f)s” is not a percentage from -100 to 100.", f=raw[:20]),
        )
        return None
    return value / 100


def _points(question: Element, item: Item) -> None:
    raw = (question.findtext("defaultgrade") or "").strip()
    if not raw:
        return
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if value.is_finite() and abs(value) <= MAX_POINTS:
        value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if not value.is_finite() or not Decimal(0) < value <= MAX_POINTS:
        item.quirks.append(
            _l(
                "The default mark “%(v)s” is not kept (points are more than 0 and at most 100): "
                "the usual points of the type are used.",
                v=raw[:20],
            )
        )
        return
    item.points = value


def _tags(question: Element, item: Item) -> None:
    for tag in question.findall("tags/tag"):
        text = strip_bidi((tag.findtext("text") or tag.text or "").strip())
        if not text or text in item.tags:
            continue
        if BAD_TAG.search(text) or len(text) > MAX_TAG:
            item.quirks.append(
                _l(
                    "The tag “%(t)s” is not kept: tags may not contain < > ` or control characters and have at most %(n)d characters.",
                    t=text[:30],
                    n=MAX_TAG,
                )
            )
        elif len(item.tags) == MAX_TAGS:
            item.quirks.append(_l("Only the first %(n)d tags are kept.", n=MAX_TAGS))
            return
        else:
            item.tags.append(text)


def _answers(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    """The answers with their fractions and feedback; False when one is unreadable."""
    for number, node in enumerate(question.findall("answer"), 1):
        fraction = _fraction(node, item.line, result)
        if fraction is None:
            return False
        raw = (node.findtext("text") or "").strip()
        text = reading.text(node)
        if not raw:
            continue  # Moodle leaves out empty answer slots too
        if not text:
            result.error(
                item.line,
                "",
                _l(
                    "Answer %(n)d has no text once images and formatting are removed.",
                    n=number,
                ),
            )
            return False
        answer = Answer(text, fraction, reading.text(node.find("feedback")))
        if item.qtype == "numerical" and text != "*":
            answer.value = read_number(text, item.line, result)
            tolerance = (node.findtext("tolerance") or "0").strip() or "0"
            answer.tolerance = read_number(tolerance, item.line, result)
            if answer.value is None or answer.tolerance is None:
                return False
            if answer.tolerance < 0:
                result.error(item.line, "", _l("A tolerance cannot be negative."))
                return False
        item.answers.append(answer)
    return True


def _blank(item: Item, result: ParseResult) -> bool:
    """Where the answer goes in a short-answer or numerical stem: its one ____ (Moodle's
    _____ included), else a blank added at the end; False when the stem marks several."""
    if BLANK_MARK in item.text:
        result.error(
            item.line,
            "",
            _l("The text contains private-use characters (U+E000–U+E01F) that cannot be imported."),
        )
        return False
    count = len(BLANK.findall(item.text))
    if count > 1:
        result.skip(
            item.line,
            "",
            _l(
                "Not imported: the question text marks %(n)d blanks (____), but a Moodle "
                "short-answer question has one answer box.",
                n=count,
            ),
        )
        return False
    if count == 1:
        item.marked_text = BLANK.sub(BLANK_MARK, item.text)
    else:
        item.marked_text = f"{item.text} {BLANK_MARK}"
        item.quirks.append(
            _l(
                "The question text marks no blank (____): one is added at its end for the "
                "fill-in-the-blank question."
            )
        )
    return True


def _multichoice(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    if not item.single:
        share = question.findtext("partialcredit")
        if share is not None:
            set_partial_credit(item, share)
        return True  # the mapping checks that the positive weights add up to 100%
    right = sum(1 for answer in item.answers if answer.fraction == 1)
    if right != 1:
        result.error(
            item.line,
            "",
            _l(
                "A single-answer question (<single>true</single>) needs exactly one answer "
                "with fraction 100; %(n)d have it.",
                n=right,
            ),
        )
        return False
    return True


def _truefalse(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    right = [a for a in item.answers if a.fraction == 1]
    values = [a.text.strip().lower() for a in right]
    if len(right) != 1 or values[0] not in ("true", "false"):
        result.error(
            item.line,
            "",
            _l("A true/false question needs one answer “true” or “false” with fraction 100."),
        )
        return False
    item.correct = values[0] == "true"
    return True


def _shortanswer(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    if not _blank(item, result):
        return False
    if (question.findtext("usecase") or "0").strip() not in ("", "0"):
        item.quirks.append(
            _l(
                "Moodle's “case sensitive” setting is not kept: fill-in-the-blank answers "
                "ignore case."
            )
        )
    kept = []
    for answer in item.answers:
        if "*" in answer.text:
            if answer.fraction > 0:
                item.quirks.append(
                    _l(
                        "The answer “%(a)s” uses the wildcard * and is not kept: "
                        "fill-in-the-blank answers are compared as written.",
                        a=answer.text[:30],
                    )
                )
            continue
        kept.append(answer)
    item.answers = kept
    if not any(a.fraction == 1 for a in kept):
        result.error(item.line, "", _l("No answer has fraction 100, so none is fully right."))
        return False
    return True


def _numerical(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    if question.find("units/unit") is not None:
        item.quirks.append(_l("Units are not kept: the answer is the number alone."))
    return _blank(item, result)


def _essay(question: Element, item: Item, reading: _Reading, result: ParseResult) -> bool:
    """The reference answer and key points from the information for graders as the bank writes
    them, else its text as the reference (the general feedback is then the explanation), else
    the general feedback as the reference."""
    node = question.find("graderinfo")
    written = None
    if node is not None and node.get("format") == "html":
        written = grader_info.read(node.findtext("text") or "")
    if written is not None:
        reference, points = written
        item.reference = strip_bidi(clean_line(reference))
        item.key_points = [strip_bidi(clean_line(point)) for point in points]
    else:
        item.reference = reading.text(node)
    if not item.reference and not item.general_feedback:
        result.skip(
            item.line,
            "",
            _l(
                "Not imported: an essay needs a reference answer for markers; write it in the "
                "information for graders or the general feedback."
            ),
        )
        return False
    return True


# Each importable type's own rules: False when the question was skipped or has errors (reported).
RULES = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "essay": _essay,
}


def read_question(line: int, question: Element, result: ParseResult) -> Item | None:
    """The Moodle item of one `<question>`; None when it was skipped or has errors (reported)."""
    qtype = (question.get("type") or "").strip()
    if not qtype:
        result.error(line, "", _l("A <question> element needs a type attribute."))
        return None
    if qtype == "category":
        return Item(line, "category", category=question.findtext("category/text") or "")
    if qtype not in RULES and qtype not in ("matching", "description"):
        result.skip(
            line,
            "",
            _l(
                "Not imported: Moodle “%(type)s” questions are not supported by this bank.",
                type=qtype[:40],
            ),
        )
        return None
    body = question.find("questiontext")
    reading = _Reading((body.get("format") if body is not None else None) or "html")
    item = Item(line, "match" if qtype == "matching" else qtype, text_format="plain")
    item.name = reading.text(question.find("name"), "plain_text")
    item.text = reading.text(body)
    if qtype not in RULES:
        return item  # matching or description: the mapping skips it with the reason
    item.general_feedback = reading.text(question.find("generalfeedback"))
    item.idnumber = (question.findtext("idnumber") or "").strip()
    item.single = (question.findtext("single") or "true").strip().lower() not in ("false", "0")
    _tags(question, item)
    _points(question, item)
    if qtype != "essay" and not _answers(question, item, reading, result):
        return None
    if not RULES[qtype](question, item, reading, result):
        return None
    if reading.images or question.find(".//file") is not None:
        item.quirks.append(
            _l("Images and attached files are not imported: the bank stores text only.")
        )
    if reading.formatting:
        item.quirks.append(
            _l("Formatting (bold, lists, tables, links…) is removed: the bank stores plain text.")
        )
    return item
