"""Moodle XML writing: one `<question>` per question, under a category question per knowledge
point, in plain-text format so that the text reads back exactly. A 简答 is an essay whose
general feedback is the explanation and whose information for graders holds the reference answer
and the key points (grader_info.py); a 多选's partial credit, which Moodle has no setting for,
is written as `<partialcredit>` (a percentage), which Moodle ignores and this bank reads back.
What Moodle XML cannot hold here — a 填空 with more than one blank (a short-answer question has
one answer box) — is skipped with the reason, as GIFT's writer does."""

import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import ExportResult, right_share
from learnapp.question_bank.formats.moodle_xml import grader_info
from learnapp.question_bank.types.choice import partial_credit_percent
from learnapp.question_bank.types.written import BLANK

# Characters XML 1.0 cannot carry at all; the bank's text never holds them (they are refused or
# stripped on the way in), so meeting one means the question cannot be written.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: Element, tag: str, text: str, fmt: str | None = "plain_text") -> Element:
    node = SubElement(parent, tag, {"format": fmt} if fmt else {})
    SubElement(node, "text").text = text
    return node


def _answer(parent: Element, fraction: str, text: str) -> None:
    answer = _text(parent, "answer", text)
    answer.set("fraction", fraction)


def _question(draft: QuestionDraft) -> Element:
    """The `<question>` of one draft; raises ValueError with the reason when it cannot be held."""
    texts = [draft.stem, draft.explanation, *draft.tags, *draft.spec.get("options", [])]
    texts += [draft.spec.get("reference", ""), *draft.spec.get("key_points", [])]
    if any(NOT_XML.search(text) for text in texts):
        raise ValueError(_l("The question holds a character XML cannot carry."))
    qtype = {
        "single": "multichoice",
        "multiple": "multichoice",
        "judge": "truefalse",
        "fill": "shortanswer",
        "short": "essay",
    }[draft.type]
    if draft.type == "fill" and (
        len(draft.spec["blanks"]) != 1 or len(BLANK.findall(draft.stem)) != 1
    ):
        raise ValueError(_l("A Moodle short-answer question holds one blank."))
    question = Element("question", {"type": qtype})
    _text(question, "name", draft.stem[:100], fmt=None)
    _text(question, "questiontext", draft.stem)
    _text(question, "generalfeedback", draft.explanation)
    SubElement(question, "defaultgrade").text = str(draft.points)
    if draft.type in ("single", "multiple"):
        options = draft.spec["options"]
        if draft.type == "single":
            fractions = ["100" if i == draft.spec["answer"] else "0" for i in range(len(options))]
        else:
            right = set(draft.spec["answers"])
            share = right_share(len(right))
            fractions = [share if i in right else "-100" for i in range(len(options))]
        SubElement(question, "single").text = "true" if draft.type == "single" else "false"
        SubElement(question, "shuffleanswers").text = "true"
        if draft.type == "multiple":
            SubElement(question, "partialcredit").text = partial_credit_percent(draft.spec)
        for fraction, option in zip(fractions, options, strict=True):
            _answer(question, fraction, option)
    elif draft.type == "judge":
        _answer(question, "100" if draft.spec["answer"] else "0", "true")
        _answer(question, "0" if draft.spec["answer"] else "100", "false")
    elif draft.type == "fill":
        for word in draft.spec["blanks"][0]:
            _answer(question, "100", word)
    else:
        marking = grader_info.write(draft.spec["reference"], draft.spec.get("key_points") or [])
        _text(question, "graderinfo", marking, fmt="html")
    if draft.tags:
        tags = SubElement(question, "tags")
        for tag in draft.tags:
            SubElement(SubElement(tags, "tag"), "text").text = tag
    return question


def export(drafts: Iterable[QuestionDraft]) -> ExportResult:
    """Questions grouped under a category question per knowledge point ($course$/top/…)."""
    quiz = Element("quiz")
    category: list[str] | None = None
    exported, skipped = 0, []
    for draft in drafts:
        try:
            question = _question(draft)
        except ValueError as error:
            skipped.append((draft, str(error.args[0])))
            continue
        if draft.knowledge_point != category:
            category = list(draft.knowledge_point)
            marker = SubElement(quiz, "question", {"type": "category"})
            _text(marker, "category", "/".join(["$course$", "top", *category]), fmt=None)
        quiz.append(question)
        exported += 1
    indent(quiz)
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(quiz, encoding="unicode").encode()
    return ExportResult(data + b"\n", exported, skipped)
