"""The registry of question types by code, and grading by type code."""

from learnapp.question_bank.types.base import Grade, QuestionType
from learnapp.question_bank.types.choice import Judge, MultipleChoice, SingleChoice
from learnapp.question_bank.types.written import FillBlanks, ShortAnswer

TYPES: dict[str, QuestionType] = {
    t.code: t for t in (SingleChoice(), MultipleChoice(), Judge(), FillBlanks(), ShortAnswer())
}


def get_type(code: str) -> QuestionType:
    """The registered type, or KeyError for an unknown code."""
    return TYPES[code]


def grade(type_code: str, spec: dict, response, points) -> Grade:
    return TYPES[type_code].grade(spec, response, points)
