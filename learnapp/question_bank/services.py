"""Question bank use cases: adding and editing questions, the review workflow, bulk actions,
source documents and usage marking. Services flush, never commit, and raise DomainError."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import (
    Audience,
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    SourceDocument,
    Tag,
)
from learnapp.question_bank.types import MAX_LONG_TEXT, MAX_STEM, TYPES, normalise_stem
from learnapp.sanitize import strip_bidi

MAX_POINTS = Decimal("100")
MAX_TAGS = 10
MAX_PATH_DEPTH = 6
DEFAULT_BANK_NAME = "党员理论学习题库"
PATH_SEPARATORS = re.compile(r"\s*(?:›|>|＞|/)\s*")
DOCUMENT_TITLE = re.compile(r"《[^》]{1,150}》")


def is_bank_editor(user) -> bool:
    return user.is_admin or user.has_role("bank_editor")


def is_bank_reviewer(user) -> bool:
    return user.is_admin or user.has_role("reviewer")


# Banks


def create_bank(
    session: Session,
    actor,
    *,
    name: str,
    unit,
    two_person_review: bool,
    now: datetime,
    is_default: bool = False,
) -> QuestionBank:
    """A new bank owned by `unit` (None: platform-wide). Only administrators add banks."""
    if actor is not None and not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can add a question bank."))
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError("name", _l("A name is required."))
    bank = QuestionBank(
        name=name,
        unit_id=unit.id if unit else None,
        two_person_review=two_person_review,
        is_default=is_default,
        created_at=now,
    )
    session.add(bank)
    session.flush()
    record(
        session,
        actor,
        "bank.created",
        "question_bank",
        bank.id,
        now=now,
        after={"name": name, "unit_id": bank.unit_id, "two_person_review": two_person_review},
    )
    return bank


def set_two_person_review(
    session: Session, actor, bank: QuestionBank, enabled: bool, now: datetime
) -> None:
    """Only administrators switch two-person review (reviewer ≠ author) on or off."""
    if not actor.is_admin:
        raise DomainError(None, _l("Only an administrator can change review rules."))
    before = bank.two_person_review
    bank.two_person_review = enabled
    session.flush()
    record(
        session,
        actor,
        "bank.review_rule",
        "question_bank",
        bank.id,
        now=now,
        before={"two_person_review": before},
        after={"two_person_review": enabled},
    )


def default_bank(session: Session, now: datetime | None = None) -> QuestionBank:
    """The bank starter content goes into; created on first use, owned by the first root unit
    (platform-wide when there is no unit yet)."""
    bank = session.scalar(
        sa.select(QuestionBank).where(QuestionBank.is_default.is_(True)).order_by(QuestionBank.id)
    )
    if bank is not None:
        return bank
    from datetime import UTC

    from learnapp.orgs.models import Unit

    root = session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return create_bank(
        session,
        None,
        name=DEFAULT_BANK_NAME,
        unit=root,
        two_person_review=True,
        now=now or datetime.now(UTC),
        is_default=True,
    )


# Knowledge points, tags, sources


def split_path(text: str) -> list[str]:
    """ "党章 › 第一章 党员" (or > / separators) → ["党章", "第一章 党员"]."""
    return [part for part in PATH_SEPARATORS.split((text or "").strip()) if part]


def ensure_knowledge_point(
    session: Session, bank: QuestionBank, names: Sequence[str]
) -> KnowledgePoint | None:
    """The node at `names` under the bank's tree, creating missing nodes; None for no path."""
    names = [strip_bidi(n).strip()[:100] for n in names if n and n.strip()]
    if not names:
        return None
    if len(names) > MAX_PATH_DEPTH:
        raise DomainError(
            "knowledge_point", _l("A knowledge point path has at most %(n)d levels.", n=6)
        )
    cache = session.info.setdefault("question_bank.kp", {})
    key = (bank.id, tuple(names))
    if key in cache:
        return cache[key]
    parent = None
    for depth in range(1, len(names) + 1):
        sub_key = (bank.id, tuple(names[:depth]))
        node = cache.get(sub_key)
        if node is None:
            node = session.scalar(
                sa.select(KnowledgePoint).where(
                    KnowledgePoint.bank_id == bank.id,
                    KnowledgePoint.parent_id == parent.id
                    if parent
                    else KnowledgePoint.parent_id.is_(None),
                    KnowledgePoint.name == names[depth - 1],
                )
            )
        if node is None:
            node = KnowledgePoint(
                bank_id=bank.id,
                parent_id=parent.id if parent else None,
                name=names[depth - 1],
                path="",
                full_name=" › ".join(names[:depth]),
            )
            session.add(node)
            session.flush()
            node.path = f"{parent.path if parent else '/'}{node.id}/"
            session.flush()
        cache[sub_key] = node
        parent = node
    return parent


