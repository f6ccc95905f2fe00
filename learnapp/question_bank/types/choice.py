"""The choice types (单选, 多选, 判断) and the helpers that read their responses."""

import secrets
from collections.abc import Iterable
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from learnapp.question_bank.types.base import (
    LETTERS,
    MAX_OPTIONS,
    Grade,
    QuestionType,
    WidgetOption,
    WidgetQuestion,
    _fold,
    _is_int,
    _money,
    _text_list_problems,
    points_text,
)

DEFAULT_PARTIAL_CREDIT = Decimal("0.5")


def _partial_credit(spec: dict) -> Decimal:
    """The share of the points a 多选 correct subset earns, exactly as grading applies it."""
    return Decimal(str(spec.get("partial_credit", DEFAULT_PARTIAL_CREDIT)))


def partial_credit_percent(spec: dict) -> str:
    """That share as the percentage people write and the editor shows: 0.335 → "33.5", never
    rounded (grading is not), never 50.00 or 5E+1."""
    return points_text(_partial_credit(spec) * 100)


TRUE_SPELLINGS = frozenset({"对", "√", "✓", "✔", "正确", "是", "t", "true", "y", "yes"})
FALSE_SPELLINGS = frozenset({"错", "×", "✗", "✘", "x", "错误", "否", "f", "false", "n", "no"})


def parse_judge(value) -> bool | None:
    """True/False for any accepted 判断 spelling, None when it is none of them."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    folded = _fold(value)
    if folded in TRUE_SPELLINGS:
        return True
    if folded in FALSE_SPELLINGS:
        return False
    return None


def _option_problems(spec: dict) -> list[str]:
    options = spec.get("options")
    problems = _text_list_problems(options, gettext("Options"), 2, MAX_OPTIONS)
    if not problems:
        folded = [_fold(option) for option in options]
        if len(set(folded)) != len(folded):
            problems.append(gettext("Two options have the same text."))
    return problems


class ChoiceType(QuestionType):
    def widget_question(self, stem, spec, *, field, option_values=None):
        options = spec["options"]
        if option_values is None:
            option_values = [secrets.token_urlsafe(6) for _ in options]
        return WidgetQuestion(
            type=self.code,
            stem=stem,
            field=field,
            options=tuple(
                WidgetOption(value, LETTERS[index], text)
                for index, (value, text) in enumerate(zip(option_values, options, strict=True))
            ),
        )


class SingleChoice(ChoiceType):
    code = "single"
    label = _l("Single choice (单选)")
    short_label = _l("Single")

    def _problems(self, spec):
        problems = _option_problems(spec)
        answer = spec.get("answer")
        options = spec.get("options") if isinstance(spec.get("options"), list) else []
        if not _is_int(answer) or not 0 <= answer < len(options):
            problems.append(gettext("The answer must be one of the options."))
        return problems

    def clean(self, spec):
        return {"options": [o.strip() for o in spec["options"]], "answer": spec["answer"]}

    def grade(self, spec, response, points):
        points = Decimal(points)
        correct = _is_int(response) and response == spec["answer"]
        return Grade(_money(points if correct else 0), _money(points), correct, False)

    def key_text(self, spec):
        return LETTERS[spec["answer"]]


class MultipleChoice(ChoiceType):
    code = "multiple"
    label = _l("Multiple choice (多选)")
    short_label = _l("Multiple")

    def _problems(self, spec):
        problems = _option_problems(spec)
        options = spec.get("options") if isinstance(spec.get("options"), list) else []
        answers = spec.get("answers")
        if (
            not isinstance(answers, list)
            or not all(_is_int(a) and 0 <= a < len(options) for a in answers)
            or len(set(answers)) != len(answers)
        ):
            problems.append(gettext("The answers must be distinct options."))
        elif len(answers) < 2:
            problems.append(gettext("A multiple-choice question needs at least two right answers."))
        partial = spec.get("partial_credit", DEFAULT_PARTIAL_CREDIT)
        try:
            partial_ok = not isinstance(partial, bool) and 0 <= Decimal(str(partial)) <= 1
        except ArithmeticError:
            partial_ok = False
        if not partial_ok:
            problems.append(gettext("Partial credit must be between 0 and 1."))
        return problems

    def clean(self, spec):
        return {
            "options": [o.strip() for o in spec["options"]],
            "answers": sorted(spec["answers"]),
            "partial_credit": float(_partial_credit(spec)),
        }

    def grade(self, spec, response, points):
        points = Decimal(points)
        chosen = set(response or ())
        answers = set(spec["answers"])
        if chosen == answers:
            return Grade(_money(points), _money(points), True, False)
        if chosen and chosen < answers:
            return Grade(_money(points * _partial_credit(spec)), _money(points), False, False)
        return Grade(_money(0), _money(points), False, False)

    def key_text(self, spec):
        return "".join(LETTERS[index] for index in sorted(spec["answers"]))


class Judge(QuestionType):
    code = "judge"
    label = _l("True or false (判断)")
    short_label = _l("True/false")

    def _problems(self, spec):
        if not isinstance(spec.get("answer"), bool):
            return [gettext("The answer must be true or false.")]
        return []

    def clean(self, spec):
        return {"answer": spec["answer"]}

    def grade(self, spec, response, points):
        points = Decimal(points)
        given = parse_judge(response)
        correct = given is not None and given == spec["answer"]
        return Grade(_money(points if correct else 0), _money(points), correct, False)

    def key_text(self, spec):
        return "对" if spec["answer"] else "错"

    def widget_question(self, stem, spec, *, field, option_values=None):
        # 对/错 are the same two choices for every judge question: no key in them.
        return WidgetQuestion(
            type=self.code,
            stem=stem,
            field=field,
            options=(
                WidgetOption("true", "√", gettext("True")),
                WidgetOption("false", "×", gettext("False")),
            ),
        )


def choice_indexes(values: Iterable[str], option_values: list[str]) -> list[int]:
    """Map opaque option values posted by a widget back to option indexes; unknown ones drop."""
    position = {value: index for index, value in enumerate(option_values)}
    return sorted({position[v] for v in values if v in position})
