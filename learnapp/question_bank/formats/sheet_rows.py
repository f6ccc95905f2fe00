"""Writing questions as rows of the spreadsheet layout (formats.sheet), for the Excel and CSV
exports."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from learnapp.question_bank import types
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.sheet import OPTION_COLUMNS, TYPE_LABELS
from learnapp.question_bank.formats.sheet_keys import AUDIENCE_NAMES
from learnapp.question_bank.models import Audience


def _answer_cells(draft: QuestionDraft) -> list[str]:
    """答案 and 参考答案: a 简答 keeps its key points and its reference answer apart. A reference
    that is only the key points, one a line, is left out: importing rebuilds it from them."""
    if draft.type == "short":
        points = draft.spec.get("key_points") or []
        reference = draft.spec.get("reference", "")
        return [";;".join(points), "" if reference == "\n".join(points) else reference]
    return [types.get_type(draft.type).key_text(draft.spec), ""]


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _setting_cells(draft: QuestionDraft) -> list:
    """少选得分比例, 各空答案不分顺序 and 学习对象, written out even at their defaults. The share is a
    number of percent (Excel keeps it so), with a % sign below 1 so that it never reads as a
    share (formats.sheet_keys.read_partial_credit)."""
    partial = any_order = ""
    if draft.type == "multiple":
        percent = Decimal(types.partial_credit_percent(draft.spec))
        partial = f"{types.points_text(percent)}%" if 0 < percent < 1 else _number(percent)
    elif draft.type == "fill":
        any_order = "是" if draft.spec.get("any_order") else "否"
    return [partial, any_order, AUDIENCE_NAMES[Audience(draft.audience)][0]]


def row_of(draft: QuestionDraft) -> list:
    """The template row of a question; numbers stay numbers (only text gets formula escapes)."""
    options = list(draft.spec.get("options", []))
    return [
        TYPE_LABELS[draft.type],
        draft.stem,
        *(options + [""] * (len(OPTION_COLUMNS) - len(options))),
        *_answer_cells(draft),
        _number(Decimal(draft.points)),
        draft.difficulty,
        "/".join(draft.knowledge_point),
        draft.source_document,
        draft.source_version,
        draft.explanation,
        ";".join(draft.tags),
        *_setting_cells(draft),
    ]


def export_problem(draft: QuestionDraft):
    """Why a question cannot be written as a template row, or None."""
    if len(draft.spec.get("options", [])) > len(OPTION_COLUMNS):
        return _l("More than six options do not fit the template.")
    return None