def _ensure_tags(session: Session, bank: QuestionBank, names: Iterable[str]) -> list[Tag]:
    cleaned = []
    for name in names:
        name = strip_bidi(name or "").strip()[:50]
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise DomainError("tags", _l("At most %(n)d tags.", n=MAX_TAGS))
    cache = session.info.setdefault("question_bank.tags", {})
    tags = []
    for name in cleaned:
        tag = cache.get((bank.id, name)) or session.scalar(
            sa.select(Tag).where(Tag.bank_id == bank.id, Tag.name == name)
        )
        if tag is None:
            tag = Tag(bank_id=bank.id, name=name)
            session.add(tag)
            session.flush()
        cache[(bank.id, name)] = tag
        tags.append(tag)
    return tags


def document_name(source: str) -> str:
    """The document a 出处 cites: its first 《title》, else the whole text."""
    match = DOCUMENT_TITLE.search(source or "")
    return match.group(0) if match else (source or "").strip()


def ensure_source(session: Session, source: str, version: str, now: datetime):
    """The SourceDocument for a 出处 and 依据版本, created on first use; None without a source."""
    name = document_name(source)[:200]
    if not name:
        return None
    version = (version or "").strip()[:64]
    cache = session.info.setdefault("question_bank.sources", {})
    document = cache.get((name, version)) or session.scalar(
        sa.select(SourceDocument).where(
            SourceDocument.name == name, SourceDocument.version == version
        )
    )
    if document is None:
        document = SourceDocument(name=name, version=version, created_at=now)
        session.add(document)
        session.flush()
    cache[(name, version)] = document
    return document


# Questions


def _checked(draft: QuestionDraft) -> tuple[str, dict, Decimal]:
    """Validate a draft's content; returns the cleaned stem, spec and points."""
    qtype = TYPES.get(draft.type)
    if qtype is None:
        raise DomainError("type", _l("Unknown question type."))
    stem = strip_bidi(draft.stem or "").strip()
    if not stem:
        raise DomainError("stem", _l("The question text is required."))
    if len(stem) > MAX_STEM:
        raise DomainError(
            "stem", _l("The question text is longer than %(n)d characters.", n=MAX_STEM)
        )
    problems = qtype.validate(draft.spec)
    if problems:
        raise DomainError("spec", " ".join(problems))
    try:
        points = Decimal(str(draft.points))
    except InvalidOperation:
        points = Decimal("NaN")
    if not points.is_finite() or not Decimal("0") < points <= MAX_POINTS:
        raise DomainError("points", _l("Points must be more than 0 and at most 100."))
    if points != points.quantize(Decimal("0.01")):
        raise DomainError("points", _l("Points have at most two decimal places."))
    if not isinstance(draft.difficulty, int) or not 1 <= draft.difficulty <= 5:
        raise DomainError("difficulty", _l("Difficulty is from 1 to 5."))
    if len(draft.explanation or "") > MAX_LONG_TEXT:
        raise DomainError(
            "explanation", _l("The explanation is longer than %(n)d characters.", n=MAX_LONG_TEXT)
        )
    if len(draft.source_document or "") > 200 or len(draft.source_version or "") > 64:
        raise DomainError("source_document", _l("The source is too long."))
    return stem, qtype.clean(draft.spec), points


