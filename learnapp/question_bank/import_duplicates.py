"""Duplicates in an import preview (importing.preview_import).

A question whose normalised stem (types.normalise_stem) and content (type, options or key)
equal one already in the bank or earlier in the file is the same question and is not added
again. The same stem with different content is imported, with a warning: generic stems such as
下列说法正确的是（ ） are common and are not duplicates. Stems that are merely similar (difflib
ratio ≥ 0.9) are warnings, searched with a bounded amount of work.

A duplicate whose answer differs is a contradiction, not a repeat: one of the two keys is wrong.
Within the file it is an error, so that the editor decides which row is right rather than the
first one winning; against the bank the file's question is still left out (the bank's stands),
with a warning naming the question to check.

A duplicate that agrees on the answer but states another setting (import_differences: 学习对象,
分值, 解析 …) is not dropped as identical either. Against the bank it is a conflict: the preview
shows what differs and the editor chooses, row by row, to keep the bank's question as it is or
to update it with the file's values (importing.commit_import). A second question with the same
content is never an option: a quiz could draw both. Within the file it is an error, as for
answers: which row is meant is the editor's call.
"""

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, contains_eager

from learnapp.question_bank import queries, services
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import Problem
from learnapp.question_bank.import_differences import differences, labels, overlay
from learnapp.question_bank.models import Question, QuestionBank, QuestionStatus
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


@dataclass
class BankQuestion:
    """A question of the bank that a file's question repeats, as it was when the file was read."""

    id: int
    revision: int
    status: QuestionStatus
    draft: QuestionDraft


def _existing_content(
    session: Session, bank: QuestionBank, keys: set[str]
) -> dict[str, list[tuple[BankQuestion, tuple, tuple]]]:
    """For each stem key present in the bank: every question, with its content key and answer
    key."""
    found: dict[str, list[tuple[BankQuestion, tuple, tuple]]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        questions = session.scalars(
            sa.select(Question)
            .join(Question.current_version)
            .options(contains_eager(Question.current_version))
            .where(Question.bank_id == bank.id, Question.stem_key.in_(chunk))
            .order_by(Question.id)
        )
        for question in questions:
            draft = services.to_draft(question.current_version)
            found.setdefault(question.stem_key, []).append(
                (
                    BankQuestion(question.id, question.revision, question.status, draft),
                    _content_key(draft),
                    _answer_key(draft),
                )
            )
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


def _repeat(preview: "ImportPreview", item, first: tuple[int, tuple, QuestionDraft], answer):
    """An item that repeats an earlier line of the file: a duplicate of it, or an error when the
    two disagree on the answer or on a setting the item states."""
    item.duplicate_line, first_answer, first_draft = first
    if first_answer != answer:
        message = _l(
            "Same question as line %(n)d, but the answers disagree: check which is right and delete the other line.",
            n=item.duplicate_line,
        )
    else:
        changed = differences(item.draft, first_draft)
        if not changed:
            return
        message = _l(
            "Same question as line %(n)d, but with another %(settings)s: keep one of the two lines, or give both the same values.",
            n=item.duplicate_line,
            settings=labels(changed),
        )
    preview.errors.append(Problem(item.line, "", message))


def _in_bank(preview: "ImportPreview", item, same: list[tuple[BankQuestion, tuple]], answer):
    """An item that repeats a question of the bank; returns that question as the file would have
    it, for the lines that repeat this one."""
    agreeing = [question for question, other in same if other == answer]
    question = agreeing[0] if agreeing else same[0][0]
    item.duplicate_of, item.existing = question.id, question
    if not agreeing:
        preview.warnings.append(
            Problem(
                item.line,
                "",
                _l(
                    "Same question as question #%(id)d of the bank, but the answers disagree: this one is not imported. Check which is right; if it is this one, correct question #%(id)d.",
                    id=question.id,
                ),
            )
        )
        return question.draft
    item.differences = differences(item.draft, question.draft)
    return overlay(question.draft, item.draft, item.differences)


def flag_duplicates(
    session: Session, bank: QuestionBank, preview: "ImportPreview", near_duplicates: bool
) -> None:
    """Mark the preview's items that repeat a question of the bank or an earlier line, and add
    the errors and warnings the rules above give."""
    keys = {_stem_key(item.draft) for item in preview.items}
    bank_index = queries.stem_index(session, bank)
    existing = _existing_content(session, bank, keys & bank_index.keys())
    # The first line of each question: its line, answer key and values (a bank question's
    # overlaid with what the line states).
    seen: dict[tuple, tuple[int, tuple, QuestionDraft]] = {}
    stems_seen: dict[str, int] = {}
    near = _NearIndex()
    near.exhausted = not near_duplicates
    for key, question_id in bank_index.items():
        near.add(key, question_id, True)
    for item in preview.items:
        key, content = _stem_key(item.draft), _content_key(item.draft)
        answer = _answer_key(item.draft)
        if (key, content) in seen:
            _repeat(preview, item, seen[(key, content)], answer)
            continue
        same = [
            (question, other)
            for question, other_content, other in existing.get(key, [])
            if other_content == content
        ]
        if same:
            seen[(key, content)] = (item.line, answer, _in_bank(preview, item, same, answer))
            continue
        seen[(key, content)] = (item.line, answer, item.draft)
        if key in existing:
            preview.warnings.append(
                Problem(
                    item.line,
                    "",
                    _l(
                        "Same stem as question #%(id)d but different options or type: imported as a new question.",
                        id=existing[key][0][0].id,
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
