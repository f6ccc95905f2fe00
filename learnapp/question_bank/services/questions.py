"""Adding and editing questions: versions, concurrent edits, the bulk add of imports (the
checks every question meets: validation)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import (
    Audience,
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    ReviewFlag,
    question_tag_links,
)
from learnapp.question_bank.services.banks import (
    ensure_knowledge_point,
    ensure_source,
    ensure_tags,
)
from learnapp.question_bank.services.validation import checked
from learnapp.question_bank.types import normalise_stem
from learnapp.sanitize import strip_bidi


def check_revision(session: Session, question: Question, revision: int, message) -> None:
    """Refuse an action taken on the question as it was at `revision` when it has changed since
    (optimistic concurrency: nobody's change is silently overwritten or approved unseen). The
    row is locked and reloaded first, so of two actions from the same revision only the first
    passes; afterwards `question.revision` is the current one. Raises DomainError on
    "revision" with `message`."""
    session.execute(
        sa.select(Question)
        .where(Question.id == question.id)
        .with_for_update(of=Question)
        .execution_options(populate_existing=True)
    )
    if question.revision != revision:
        raise DomainError("revision", message)


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


def sync_copies(question: Question, version: QuestionVersion) -> None:
    """Make `version` the question's current one, with the copies the list reads."""
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
    audience: Audience | None = None,
    audit: bool = True,
) -> Question:
    """Store a validated draft as version 1 of a new question, creating its knowledge-point path,
    tags and source document on first use; `audience` (the form's choice) overrides the draft's.
    A question stored as active counts the actor as its reviewer (imports of reviewed content);
    bulk importers pass audit=False and record one entry."""
    stem, spec, points = checked(draft)
    audience = audience or Audience(draft.audience)
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
    question.tags = ensure_tags(session, bank, draft.tags)
    session.add(question)
    session.flush()
    version = _new_version(session, question, draft, stem, spec, points, 1, audience, actor, now)
    sync_copies(question, version)
    if status == QuestionStatus.ACTIVE:
        question.reviewed_version_id = version.id
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


def add_questions(
    session: Session,
    actor,
    bank: QuestionBank,
    drafts: Sequence[QuestionDraft],
    now: datetime,
    status: QuestionStatus = QuestionStatus.DRAFT,
) -> list[int]:
    """Store many drafts as `add_question` would (version 1, knowledge points, tags and sources
    created on first use), with a few multi-row statements instead of several flushes per
    question: what makes a 10,000-row import fit its time budget. The caller audits the batch
    as one entry. Raises DomainError, storing nothing more, at the first draft refused."""
    if status == QuestionStatus.RETIRED:
        raise DomainError("status", _l("A new question cannot be retired."))
    if not drafts:
        return []
    actor_id = getattr(actor, "id", None)
    active = status == QuestionStatus.ACTIVE
    cleaned = [checked(draft) for draft in drafts]
    question_rows, tag_ids = [], []
    for draft, (stem, _spec, _points) in zip(drafts, cleaned, strict=True):
        point = ensure_knowledge_point(session, bank, draft.knowledge_point)
        tag_ids.append([tag.id for tag in ensure_tags(session, bank, draft.tags)])
        question_rows.append(
            {
                "bank_id": bank.id,
                "type": draft.type,
                "status": status,
                "knowledge_point_id": point.id if point else None,
                "author_id": actor_id,
                "reviewer_id": actor_id if active else None,
                "reviewed_at": now if active else None,
                "status_reason": "",
                "stem": stem,
                "stem_key": normalise_stem(stem)[:255],
                "difficulty": draft.difficulty,
                "created_at": now,
                "updated_at": now,
            }
        )
    question_ids = session.scalars(
        sa.insert(Question).returning(Question.id, sort_by_parameter_order=True), question_rows
    ).all()
    version_rows = []
    for question_id, draft, (stem, spec, points) in zip(question_ids, drafts, cleaned, strict=True):
        source = ensure_source(session, draft.source_document, draft.source_version, now)
        version_rows.append(
            {
                "question_id": question_id,
                "number": 1,
                "stem": stem,
                "spec": spec,
                "points": points,
                "difficulty": draft.difficulty,
                "explanation": strip_bidi(draft.explanation or "").strip(),
                "source_document": (draft.source_document or "").strip(),
                "source_version": (draft.source_version or "").strip(),
                "source_id": source.id if source else None,
                "audience": Audience(draft.audience),
                "created_at": now,
                "created_by_id": actor_id,
                "use_count": 0,
            }
        )
    version_ids = session.scalars(
        sa.insert(QuestionVersion).returning(QuestionVersion.id, sort_by_parameter_order=True),
        version_rows,
    ).all()
    session.execute(
        sa.update(Question),
        [
            {
                "id": question_id,
                "current_version_id": version_id,
                "reviewed_version_id": version_id if active else None,
            }
            for question_id, version_id in zip(question_ids, version_ids, strict=True)
        ],
    )
    links = [
        {"question_id": question_id, "tag_id": tag_id}
        for question_id, tags in zip(question_ids, tag_ids, strict=True)
        for tag_id in tags
    ]
    if links:
        session.execute(sa.insert(question_tag_links), links)
    return list(question_ids)


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


