"""The spreadsheet layout shared by the Excel template and CSV (DOMAIN.md, Question bank).

One header row, `题型 | 题干 | 选项A … 选项F | 答案 | 参考答案 | 分值 | 难度 | 知识点 | 出处 | 依据版本 |
解析 | 标签 | 少选得分比例 | 各空答案不分顺序 | 学习对象`, then one question per row. Answers: 单选 `B`;
多选 `ACD`; 判断 `对`/`错` (√ × 正确 错误 T F too); 填空 `答案1|同义词;;答案2` with each blank written
`____` in the stem; 简答 the key points separated by `;;`, with its reference answer in 参考答案
(older templates have no such column: the key points, one per line, are then the reference
answer, as they are when the cell is empty). Full-width letters and punctuation in answers are
read as half-width (`Ｃ，Ｄ` is CD). The last three columns hold the settings the question form
has besides the answer: a 多选's partial credit in percent, whether a 填空's blanks may be
answered in any order, and the audience; older templates lack them, and an empty cell is the
form's default. Columns are found by their header, so their order does not matter. A row's answer
key, its numbers and its settings are read in formats.sheet_keys.

Cells are plain text, kept as typed (`a<b`, `<b>` and `&amp;` are text: pages escape it), except
that a formula cell of an .xlsx is an error wherever it stands (its computed value is never
read), as is text that a spreadsheet would run as one. The template's own example rows (their
stem starts with （示例）) are left out and listed, whatever else they hold, so that they never
land in a bank when someone forgets to delete them.
"""

import re

from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter

from learnapp.question_bank import types
from learnapp.question_bank.draft import QuestionDraft, split_path
from learnapp.question_bank.formats.common import (
    MAX_QUESTIONS,
    MAX_SOURCE_DOCUMENT,
    MAX_SOURCE_VERSION,
    ParsedQuestion,
    ParseResult,
    clean_line,
    fold,
    path_problem,
    split_tags,
    tags_problem,
)
from learnapp.question_bank.formats.sheet_keys import (
    answer_key,
    read_any_order,
    read_audience,
    read_difficulty,
    read_partial_credit,
    read_points,
    read_source_version,
)
from learnapp.tabular import Table, looks_like_formula

OPTION_COLUMNS = tuple(f"选项{letter}" for letter in "ABCDEF")
PARTIAL_CREDIT = "少选得分比例"
ANY_ORDER = "各空答案不分顺序"
AUDIENCE = "学习对象"
# A setting column and the one type that uses it (学习对象 is every type's).
SETTING_TYPES = {PARTIAL_CREDIT: "multiple", ANY_ORDER: "fill"}
COLUMNS = (
    "题型",
    "题干",
    *OPTION_COLUMNS,
    "答案",
    "参考答案",
    "分值",
    "难度",
    "知识点",
    "出处",
    "依据版本",
    "解析",
    "标签",
    PARTIAL_CREDIT,
    ANY_ORDER,
    AUDIENCE,
)
# The columns whose filled-in cell states a setting (QuestionDraft.stated); empty, it is a default.
STATED = {
    "分值": "points",
    "难度": "difficulty",
    "知识点": "knowledge_point",
    "出处": "source_document",
    "依据版本": "source_version",
    "解析": "explanation",
    "标签": "tags",
    PARTIAL_CREDIT: "partial_credit",
    ANY_ORDER: "any_order",
    AUDIENCE: "audience",
}
REQUIRED = ("题型", "题干", "答案")  # 参考答案 is optional: older templates lack it
TYPE_NAMES = {
    "single": ("单选", "单选题", "单项选择", "单项选择题", "single"),
    "multiple": ("多选", "多选题", "多项选择", "多项选择题", "multiple"),
    "judge": ("判断", "判断题", "是非题", "judge", "truefalse"),
    "fill": ("填空", "填空题", "fill"),
    "short": ("简答", "简答题", "问答", "问答题", "short", "essay"),
}
TYPE_BY_NAME = {name.casefold(): code for code, names in TYPE_NAMES.items() for name in names}
TYPE_LABELS = {code: names[0] for code, names in TYPE_NAMES.items()}
NUMBER = re.compile(r"^-?[0-9][0-9,.]*$")
MAX_SHEET_TEXT = 5000
EXAMPLE_MARK = "(示例)"  # how the template's example stems start, once folded
# The cells each type's answer key is read from (besides the options, checked for gaps).
KEY_CELLS = {
    "single": {"答案"},
    "multiple": {"答案"},
    "judge": {"答案"},
    "fill": {"答案", "题干"},
    "short": {"答案", "参考答案"},
}


