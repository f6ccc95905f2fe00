"""GIFT writing: one question per block, text escaped so that reading it back gives it again.

What GIFT has no place for travels in comments above the question, which Moodle ignores and
this bank reads back: a 简答's reference answer and key points (`// [reference:…]`,
`// [key-point:…]`; its general feedback is the explanation) and a 多选's partial credit
(`// [partial-credit:50%]`). Text that would read as HTML is marked `[plain]`.
"""

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats.common import ExportResult, has_html, right_share
from learnapp.question_bank.formats.gift.scanner import field_escape
from learnapp.question_bank.types.choice import partial_credit_percent
from learnapp.question_bank.types.written import BLANK

SPECIAL = re.compile(r"([~=#{}:])")
# Text that would be read as a comment or a format prefix starts with [plain] instead.
NEEDS_PREFIX = re.compile(r"^(//|\[(html|moodle|plain|markdown)\])")


def escape(text: str) -> str:
    """`\\ ~ = # { } :` escaped and newlines written as \\n (the reference's exporter rules)."""
    text = text.replace("\\", "\\\\")
    text = SPECIAL.sub(r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _text(text: str) -> str:
    escaped = escape(text.strip())
    return "[plain]" + escaped if NEEDS_PREFIX.match(escaped) else escaped


def _question_text(text: str, draft: QuestionDraft) -> str:
    """The question text, marked `[plain]` when it would be read as a comment or a format, or
    when any text of the question would be read as HTML (answers and feedback inherit it)."""
    texts = [draft.stem, draft.explanation, *draft.spec.get("options", [])]
    texts += [word for blank in draft.spec.get("blanks", []) for word in blank]
    if NEEDS_PREFIX.match(text) or any(has_html(t) for t in texts):
        return "[plain]" + text
    return text


def _feedback(draft: QuestionDraft) -> str:
    return f"####{escape(draft.explanation)}" if draft.explanation.strip() else ""


def _choices(draft: QuestionDraft) -> str:
    options = draft.spec["options"]
    if draft.type == "single":
        marks = ["=" if i == draft.spec["answer"] else "~" for i in range(len(options))]
    else:
        right = set(draft.spec["answers"])
        share = right_share(len(right))
        # -100% on a wrong option: Moodle then scores 0 when one is chosen, as the bank does
        # (without it, choosing every option would earn full marks); reading it back is silent.
        marks = [f"~%{share}%" if i in right else "~%-100%" for i in range(len(options))]
    return " ".join(mark + _text(option) for mark, option in zip(marks, options, strict=True))


def _block(draft: QuestionDraft) -> str:
    """The GIFT text of one question; raises ValueError with the reason when it cannot be written."""
    stem = draft.stem
    if draft.type == "fill":
        blanks = draft.spec["blanks"]
        if len(blanks) != 1 or len(BLANK.findall(stem)) != 1:
            raise ValueError(_l("GIFT holds one blank per question."))
        if any("->" in word for word in blanks[0]):
            raise ValueError(_l("An answer containing -> would be read as a matching question."))
        answers = " ".join("=" + _text(word) for word in blanks[0])
        before, after = BLANK.split(stem.strip(), maxsplit=1)
        text = f"{escape(before)}{{{answers}{_feedback(draft)}}}{escape(after)}"
        return _question_text(text, draft)
    if draft.type in ("single", "multiple"):
        body = _choices(draft)
    elif draft.type == "judge":
        body = "TRUE" if draft.spec["answer"] else "FALSE"
    else:
        body = ""
    return f"{_question_text(escape(stem.strip()), draft)} {{{body}{_feedback(draft)}}}"


def _comments(draft: QuestionDraft) -> list[str]:
    """The comment lines above the question: its tags, and the bank's own fields."""
    lines = []
    if draft.tags:
        lines.append(
            "// " + " ".join("[tag:" + tag.replace("]", "\\]") + "]" for tag in draft.tags)
        )
    if draft.type == "multiple":
        lines.append(f"// [partial-credit:{partial_credit_percent(draft.spec)}%]")
    if draft.type == "short":
        lines.append(f"// [reference:{field_escape(draft.spec['reference'])}]")
        points = draft.spec.get("key_points") or []
        if points:
            lines.append("// " + " ".join(f"[key-point:{field_escape(p)}]" for p in points))
    return lines


def export(drafts: Iterable[QuestionDraft]) -> ExportResult:
    """Questions grouped under $CATEGORY: blocks by knowledge point; what GIFT cannot hold is skipped."""
    lines: list[str] = []
    category: list[str] | None = None
    exported, skipped = 0, []
    for draft in drafts:
        try:
            block = _block(draft)
        except ValueError as error:
            skipped.append((draft, str(error.args[0])))
            continue
        if draft.knowledge_point != category:
            category = list(draft.knowledge_point)
            lines += ["$CATEGORY: $course$/top/" + "/".join(category), ""]
        lines += [*_comments(draft), block, ""]
        exported += 1
    return ExportResult("\n".join(lines).encode("utf-8"), exported, skipped)