def _classification(question: Question) -> dict:
    """A question's knowledge point and tags as the audit log keeps them."""
    point = question.knowledge_point
    return {
        "knowledge_point_id": point.id if point else None,
        "knowledge_point": point.full_name if point else None,
        "tags": sorted(tag.name for tag in question.tags),
    }


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    """The entries of two classifications that differ, before and after."""
    keys = [key for key in after if before[key] != after[key]]
    return {key: before[key] for key in keys}, {key: after[key] for key in keys}


def update_question(
    session: Session,
    actor,
    question: Question,
    draft: QuestionDraft,
    now: datetime,
    *,
    audience: Audience | None = None,
    revision: int | None = None,
) -> QuestionVersion:
    """Edit a question. A version that has been used or approved (the question is active) is
    never changed: the edit becomes a new version, so the reviewer can compare it with the one
    in use. The type cannot change. Changing an active question's content sends it back to
    review, and quizzes keep asking the approved version meanwhile (`version_in_use_id`).
    Knowledge point and tags are question-level: they never make a version and apply at once
    (a new knowledge point moves the question between random pools). Every change is audited,
    the knowledge point and tags before and after too, so that what a pool held at any time
    can be told from the log (and a stored seed's draw reproduced). With
    `revision` (the one the edit form was opened at), an edit of a question changed since is
    refused (`check_revision`)."""
    if revision is not None:
        check_revision(
            session,
            question,
            revision,
            _l(
                "This question was changed after you opened it, so your changes were not saved. "
                "They are still in the form below: compare them with the current question, "
                "then save again to replace it with yours."
            ),
        )
    if question.status == QuestionStatus.RETIRED:
        raise DomainError(None, _l("Reopen a retired question before editing it."))
    if draft.type != question.type:
        raise DomainError("type", _l("The type of a question cannot change."))
    stem, spec, points = checked(draft)
    current = question.current_version
    audience = audience or current.audience
    before = current.id
    classified = _classification(question)
    question.knowledge_point = ensure_knowledge_point(session, question.bank, draft.knowledge_point)
    question.tags = ensure_tags(session, question.bank, draft.tags)
    question.touch(now)
    moved_from, moved_to = _changed(classified, _classification(question))
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
        if moved_to:
            record(
                session,
                actor,
                "question.edited",
                "question",
                question.id,
                now=now,
                before=moved_from,
                after=moved_to,
            )
        return current
    if current.used_at is not None or question.status == QuestionStatus.ACTIVE:
        # After the last version: a rejected proposal may follow the current one.
        number = session.scalar(
            sa.select(sa.func.max(QuestionVersion.number)).where(
                QuestionVersion.question_id == question.id
            )
        )
        version = _new_version(
            session, question, draft, stem, spec, points, number + 1, audience, actor, now
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
        if question.reviewed_version_id == version.id:
            question.reviewed_version_id = None  # its reviewer read other text
    sync_copies(question, version)
    if question.status == QuestionStatus.ACTIVE:
        question.flag_for_review(ReviewFlag.EDITED_AFTER_APPROVAL)
    session.flush()
    record(
        session,
        actor,
        "question.edited",
        "question",
        question.id,
        now=now,
        before={"version_id": before, **moved_from},
        after={"version_id": version.id, "status": question.status.value, **moved_to},
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
        audience=version.audience.value,
        origin=f"question {question.id} v{version.number}",
    )