def _column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def _formula_problem(formula: str):
    return _l(
        "This cell holds the formula %(formula)s; formulas are not read. Type the value itself.",
        formula=formula[:40],
    )


def _header_problems(table: Table, result: ParseResult) -> dict[str, int] | None:
    index: dict[str, int] = {}
    for position, raw in enumerate(table.header):
        if (1, position) in table.formulas:
            result.error(1, _column_letter(position), _formula_problem(raw))
            continue
        name = fold(raw).strip().replace(" ", "")
        if not name:
            if any(position < len(cells) and cells[position] for _, cells in table.rows):
                result.error(
                    1,
                    _column_letter(position),
                    _l(
                        "This column holds data but has no header: name it as the template "
                        "does, or delete the column."
                    ),
                )
            continue
        if name in index:
            result.error(1, name, _l("The column “%(name)s” appears twice.", name=name))
            continue
        if name in COLUMNS:
            index[name] = position
        elif re.fullmatch(r"选项[G-Z]", name):
            result.error(
                1, name, _l("At most six options (选项A–选项F); use GIFT for more options.")
            )
        else:
            result.warn(
                1,
                name,
                _l(
                    "The column “%(name)s” is not part of the template and is ignored.",
                    name=name[:40],
                ),
            )
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        result.error(
            1,
            "",
            _l(
                "Missing columns: %(cols)s. Download the template for the expected header.",
                cols="、".join(missing),
            ),
        )
    return None if result.errors else index


def _text(
    raw: str, row: int, column: str, result: ParseResult, *, limit: int = MAX_SHEET_TEXT
) -> str:
    """A cell as stored text, as typed: formula-looking cells refused, length capped."""
    value = clean_line(raw)
    if value.startswith("'") and looks_like_formula(value[1:]):
        # Our exports write formula-looking text as '=…; reading it back restores the text.
        value = value[1:]
    elif looks_like_formula(value) and not NUMBER.match(value):
        result.error(
            row,
            column,
            _l("A cell may not start with =, +, - or @ (write '= to mean the text itself)."),
        )
        return ""
    if len(value) > limit:
        result.error(row, column, _l("At most %(n)d characters.", n=limit))
        return ""
    return value


def _is_example(cells: list[str], index: dict[str, int]) -> bool:
    position = index["题干"]
    return position < len(cells) and fold(clean_line(cells[position])).startswith(EXAMPLE_MARK)


