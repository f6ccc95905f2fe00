"""The type interface, the grading result, what a widget sees, and the shared limits and helpers."""

import string
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

MAX_OPTIONS = 8
MAX_BLANKS = 10
MAX_SYNONYMS = 20
MAX_TEXT = 1000  # one option, accepted answer or key point
MAX_STEM = 2000
MAX_LONG_TEXT = 5000  # a reference answer or an explanation
LETTERS = string.ascii_uppercase
CENT = Decimal("0.01")


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


def normalise_stem(text: str) -> str:
    """The duplicate-detection key: NFKC, lower case, no punctuation, symbols or whitespace."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def points_text(value) -> str:
    """Points as people write them: 2.00 → 2, 2.50 → 2.5."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def plural_number(value) -> int:
    """The whole number `ngettext` chooses a plural form by (it refuses a Decimal): a whole
    amount as it is; a fraction takes the plural form, as in English (0.5 points, 1.5 points)."""
    whole = int(value)
    return whole if whole == value else 2


def points_label(value) -> str:
    """Points with their unit in the reader's language (1 point, 1.5 points, 2 points); a dash
    when there are none to show."""
    if value is None:
        return "—"
    return ngettext("%(p)s point", "%(p)s points", plural_number(value), p=points_text(value))


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

    def stem_problems(self, stem: str, spec: dict) -> list[str]:
        """Problems between the stem and a valid spec (填空 blanks); empty when they agree."""
        return []

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
