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

The package's public API; the modules are base (the QuestionType interface, `Grade`, the widget's
view of a question, limits and text helpers), choice (单选, 多选, 判断), written (填空, 简答) and
registry (`TYPES`, `get_type`, `grade`).
"""

from learnapp.question_bank.types.base import (
    LETTERS,
    MAX_BLANKS,
    MAX_LONG_TEXT,
    MAX_OPTIONS,
    MAX_STEM,
    MAX_TEXT,
    Grade,
    WidgetQuestion,
    normalise_stem,
    plural_number,
    points_label,
    points_text,
)
from learnapp.question_bank.types.choice import (
    choice_indexes,
    parse_judge,
    partial_credit_percent,
)
from learnapp.question_bank.types.registry import TYPES, get_type, grade

__all__ = [
    "LETTERS",
    "MAX_BLANKS",
    "MAX_LONG_TEXT",
    "MAX_OPTIONS",
    "MAX_STEM",
    "MAX_TEXT",
    "TYPES",
    "Grade",
    "WidgetQuestion",
    "choice_indexes",
    "get_type",
    "grade",
    "normalise_stem",
    "parse_judge",
    "partial_credit_percent",
    "plural_number",
    "points_label",
    "points_text",
]