def _row(
    number: int,
    cells: list[str],
    formulas: set[int],
    index: dict[str, int],
    width: int,
    result: ParseResult,
    default_kp: list[str],
):
    """The row's question, or None after reporting its problems. A cell with a problem of its
    own (a formula, too long) is not also reported as missing or as a gap between options."""
    errors_before = len(result.errors)
    names = {position: name for name, position in index.items()}
    failed: set[str] = set()
    given: set[str] = set()
    for position in sorted(formulas):
        column = names.get(position) or _column_letter(position)
        failed.add(column)
        result.error(number, column, _formula_problem(cells[position]))

    def cell(name: str, **kwargs) -> str:
        position = index.get(name)
        if position is None or position >= len(cells) or position in formulas:
            return ""
        errors = len(result.errors)
        value = _text(cells[position], number, name, result, **kwargs)
        if len(result.errors) > errors:
            failed.add(name)
        if value:
            given.add(name)
        return value

    extra = [position for position in range(width, len(cells)) if cells[position].strip()]
    if extra:
        result.error(
            number,
            _column_letter(extra[0]),
            _l(
                "This row has more cells than the header has columns (%(n)d).",
                n=width,
            ),
        )
    type_text = fold(cell("题型")).strip()
    code = TYPE_BY_NAME.get(type_text.casefold())
    if code is None and "题型" not in failed:
        message = (
            _l("The type is required: 单选、多选、判断、填空 or 简答.")
            if not type_text
            else _l(
                "Unknown type “%(name)s”: use 单选、多选、判断、填空 or 简答.", name=type_text[:20]
            )
        )
        result.error(number, "题型", message)
    stem = cell("题干", limit=types.MAX_STEM)
    if not stem and "题干" not in failed:
        result.error(number, "题干", _l("The stem is required."))
    raw_options = [cell(name, limit=types.MAX_TEXT) for name in OPTION_COLUMNS]
    filled = [bool(value) or OPTION_COLUMNS[i] in failed for i, value in enumerate(raw_options)]
    last = max((i for i, value in enumerate(filled) if value), default=-1)
    options = raw_options[: last + 1]
    gaps = [OPTION_COLUMNS[i] for i in range(last + 1) if not filled[i]]
    if gaps and code in ("single", "multiple"):
        result.error(number, gaps[0], _l("Fill the options from 选项A on, without gaps."))
    answer_raw = cell("答案")
    reference = cell("参考答案", limit=types.MAX_LONG_TEXT)
    if reference and code not in (None, "short"):
        result.warn(number, "参考答案", _l("Only 简答 questions use 参考答案; it is ignored here."))
    # The key is read only from cells without a problem of their own: an empty one may only
    # mean that its formula or over-long text was refused.
    spec = None
    if code is not None and not failed & KEY_CELLS[code]:
        spec = answer_key(code, stem, options, gaps, answer_raw, reference, number, result)
    settings = _settings(code, {column: cell(column) for column in SETTING_TYPES}, number, result)
    if spec is not None:
        spec.update(settings)
    if spec is not None and len(result.errors) == errors_before:
        for problem in types.get_type(code).validate(spec):
            result.error(number, "答案", problem)
    points = read_points(cell("分值"), code, number, result) if code else None
    difficulty = read_difficulty(cell("难度"), number, result)
    path_text = cell("知识点")
    knowledge_point = split_path(path_text) if path_text else list(default_kp)
    problem = path_problem(knowledge_point)
    if problem:
        result.error(number, "知识点", problem)
    source_document = cell("出处", limit=MAX_SOURCE_DOCUMENT)
    source_version = read_source_version(cell("依据版本", limit=MAX_SOURCE_VERSION))
    explanation = cell("解析", limit=types.MAX_LONG_TEXT)
    tags = split_tags(cell("标签"))
    problem = tags_problem(tags)
    if problem:
        result.error(number, "标签", problem)
    audience = read_audience(cell(AUDIENCE), number, AUDIENCE, result)
    if len(result.errors) > errors_before or spec is None:
        return None
    return QuestionDraft(
        type=code,
        stem=stem,
        spec=spec,
        points=points,
        difficulty=difficulty,
        knowledge_point=knowledge_point,
        source_document=source_document,
        source_version=source_version,
        explanation=explanation,
        tags=tags,
        audience=audience,
        stated=[setting for column, setting in STATED.items() if column in given],
    )


def _settings(code: str | None, cells: dict[str, str], number: int, result: ParseResult) -> dict:
    """The spec keys that 少选得分比例 and 各空答案不分顺序 set for the type that uses them (an
    empty cell sets none: answer_key's default stands); filled in for another type, they are
    ignored with a warning."""
    settings = {}
    for column, raw in cells.items():
        user = SETTING_TYPES[column]
        if not raw or code is None:
            continue
        if code != user:
            result.warn(
                number,
                column,
                _l(
                    "Only %(type)s questions use %(column)s; it is ignored here.",
                    type=TYPE_LABELS[user],
                    column=column,
                ),
            )
        elif column == PARTIAL_CREDIT:
            settings["partial_credit"] = read_partial_credit(raw, number, column, result)
        else:
            settings["any_order"] = read_any_order(raw, number, column, result)
    return settings


def parse_table(
    table: Table, filename: str = "", default_kp: list[str] | None = None
) -> ParseResult:
    """Every row checked; a row with any problem gives errors and no question."""
    result = ParseResult(encoding=table.encoding)
    index = _header_problems(table, result)
    if index is None:
        return result
    if len(table.rows) > MAX_QUESTIONS:
        result.error(None, "", _l("At most %(n)d questions per file.", n=MAX_QUESTIONS))
        return result
    width = len(table.header)
    formulas: dict[int, set[int]] = {}
    for number, position in table.formulas:
        formulas.setdefault(number, set()).add(position)
    examples = 0
    for number, cells in table.rows:
        in_row = formulas.get(number, set())
        if not in_row and _is_example(cells, index):
            result.skip(
                number,
                "题干",
                _l("An example row of the template (its stem starts with （示例）): not imported."),
            )
            examples += 1
            continue
        draft = _row(number, cells, in_row, index, width, result, default_kp or [])
        if draft is not None:
            draft.origin = f"{filename}:{number}"
            result.questions.append(ParsedQuestion(number, draft))
    if not table.rows:
        result.error(None, "", _l("The file has no question rows."))
    elif examples == len(table.rows):
        result.error(
            None,
            "",
            _l("The file has only the template's example rows: add your questions below them."),
        )
    return result
