"""Question types: a registry of small classes, each validating, grading and rendering its spec.

A type owns its `spec` (the JSON payload described in `draft.py`). `grade(spec, response, points)`
is pure: no database, no request, no clock, so the quiz engine, item analysis and tests call it
freely. Stems, options, answers and explanations are plain text; templates escape them.

Responses handed to `grade`:
- single   the chosen option index (int) or None
- multiple the chosen option indexes (any iterable of int), empty when nothing was chosen
- judge    a bool, or any accepted spelling (对/错/√/×/正确/错误/T/F/true/false)
- fill     one string per blank, in the order the member typed them; compared after NFKC
           (full-width → half-width), case folding and with every space removed
- short    the member's text (graded by a person)

The answer widget (`widget_template`) receives a `WidgetQuestion`: stem and option texts with
caller-chosen opaque values and no key, so a widget can never reveal the answer.
"""

import secrets
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

MAX_OPTIONS = 8
MAX_BLANKS = 10
MAX_SYNONYMS = 20
MAX_TEXT = 1000  # one option, accepted answer or key point
MAX_STEM = 2000
MAX_LONG_TEXT = 5000  # a reference answer or an explanation
LETTERS = string.ascii_uppercase
CENT = Decimal("0.01")
DEFAULT_PARTIAL_CREDIT = Decimal("0.5")

TRUE_SPELLINGS = frozenset({"对", "√", "✓", "✔", "正确", "是", "t", "true", "y", "yes"})
FALSE_SPELLINGS = frozenset({"错", "×", "✗", "✘", "x", "错误", "否", "f", "false", "n", "no"})


@dataclass(frozen=True)
class Grade:
    points: Decimal
    max_points: Decimal
    correct: bool | None  # None until a person marks it
    needs_marking: bool


@dataclass(frozen=True)
class WidgetOption:
    value: str  # opaque: says nothing about correctness
    label: str  # A, B, C …
    text: str


@dataclass(frozen=True)
class WidgetQuestion:
    """What an answer widget may see: never the key."""

    type: str
    stem: str
    field: str  # the form field name (blanks use field-0, field-1 …)
    options: tuple[WidgetOption, ...] = ()
    blanks: int = 0


def _fold(text: str) -> str:
    """Answer comparison form: NFKC (full-width → half-width), trimmed, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def _blank_key(text: str) -> str:
    """A blank's comparison form: as `_fold`, and without any spaces (全国 代表大会 is
    全国代表大会; members type stray spaces, full-width ones too, into Chinese answers)."""
    return "".join(_fold(text).split())


def normalise_stem(text: str) -> str:
    """The duplicate-detection key: NFKC, lower case, no punctuation, symbols or whitespace."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


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


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def points_text(value) -> str:
    """Points as people write them: 2.00 → 2, 2.50 → 2.5."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_list_problems(values, what: str, low: int, high: int) -> list[str]:
    if not isinstance(values, list):
        return [gettext("%(what)s must be a list.", what=what)]
    problems = []
    if not low <= len(values) <= high:
        problems.append(
            gettext("%(what)s: between %(low)d and %(high)d needed.", what=what, low=low, high=high)
        )
    for value in values:
        if not isinstance(value, str) or not value.strip():
            problems.append(gettext("%(what)s may not be empty.", what=what))
            break
        if len(value) > MAX_TEXT:
            problems.append(
                gettext("%(what)s is longer than %(n)d characters.", what=what, n=MAX_TEXT)
            )
            break
    return problems


def _option_problems(spec: dict) -> list[str]:
    options = spec.get("options")
    problems = _text_list_problems(options, gettext("Options"), 2, MAX_OPTIONS)
    if not problems:
        folded = [_fold(option) for option in options]
        if len(set(folded)) != len(folded):
            problems.append(gettext("Two options have the same text."))
    return problems


class QuestionType:
    """The interface every type implements; subclasses are registered in TYPES."""

    code: str
    label = _l("Question")
    short_label = _l("Question")

    @property
    def widget_template(self) -> str:
        return f"question_bank/widgets/{self.code}.html"

    @property
    def form_class(self):
        from learnapp.question_bank import forms

        return forms.FORMS[self.code]

    def validate(self, spec) -> list[str]:
        """Problems with the spec, in words an editor understands; empty when it is valid."""
        if not isinstance(spec, dict):
            return [gettext("The answer data is not readable.")]
        return self._problems(spec)

    def _problems(self, spec: dict) -> list[str]:
        raise NotImplementedError

    def clean(self, spec: dict) -> dict:
        """The stored form of a valid spec: known keys only, text trimmed, defaults filled."""
        raise NotImplementedError

    def grade(self, spec: dict, response, points) -> Grade:
        raise NotImplementedError

    def key_text(self, spec: dict) -> str:
        """The answer key in the import template's notation (B, ACD, 对, a|b;;c)."""
        raise NotImplementedError

    def widget_question(
        self, stem: str, spec: dict, *, field: str, option_values: list[str] | None = None
    ) -> WidgetQuestion:
        return WidgetQuestion(type=self.code, stem=stem, field=field)


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
        partial = Decimal(str(spec.get("partial_credit", DEFAULT_PARTIAL_CREDIT)))
        return {
            "options": [o.strip() for o in spec["options"]],
            "answers": sorted(spec["answers"]),
            "partial_credit": float(partial),
        }

    def grade(self, spec, response, points):
        points = Decimal(points)
        chosen = set(response or ())
        answers = set(spec["answers"])
        if chosen == answers:
            return Grade(_money(points), _money(points), True, False)
        if chosen and chosen < answers:
            partial = Decimal(str(spec.get("partial_credit", DEFAULT_PARTIAL_CREDIT)))
            return Grade(_money(points * partial), _money(points), False, False)
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


