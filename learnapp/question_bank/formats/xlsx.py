"""The Excel import template: read (after the zip checks of `tabular`), written and offered."""

import io
from collections.abc import Iterable

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import ExportResult, ParseResult
from learnapp.question_bank.formats.sheet import (
    ANY_ORDER,
    AUDIENCE,
    COLUMNS,
    PARTIAL_CREDIT,
    parse_table,
)
from learnapp.question_bank.formats.sheet_keys import AUDIENCE_NAMES
from learnapp.question_bank.formats.sheet_rows import export_problem, row_of
from learnapp.tabular import (
    NOTES_SHEET,
    TableError,
    other_sheets_message,
    read_xlsx,
    write_xlsx_sheet,
)

SHEET_TITLE = "题目"
WIDTHS = {
    "题干": 48,
    "解析": 36,
    "参考答案": 36,
    "出处": 28,
    "知识点": 24,
    "标签": 18,
    "答案": 14,
    PARTIAL_CREDIT: 14,
    ANY_ORDER: 18,
    AUDIENCE: 24,
}
# Drop-down lists in the template (typing another accepted spelling stays possible).
CHOICES = {
    "题型": "单选,多选,判断,填空,简答",
    ANY_ORDER: "是,否",
    AUDIENCE: ",".join(names[0] for names in AUDIENCE_NAMES.values()),
}

EXAMPLES = [
    [
        "单选",
        "（示例）根据党章，申请入党的人要有（  ）名正式党员作介绍人。",
        "一",
        "两",
        "三",
        "五",
        "",
        "",
        "B",
        "",
        1,
        1,
        "党章/第一章 党员",
        "《中国共产党章程》第五条",
        "2022-10-22",
        "党章第五条规定，要有两名正式党员作介绍人。",
        "入党程序;基础",
        "",
        "",
        "全体人员",
    ],
    [
        "多选",
        "（示例）党员的权利包括（  ）。",
        "参加党的有关会议",
        "在党的会议上参加讨论",
        "享有表决权、选举权",
        "不服从组织决定",
        "",
        "",
        "ABC",
        "",
        2,
        2,
        "党章/第一章 党员",
        "《中国共产党章程》第四条",
        "2022-10-22",
        "",
        "党员权利",
        50,
        "",
        "党员",
    ],
    [
        "判断",
        "（示例）预备党员的预备期为一年。",
        "",
        "",
        "",
        "",
        "",
        "",
        "对",
        "",
        1,
        1,
        "党章/第一章 党员",
        "《中国共产党章程》第七条",
        "2022-10-22",
        "",
        "预备期",
        "",
        "",
        "入党积极分子和发展对象",
    ],
    [
        "填空",
        "（示例）党的最高领导机关，是党的____和它所产生的____。",
        "",
        "",
        "",
        "",
        "",
        "",
        "全国代表大会|全国党代会;;中央委员会",
        "",
        2,
        2,
        "党章/第二章 党的组织制度",
        "《中国共产党章程》第十条",
        "2022-10-22",
        "",
        "",
        "",
        "否",
        "全体人员",
    ],
    [
        "简答",
        "（示例）简述党员的八项义务中的任意两项。",
        "",
        "",
        "",
        "",
        "",
        "",
        "认真学习马克思列宁主义;;全心全意为人民服务",
        "例如：认真学习党的理论、路线方针政策和基本知识，努力提高为人民服务的本领；坚持党和人民的利益高于一切，个人利益服从党和人民的利益。",
        5,
        3,
        "党章/第一章 党员",
        "《中国共产党章程》第三条",
        "2022-10-22",
        "答出任意两项要点即可。",
        "党员义务",
        "",
        "",
        "党员",
    ],
]

