"""Adding and editing questions: validation, versions, the bulk add of imports."""

from collections.abc import Sequence
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
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    ReviewFlag,
    question_tag_links,
)
from learnapp.question_bank.services.banks import (
    MAX_POINTS,
    ensure_knowledge_point,
    ensure_source,
    ensure_tags,
    path_names,
    tag_names,
)
from learnapp.question_bank.types import MAX_LONG_TEXT, MAX_STEM, TYPES, normalise_stem
from learnapp.sanitize import strip_bidi


def check_content(type_code: str, stem: str, spec) -> None:
    """The rule every stored question meets, whether typed, imported, submitted or approved:
    the spec is valid for its type and agrees with the stem (a 填空 stem marks one ____ per
    blank of answers). Raises DomainError on "spec" or "stem"."""
    qtype = TYPES[type_code]
    problems = qtype.validate(spec)
    if problems:
        raise DomainError("spec", " ".join(problems))
    problems = qtype.stem_problems(stem, spec)
    if problems:
        raise DomainError("stem", " ".join(problems))


def check_stored(question: Question) -> None:
    """`check_content` on the question's current version: questions saved before a rule
    existed (or by an older importer) cannot go to review or be approved until edited."""
    version = question.current_version
    try:
        check_content(question.type, version.stem, version.spec)
    except DomainError as error:
        raise DomainError(
            error.field,
            _l("Edit the question first: %(problem)s", problem=error.message),
        ) from error


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
    check_content(draft.type, stem, draft.spec)
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
    if draft.audience not in {audience.value for audience in Audience}:
        raise DomainError("audience", _l("Unknown audience."))
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
    audience: Audience | None = None,
    audit: bool = True,
) -> Question:
    """Store a validated draft as version 1 of a new question, creating its knowledge-point path,
    tags and source document on first use; `audience` (the form's choice) overrides the draft's.
    A question stored as active counts the actor as its reviewer (imports of reviewed content);
    bulk importers pass audit=False and record one entry."""
    stem, spec, points = _checked(draft)
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
    _sync_copies(question, version)
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


def check_draft(draft: QuestionDraft) -> None:
    """Raise DomainError when `add_question` would refuse the draft (nothing is stored)."""
    _checked(draft)
    path_names(draft.knowledge_point)
    tag_names(draft.tags)


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
    checked = [_checked(draft) for draft in drafts]
    question_rows, tag_ids = [], []
    for draft, (stem, _spec, _points) in zip(drafts, checked, strict=True):
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
    for question_id, draft, (stem, spec, points) in zip(question_ids, drafts, checked, strict=True):
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
    review; knowledge point and tags are question-level and never make a version. With
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
    stem, spec, points = _checked(draft)
    current = question.current_version
    audience = audience or current.audience
    before = current.id
    question.knowledge_point = ensure_knowledge_point(session, question.bank, draft.knowledge_point)
    question.tags = ensure_tags(session, question.bank, draft.tags)
    question.touch(now)
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
    if current.used_at is not None or question.status == QuestionStatus.ACTIVE:
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
        if question.reviewed_version_id == version.id:
            question.reviewed_version_id = None  # its reviewer read other text
    _sync_copies(question, version)
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
        audience=version.audience.value,
        origin=f"question {question.id} v{version.number}",
    )
