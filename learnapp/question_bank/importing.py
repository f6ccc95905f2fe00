"""Importing question files: a preview that stores nothing, then a commit that stores all or nothing.

The preview parses the file (formats/), then looks for duplicates (import_duplicates) among the
questions it could read, even when other rows have errors: a question already in the bank or
earlier in the file is not added again, so importing a file twice adds nothing the second time.
A question of the bank that the file gives with other settings (学习对象, 分值 …) is a conflict:
the bank's question is kept as it is unless the editor chooses to update it with the file's
values, as an edit would (an active question goes back to review unless only its knowledge
point or tags change).

Imported questions land as drafts when the bank requires two-person review (someone else must
approve them), otherwise as active; an operator may choose (the CLI's --status).
"""

from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.question_bank import formats, services
from learnapp.question_bank.changes import FieldChange
from learnapp.question_bank.draft import QuestionDraft, split_path
from learnapp.question_bank.formats import FormatError, Problem
from learnapp.question_bank.import_differences import described, overlay
from learnapp.question_bank.import_duplicates import BankQuestion, flag_duplicates
from learnapp.question_bank.models import Audience, Question, QuestionBank, QuestionStatus
from learnapp.question_bank.services.questions import check_revision

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
BATCH = 1000


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
    existing: BankQuestion | None = None  # question #duplicate_of when the file was read
    # The settings the file states with other values than question #duplicate_of has.
    differences: list[str] = field(default_factory=list)
    # The revision of question #duplicate_of that the editor saw in the preview (the confirm).
    checked_revision: int | None = None

    @property
    def is_new(self) -> bool:
        return self.duplicate_of is None and self.duplicate_line is None

    @property
    def is_conflict(self) -> bool:
        """The bank's question with other settings: kept, or updated if the editor chooses."""
        return self.duplicate_of is not None and bool(self.differences)

    @property
    def changes(self) -> list[FieldChange]:
        """What differs, the bank's value before and the file's after."""
        if not self.is_conflict:
            return []
        return described(self.draft, self.existing.draft, self.differences)

    @property
    def updatable(self) -> bool:
        """A withdrawn question is reopened before it is edited, by hand."""
        return self.is_conflict and self.existing.status != QuestionStatus.RETIRED


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
        """Items left out as they are: a repeat, or a bank question whose answer disagrees."""
        return [item for item in self.items if not item.is_new and not item.is_conflict]

    @property
    def conflicts(self) -> list[PreviewItem]:
        return [item for item in self.items if item.is_conflict]

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
    updated: int = 0  # conflicts: bank questions given the file's settings
    kept: int = 0  # conflicts: bank questions left as they are
    updated_ids: list[int] = field(default_factory=list)
    to_review: int = 0  # of the updated, the active ones the update sent back to review


def max_bytes() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    return DEFAULT_MAX_BYTES


def too_large_problem() -> Problem:
    return Problem(
        None, "", _l("The file is larger than %(mb)s MB.", mb=f"{max_bytes() / 1048576:g}")
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
    if preview.items:
        # The rows that were read are checked even when others have errors, so that one upload
        # shows every problem of the file, in the file's order.
        flag_duplicates(session, bank, preview, near_duplicates)
        preview.errors.sort(key=_place)
        preview.warnings.sort(key=_place)
    return preview


def _place(problem: Problem) -> tuple[bool, int]:
    """Problems of the whole file first, then by row or line."""
    return (problem.line is not None, problem.line or 0)


def stash_payload(preview: ImportPreview) -> dict:
    """What the confirm step needs of a clean preview, as JSON: the parsed questions and the
    items left out, so that confirming does not parse the file a second time, and the revision
    of each conflicting bank question the editor was shown."""
    return {
        "format": preview.format,
        "encoding": preview.encoding,
        "items": [
            {
                "line": item.line,
                "draft": {**asdict(item.draft), "points": str(item.draft.points)},
                "revision": item.existing.revision if item.is_conflict else None,
            }
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
            checked_revision=item.get("revision"),
        )
        for item in payload["items"]
    ]
    preview.skipped = [Problem(*problem) for problem in payload.get("skipped", [])]
    flag_duplicates(session, bank, preview, near_duplicates=False)
    return preview


def import_status(bank: QuestionBank) -> QuestionStatus:
    """Drafts when a second person must approve; otherwise the questions go live at once."""
    return QuestionStatus.DRAFT if bank.two_person_review else QuestionStatus.ACTIVE


def _update(session: Session, actor, item: PreviewItem, now: datetime) -> bool:
    """Give question #duplicate_of the settings the file states, as an edit of it would; whether
    that sent it from active back to review. Refused when the question changed since the editor
    saw it in the preview."""
    question = session.get(Question, item.duplicate_of)
    if item.checked_revision is not None:
        check_revision(
            session,
            question,
            item.checked_revision,
            _l(
                "Question #%(id)d changed after the file was checked: check the file again to see how it differs now.",
                id=question.id,
            ),
        )
    was_active = question.status == QuestionStatus.ACTIVE
    draft = overlay(item.existing.draft, item.draft, item.differences)
    services.update_question(
        session, actor, question, draft, now, audience=Audience(draft.audience)
    )
    return was_active and question.status == QuestionStatus.IN_REVIEW


def commit_import(
    session: Session,
    actor,
    bank: QuestionBank,
    preview: ImportPreview,
    now: datetime,
    *,
    status: QuestionStatus | None = None,
    update: Collection[int] = (),
    progress: Callable[[int, int], None] | None = None,
) -> ImportOutcome:
    """Store every new question of a clean preview in the caller's transaction, in batches
    (`progress(done, total)` is called between them), update the conflicting bank questions
    whose line is in `update`, and audit the import as one entry. Raises ImportFailed, leaving
    the caller to roll back, if any question is refused."""
    if preview.errors:
        raise ValueError("a preview with errors cannot be committed")
    status = status or import_status(bank)
    new = preview.new_items
    for item in new:
        try:
            services.check_draft(item.draft)
        except DomainError as error:
            raise ImportFailed(Problem(item.line, error.field or "", error.message)) from None
    update = set(update)
    chosen = [item for item in preview.conflicts if item.line in update]
    to_review = 0
    for item in chosen:
        try:
            if _update(session, actor, item, now):
                to_review += 1
        except DomainError as error:
            raise ImportFailed(Problem(item.line, "", error.message)) from None
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        services.add_questions(session, actor, bank, [item.draft for item in batch], now, status)
        if progress:
            progress(min(start + BATCH, len(new)), len(new))
    outcome = ImportOutcome(
        len(new),
        len(preview.duplicates),
        len(preview.skipped),
        status,
        updated=len(chosen),
        kept=len(preview.conflicts) - len(chosen),
        updated_ids=[item.duplicate_of for item in chosen],
        to_review=to_review,
    )
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
            "updated": outcome.updated,
            "kept": outcome.kept,
            "skipped": outcome.skipped,
            "status": status.value,
        },
    )
    return outcome
