"""Moodle XML (question-formats.md §3.3): `parse` bytes into drafts, `export` drafts into bytes
(writer.py).

Reading has two stages, like GIFT's: `stream` reads the XML safely, one `<question>` at a time
with its line; `questions` turns each into the Moodle item GIFT reading produces, and GIFT's
mapping (`gift.mapping.to_drafts`) maps the items onto this bank's types, so a question reads
the same from either format:

- category → the knowledge point of the questions after it, without the levels Moodle makes
  itself (`$course$/top`, "Default for X" read as X: `gift.reader.category_path`);
- multichoice with <single>true</single> → 单选 (one answer with fraction 100); multiple →
  多选 with the positively weighted answers, which must add up to 100% (unequal weights and
  penalties other than -100% are reported, as the bank gives a share of the marks for a right
  subset, `<partialcredit>` or half, and 0 for any wrong option chosen);
- truefalse → 判断; shortanswer → 填空 with one blank (the stem's ____, else one added at the
  end); numerical with exact answers → 填空; essay → 简答, its reference (and, as the bank's
  export writes it, its key points) taken from the information for graders, else the general
  feedback;
- matching, description, cloze, calculated, drag-and-drop and every other type are skipped with
  the reason, as are numerical answers with a tolerance.

The general feedback becomes the explanation (unless an essay had to take it as its reference),
`defaultgrade` the points. Problems carry the line of their `<question>`; a file that is not
well-formed or declares a DTD is refused as a whole.
"""

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.formats.common import MAX_QUESTIONS, ParseResult
from learnapp.question_bank.formats.gift.mapping import to_drafts
from learnapp.question_bank.formats.moodle_xml.questions import read_question
from learnapp.question_bank.formats.moodle_xml.stream import Refused, questions
from learnapp.question_bank.formats.moodle_xml.writer import export

__all__ = ["export", "parse"]


def _in_file_order(problems: list) -> None:
    problems.sort(key=lambda problem: problem.line or 0)


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    result = ParseResult()
    items = []
    try:
        for line, element in questions(data):
            if len(items) >= MAX_QUESTIONS:
                result.error(None, "", _l("At most %(n)d questions per file.", n=MAX_QUESTIONS))
                return result
            item = read_question(line, element, result)
            if item is not None:
                items.append(item)
    except Refused as refused:
        result.error(refused.line, "", refused.message)
        return result
    to_drafts(items, result, filename, default_kp or [])
    for problems in (result.errors, result.warnings, result.skipped):
        _in_file_order(problems)
    if not result.questions and not result.errors and not result.skipped:
        result.error(None, "", _l("The file has no questions."))
    return result
