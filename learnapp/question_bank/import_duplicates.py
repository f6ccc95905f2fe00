"""Duplicates in an import preview (importing.preview_import).

A question whose normalised stem (types.normalise_stem) and content (type, options or key)
equal one already in the bank or earlier in the file is a duplicate and is left out. The same
stem with different content is imported, with a warning: generic stems such as
下列说法正确的是（ ） are common and are not duplicates. Stems that are merely similar (difflib
ratio ≥ 0.9) are warnings, searched with a bounded amount of work.

A duplicate whose answer differs is a contradiction, not a repeat: one of the two keys is wrong.
Within the file it is an error, so that the editor decides which row is right rather than the
first one winning; against the bank the file's question is still left out (the bank's stands),
with a warning naming the question to check.
"""

import difflib
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.question_bank import queries
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import Problem
from learnapp.question_bank.models import Question, QuestionBank, QuestionVersion
from learnapp.question_bank.types import normalise_stem

if TYPE_CHECKING:
    from learnapp.question_bank.importing import ImportPreview

NEAR_RATIO = 0.9
# Candidate comparisons the near-duplicate search may make per file (length-filtered first).
NEAR_BUDGET = 300_000
STEM_KEY_LENGTH = 255  # Question.stem_key


def _content_key(draft: QuestionDraft) -> tuple:
    """What makes two questions with the same stem the same question."""
    spec = draft.spec
    if draft.type in ("single", "multiple"):
        return (draft.type, tuple(sorted(normalise_stem(o) for o in spec.get("options", []))))
    if draft.type == "fill":
        return (
            draft.type,
            tuple(tuple(sorted(normalise_stem(a) for a in b)) for b in spec.get("blanks", [])),
        )
    return (draft.type,)


def _answer_key(draft: QuestionDraft) -> tuple:
    """The right answer of a question, independent of the order of its options (a 填空's
    accepted answers are part of its content key already)."""
    spec = draft.spec
    if draft.type == "single":
        return (normalise_stem(spec["options"][spec["answer"]]),)
    if draft.type == "multiple":
        return tuple(sorted(normalise_stem(spec["options"][i]) for i in spec["answers"]))
    if draft.type == "judge":
        return (spec["answer"],)
    if draft.type == "short":
        points = tuple(normalise_stem(point) for point in spec.get("key_points", []))
        return (normalise_stem(spec.get("reference", "")), *points)
    return ()


def _stem_key(draft: QuestionDraft) -> str:
    return normalise_stem(draft.stem)[:STEM_KEY_LENGTH]


def _existing_content(
    session: Session, bank: QuestionBank, keys: set[str]
) -> dict[str, list[tuple[int, tuple, tuple]]]:
    """For each stem key present in the bank: (question id, content key, answer key) of every
    question."""
    found: dict[str, list[tuple[int, tuple, tuple]]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = session.execute(
            sa.select(Question.stem_key, Question.id, Question.type, QuestionVersion.spec)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.bank_id == bank.id, Question.stem_key.in_(chunk))
            .order_by(Question.id)
        )
        for key, question_id, type_code, spec in rows:
            draft = QuestionDraft(type=type_code, stem="", spec=spec or {})
            found.setdefault(key, []).append((question_id, _content_key(draft), _answer_key(draft)))
    return found


class _NearIndex:
    """Stems by length, so a ratio of 0.9 is only tried where the lengths allow it."""

    def __init__(self):
        self.by_length: dict[int, list[tuple[str, int, bool]]] = {}
        self.spent = 0
        self.exhausted = False

    def add(self, key: str, number: int, in_bank: bool) -> None:
        """`number` is a question id when `in_bank`, else a line of the file."""
        self.by_length.setdefault(len(key), []).append((key, number, in_bank))

    def find(self, key: str):
        """A similar stem's label, or None."""
        if self.exhausted or not key:
            return None
        size = len(key)
        # The matcher keeps what it learnt about `key` (its second sequence) across candidates.
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(key)
        for length in range(int(size * 0.82), int(size / 0.82) + 2):
            for other, number, in_bank in self.by_length.get(length, ()):
                self.spent += 1
                if self.spent > NEAR_BUDGET:
                    self.exhausted = True
                    return None
                if other == key:
                    continue
                matcher.set_seq1(other)
                if matcher.quick_ratio() >= NEAR_RATIO and matcher.ratio() >= NEAR_RATIO:
                    if in_bank:
                        return _l("question #%(id)d", id=number)
                    return _l("line %(n)d", n=number)
        return None


def flag_duplicates(
    session: Session, bank: QuestionBank, preview: "ImportPreview", near_duplicates: bool
) -> None:
    """Mark the preview's items that repeat a question of the bank or an earlier line, and add
    the errors and warnings the rules above give."""
    keys = {_stem_key(item.draft) for item in preview.items}
    bank_index = queries.stem_index(session, bank)
    existing = _existing_content(session, bank, keys & bank_index.keys())
    seen: dict[tuple, tuple[int, tuple]] = {}
    stems_seen: dict[str, int] = {}
    near = _NearIndex()
    near.exhausted = not near_duplicates
    for key, question_id in bank_index.items():
        near.add(key, question_id, True)
    for item in preview.items:
        key, content = _stem_key(item.draft), _content_key(item.draft)
        answer = _answer_key(item.draft)
        same = [
            (qid, other)
            for qid, other_content, other in existing.get(key, [])
            if other_content == content
        ]
        if same:
            agreeing = [qid for qid, other in same if other == answer]
            item.duplicate_of = agreeing[0] if agreeing else same[0][0]
            if not agreeing:
                preview.warnings.append(
                    Problem(
                        item.line,
                        "",
                        _l(
                            "Same question as question #%(id)d of the bank, but the answers disagree: this one is not imported. Check which is right; if it is this one, correct question #%(id)d.",
                            id=item.duplicate_of,
                        ),
                    )
                )
            continue
        if (key, content) in seen:
            item.duplicate_line, first_answer = seen[(key, content)]
            if first_answer != answer:
                preview.errors.append(
                    Problem(
                        item.line,
                        "",
                        _l(
                            "Same question as line %(n)d, but the answers disagree: check which is right and delete the other line.",
                            n=item.duplicate_line,
                        ),
                    )
                )
            continue
        seen[(key, content)] = (item.line, answer)
        if key in existing:
            preview.warnings.append(
                Problem(
                    item.line,
                    "",
                    _l(
                        "Same stem as question #%(id)d but different options or type: imported as a new question.",
                        id=existing[key][0][0],
                    ),
                )
            )
        elif key in stems_seen:
            preview.warnings.append(
                Problem(
                    item.line,
                    "",
                    _l(
                        "Same stem as line %(n)d but different options or type: both are imported.",
                        n=stems_seen[key],
                    ),
                )
            )
        else:
            similar = near.find(key)
            if similar:
                preview.warnings.append(
                    Problem(
                        item.line,
                        "",
                        _l(
                            "Very similar to %(other)s: check it is not a duplicate.", other=similar
                        ),
                    )
                )
        stems_seen.setdefault(key, item.line)
        near.add(key, item.line, False)
    if near_duplicates and near.exhausted:
        preview.warnings.append(
            Problem(
                None,
                "",
                _l(
                    "The search for similar questions stopped early: the file or the bank is large."
                ),
            )
        )
