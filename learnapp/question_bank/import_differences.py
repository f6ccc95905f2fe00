"""What a file's question may say differently from the same question elsewhere: its settings.

A question is its type, stem, options and key (import_duplicates); everything else a row gives is
a setting of it: 学习对象, 少选得分比例, 各空答案不分顺序, 分值, 难度, 知识点, 标签, 出处, 依据版本 and
解析. A file's question differs from another in a setting only where the file states it
(QuestionDraft.stated): a default filled in for an empty cell, or for a format that cannot say
(Aiken has no points, GIFT no audience), neither differs nor replaces anything. For the same
reason an import never empties a setting: an empty cell is no value.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from learnapp.question_bank.changes import FieldChange
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import AUDIENCE_LABELS, Audience
from learnapp.question_bank.services.banks import path_names, tag_names
from learnapp.question_bank.types import TYPES, partial_credit_percent, points_text
from learnapp.sanitize import strip_bidi


def _text(value: str) -> str:
    return strip_bidi(value or "").strip()


@dataclass(frozen=True)
class Setting:
    code: str  # a QuestionDraft field, or a key of the spec of `type_code`
    label: str
    value: Callable[[QuestionDraft], object]  # what is compared: the value as it is stored
    shown: Callable[[QuestionDraft], str]
    type_code: str | None = None  # the one type that has the setting; None: every type

    def applies(self, draft: QuestionDraft) -> bool:
        return self.type_code in (None, draft.type)

    def stated(self, draft: QuestionDraft) -> bool:
        return self.applies(draft) and (draft.stated is None or self.code in draft.stated)


def _any_order(draft: QuestionDraft) -> bool:
    return bool(draft.spec.get("any_order", False))


SETTINGS = (
    Setting(
        "audience",
        _l("Audience"),
        lambda d: d.audience,
        lambda d: str(AUDIENCE_LABELS[Audience(d.audience)]),
    ),
    Setting(
        "partial_credit",
        _l("Points for a correct subset (%)"),
        lambda d: partial_credit_percent(d.spec),
        lambda d: partial_credit_percent(d.spec),
        "multiple",
    ),
    Setting(
        "any_order",
        _l("Blanks may be answered in any order"),
        _any_order,
        lambda d: _("Yes") if _any_order(d) else _("No"),
        "fill",
    ),
    Setting("points", _l("Points"), lambda d: Decimal(d.points), lambda d: points_text(d.points)),
    Setting("difficulty", _l("Difficulty"), lambda d: d.difficulty, lambda d: str(d.difficulty)),
    Setting(
        "knowledge_point",
        _l("Knowledge point"),
        lambda d: path_names(d.knowledge_point),
        lambda d: " › ".join(path_names(d.knowledge_point)),
    ),
    Setting(
        "tags",
        _l("Tags"),
        lambda d: set(tag_names(d.tags)),
        lambda d: ", ".join(sorted(tag_names(d.tags))),
    ),
    Setting(
        "source_document",
        _l("Source (document and article)"),
        lambda d: _text(d.source_document),
        lambda d: _text(d.source_document),
    ),
    Setting(
        "source_version",
        _l("Source version or effective date"),
        lambda d: _text(d.source_version),
        lambda d: _text(d.source_version),
    ),
    Setting(
        "explanation",
        _l("Explanation (解析)"),
        lambda d: _text(d.explanation),
        lambda d: _text(d.explanation),
    ),
)
BY_CODE = {setting.code: setting for setting in SETTINGS}
SHOWN = 60  # characters of a value the preview shows
LEAD = 20  # of them, how many come before the first one that differs


def differences(draft: QuestionDraft, other: QuestionDraft) -> list[str]:
    """The settings `draft` states with another value than `other` has, in SETTINGS order."""
    return [
        setting.code
        for setting in SETTINGS
        if setting.stated(draft) and setting.value(draft) != setting.value(other)
    ]


def overlay(base: QuestionDraft, draft: QuestionDraft, codes: list[str]) -> QuestionDraft:
    """`base` with the values `draft` has for the settings `codes`: a bank question as the file
    would have it."""
    in_spec = [code for code in codes if BY_CODE[code].type_code]
    fields = {code: getattr(draft, code) for code in codes if code not in in_spec}
    given = TYPES[draft.type].clean(draft.spec)  # with the type's defaults filled in
    spec = {**base.spec, **{code: given[code] for code in in_spec}}
    return dataclasses.replace(base, spec=spec, stated=None, **fields)


def described(draft: QuestionDraft, other: QuestionDraft, codes: list[str]) -> list[FieldChange]:
    """Each setting of `codes`, with its value in `other` before and in `draft` after."""
    return [
        FieldChange(
            str(BY_CODE[code].label), BY_CODE[code].shown(other), BY_CODE[code].shown(draft)
        )
        for code in codes
    ]


def labels(codes: list[str]) -> str:
    """The settings' names as a list in the reader's language: 学习对象、分值和难度."""
    return format_list([str(BY_CODE[code].label) for code in codes], locale=get_locale())


class Excerpt(NamedTuple):
    before: str
    after: str
    cut: bool  # whether either value was shortened


def _cut(text: str, start: int, width: int) -> str:
    end = start + width
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def around_difference(before: str, after: str, width: int = SHOWN, lead: int = LEAD) -> Excerpt:
    """Two values short enough to show, as they are or cut to the same `width` characters
    from `lead` before the first that differs: two long 解析 that differ only at their end
    show their ends, not the same beginning twice."""
    if len(before) <= width and len(after) <= width:
        return Excerpt(before, after, False)
    same = next(
        (i for i, (old, new) in enumerate(zip(before, after, strict=False)) if old != new),
        min(len(before), len(after)),
    )
    start = max(0, same - lead)
    return Excerpt(_cut(before, start, width), _cut(after, start, width), True)
