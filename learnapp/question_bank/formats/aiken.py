"""Aiken: single-answer multiple choice, one line per stem and option (question-formats.md §3.2).

Read line by line like Moodle (lines under two characters ignored, `A)` or `A.` options with an
optional space, `ANSWER:` closing the question), with Moodle's errors on the same lines (worded
to say what to fix), plus what Moodle does not check: the answer letter must name one of the options. Full-width
letters and punctuation (`Ａ．`, `ANSWER：`) are read as half-width. Text is plain: `<b>` stays
the characters `<b>`, as Moodle's escaping shows it. A stem that itself starts like an option
(`A. Lincoln was…`) cannot be told apart from one; the error message says so.
"""

import re
from collections.abc import Iterable
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from learnapp.question_bank import types
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import (
    DEFAULT_POINTS,
    MAX_QUESTIONS,
    ExportResult,
    ParsedQuestion,
    ParseResult,
    fold,
    strip_invisible,
)
from learnapp.tabular import TableError, decode_text

OPTION = re.compile(r"^([A-Z])[).][ \t]?")
ANSWER = "ANSWER:"
MAX_LETTERS = 26


def _head(line: str) -> str:
    """The first characters normalised, so that `Ａ．` and `ANSWER：` are recognised."""
    return fold(line[:8]) + line[8:]


class _Open:
    def __init__(self, line: int, stem: str):
        self.line = line
        self.stem = stem
        self.options: list[str] = []


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    result = ParseResult()
    try:
        text, result.encoding = decode_text(data)
    except TableError as error:
        result.error(None, "", str(error))
        return result
    text = strip_invisible(text, result)
    current: _Open | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if len(line) < 2:
            continue
        head = _head(line)
        option = OPTION.match(head)
        if option:
            if current is None:
                result.error(
                    number,
                    "",
                    _l(
                        "Question not started on line %(n)d (a stem that begins like an option, e.g. “A. Lincoln…”, is read as an option).",
                        n=number,
                    ),
                )
                continue
            current.options.append(line[option.end() :].strip())
            continue
        if head.startswith(ANSWER):
            if current is None:
                result.error(number, "", _l("Question not started on line %(n)d.", n=number))
                continue
            _close(current, head[len(ANSWER) :].strip(), number, result, filename, default_kp or [])
            current = None
            continue
        if current is not None:
            result.error(
                number,
                "",
                _l(
                    "Line %(n)d starts a new question, but the question above (“%(q)s”) has no ANSWER: line; it is not imported.",
                    n=number,
                    q=current.stem[:40],
                ),
            )
        if len(result.questions) >= MAX_QUESTIONS:
            result.error(None, "", _l("At most %(n)d questions per file.", n=MAX_QUESTIONS))
            return result
        current = _Open(number, line)
    if current is not None:
        result.error(
            current.line,
            "",
            _l(
                "The question started on line %(n)d is not completed: it has no ANSWER: line.",
                n=current.line,
            ),
        )
    if not result.questions and not result.errors:
        result.error(None, "", _l("The file has no questions."))
    return result


def _close(
    current: _Open,
    answer: str,
    number: int,
    result: ParseResult,
    filename: str,
    default_kp: list[str],
) -> None:
    if len(current.options) < 2:
        result.error(
            number,
            "",
            _l(
                "Line %(n)d: the question “%(q)s” needs at least two options (lines such as “A) …” and “B) …”).",
                n=number,
                q=current.stem[:40],
            ),
        )
        return
    letters = re.sub(r"[\s,，、;；]", "", fold(answer)).upper()
    if not letters:
        result.error(number, "", _l("The ANSWER: line on line %(n)d names no letter.", n=number))
        return
    last = chr(ord("A") + len(current.options) - 1)
    index = ord(letters[0]) - ord("A")
    if not 0 <= index < len(current.options):
        result.error(
            number,
            "",
            _l(
                "The answer %(l)s on line %(n)d is not one of the options A to %(last)s.",
                l=letters[0],
                n=number,
                last=last,
            ),
        )
        return
    if len(letters) > 1:
        result.error(
            number,
            "",
            _l(
                "Aiken questions have one right answer; “%(a)s” on line %(n)d names several (use the Excel template for multiple-choice questions).",
                a=answer[:20],
                n=number,
            ),
        )
        return
    spec = {"options": current.options, "answer": index}
    problems = types.get_type("single").validate(spec)
    if len(current.stem) > types.MAX_STEM:
        problems.append(_l("The question text has more than %(n)d characters.", n=types.MAX_STEM))
    for problem in problems:
        result.error(current.line, "", problem)
    if problems:
        return
    draft = QuestionDraft(
        type="single",
        stem=current.stem,
        spec=spec,
        points=Decimal(DEFAULT_POINTS["single"]),
        knowledge_point=list(default_kp),
        origin=f"{filename}:{current.line}",
        stated=[],  # Aiken has a stem, options and a key, no settings
    )
    result.questions.append(ParsedQuestion(current.line, draft))


def _flat(text: str) -> str:
    """One line: line breaks become spaces (Aiken text cannot span lines)."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text.strip())


def export(drafts: Iterable[QuestionDraft]) -> ExportResult:
    """Single-choice questions only (all Aiken holds); the others are skipped and counted."""
    lines: list[str] = []
    exported, skipped = 0, []
    for draft in drafts:
        reason = None
        stem = _flat(draft.stem)
        if draft.type != "single":
            reason = _l("Aiken holds single-choice questions only.")
        elif len(draft.spec["options"]) > MAX_LETTERS:
            reason = _l("Aiken holds at most 26 options.")
        elif len(stem) < 2 or OPTION.match(_head(stem)) or _head(stem).startswith(ANSWER):
            reason = _l("The question text would be read as an option or an answer line.")
        if reason:
            skipped.append((draft, str(reason)))
            continue
        lines.append(stem)
        lines += [
            f"{chr(ord('A') + i)}) {_flat(option)}"
            for i, option in enumerate(draft.spec["options"])
        ]
        lines += [f"{ANSWER} {chr(ord('A') + draft.spec['answer'])}", ""]
        exported += 1
    return ExportResult("\n".join(lines).encode("utf-8"), exported, skipped)
