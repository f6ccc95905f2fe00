"""GIFT reading, stage two: Moodle items mapped onto this bank's question types (Moodle XML
reading maps its items here too)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from learnapp.question_bank import types
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import DEFAULT_POINTS, ParsedQuestion, ParseResult
from learnapp.question_bank.formats.gift.reader import (
    BLANK_MARK,
    FILL_BLANK,
    Item,
    category_path,
    plain,
)
from learnapp.question_bank.types.choice import DEFAULT_PARTIAL_CREDIT

FULL = Decimal(1)
# 33.33333% three times is 99.99999%: Moodle's own tolerance for "adds up to 100%".
SUM_TOLERANCE = Decimal("0.0001")


class Refused(Exception):
    """The item is well-formed GIFT but this bank cannot hold it; the message says why."""


def _single(item: Item, options: list[str], result: ParseResult) -> dict:
    correct = [i for i, a in enumerate(item.answers) if a.fraction == FULL]
    if len(correct) != 1:
        result.error(
            item.line,
            "",
            _l(
                "%(n)d answers are marked correct with =; a single-choice question has one. For several right answers use weights such as ~%%50%%.",
                n=len(correct),
            ),
        )
        return {}
    others = [a for a in item.answers if a.fraction != FULL and a.fraction != 0]
    if any(a.fraction > 0 for a in others):
        result.warn(
            item.line,
            "",
            _l(
                "Partial credit on other answers is not kept: a single-choice question has one right answer."
            ),
        )
    if any(a.fraction < 0 for a in others):
        result.warn(item.line, "", _l("Negative weights (penalties) are not kept."))
    return {"options": options, "answer": correct[0]}


def _multiple(item: Item, options: list[str], result: ParseResult) -> tuple[str, dict]:
    positive = [(i, a.fraction) for i, a in enumerate(item.answers) if a.fraction > 0]
    if not positive:
        result.error(item.line, "", _l("No answer has a positive weight, so none is right."))
        return "", {}
    total = sum(fraction for _, fraction in positive)
    if abs(total - FULL) > SUM_TOLERANCE:
        result.error(
            item.line,
            "",
            _l(
                "The positive weights add up to %(t)s%%; they must add up to 100%%.",
                t=format((total * 100).normalize(), "f"),
            ),
        )
        return "", {}
    if len(positive) == 1:
        result.warn(
            item.line,
            "",
            _l("Only one answer has a positive weight: imported as a single-choice question."),
        )
        return "single", {"options": options, "answer": positive[0][0]}
    if len({fraction for _, fraction in positive}) > 1:
        result.warn(
            item.line,
            "",
            _l(
                "Unequal weights become equal: all right options give full marks and a right subset with no wrong option gives half."
            ),
        )
    # -100% on a wrong option (what this bank's exports write) is the bank's own rule: choosing
    # it cancels every right option, so the question scores 0. Smaller penalties are not kept.
    if any(-FULL < a.fraction < 0 for a in item.answers):
        result.warn(
            item.line,
            "",
            _l("Negative weights are not kept: any wrong option chosen scores 0 in this bank."),
        )
    share = DEFAULT_PARTIAL_CREDIT if item.partial_credit is None else item.partial_credit
    return "multiple", {
        "options": options,
        "answers": [i for i, _ in positive],
        "partial_credit": float(share),
    }


def _numeric_text(value: Decimal) -> list[str]:
    written = [str(value)]
    normal = f"{value.normalize():f}"
    if normal not in written:
        written.append(normal)
    return written


def _accepted_numbers(item: Item, result: ParseResult) -> list[str]:
    accepted: list[str] = []
    for answer in item.answers:
        if answer.fraction != FULL or answer.value is None:
            continue
        if answer.tolerance:
            raise Refused(
                _l(
                    "Not imported: the numerical answer %(v)s ± %(t)s has a tolerance, and fill-in-the-blank questions accept exact answers only.",
                    v=f"{answer.value.normalize():f}",
                    t=f"{answer.tolerance.normalize():f}",
                )
            )
        accepted += [text for text in _numeric_text(answer.value) if text not in accepted]
    if not accepted:
        raise Refused(_l("Not imported: no numerical answer is fully right."))
    if any(0 < a.fraction < FULL for a in item.answers):
        result.warn(item.line, "", _l("Answers with partial credit are not kept."))
    return accepted


def _fill_stem(item: Item) -> str:
    return item.marked_text.replace(BLANK_MARK, FILL_BLANK)


def _answer_texts(item: Item) -> list[tuple[str, bool]]:
    formats = item.answer_formats or [""] * len(item.answers)
    return [
        plain(answer.text, answer_format or item.text_format)
        for answer, answer_format in zip(item.answers, formats, strict=True)
    ]


def _spec(item: Item, texts: list[tuple[str, bool]], result: ParseResult) -> tuple[str, str, dict]:
    """(type, stem before plain-text conversion, spec); raises Refused for what cannot be held."""
    if item.qtype == "description":
        raise Refused(_l("Not imported: a description has no question to answer."))
    if item.qtype == "match":
        raise Refused(_l("Not imported: matching questions are not supported by this bank."))
    if item.qtype == "truefalse":
        return "judge", item.text, {"answer": item.correct}
    if item.qtype == "multichoice":
        options = [text for text, _changed in texts]
        if item.single:
            return "single", item.text, _single(item, options, result)
        code, spec = _multiple(item, options, result)
        return code, item.text, spec
    if item.qtype == "shortanswer":
        accepted = []
        for answer, (text, _changed) in zip(item.answers, texts, strict=True):
            if answer.fraction != FULL:
                if answer.fraction > 0:
                    result.warn(item.line, "", _l("Answers with partial credit are not kept."))
                continue
            if text == "*":
                result.warn(
                    item.line,
                    "",
                    _l("The wildcard answer * is not kept: it would accept anything."),
                )
                continue
            accepted.append(text)
        if not accepted:
            result.error(
                item.line, "", _l("No answer is fully right (write =answer or %(w)s).", w="%100%")
            )
            return "fill", "", {}
        return "fill", _fill_stem(item), {"blanks": [accepted], "any_order": False}
    if item.qtype == "numerical":
        return (
            "fill",
            _fill_stem(item),
            {"blanks": [_accepted_numbers(item, result)], "any_order": False},
        )
    return "short", item.text, _essay(item)


def _own_marking(item: Item) -> bool:
    """Whether the file gives the essay's reference or key points apart from its general
    feedback (the bank's exports do), which is then the explanation."""
    return bool(item.reference) or item.key_points is not None


def _essay(item: Item) -> dict:
    if _own_marking(item):
        reference = item.reference.strip() or "\n".join(item.key_points or [])
    else:
        reference = item.general_feedback.strip()
    if not reference:
        raise Refused(
            _l(
                "Not imported: an essay needs a reference answer for markers; write it as general feedback, {####…}."
            )
        )
    points = item.key_points
    if points is None:
        points = [line.strip() for line in reference.split("\n") if line.strip()]
    return {"reference": reference, "key_points": points}


def _stated(item: Item, code: str, has_category: bool, explanation: str) -> list[str]:
    """The settings the item gives (QuestionDraft.stated): what it leaves out is a default."""
    given = {
        "points": item.points is not None,
        "knowledge_point": has_category,
        "explanation": bool(explanation),
        "tags": bool(item.tags),
        "partial_credit": code == "multiple" and item.partial_credit is not None,
    }
    return [setting for setting, stated in given.items() if stated]


def to_drafts(items: list[Item], result: ParseResult, filename: str, default_kp: list[str]) -> None:
    """Append a draft per importable item to `result`; report what did not map exactly."""
    knowledge_point, from_category = list(default_kp), False
    for item in items:
        if item.qtype == "category":
            path = category_path(item.category, item.line, result)
            knowledge_point, from_category = path or list(default_kp), bool(path)
            continue
        for quirk in item.quirks:
            result.warn(item.line, "", quirk)
        errors = len(result.errors)
        texts = _answer_texts(item)
        try:
            code, stem, spec = _spec(item, texts, result)
        except Refused as refused:
            result.skip(item.line, "", refused.args[0])
            continue
        if len(result.errors) > errors:
            continue
        stem, dropped = plain(stem, item.text_format)
        feedback = "" if code == "short" and not _own_marking(item) else item.general_feedback
        explanation, _changed = plain(feedback, item.text_format)
        if dropped or any(changed for _, changed in texts):
            result.warn(
                item.line,
                "",
                _l(
                    "Formatted text ([html], [markdown] or HTML tags) is stored as plain text with its tags removed."
                ),
            )
        if any(a.feedback for a in item.answers):
            result.warn(
                item.line,
                "",
                _l(
                    "Feedback on answers is not kept; the general feedback becomes the explanation."
                ),
            )
        if not stem:
            result.error(item.line, "", _l("The question text is empty."))
            continue
        if len(stem) > types.MAX_STEM:
            result.error(
                item.line,
                "",
                _l("The question text has more than %(n)d characters.", n=types.MAX_STEM),
            )
            continue
        problems = types.get_type(code).validate(spec)
        for problem in problems:
            result.error(item.line, "", problem)
        if problems:
            continue
        draft = QuestionDraft(
            type=code,
            stem=stem,
            spec=spec,
            points=item.points or Decimal(DEFAULT_POINTS[code]),
            knowledge_point=knowledge_point,
            explanation=explanation[: types.MAX_LONG_TEXT],
            tags=list(item.tags),
            origin=f"{filename}:{item.line}",
            stated=_stated(item, code, from_category, explanation),
        )
        result.questions.append(ParsedQuestion(item.line, draft))
