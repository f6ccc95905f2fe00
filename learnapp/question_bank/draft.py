"""The neutral shape of a question on its way in or out of the bank.

Importers (xlsx, CSV, GIFT, Aiken), the authoring form and the exporters all speak this shape;
`services` turns a draft into a stored question version. `spec` is the type's own JSON payload,
exactly as the `types` package stores and grades it:

- single   {"options": [str, ...], "answer": int}                 index of the correct option
- multiple {"options": [str, ...], "answers": [int, ...], "partial_credit": 0.5}
- judge    {"answer": bool}
- fill     {"blanks": [[str, ...], ...], "any_order": bool}       accepted answers per blank
- short    {"reference": str, "key_points": [str, ...]}           marked by a person

`audience` is who the question is for, a `models.Audience` value ("all" when a file says nothing).

`stated` tells a file's own values from the defaults filled in for what it left out: the settings
(import_differences.SETTINGS) its row or item gave. Only those can differ from a question already
in the bank; None, as for a form or a stored version, is all of them.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

# Limits of the metadata every importer and the services apply.
MAX_PATH_DEPTH = 6  # knowledge-point levels
MAX_KNOWLEDGE_NAME = 100  # one level's name
MAX_TAGS = 10
MAX_TAG = 50
PATH_SEPARATORS = re.compile(r"\s*(?:›|>|＞|/|／)\s*")


# Numbers inside names, so that 第三章 sorts before 第十一章 and 第2节 before 第10节.
NUMBER_RUN = re.compile(r"([0-9]+|[零〇一二两三四五六七八九十百千]+)")
CHINESE_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}


def _number(run: str) -> int:
    if run.isascii():
        return int(run)
    total = digit = 0
    for char in run:
        if char in CHINESE_UNITS:
            total += (digit or 1) * CHINESE_UNITS[char]
            digit = 0
        else:
            digit = CHINESE_DIGITS[char]
    return total + digit


def name_order(name: str) -> tuple:
    """A sort key reading the numbers in a name: 第三章 < 第十一章, 第2节 < 第10节."""
    pieces = NUMBER_RUN.split(name)
    return tuple(
        (1, _number(piece), "") if position % 2 else (0, 0, piece)
        for position, piece in enumerate(pieces)
        if piece
    )


def split_path(text: str) -> list[str]:
    """ "党章 › 第一章 党员", "党章/第一章 党员" and "党章 > 第一章 党员" (full-width ＞ and ／ too)
    are all ["党章", "第一章 党员"]."""
    return [part for part in PATH_SEPARATORS.split((text or "").strip()) if part]


@dataclass
class QuestionDraft:
    type: str  # single | multiple | judge | fill | short
    stem: str
    spec: dict
    points: Decimal = Decimal("1")
    difficulty: int = 2  # 1–5
    knowledge_point: list[str] = field(default_factory=list)  # path, e.g. ["党章", "第一章 党员"]
    source_document: str = ""  # 出处, e.g. 《中国共产党章程》第三条
    source_version: str = ""  # 依据版本, e.g. 2022-10-22
    explanation: str = ""  # 解析
    tags: list[str] = field(default_factory=list)
    audience: str = "all"  # 学习对象: all | party_members | leaders | applicants
    # Where the draft came from, for messages: file name and row or line number.
    origin: str = ""
    stated: list[str] | None = field(default=None, compare=False)
