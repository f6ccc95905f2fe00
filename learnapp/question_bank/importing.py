"""Importing question files: a preview that stores nothing, then a commit that stores all or nothing.

The preview parses the file (formats/), then looks for duplicates: a question whose normalised
stem (types.normalise_stem) and content (type, options or key) equal one already in the bank or
earlier in the file is a duplicate and is left out, so importing a file twice adds nothing the
second time. The same stem with different content is imported, with a warning: generic stems such
as 下列说法正确的是（ ） are common and are not duplicates. Stems that are merely similar
(difflib ratio ≥ 0.9) are warnings, searched with a bounded amount of work.

A duplicate whose answer differs is a contradiction, not a repeat: one of the two keys is wrong.
Within the file it is an error, so that the editor decides which row is right rather than the
first one winning; against the bank the file's question is still left out (the bank's stands),
with a warning naming the question to check.

Imported questions land as drafts when the bank requires two-person review (someone else must
approve them), otherwise as active; an operator may choose (the CLI's --status).
"""

import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.question_bank import formats, queries, services
from learnapp.question_bank.draft import QuestionDraft, split_path
from learnapp.question_bank.formats import FormatError, Problem
from learnapp.question_bank.models import QuestionBank, QuestionStatus, QuestionVersion
from learnapp.question_bank.types import normalise_stem

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
NEAR_RATIO = 0.9
# Candidate comparisons the near-duplicate search may make per file (length-filtered first).
NEAR_BUDGET = 300_000
BATCH = 1000
STEM_KEY_LENGTH = 255  # Question.stem_key


class ImportFailed(Exception):
    """The commit hit a problem the preview did not catch; nothing is kept."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class PreviewItem:
    line: int
    draft: QuestionDraft
    duplicate_of: int | None = None  # an existing question's id
    duplicate_line: int | None = None  # an earlier row or line of the same file

    @property
    def is_new(self) -> bool:
        return self.duplicate_of is None and self.duplicate_line is None


@dataclass
class ImportPreview:
    filename: str
    format: str
    encoding: str = ""
    items: list[PreviewItem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # items the bank cannot hold

    @property
    def format_label(self) -> str:
        """The name of the format the file was read as; empty before one is known."""
        known = formats.FORMATS.get(self.format)
        return str(known.label) if known else ""

    @property
    def new_items(self) -> list[PreviewItem]:
        return [item for item in self.items if item.is_new]

    @property
    def duplicates(self) -> list[PreviewItem]:
        return [item for item in self.items if not item.is_new]

    @property
    def ok(self) -> bool:
        """Nothing wrong: it may be committed (possibly adding nothing when all are duplicates)."""
        return not self.errors and bool(self.items)


@dataclass
class ImportOutcome:
    added: int
    duplicates: int
    skipped: int
    status: QuestionStatus


def max_bytes() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    return DEFAULT_MAX_BYTES


def too_large_problem() -> Problem:
    return Problem(
        None, "", _l("The file is larger than %(mb)s MB.", mb=f"{max_bytes() / 1048576:g}")
    )


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
    from learnapp.question_bank.models import Question

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


def _flag_duplicates(
    session: Session, bank: QuestionBank, preview: ImportPreview, near_duplicates: bool
) -> None:
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


def preview_import(
    session: Session,
    bank: QuestionBank,
    filename: str,
    data: bytes,
    fmt: str = "auto",
    knowledge_point: str | list[str] | None = None,
    *,
    near_duplicates: bool = True,
) -> ImportPreview:
    """Parse and check a question file against the bank; store nothing. `knowledge_point` is
    the path given to questions whose file names none. The search for similar stems only adds
    warnings, so the re-check before a commit may leave it out (near_duplicates=False)."""
    preview = ImportPreview(filename=filename, format="" if fmt == "auto" else fmt)
    if len(data) > max_bytes():
        preview.errors.append(too_large_problem())
        return preview
    if not data:
        preview.errors.append(Problem(None, "", _l("The file is empty.")))
        return preview
    try:
        preview.format = formats.detect(filename, data) if fmt == "auto" else fmt
    except FormatError as error:
        preview.errors.append(Problem(None, "", error.args[0]))
        return preview
    if preview.format not in formats.FORMATS:
        preview.errors.append(Problem(None, "", _l("Unknown format.")))
        return preview
    default_kp = (
        split_path(knowledge_point)
        if isinstance(knowledge_point, str)
        else list(knowledge_point or [])
    )
    result = formats.parse(preview.format, data, filename, default_kp)
    preview.encoding = result.encoding
    preview.errors, preview.warnings, preview.skipped = (
        result.errors,
        result.warnings,
        result.skipped,
    )
    preview.items = [PreviewItem(q.line, q.draft) for q in result.questions]
    if not preview.errors:
        _flag_duplicates(session, bank, preview, near_duplicates)
    return preview


def stash_payload(preview: ImportPreview) -> dict:
    """What the confirm step needs of a clean preview, as JSON: the parsed questions and the
    items left out, so that confirming does not parse the file a second time."""
    return {
        "format": preview.format,
        "encoding": preview.encoding,
        "items": [
            {"line": item.line, "draft": {**asdict(item.draft), "points": str(item.draft.points)}}
            for item in preview.items
        ],
        "skipped": [[p.line, p.column, str(p.message)] for p in preview.skipped],
    }


def preview_from_payload(
    session: Session, bank: QuestionBank, filename: str, payload: dict
) -> ImportPreview:
    """A stashed preview (stash_payload), its duplicates looked for again: the bank may have
    changed since. The questions are validated again when they are stored (commit_import)."""
    preview = ImportPreview(
        filename=filename, format=payload["format"], encoding=payload.get("encoding", "")
    )
    preview.items = [
        PreviewItem(
            item["line"],
            QuestionDraft(**{**item["draft"], "points": Decimal(item["draft"]["points"])}),
        )
        for item in payload["items"]
    ]
    preview.skipped = [Problem(*problem) for problem in payload.get("skipped", [])]
    _flag_duplicates(session, bank, preview, near_duplicates=False)
    return preview


def import_status(bank: QuestionBank) -> QuestionStatus:
    """Drafts when a second person must approve; otherwise the questions go live at once."""
    return QuestionStatus.DRAFT if bank.two_person_review else QuestionStatus.ACTIVE


def commit_import(
    session: Session,
    actor,
    bank: QuestionBank,
    preview: ImportPreview,
    now: datetime,
    *,
    status: QuestionStatus | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportOutcome:
    """Store every new question of a clean preview in the caller's transaction, in batches
    (`progress(done, total)` is called between them), and audit the import as one entry.
    Raises ImportFailed, leaving the caller to roll back, if any question is refused."""
    if preview.errors:
        raise ValueError("a preview with errors cannot be committed")
    status = status or import_status(bank)
    new = preview.new_items
    for item in new:
        try:
            services.check_draft(item.draft)
        except DomainError as error:
            raise ImportFailed(Problem(item.line, error.field or "", error.message)) from None
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        services.add_questions(session, actor, bank, [item.draft for item in batch], now, status)
        if progress:
            progress(min(start + BATCH, len(new)), len(new))
    outcome = ImportOutcome(len(new), len(preview.duplicates), len(preview.skipped), status)
    record(
        session,
        actor,
        "questions.imported",
        "question_bank",
        bank.id,
        now=now,
        after={
            "file": preview.filename[:200],
            "format": preview.format,
            "added": outcome.added,
            "duplicates": outcome.duplicates,
            "skipped": outcome.skipped,
            "status": status.value,
        },
    )
    return outcome