def _new_version(
    session, question, draft, stem, spec, points, number, audience, actor, now
) -> QuestionVersion:
    version = QuestionVersion(
        question_id=question.id,
        number=number,
        stem=stem,
        spec=spec,
        points=points,
        difficulty=draft.difficulty,
        explanation=strip_bidi(draft.explanation or "").strip(),
        source_document=(draft.source_document or "").strip(),
        source_version=(draft.source_version or "").strip(),
        source=ensure_source(session, draft.source_document, draft.source_version, now),
        audience=audience,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(version)
    session.flush()
    return version


def _sync_copies(question: Question, version: QuestionVersion) -> None:
    question.current_version_id = version.id
    question.current_version = version
    question.stem = version.stem
    question.stem_key = normalise_stem(version.stem)[:255]
    question.difficulty = version.difficulty


def add_question(
    session: Session,
    actor,
    bank: QuestionBank,
    draft: QuestionDraft,
    now: datetime,
    status: QuestionStatus = QuestionStatus.DRAFT,
    *,
    audience: Audience = Audience.ALL,
    audit: bool = True,
) -> Question:
    """Store a validated draft as version 1 of a new question, creating its knowledge-point path,
    tags and source document on first use. A question stored as active counts the actor as its
    reviewer (imports of reviewed content); bulk importers pass audit=False and record one entry."""
    stem, spec, points = _checked(draft)
    if status == QuestionStatus.RETIRED:
        raise DomainError("status", _l("A new question cannot be retired."))
    question = Question(
        bank_id=bank.id,
        type=draft.type,
        status=status,
        knowledge_point=ensure_knowledge_point(session, bank, draft.knowledge_point),
        author_id=getattr(actor, "id", None),
        reviewer_id=getattr(actor, "id", None) if status == QuestionStatus.ACTIVE else None,
        reviewed_at=now if status == QuestionStatus.ACTIVE else None,
        created_at=now,
        updated_at=now,
    )
    question.tags = _ensure_tags(session, bank, draft.tags)
    session.add(question)
    session.flush()
    version = _new_version(session, question, draft, stem, spec, points, 1, audience, actor, now)
    _sync_copies(question, version)
    session.flush()
    if audit:
        record(
            session,
            actor,
            "question.created",
            "question",
            question.id,
            now=now,
            after={"type": question.type, "status": status.value, "version_id": version.id},
        )
    return question


def _content(version: QuestionVersion) -> tuple:
    return (
        version.stem,
        version.spec,
        Decimal(version.points),
        version.difficulty,
        version.explanation,
        version.source_document,
        version.source_version,
        version.audience,
    )


def update_question(
    session: Session,
    actor,
    question: Question,
    draft: QuestionDraft,
    now: datetime,
    *,
    audience: Audience | None = None,
) -> QuestionVersion:
    """Edit a question. A version that has been used is never changed: the edit becomes a new
    version. The type cannot change. Changing an active question's content sends it back to
    review; knowledge point and tags are question-level and never make a version."""
    if question.status == QuestionStatus.RETIRED:
        raise DomainError(None, _l("Reopen a retired question before editing it."))
    if draft.type != question.type:
        raise DomainError("type", _l("The type of a question cannot change."))
    stem, spec, points = _checked(draft)
    current = question.current_version
    audience = audience or current.audience
    before = current.id
    question.knowledge_point = ensure_knowledge_point(session, question.bank, draft.knowledge_point)
    question.tags = _ensure_tags(session, question.bank, draft.tags)
    question.updated_at = now
    proposed = (
        stem,
        spec,
        points,
        draft.difficulty,
        strip_bidi(draft.explanation or "").strip(),
        (draft.source_document or "").strip(),
        (draft.source_version or "").strip(),
        audience,
    )
    if proposed == _content(current):
        session.flush()
        return current
    if current.used_at is not None:
        version = _new_version(
            session, question, draft, stem, spec, points, current.number + 1, audience, actor, now
        )
    else:
        version = current
        version.stem, version.spec, version.points = stem, spec, points
        version.difficulty = draft.difficulty
        version.explanation = proposed[4]
        version.source_document, version.source_version = proposed[5], proposed[6]
        version.source = ensure_source(session, draft.source_document, draft.source_version, now)
        version.audience = audience
        version.created_by_id = getattr(actor, "id", None)
    _sync_copies(question, version)
    if question.status == QuestionStatus.ACTIVE:
        question.flag_for_review(str(_l("Edited after approval.")))
    session.flush()
    record(
        session,
        actor,
        "question.edited",
        "question",
        question.id,
        now=now,
        before={"version_id": before},
        after={"version_id": version.id, "status": question.status.value},
    )
    return version


def to_draft(version: QuestionVersion) -> QuestionDraft:
    """The neutral shape of a stored version, for exporters and the edit form."""
    question = version.question
    return QuestionDraft(
        type=question.type,
        stem=version.stem,
        spec=dict(version.spec),
        points=Decimal(version.points),
        difficulty=version.difficulty,
        knowledge_point=question.knowledge_point.names if question.knowledge_point else [],
        source_document=version.source_document,
        source_version=version.source_version,
        explanation=version.explanation,
        tags=[tag.name for tag in question.tags],
        origin=f"question {question.id} v{version.number}",
    )


# Review workflow


def _audit_status(session, actor, question, action, before, now, reason=""):
    after = {"status": question.status.value}
    if reason:
        after["reason"] = reason
    record(
        session,
        actor,
        action,
        "question",
        question.id,
        now=now,
        before={"status": before.value},
        after=after,
    )


def submit_for_review(session: Session, actor, question: Question, now: datetime) -> None:
    """A draft goes to the review queue."""
    before = question.status
    question.submit_for_review()
    question.updated_at = now
    session.flush()
    _audit_status(session, actor, question, "question.submitted", before, now)


def approve_question(session: Session, actor, question: Question, now: datetime) -> None:
    """A reviewer makes a question active. With two-person review on, the reviewer may be
    neither the question's author nor the author of its current version."""
    if not is_bank_reviewer(actor):
        raise DomainError(None, _l("Only a reviewer can approve questions."))
    if question.bank.two_person_review and actor.id in (
        question.author_id,
        question.current_version.created_by_id,
    ):
        raise DomainError(
            None, _l("This bank needs a second person: you cannot approve your own question.")
        )
    before = question.status
    question.approve(actor.id, now)
    question.updated_at = now
    session.flush()
    _audit_status(session, actor, question, "question.approved", before, now)


def reject_question(
    session: Session, actor, question: Question, reason: str, now: datetime
) -> None:
    """A reviewer sends a question back to draft, always with a reason for the author."""
    if not is_bank_reviewer(actor):
        raise DomainError(None, _l("Only a reviewer can reject questions."))
    reason = strip_bidi(reason or "").strip()[:300]
    if not reason:
        raise DomainError("reason", _l("Say what needs changing."))
    before = question.status
    question.reject(actor.id, reason, now)
    question.updated_at = now
    session.flush()
    _audit_status(session, actor, question, "question.rejected", before, now, reason)


def retire_question(session: Session, actor, question: Question, now: datetime) -> None:
    """A retired question is no longer drawn; its versions stay readable."""
    before = question.status
    question.retire()
    question.updated_at = now
    session.flush()
    _audit_status(session, actor, question, "question.retired", before, now)


def reopen_question(session: Session, actor, question: Question, now: datetime) -> None:
    """A retired question comes back as a draft, to be reviewed again."""
    before = question.status
    question.reopen()
    question.updated_at = now
    session.flush()
    _audit_status(session, actor, question, "question.reopened", before, now)


# Bulk actions: each question that cannot take the action is skipped and counted.


def _bulk_status(session, actor, questions, action, now) -> tuple[int, int]:
    done = skipped = 0
    for question in questions:
        try:
            action(session, actor, question, now)
        except DomainError:
            skipped += 1
        else:
            done += 1
    return done, skipped


def bulk_submit(session: Session, actor, questions, now: datetime) -> tuple[int, int]:
    """Send every draft among `questions` to review; returns (sent, skipped)."""
    return _bulk_status(session, actor, questions, submit_for_review, now)


def bulk_retire(session: Session, actor, questions, now: datetime) -> tuple[int, int]:
    """Retire every question that is not already retired; returns (retired, skipped)."""
    return _bulk_status(session, actor, questions, retire_question, now)


def bulk_move(
    session: Session, actor, bank: QuestionBank, questions, path: Sequence[str], now: datetime
) -> int:
    """Move questions to a knowledge point (created when new); no new versions."""
    target = ensure_knowledge_point(session, bank, path)
    if target is None:
        raise DomainError("knowledge_point", _l("Choose a knowledge point."))
    ids = [question.id for question in questions if question.bank_id == bank.id]
    for question in questions:
        if question.bank_id == bank.id:
            question.knowledge_point = target
            question.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "question.bulk_moved",
        "question_bank",
        bank.id,
        now=now,
        after={"question_ids": ids, "knowledge_point_id": target.id},
    )
    return len(ids)


