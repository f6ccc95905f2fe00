"""The neutral shape of a question on its way in or out of the bank.

Importers (xlsx, CSV, GIFT, Aiken), the authoring form and the exporters all speak this shape;
`services` turns a draft into a stored question version. `spec` is the type's own JSON payload,
exactly as `types.py` stores and grades it:

- single   {"options": [str, ...], "answer": int}                 index of the correct option
- multiple {"options": [str, ...], "answers": [int, ...], "partial_credit": 0.5}
- judge    {"answer": bool}
- fill     {"blanks": [[str, ...], ...], "any_order": bool}       accepted answers per blank
- short    {"reference": str, "key_points": [str, ...]}           marked by a person
"""

from dataclasses import dataclass, field
from decimal import Decimal


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
    # Where the draft came from, for messages: file name and row or line number.
    origin: str = ""
