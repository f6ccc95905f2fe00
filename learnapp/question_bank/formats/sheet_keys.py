"""A spreadsheet row's answer key, its numbers and its settings (formats.sheet): 单选 and 多选
letters, 判断 words, 填空 blanks with synonyms, 简答 key points and reference answer, 分值, 难度,
依据版本, 少选得分比例, 各空答案不分顺序 and 学习对象. Each reader reports its problems on the row's
ParseResult and returns None for a cell it cannot read."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from learnapp.question_bank import types
from learnapp.question_bank.formats.common import DEFAULT_POINTS, ParseResult, fold
from learnapp.question_bank.models import Audience
from learnapp.question_bank.types.written import blank_count

DIFFICULTY_WORDS = {
    "易": 1,
    "容易": 1,
    "较易": 2,
    "中": 3,
    "中等": 3,
    "一般": 3,
    "较难": 4,
    "难": 5,
}
# 学习对象 as the question form names each audience (the name written first), or its code.
AUDIENCE_NAMES = {
    Audience.ALL: ("全体人员", "all"),
    Audience.PARTY_MEMBERS: ("党员", "party_members"),
    Audience.LEADERS: ("书记和支委委员", "leaders"),
    Audience.APPLICANTS: ("入党积极分子和发展对象", "applicants"),
}
AUDIENCE_BY_NAME = {name: code.value for code, names in AUDIENCE_NAMES.items() for name in names}
# Between letters of a choice answer: spaces and the punctuation people type (A,C / A、C / A；C).
ANSWER_NOISE = re.compile(r"[\s,.;:、，。；：/|()（）\[\]【】]")


def _letters(raw: str) -> str:
    return ANSWER_NOISE.sub("", fold(raw)).upper()


def _choice_answer(code: str, raw: str, options: list[str], row: int, result: ParseResult):
    letters = _letters(raw)
    if not letters:
        result.error(row, "答案", _l("The answer is required."))
        return None
    allowed = "ABCDEF"[: len(options)]
    wrong = [letter for letter in letters if letter not in allowed]
    if wrong:
        if allowed:
            message = _l(
                "“%(answer)s” is not an option letter: use %(first)s to %(last)s.",
                answer=raw[:20],
                first=allowed[0],
                last=allowed[-1],
            )
        else:
            message = _l("The question has no options.")
        result.error(row, "答案", message)
        return None
    indexes = sorted({"ABCDEF".index(letter) for letter in letters})
    if len(indexes) < len(letters):
        result.warn(row, "答案", _l("A letter is given twice; it counts once."))
    if code == "single":
        if len(indexes) != 1:
            result.error(
                row, "答案", _l("A 单选 question has exactly one answer letter; use 多选 for more.")
            )
            return None
        return {"options": options, "answer": indexes[0]}
    if len(indexes) < 2:
        result.error(
            row, "答案", _l("A 多选 question needs at least two right answers; use 单选 for one.")
        )
        return None
    return {"options": options, "answers": indexes, "partial_credit": 0.5}


def _fill_answer(stem: str, raw: str, row: int, result: ParseResult):
    groups = _separators(raw).split(";;")
    blanks = [[word.strip() for word in group.split("|") if word.strip()] for group in groups]
    if any(not accepted for accepted in blanks):
        result.error(
            row,
            "答案",
            _l("Every blank needs at least one accepted answer (;; separates blanks, | synonyms)."),
        )
        return None
    count = blank_count(stem)
    if count == 0:
        result.error(row, "题干", _l("Mark each blank in the stem with ____ (four underscores)."))
        return None
    if count != len(blanks):
        result.error(
            row,
            "答案",
            _l(
                "The stem has %(blanks)d blanks but the answer gives %(answers)d (separate blanks with ;;).",
                blanks=count,
                answers=len(blanks),
            ),
        )
        return None
    return {"blanks": blanks, "any_order": False}


def _separators(raw: str) -> str:
    return raw.replace("；；", ";;").replace("｜", "|")


def _short_answer(raw: str, reference: str):
    """Key points from 答案; the reference answer from 参考答案, else the key points one a line."""
    points = [point.strip() for point in _separators(raw).split(";;") if point.strip()]
    return {"reference": reference or "\n".join(points), "key_points": points}


def read_points(raw: str, code: str, row: int, result: ParseResult) -> Decimal | None:
    text = fold(raw).strip()
    if not text:
        return Decimal(DEFAULT_POINTS[code])
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal("0") < value <= Decimal("100"):
        result.error(row, "分值", _l("Points must be a number above 0 and at most 100."))
        return None
    if value != value.quantize(Decimal("0.01")):
        result.error(row, "分值", _l("Points have at most two decimals."))
        return None
    return value


def read_difficulty(raw: str, row: int, result: ParseResult) -> int | None:
    text = fold(raw).strip()
    if not text:
        return 2
    if text in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[text]
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    result.error(row, "难度", _l("Difficulty is a whole number from 1 (easiest) to 5."))
    return None


def read_partial_credit(raw: str, row: int, column: str, result: ParseResult) -> float | None:
    """少选得分比例: a percentage from 0 to 100 (`50`, `50%`), stored as the share the 多选 is
    graded with (0.5), as the question form stores it. A bare number between 0 and 1 is refused:
    it is what Excel keeps for a cell formatted as a percentage (50% is 0.5), which a workbook
    gives as shown (`tabular.read_xlsx`) but a copy pasted as values does not."""
    text = fold(raw).strip().replace(" ", "")
    number = text.removesuffix("%")
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value.is_signed() or value > 100:
        result.error(
            row, column, _l("Write a percentage from 0 to 100: 50 gives half the points, 0 none.")
        )
        return None
    if number == text and Decimal("0") < value < Decimal("1"):
        result.error(
            row,
            column,
            _l(
                "Write the percentage, such as 50, not the share 0.5 (Excel keeps a cell shown "
                "as 50% as 0.5); for less than 1%, write the sign too, such as 0.5%."
            ),
        )
        return None
    return float(value / 100)


def read_any_order(raw: str, row: int, column: str, result: ParseResult) -> bool | None:
    """各空答案不分顺序: 是 or 否, in any of the spellings 判断 accepts."""
    value = types.parse_judge(fold(raw).strip())
    if value is None:
        result.error(row, column, _l("Write 是 or 否 (对/错 and √/× are read too)."))
    return value


def read_audience(raw: str, row: int, column: str, result: ParseResult) -> str | None:
    """学习对象 as an Audience value; empty is everyone, as on the question form."""
    text = fold(raw).strip().replace(" ", "").casefold()
    if not text:
        return Audience.ALL.value
    if text in AUDIENCE_BY_NAME:
        return AUDIENCE_BY_NAME[text]
    result.error(
        row,
        column,
        _l(
            "Unknown audience “%(name)s”: use 全体人员、党员、书记和支委委员 or "
            "入党积极分子和发展对象.",
            name=raw[:20],
        ),
    )
    return None


def read_source_version(raw: str) -> str:
    # A date typed into Excel comes back as a datetime at midnight.
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) 00:00:00", raw)
    return match.group(1) if match else raw


def answer_key(
    code: str,
    stem: str,
    options: list[str],
    gaps: list[str],
    answer_raw: str,
    reference: str,
    number: int,
    result: ParseResult,
):
    """The answer key of a row of type `code`, or None after reporting why it has none."""
    if code in ("single", "multiple"):
        if len(options) < 2:
            result.error(number, "选项A", _l("A choice question needs at least two options."))
            return None
        return None if gaps else _choice_answer(code, answer_raw, options, number, result)
    if options:
        result.warn(number, "选项A", _l("Options are ignored for this type."))
    if code == "short":
        if answer_raw or reference:
            return _short_answer(answer_raw, reference)
        result.error(
            number, "答案", _l("Write the key points in 答案 or the reference answer in 参考答案.")
        )
        return None
    if not answer_raw:
        result.error(number, "答案", _l("The answer is required."))
        return None
    if code == "fill":
        return _fill_answer(stem, answer_raw, number, result)
    value = types.parse_judge(fold(answer_raw).strip())
    if value is None:
        result.error(number, "答案", _l("Write 对 or 错 (√/×, 正确/错误, T/F are read too)."))
        return None
    return {"answer": value}