INSTRUCTIONS = [
    ["题型", "必填：单选、多选、判断、填空、简答"],
    ["题干", "必填，最多2000字。填空题每个空写作 ____（四个下划线），空的数量与答案一致"],
    ["选项A–选项F", "单选、多选题从选项A起依次填写，不留空档；其他题型不填"],
    [
        "答案",
        "单选：B；多选：ACD（至少两个）；判断：对/错（也认 √ × 正确 错误 T F）；填空：答案1|同义词;;答案2（;; 分隔各空，| 分隔同一空的可接受答案）；简答：得分要点，用 ;; 分隔（可留空，但须填写参考答案）。全角字母和标点（Ａ、Ｃ，Ｄ）可以识别",
    ],
    [
        "参考答案",
        "仅简答题填写：完整的参考答案，可以多行；留空时以得分要点（每行一条）作为参考答案",
    ],
    ["分值", "选填，大于0、最多两位小数；留空时单选、判断1分，多选、填空2分，简答5分"],
    ["难度", "选填，1（最易）到5（最难）的整数，留空为2"],
    ["知识点", "选填，用 / 分隔层级，例如：党章/第一章 党员（也可用 › 或 >）"],
    ["出处", "选填，例如：《中国共产党章程》第五条"],
    ["依据版本", "选填，所依据文件的版本或施行日期，例如：2022-10-22"],
    ["解析", "选填"],
    ["标签", "选填，多个标签用 ; 或 、 分隔"],
    [
        PARTIAL_CREDIT,
        "选填，仅多选题：少选（只选对部分正确答案且无错选）时所得分值的百分比，0 到 100，例如 50 得一半分、0 不得分；留空为 50。请填数字（如 50），不要把单元格设成百分比格式（那样存的是 0.5，会被判为错误）；不足 1 的百分比连同 % 一起写，例如 0.5%",
    ],
    [
        ANY_ORDER,
        "选填，仅填空题：填“是”时各空答案可以不分顺序作答，填“否”或留空时须按顺序作答（也认 对/错、√/×）",
    ],
    [
        AUDIENCE,
        "选填：全体人员、党员、书记和支委委员、入党积极分子和发展对象；留空为全体人员",
    ],
    [
        "示例行",
        "第2至6行是示例（题干以“（示例）”开头），导入前请删除；未删除时导入会跳过并列出这些行",
    ],
    [
        "注意",
        "单元格内容按输入原样保存为文字（如 a<b、<b>、&amp; 都原样保留）；单元格不能是公式，也不能以 = + - @ 开头；先预览，任何一行有误都不会导入；与题库中已有题目题干相同的题会被标出",
    ],
]


def parse(data: bytes, filename: str = "", default_kp: list[str] | None = None) -> ParseResult:
    try:
        table = read_xlsx(data)
    except TableError as error:
        result = ParseResult()
        result.error(None, "", str(error))
        return result
    result = parse_table(table, filename, default_kp)
    if table.other_sheets:
        result.warn(None, "", other_sheets_message(table))
    return result


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(workbook):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.freeze_panes = "A2"
    for position, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = WIDTHS.get(name, 12)
    for name, choices in CHOICES.items():
        letter = get_column_letter(COLUMNS.index(name) + 1)
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}20001")
        sheet.add_data_validation(validation)
    return sheet


def export(drafts: Iterable[QuestionDraft]) -> ExportResult:
    """Every question as a template row, formula-safe; questions the layout cannot hold are skipped."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = _sheet(workbook)
    rows, skipped = [], []
    for draft in drafts:
        problem = export_problem(draft)
        if problem:
            skipped.append((draft, str(problem)))
        else:
            rows.append(row_of(draft))
    write_xlsx_sheet(sheet, list(COLUMNS), rows)
    return ExportResult(_workbook_bytes(workbook), len(rows), skipped)


def template_workbook() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    write_xlsx_sheet(_sheet(workbook), list(COLUMNS), EXAMPLES)
    notes = workbook.create_sheet(NOTES_SHEET)
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 100
    write_xlsx_sheet(notes, ["列", "说明"], INSTRUCTIONS)
    return _workbook_bytes(workbook)
