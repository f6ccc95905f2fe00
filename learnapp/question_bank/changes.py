"""What an edit changed: two versions of a question compared field by field, for the reviewer.

Texts are compared character by character (Chinese has no spaces to split words on); the result
is HTML built from escaped pieces, deletions in <del> and insertions in <ins>.
"""

from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from learnapp.question_bank.models import AUDIENCE_LABELS, QuestionVersion
from learnapp.question_bank.types import TYPES
from learnapp.question_bank.types.base import LETTERS


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str

    @property
    def html(self) -> Markup:
        return inline_diff(self.before, self.after)


def inline_diff(before: str, after: str) -> Markup:
    """`after` with what was removed from `before` in <del> and what was added in <ins>."""
    parts = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape(after[new_start:new_end]))
            continue
        if old_end > old_start:
            parts.append(Markup("<del>%s</del>") % before[old_start:old_end])
        if new_end > new_start:
            parts.append(Markup("<ins>%s</ins>") % after[new_start:new_end])
    return Markup("").join(parts)


def _fields(type_code: str, version: QuestionVersion) -> list[tuple[str, str]]:
    spec = version.spec
    options = spec.get("options") or []
    key_points = spec.get("key_points") or []
    source = f"{version.source_document} {version.source_version}".strip()
    return [
        (_l("Question text"), version.stem),
        (_l("Options"), "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))),
        (_l("Answer"), TYPES[type_code].key_text(spec)),
        (_l("Key points"), "\n".join(key_points)),
        (_l("Explanation (解析)"), version.explanation),
        (_l("Source"), source),
        (_l("Difficulty"), str(version.difficulty)),
        (_l("Points"), str(Decimal(version.points).quantize(Decimal("0.01")))),
        (_l("Audience"), str(AUDIENCE_LABELS[version.audience])),
    ]


def version_changes(
    type_code: str, before: QuestionVersion, after: QuestionVersion
) -> list[FieldChange]:
    """The fields whose values differ between two versions of a question, in form order.
    Knowledge point and tags belong to the question, not to a version, so they are not here."""
    return [
        FieldChange(str(label), old, new)
        for (label, old), (_same, new) in zip(
            _fields(type_code, before), _fields(type_code, after), strict=True
        )
        if old != new
    ]