class FillBlanks(QuestionType):
    code = "fill"
    label = _l("Fill in the blanks (填空)")
    short_label = _l("Fill")

    def _problems(self, spec):
        blanks = spec.get("blanks")
        if not isinstance(blanks, list) or not 1 <= len(blanks) <= MAX_BLANKS:
            return [gettext("Between 1 and %(n)d blanks are needed.", n=MAX_BLANKS)]
        problems = []
        for number, accepted in enumerate(blanks, start=1):
            for problem in _text_list_problems(
                accepted, gettext("Answers of blank %(n)d", n=number), 1, MAX_SYNONYMS
            ):
                problems.append(problem)
        if not isinstance(spec.get("any_order", False), bool):
            problems.append(gettext("“Any order” must be true or false."))
        return problems

    def clean(self, spec):
        blanks = []
        for accepted in spec["blanks"]:
            seen, kept = set(), []
            for answer in accepted:
                if _blank_key(answer) not in seen:
                    seen.add(_blank_key(answer))
                    kept.append(answer.strip())
            blanks.append(kept)
        return {"blanks": blanks, "any_order": bool(spec.get("any_order", False))}

    def _matches(self, spec, response) -> int:
        """How many blanks the response fills correctly (best assignment when any order)."""
        accepted = [{_blank_key(a) for a in blank} for blank in spec["blanks"]]
        given = [_blank_key(r) for r in (response or [])][: len(accepted)]
        if not spec.get("any_order"):
            return sum(1 for g, ok in zip(given, accepted, strict=False) if g and g in ok)
        # Maximum bipartite matching (answers × blanks); a handful of blanks, so augmenting paths.
        owner: dict[int, int] = {}

        def assign(answer: int, seen: set[int]) -> bool:
            for blank, ok in enumerate(accepted):
                if blank in seen or given[answer] not in ok:
                    continue
                seen.add(blank)
                if blank not in owner or assign(owner[blank], seen):
                    owner[blank] = answer
                    return True
            return False

        return sum(1 for answer in range(len(given)) if given[answer] and assign(answer, set()))

    def grade(self, spec, response, points):
        """Each blank is worth an equal share; correct only when every blank is."""
        points = Decimal(points)
        if isinstance(response, str):
            response = [response]
        right = self._matches(spec, response)
        total = len(spec["blanks"])
        earned = points if right == total else points * right / total
        return Grade(_money(earned), _money(points), right == total, False)

    def key_text(self, spec):
        return ";;".join("|".join(blank) for blank in spec["blanks"])

    def widget_question(self, stem, spec, *, field, option_values=None):
        return WidgetQuestion(
            type=self.code, stem=stem, field=field, blanks=len(spec.get("blanks", []))
        )


class ShortAnswer(QuestionType):
    code = "short"
    label = _l("Short answer (简答)")
    short_label = _l("Short")

    def _problems(self, spec):
        problems = []
        reference = spec.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            problems.append(gettext("A reference answer is required."))
        elif len(reference) > MAX_LONG_TEXT:
            problems.append(
                gettext("The reference answer is longer than %(n)d characters.", n=MAX_LONG_TEXT)
            )
        key_points = spec.get("key_points", [])
        if key_points:
            problems += _text_list_problems(key_points, gettext("Key points"), 0, 20)
        return problems

    def clean(self, spec):
        return {
            "reference": spec["reference"].strip(),
            "key_points": [p.strip() for p in spec.get("key_points") or []],
        }

    def grade(self, spec, response, points):
        return Grade(_money(0), _money(Decimal(points)), None, True)

    def key_text(self, spec):
        return spec["reference"]


TYPES: dict[str, QuestionType] = {
    t.code: t for t in (SingleChoice(), MultipleChoice(), Judge(), FillBlanks(), ShortAnswer())
}


def get_type(code: str) -> QuestionType:
    """The registered type, or KeyError for an unknown code."""
    return TYPES[code]


def grade(type_code: str, spec: dict, response, points) -> Grade:
    return TYPES[type_code].grade(spec, response, points)


def choice_indexes(values: Iterable[str], option_values: list[str]) -> list[int]:
    """Map opaque option values posted by a widget back to option indexes; unknown ones drop."""
    position = {value: index for index, value in enumerate(option_values)}
    return sorted({position[v] for v in values if v in position})