def bulk_tag(
    session: Session, actor, bank: QuestionBank, questions, tag_name: str, now: datetime
) -> int:
    """Add one tag to each question that lacks it; returns how many were tagged."""
    tags = _ensure_tags(session, bank, [tag_name])
    if not tags:
        raise DomainError("tag", _l("Enter a tag."))
    tag, tagged = tags[0], []
    for question in questions:
        if question.bank_id == bank.id and tag not in question.tags:
            if len(question.tags) >= MAX_TAGS:
                continue
            question.tags.append(tag)
            question.updated_at = now
            tagged.append(question.id)
    session.flush()
    record(
        session,
        actor,
        "question.bulk_tagged",
        "question_bank",
        bank.id,
        now=now,
        after={"question_ids": tagged, "tag": tag.name},
    )
    return len(tagged)


# Sources and usage


def supersede_source(session: Session, actor, document: SourceDocument, now: datetime) -> int:
    """Mark a document version superseded and flag every question whose current version cites
    it: active ones go back to review, drafts and questions in review get the reason; retired
    ones are left alone. Returns how many questions were flagged."""
    if document.is_superseded:
        raise DomainError(None, _l("This document version is already marked superseded."))
    document.is_superseded, document.superseded_at = True, now
    reason = str(
        _l("Source superseded: %(source)s. Check the question against the new version.")
        % {"source": document.title}
    )
    questions = session.scalars(
        sa.select(Question)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(
            QuestionVersion.source_id == document.id,
            Question.status != QuestionStatus.RETIRED,
        )
        .order_by(Question.id)
    ).all()
    for question in questions:
        before = question.status
        question.flag_for_review(reason[:300])
        question.updated_at = now
        session.flush()
        _audit_status(session, actor, question, "question.flagged", before, now, reason[:300])
    record(
        session,
        actor,
        "source.superseded",
        "source_document",
        document.id,
        now=now,
        after={"name": document.name, "version": document.version, "flagged": len(questions)},
    )
    return len(questions)


def mark_used(session: Session, version_ids: Iterable[int], now: datetime) -> None:
    """Record that attempts or papers took these versions: freezes them (edits make new
    versions) and counts the use. One UPDATE, so concurrent markers never lose a count."""
    ids = sorted(set(version_ids))
    if not ids:
        return
    session.execute(
        sa.update(QuestionVersion)
        .where(QuestionVersion.id.in_(ids))
        .values(
            use_count=QuestionVersion.use_count + 1,
            used_at=sa.func.coalesce(QuestionVersion.used_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    for version in session.identity_map.values():
        if isinstance(version, QuestionVersion) and version.id in ids:
            session.expire(version, ["use_count", "used_at"])
